"""The "Run it yourself" box at the top of a chapter: where its notebook is, and how to run it."""

from __future__ import annotations


def box(chapter: str, up: str, repo: str, language: str, notebook_dir: str = "notebooks") -> str:
    """The box's Markdown (folded on a phone) in the page's language: the chapter's notebook
    to read on the site and to download (``up``: the way to the site's root)."""
    download = f"{up}{notebook_dir}/{chapter}/{chapter}.ipynb"
    if language == "zh":
        # The notebook is code: the Chinese page links to the one English copy.
        return (
            '???+ example book-phone-folded "自己动手运行"\n'
            "    本页的每一幅图和每一个数字，都是构建网站时由这里展示的代码生成的。"
            f'<a href="{up}{notebook_dir}/{chapter}/">本章的笔记本</a>包含同样的代码及其输出（代码注释为英文）；'
            f'<a href="{download}" download>下载它（.ipynb）</a>，在<a href="{repo}">仓库</a>的克隆中运行。\n'
        )
    return (
        '???+ example book-phone-folded "Run it yourself"\n'
        "    Every figure and number on this page was produced by the code shown here when the site was built. "
        f"The [chapter's notebook]({notebook_dir}/{chapter}.ipynb) holds the same code with its outputs; "
        f'<a href="{download}" download>download it (.ipynb)</a> and run it inside a clone of '
        f'<a href="{repo}">the repository</a>.\n'
    )
