"""The diagnosis toolkit on a run that attention-logit growth derails

The toolkit (gradient_flow) judges the profile of gradient-to-weight ratios across a
model's layers and flags NaN or zero gradients, vanishing or exploding trends, and
saturated or dead units. Does it see the attention-logit growth of this chapter's first
experiment, and when? We train three copying Transformers (the first experiment's model,
without QK-LayerNorm) at learning rate 0.1, where the largest attention logit grows by
orders of magnitude, and one at 0.01 from the first one's initial network as a control,
each with the chapter's AdamW and a GradientFlowRecorder recording every fourth step through
its public API. We note the step at which the largest attention logit first exceeds ten
times its initial value and the first recorded step the toolkit flags, if any.
"""

import numpy as np
import torch

from gradient_flow import GradientFlowRecorder
from snippets.common import Claim, adam_step, generator, new_figure, rounded
from snippets.training_instabilities._model import BETAS, TinyLM, copy_batch


# --8<-- [start:measure]
def run(lr: float, seed: int, steps: int, half: int, batch: int, vocab: int, d: int,
        heads: int, warmup: int, every: int) -> dict:
    model = TinyLM(1, 2, d, heads, vocab, 2 * half, seed=seed)
    params = list(model.parameters())
    state = [(torch.zeros_like(p), torch.zeros_like(p)) for p in params]
    rng, plain = generator(seed + 1), torch.tensor([False])
    losses, largest_logit = [], []
    with GradientFlowRecorder(model, every=every) as recorder:
        for step in range(1, steps + 1):
            inputs, targets = copy_batch(1, batch, half, vocab, rng)
            logits, largest = model(inputs, plain)
            loss = torch.nn.functional.cross_entropy(
                logits[:, :, half - 1:].reshape(-1, vocab), targets.reshape(-1))
            model.zero_grad()
            loss.backward()
            recorder.record()
            with torch.no_grad():  # the AdamW of the other experiments, one member
                adam_step(params, [p.grad for p in params], state,
                          torch.tensor([lr * min(1.0, step / warmup)]), step, BETAS, torch.tensor([1e-8]), 1e-4)
            losses.append(loss.item())
            largest_logit.append(largest.item())
        recorded = [every * i for i in range(len(recorder.steps))]
        flags = [sorted({f.kind for f in recorder.diagnose(i)["flags"]}) for i in range(len(recorded))]
    onset = next((s for s, v in enumerate(largest_logit) if v > 10 * largest_logit[0]), None)
    flagged = next((s for s, f in zip(recorded, flags) if f), None)
    return {"lr": lr, "loss": rounded(losses), "largest_logit": rounded(largest_logit),
            "recorded_steps": recorded, "flags": flags,
            "logit_onset_step": onset, "first_flag_step": flagged,
            "final_loss": rounded(float(np.mean(losses[-10:])))}


def measure(runs: int = 3, lr: float = 0.1, control_lr: float = 0.01, steps: int = 80,
            half: int = 4, batch: int = 8, vocab: int = 16, d: int = 32, heads: int = 2,
            warmup: int = 10, every: int = 4, seed: int = 0) -> dict:
    setup = dict(steps=steps, half=half, batch=batch, vocab=vocab, d=d, heads=heads,
                 warmup=warmup, every=every)
    high = [run(lr, seed * 100 + k, **setup) for k in range(runs)]
    control = run(control_lr, seed * 100, **setup)
    # "before": flagged at a step no later than the logit's tenfold growth; never counts as not
    before = lambda key: sum(r[key] is not None and r["logit_onset_step"] is not None
                             and r[key] <= r["logit_onset_step"] for r in high)
    return {
        "runs": high, "control": control, "steps": steps,
        "onset_steps": [r["logit_onset_step"] for r in high],
        "first_flag_steps": [r["first_flag_step"] for r in high],
        # steps from the logit's tenfold growth to the first flag, over the flagged runs
        "flag_delays": [r["first_flag_step"] - r["logit_onset_step"] for r in high
                        if r["first_flag_step"] is not None and r["logit_onset_step"] is not None],
        "smallest_flag_delay": min(
            [r["first_flag_step"] - r["logit_onset_step"] for r in high
             if r["first_flag_step"] is not None and r["logit_onset_step"] is not None],
            default=steps),  # no flag within the run: at least the run's length
        "runs_with_onset": sum(r["logit_onset_step"] is not None for r in high),
        "runs_flagged": sum(r["first_flag_step"] is not None for r in high),
        "runs_flagged_before_onset": before("first_flag_step"),
        "control_flagged": int(control["first_flag_step"] is not None),
        "flag_kinds": sorted({k for r in high for f in r["flags"] for k in f}),
    }
# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    fig, (top, bottom) = new_figure(ncols=2, width=7.6, height=3.4)
    for i, r in enumerate(results["runs"]):
        steps = np.arange(1, len(r["loss"]) + 1)
        label = f"lr {r['lr']:g}" if i == 0 else None
        top.plot(steps, r["largest_logit"], color=f"C{i}", label=label)
        bottom.plot(steps, r["loss"], color=f"C{i}", lw=1)
        for key, marker in (("logit_onset_step", "o"), ("first_flag_step", "x")):
            if r[key] is not None:
                top.plot(r[key] + 1, r["largest_logit"][r[key]], marker, color=f"C{i}", ms=7,
                         mfc="none")
    c = results["control"]
    top.plot(np.arange(1, len(c["loss"]) + 1), c["largest_logit"], color="C6", ls="--",
             label=f"control, lr {c['lr']:g}")
    bottom.plot(np.arange(1, len(c["loss"]) + 1), c["loss"], color="C6", ls="--", lw=1)
    top.set(yscale="log", xlabel="AdamW step", ylabel="largest attention logit",
            title="o: logit ×10 its start; x: first flag")
    top.legend(fontsize=8)
    bottom.set(xlabel="AdamW step", ylabel="training loss", title="the same runs")
    alt = ("First panel: the largest attention logit against the step for three runs at the "
           "high learning rate and one control run at the low rate, on a logarithmic scale, "
           "with circles where the logit first reaches ten times its start and crosses where the "
           "toolkit first raises a flag, if it does: every cross comes well after its circle. Second panel: the training losses of the "
           "same runs: the control's falls to near zero, the high-rate runs' stall.")
    return {"toolkit": (fig, alt)}
# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "attention_logits_grow_tenfold_early",
        "At learning rate [[setup.lr|g]] the largest attention logit of every run grows tenfold "
        "within the first [[at_most|d]] steps.",
        lambda r: max(s if s is not None else r["steps"] for s in r["onset_steps"]),
        at_most=30,
    ),
    Claim(
        "toolkit_flags_do_not_warn_before_onset",
        "The toolkit's flags come after the attention logits' tenfold growth, or never: no flag "
        "is raised at or before it.",
        lambda r: r["runs_flagged_before_onset"],
        at_most=0,
        out_of=3,
    ),
    Claim(
        "toolkit_flags_late",
        "Where the toolkit flags a high-rate run at all, its first flag comes at least "
        "[[at_least|d]] steps after the logits' tenfold growth.",
        lambda r: r["smallest_flag_delay"],
        at_least=8,
    ),
    Claim(
        "toolkit_quiet_on_control",
        "On the control run at learning rate [[setup.control_lr|g]] the toolkit raises no flag.",
        lambda r: r["control_flagged"] == 0,
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
