"""Every word the book's generated parts say, in each language: the claims cards (a check, a
measured value, its spread over the seeds), the figures' links, a value that is a yes or a no,
the "Run it yourself" box and the code fold's button. The book's own text is in the pages.

A claim's check is data (:class:`book.claims.Check`: its bounds, whether it counts runs, how
its numbers print); this module puts it into words, once per language. The English words are
also those of the claim's diagnostics and of the sweep records (``"check": "value ≤ 0.05"``).
Nothing here imports the rest of the book.
"""

from __future__ import annotations

from typing import Protocol, Sequence

#: The words a page's generated parts use, by language. The phrases of a claim's check
#: (:data:`CHECK_PHRASES`): a count of runs reads "{count} of {runs} runs"; a numeric check
#: names the measured value ``{value}``.
LABELS = {
    "en": {
        "yes": "yes", "no": "no", "data": "data (JSON)", "source": "source",
        "title": "Tested claims", "measured": "Measured", "seeds": "Seeds {seeds}", "check": "Check",
        "test": "Test", "checked": "Checked",
        "intro": "Each sentence below is checked against the numbers the code on this page measured: "
                 "the build reruns every experiment at seeds {seeds} and stops if a check fails. "
                 "“Measured” is the value at seed {seed}, the one the figures and text show.",
        "tests": "The same checks run as tests in {tests}.",
        "no_result": "The experiment <code>{id}</code> has no result, so its claims could not be checked: {reason}",
        "fold": "Show all {lines} lines",  # book.js relabels it as it toggles
        "figure_note": "",  # the figures are drawn in English: nothing to say
        "permalink": "Permanent link",  # a heading's anchor (the toc extension writes the English)
        # A claim's check, its measured value, its spread over the seeds (CHECK_PHRASES).
        "true": "is true", "value": "value", "holds": "true", "fails": "false", "none": "none of {runs} runs",
        "all": "all {runs} runs", "between": "{low} to {high} of {runs} runs", "at_least": "at least {low} of {runs} runs",
        "at_most": "at most {high} of {runs} runs", "count": "{count} of {runs} runs", "always": "true at every seed",
        "not_always": "not true at every seed", "every_seed": "{value} at every seed",
        "still_checking": "still being checked (under mkdocs serve, in the background)",
        "run_it": (
            '???+ example book-phone-folded "Run it yourself"\n'
            "    Every figure and number on this page was produced by the code shown here when the site was built. "
            "The [chapter's notebook]({notebook_dir}/{chapter}.ipynb) holds the same code with its outputs; "
            '<a href="{download}" download>download it (.ipynb)</a> and run it inside a clone of '
            '<a href="{repo}">the repository</a>.\n'
        ),
    },
    "zh": {
        "yes": "是", "no": "否", "data": "数据（JSON）", "source": "源代码",
        "title": "经过测试的结论", "measured": "测量值", "seeds": "种子 {seeds}", "check": "检验",
        "test": "测试", "checked": "检验量",
        "intro": "下面每一句话都用本页代码测得的数字来检验：构建网站时，每个实验都在种子 {seeds} 上重新运行，"
                 "任何一项检验不通过，构建就会停止。“测量值”是种子 {seed} 的结果，也就是图和正文所用的那一次。",
        "tests": "同样的检验也作为测试运行，见 {tests}。",
        "no_result": "实验 <code>{id}</code> 没有结果，因此无法检验它的结论：{reason}",
        "fold": "显示全部 {lines} 行",
        "permalink": "本节链接",
        # matplotlib draws the figures once, in English, for both editions (首页 says why).
        "figure_note": "图中标注为英文",
        "still_checking": "仍在后台检验中（mkdocs serve）",
        "true": "成立", "value": "测量值", "holds": "成立", "fails": "不成立", "none": "{runs} 次运行中没有一次",
        "all": "全部 {runs} 次运行", "between": "{runs} 次运行中 {low} 到 {high} 次", "at_least": "{runs} 次运行中至少 {low} 次",
        "at_most": "{runs} 次运行中至多 {high} 次", "count": "{count} 次（共 {runs} 次运行）",
        "always": "每个种子都成立", "not_always": "并非每个种子都成立", "every_seed": "每个种子都是 {value}",
        # The notebook is code: the Chinese page links to the one English copy.
        "run_it": (
            '???+ example book-phone-folded "自己动手运行"\n'
            "    本页的每一幅图和每一个数字，都是构建网站时由这里展示的代码生成的。"
            '<a href="{up}{notebook_dir}/{chapter}/">本章的 Jupyter 笔记本</a>包含同样的代码及其输出（代码注释为英文）；'
            '<a href="{download}" download>下载它（.ipynb）</a>，在<a href="{repo}">仓库</a>的克隆中运行。\n'
        ),
    },
}

CHECK_PHRASES = ("true", "value", "holds", "fails", "none", "all", "between", "at_least", "at_most", "count",
                 "always", "not_always", "every_seed")


class Checked(Protocol):
    """What the words need of a claim's check (:class:`book.claims.Check`)."""

    at_least: float | None
    at_most: float | None
    out_of: int | None

    def number(self, value: float) -> str: ...


def check_words(check: Checked, language: str = "en") -> str:
    """The check in words, e.g. ``0.9 ≤ value ≤ 1.1`` or ``at least 12 of 16 runs``."""
    words = LABELS[language]
    low, high = check.at_least, check.at_most
    if check.out_of is not None:
        fields = {"runs": check.out_of, "low": _number(check, low), "high": _number(check, high)}
        if high == 0:
            return words["none"].format(**fields)
        if low == check.out_of:
            return words["all"].format(**fields)
        if low is not None and high is not None:
            return words["between"].format(**fields)
        return words["at_least" if low is not None else "at_most"].format(**fields)
    if low is None and high is None:
        return words["true"]
    if low is not None and high is not None:
        return f"{check.number(low)} ≤ {words['value']} ≤ {check.number(high)}"
    if low is not None:
        return f"{words['value']} ≥ {check.number(low)}"
    return f"{words['value']} ≤ {check.number(high)}"


def measured_words(check: Checked, value: float | bool, language: str = "en") -> str:
    """A measured value as the check reads it: ``true``, ``14 of 16 runs``, ``0.25``."""
    words = LABELS[language]
    if isinstance(value, bool):
        return words["holds"] if value else words["fails"]
    if check.out_of is not None:
        return words["count"].format(count=check.number(value), runs=check.out_of)
    return check.number(value)


def spread_words(check: Checked, values: Sequence[float | bool], language: str = "en") -> str:
    """The values measured at the claim seeds, in a few words: ``true at every seed``,
    ``14–15 of 16 runs``, ``0.25 at every seed``, ``0.5 … 0.9``."""
    words = LABELS[language]
    if all(isinstance(v, bool) for v in values):
        return words["always"] if all(values) else words["not_always"]
    low, high = min(values), max(values)
    if check.out_of is not None:
        count = f"{int(low)}" if int(low) == int(high) else f"{int(low)}–{int(high)}"
        return words["count"].format(count=count, runs=check.out_of)
    if check.number(low) == check.number(high):
        return words["every_seed"].format(value=check.number(low))
    return f"{check.number(low)} … {check.number(high)}"


def _number(check: Checked, bound: float | None) -> str:
    return "" if bound is None else check.number(bound)
