"""Learning-rate warm-up: post-LN Transformers need it, pre-LN Transformers do not

Xiong et al. (2020) traced the need for a learning-rate warm-up in the original
(post-LN) Transformer to its large gradients near the output at initialisation: with the
full learning rate from the first step, Adam's early updates throw the network into a
state it does not recover from quickly. Pre-LN Transformers trained without warm-up. We
train 6-layer encoders (d_model 16, 4 heads) to reverse sequences of 4 tokens from a
vocabulary of 8, with Adam at learning rate 0.01 for 80 steps: eight post-LN networks
without warm-up and the same eight networks (same initial weights, same batches) with a
linear warm-up over the first 25 steps, and eight pre-LN networks without warm-up. The
ensemble runs as one batched computation; Adam is written out so that each network can
have its own learning-rate schedule.
"""

import math

import numpy as np
import torch
from torch import nn

from snippets.common import Claim, adam_step, generator, new_figure, rounded
from snippets.transformer_layernorm._transformer import Encoder


# --8<-- [start:measure]
def train(
    kind: str,
    schedules: list,
    layers: int,
    d: int,
    batch: int,
    length: int,
    vocab: int,
    steps: int,
    lr: float,
    warmup: int,
    seed: int,
) -> np.ndarray:
    """Train copies of ``networks`` initial networks, one copy per schedule
    ("none"/"warmup").
    """
    networks = len(schedules[0])
    model = Encoder(
        kind,
        layers,
        ensemble=networks,
        d=d,
        heads=4,
        vocab=vocab,
        length=length,
        seed=seed,
    )
    copies = len(schedules)
    with torch.no_grad():  # member k of every copy starts from the same weights
        for p in model.parameters():
            p.data = p.data.repeat(copies, *[1] * (p.dim() - 1))
    params = list(model.parameters())
    state = [(torch.zeros_like(p), torch.zeros_like(p)) for p in params]
    warm = torch.tensor([s == "warmup" for schedule in schedules for s in schedule])
    rng = generator(seed + 1)
    losses = []
    for step in range(1, steps + 1):
        tokens = torch.randint(0, vocab, (networks, batch, length), generator=rng)
        tokens = tokens.repeat(copies, 1, 1)  # the same batches for every copy
        logits = model(tokens)
        per_token = nn.functional.cross_entropy(
            logits.reshape(-1, vocab), tokens.flip(-1).reshape(-1), reduction="none"
        )
        loss = per_token.reshape(len(warm), -1).mean(1)  # each member's own loss
        grads = torch.autograd.grad(loss.sum(), params)
        rate = torch.where(warm, lr * min(1.0, step / warmup), torch.tensor(lr))
        with torch.no_grad():
            adam_step(params, grads, state, rate, step, betas=(0.9, 0.98), eps=1e-9)
        losses.append(loss.detach().numpy())
    return np.array(losses)  # (steps, members)


def measure(
    networks: int = 8,
    layers: int = 6,
    d: int = 16,
    batch: int = 16,
    length: int = 4,
    vocab: int = 8,
    steps: int = 80,
    lr: float = 0.01,
    warmup: int = 25,
    solved: float = 0.5,
    seed: int = 0,
) -> dict:
    post = train(
        "post",
        [["none"] * networks, ["warmup"] * networks],
        layers,
        d,
        batch,
        length,
        vocab,
        steps,
        lr,
        warmup,
        seed,
    )
    pre = train(
        "pre",
        [["none"] * networks],
        layers,
        d,
        batch,
        length,
        vocab,
        steps,
        lr,
        warmup,
        seed,
    )
    runs = {
        "post_none": post[:, :networks],
        "post_warmup": post[:, networks:],
        "pre_none": pre,
    }
    final = {name: curve[-10:].mean(0) for name, curve in runs.items()}  # last 10 steps
    return {
        "networks": networks,
        "layers": layers,
        "d": d,
        "length": length,
        "vocab": vocab,
        "steps": steps,
        "lr": lr,
        "warmup": warmup,
        "solved_below": solved,
        "chance_loss": rounded(math.log(vocab)),
        "curves": {
            name: rounded(np.median(curve, 1)[::2]) for name, curve in runs.items()
        },
        "final": {name: rounded(values) for name, values in final.items()},
        "median_final": {
            name: rounded(np.median(values)) for name, values in final.items()
        },
        "solved": {
            name: int((values < solved).sum()) for name, values in final.items()
        },
        "warmup_better_pairs": int((final["post_warmup"] < final["post_none"]).sum()),
    }


# --8<-- [end:measure]


# --8<-- [start:plot]
def plot(results: dict) -> dict:
    labels = {
        "post_none": "post-LN, no warm-up",
        "post_warmup": "post-LN, warm-up",
        "pre_none": "pre-LN, no warm-up",
    }
    fig, (left, right) = new_figure(ncols=2, width=7.6, height=3.2)
    for name, label in labels.items():
        curve = results["curves"][name]
        left.plot(1 + 2 * np.arange(len(curve)), curve, label=label)
    left.axhline(results["chance_loss"], color="C6", lw=0.8, ls=":")
    left.axvline(results["warmup"], color="C6", lw=0.8)
    left.set(
        xlabel="Adam step",
        ylabel="loss (median of the networks)",
        title=f"reverse {results['length']} tokens; dotted: chance",
    )
    left.legend(fontsize=9)
    for position, (name, label) in enumerate(labels.items()):
        values = results["final"][name]
        right.plot(
            np.full(len(values), position) + np.linspace(-0.15, 0.15, len(values)),
            values,
            "o",
            ms=4,
        )
    right.axhline(results["solved_below"], color="C6", lw=0.8, ls="--")
    right.set_xticks(
        range(3), ["post-LN\nno warm-up", "post-LN\nwarm-up", "pre-LN\nno warm-up"]
    )
    right.set(ylabel="final loss, each network", title="dashed: counted as solved")
    alt = (
        "First panel: median training loss over 80 Adam steps for three groups of eight "
        "6-layer Transformer encoders learning to reverse sequences. Post-LN "
        "without warm-up stays near the chance level; the same networks with a "
        "25-step warm-up fall further; pre-LN without warm-up falls to near zero. "
        "Second panel: the final loss of each network as a dot, grouped the same way."
    )
    return {"training": (fig, alt)}


# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "postln_without_warmup_fails",
        "Post-LN encoders trained from the full learning rate do not solve the task "
        "(loss below [[setup.solved|g]]) within [[setup.steps]] steps.",
        lambda r: r["solved"]["post_none"],
        at_most=1,
        out_of=8,
    ),
    Claim(
        "warmup_helps_postln",
        "The same post-LN networks with a [[setup.warmup]]-step warm-up end at a lower loss than "
        "without.",
        lambda r: r["warmup_better_pairs"],
        at_least=6,
        out_of=8,
    ),
    Claim(
        "preln_needs_no_warmup",
        "Pre-LN encoders trained from the full learning rate, without warm-up, solve "
        "it.",
        lambda r: r["solved"]["pre_none"],
        at_least=6,
        out_of=8,
    ),
)


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
