"""The explorer's grid: gradient profiles of every setting the Explore page offers

For each activation, weight scale σ_w, depth, normalisation (none, BatchNorm,
LayerNorm) and skip connection (none, naive h + f(h), scaled h + f(h)/√L) we build
plain networks of width 32 (bias-free blocks z = W h, then the normalisation, then
the activation φ), push a batch of 16 Gaussian inputs through, backpropagate
L = Σ r ⊙ h_L with a fixed random readout r, and record per layer:

* ‖∂L/∂h_l‖ and ‖∂L/∂W_l‖ (Frobenius, whole batch), the std of the activations h_l;
* the measured factor ‖∂L/∂h_{l−1}‖² / ‖∂L/∂h_l‖² of layer l;
* without normalisation and skips, the mean-field factor χ_l = σ_w² · mean φ′(z_l)²
  of the pre-activations the network actually has (Poole et al. 2016; Schoenholz et
  al. 2017);
* the verdict of the diagnosis tool (the ``gradient_flow`` package) with its own
  thresholds: the fitted change of the gradient-to-weight ratio across the network
  (vanishing below −2 decades, exploding above +2), of the layer outputs' std
  (forward collapse or explosion), and saturated or dead units.

Three networks per setting (independent draws from ``seed``); the page shows the
median and the range over them. Every σ_w scales the same Gaussian draws (common
random numbers), so that two settings differ by their setting only. Float64
throughout: 100 layers at σ_w = 4 reach 10^±60, beyond float32.

All networks of one activation and normalisation (every skip, σ_w, draw and depth) run as
one program: one forward pass serves every depth, and the backward pass, written out, carries
one gradient per network and depth. Each network's forward pass is the arithmetic it has when
run alone (the same matrix products and PyTorch kernels), so that even a chaotic network
gives the numbers it gives alone.

The grid is published compactly. Profiles are strings: for each σ_w (in order,
separated by ";") the values of log₁₀ in hundredths of a decade, the first one as it
is and the others as differences from the one before (separated by ","); ``unpack``
reads them back.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F

from snippets.common import Claim, PALETTE, generator, new_figure, rounded
from gradient_flow import GradientFlowRecorder, flag_kinds

ACTIVATIONS = {
    "linear": lambda x: x,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": F.relu,
    "leaky_relu": F.leaky_relu,  # negative slope 0.01, PyTorch's default
    "elu": F.elu,
    "gelu": F.gelu,
}
#: φ′ from the activation's input u and output y (checked against autograd).
DERIVATIVES = {
    "linear": lambda u, y: torch.ones_like(u),
    "sigmoid": lambda u, y: y * (1 - y),
    "tanh": lambda u, y: 1 - y * y,
    "relu": lambda u, y: (u > 0).to(u.dtype),
    "leaky_relu": lambda u, y: torch.where(
        u > 0, torch.ones_like(u), torch.full_like(u, 0.01)
    ),
    "elu": lambda u, y: torch.where(u > 0, 1.0, y + 1).to(u.dtype),
    "gelu": lambda u, y: 0.5 * (1 + torch.erf(u / math.sqrt(2)))
    + u * torch.exp(-u * u / 2) / math.sqrt(2 * math.pi),
}
NORMS = ("none", "batch", "layer")
SKIPS = ("none", "naive", "scaled")
DEPTHS = (10, 25, 50, 100)


def library_presets(fan_in: int = 32, fan_out: int = 32) -> dict:
    """σ_w = std(W) · √fan_in of PyTorch's initialisers, from their own gains."""
    gain = torch.nn.init.calculate_gain
    return {
        # nn.Linear: kaiming_uniform_(a=√5) = U(±1/√fan_in), variance 1/(3 fan_in)
        "default": gain("leaky_relu", math.sqrt(5)),
        # xavier_normal_: std = √(2 / (fan_in + fan_out))
        "xavier": math.sqrt(2 * fan_in / (fan_in + fan_out)),
        # kaiming_normal_ (its default nonlinearity is ReLU): std = √2 / √fan_in
        "he": gain("relu"),
        # xavier_normal_(gain=calculate_gain("tanh")) on a square layer: 5/3
        "tanh_gain": gain("tanh") * math.sqrt(2 * fan_in / (fan_in + fan_out)),
    }


PRESETS = library_presets()
SIGMAS = tuple(sorted({0.25, 0.5, 0.75, 1.2, 2.0, 3.0, 4.0, *PRESETS.values()}))


# --8<-- [start:grid]
def normalise(z: torch.Tensor, norm: str) -> tuple:
    """z: (…, batch, width), one network per leading index. BatchNorm over each network's
    batch, LayerNorm over its units (training mode, no affine parameters: they start as the
    identity), by PyTorch's own kernels: each network gets the numbers nn.BatchNorm1d or
    nn.LayerNorm give it alone. Returns the normalised z and 1/√(variance + ε), which the
    backward pass needs."""
    if norm == "none":
        return z, None
    if norm == "layer":
        u, _, scale = torch.native_layer_norm(z, z.shape[-1:], None, None, 1e-5)
        return u, scale
    batch, width = z.shape[-2:]
    flat = z.movedim(-2, 0).reshape(batch, -1)  # (batch, every network's units)
    u, _, scale = torch.native_batch_norm(flat, None, None, None, None, True, 0.0, 1e-5)
    u = u.reshape(batch, *z.shape[:-2], width).movedim(0, -2).contiguous()
    return u, scale.reshape(*z.shape[:-2], 1, width)


def normalise_backward(g: torch.Tensor, u: torch.Tensor, scale, norm: str) -> torch.Tensor:
    """∂L/∂z from g = ∂L/∂u, u = normalise(z): scale · (g − mean g − u · mean(g u))."""
    if norm == "none":
        return g
    dim = -2 if norm == "batch" else -1
    along = (g * u).mean(dim=dim, keepdim=True)
    return torch.addcmul(g - g.mean(dim=dim, keepdim=True), u, along, value=-1) * scale


def spread(t: torch.Tensor) -> torch.Tensor:
    """std over each network's batch and units (the last two axes; with n − 1, as torch.std)."""
    centred = t - t.mean(dim=(-2, -1), keepdim=True)
    return (centred * centred).sum(dim=(-2, -1)).div(t.shape[-2] * t.shape[-1] - 1).sqrt()


def run(activation, norm, depths, weights, inputs, readout, sigmas, skips):
    """Every network of one activation and normalisation as one program: each skip × σ_w ×
    draw, read at each depth L in ``depths``. Returns, per depth L, per-layer tensors of
    shape (L, skips, σ_w, draws).

    weights: (draws, layers, width, width) standard draws / √width; the network of σ_w uses
    σ_w times them. A network of depth L is its first L blocks, so one forward pass serves
    every depth; skips scaled by 1/√L differ with L, so those networks run once per depth,
    side by side with the others. The backward pass is the chain rule written out, one
    gradient per network and depth: the loss of depth L, Σ r ⊙ h_L, starts its gradient at
    layer L, and all of them go down together. Each network's forward pass is the very
    arithmetic of the network run alone (the same matrix products and PyTorch kernels).
    """
    deepest, draws, width = max(depths), weights.shape[0], weights.shape[-1]
    batch, copies = inputs.shape[1], len(sigmas)
    # a group: the networks (draw, σ_w) of one skip, h_l = keep · h_{l−1} + branch · φ(N(z_l)),
    # run to layer `last`; the deepest first, so that the groups still running are a prefix.
    # Tensors are (draws, σ_w, groups, batch, width): the networks that share a weight matrix
    # σ_w W_l are adjacent rows of one matrix product.
    groups = [(s, skip, last) for s, skip in enumerate(skips)
              for last in (depths if skip == "scaled" else [deepest])]
    groups.sort(key=lambda group: -group[2])
    branch = torch.tensor([1 / math.sqrt(last) if skip == "scaled" else 1.0
                           for _, skip, last in groups])[:, None, None]
    keep = torch.tensor([0.0 if skip == "none" else 1.0 for _, skip, _ in groups])[:, None, None]
    no_skip = [skip for _, skip, _ in groups].index("none") if "none" in skips else None
    running = [sum(last >= l for _, _, last in groups) for l in range(1, deepest + 1)]
    sigma = torch.tensor(sigmas)
    limit = GradientFlowRecorder.SATURATION_DERIVATIVE
    phi, derivative = ACTIVATIONS[activation], DERIVATIVES[activation]

    def linear(h, l, transpose=False):  # h (σ_w W_l) for every network, or h (σ_w W_l)ᵀ
        W = (sigma[:, None, None] * weights[:, l, None]).reshape(-1, width, width)
        W = W.transpose(-2, -1) if transpose else W
        return (h.reshape(draws * copies, -1, width) @ W).view(h.shape)

    # forward; per layer, each group's statistics in a table (layer, draws, σ_w, group)
    h = inputs[:, None, None].expand(-1, copies, len(groups), -1, -1)
    table = torch.zeros(deepest, draws, copies, len(groups))
    stats = {key: table.clone() for key in ("spread", "pre_std", "saturated", "dead")}
    chi, saved = torch.zeros(deepest, draws, copies), []
    for l, k in enumerate(running):
        h_in = h[:, :, :k]
        z = linear(h_in, l)  # h_l = keep · h_{l−1} + branch · φ(N(W_l h_{l−1}))
        u, scale = normalise(z, norm)
        y = phi(u)
        slope = derivative(u, y)
        h = h_in + branch[:k] * y
        if no_skip is not None:
            h[:, :, no_skip] = y[:, :, no_skip]
        saved.append((h_in, u, scale, branch[:k] * slope))  # ∂h_l/∂u_l = branch · φ′(u_l)
        # what the diagnosis tool's forward hooks record
        stats["spread"][l, ..., :k] = spread(h)
        stats["pre_std"][l, ..., :k] = spread(z)
        if activation == "tanh":  # the recorder's saturated unit: φ′ = 1 − y² below its limit
            stats["saturated"][l, ..., :k] = (slope < limit).double().mean(dim=(-2, -1))
        elif activation == "sigmoid":  # φ′ = y (1 − y), at most 1/4
            stats["saturated"][l, ..., :k] = (slope < 0.25 * limit).double().mean(dim=(-2, -1))
        if activation in ("relu", "leaky_relu"):
            # a dead unit: zero for every input of the batch (its largest |y| is 0)
            stats["dead"][l, ..., :k] = (y.abs().amax(dim=-2) == 0).double().mean(dim=-1)
        if norm == "none" and no_skip is not None:  # mean-field χ of the plain networks
            chi[l] = sigma**2 * slope[:, :, no_skip].square().mean(dim=(-2, -1))

    # backward: one row per network group and depth it is read at, the deepest first (the
    # rows already started are a prefix); a row reads its group's saved forward values
    rows = sorted(((g, L) for g, (_, skip, last) in enumerate(groups)
                   for L in (depths if skip != "scaled" else [last])), key=lambda row: -row[1])
    row_group = torch.tensor([g for g, _ in rows])
    grad_h, grad_w = (torch.zeros(deepest, draws, copies, len(rows)) for _ in range(2))
    G = torch.zeros(draws, copies, 0, batch, width)  # ∂L/∂h_l of each row
    for l in reversed(range(deepest)):
        starting = sum(L == l + 1 for _, L in rows)  # the loss of depth l + 1: ∂L/∂h_l = r
        if starting:
            r = readout[:, None, None].expand(-1, copies, starting, -1, -1)
            G = torch.cat([G, r], dim=2)
        n = G.shape[2]
        at = row_group[:n]
        if n == running[l] and torch.equal(at, torch.arange(n)):
            h_in, u, scale, slope = saved[l]
        else:
            h_in, u, scale, slope = (None if t is None else t.index_select(2, at) for t in saved[l])
        grad_h[l, ..., :n] = torch.linalg.vector_norm(G, dim=(-2, -1))
        g = normalise_backward(G * slope, u, scale, norm)  # ∂L/∂z_l
        # ∂L/∂W_l = h_{l−1}ᵀ ∂L/∂z_l, network by network
        grad_w[l, ..., :n] = torch.linalg.vector_norm(h_in.transpose(-2, -1) @ g, dim=(-2, -1))
        if l:  # ∂L/∂h_{l−1} = keep · ∂L/∂h_l + ∂L/∂z_l (σ_w W_l)ᵀ
            G = torch.addcmul(linear(g, l, transpose=True), keep[at], G)
        saved[l] = None

    # per depth and skip: the group that ran it and the row that read it
    def layers_of(values, pick, depth):  # → (depth, skips, σ_w, draws)
        return values[:depth, ..., pick].permute(0, 3, 2, 1)

    weight = torch.linalg.vector_norm(weights, dim=(-2, -1)).T[:, None, :] * sigma[:, None]
    results = {}
    for depth in depths:
        group = [next(g for g, (s, skip, last) in enumerate(groups)
                      if s == i and (skip != "scaled" or last == depth)) for i in range(len(skips))]
        row = [rows.index((g, depth)) for g in group]
        out = {key: layers_of(values, group, depth) for key, values in stats.items()}
        out["grad_h"] = layers_of(grad_h, row, depth)
        out["grad_w"] = layers_of(grad_w, row, depth)
        out["weight"] = weight[:depth, None].expand(-1, len(skips), -1, -1)  # ‖σ_w W_l‖
        if norm == "none" and no_skip is not None:
            out["chi"] = chi[:depth].transpose(-2, -1)
        results[depth] = out
    return results


# --8<-- [end:grid]


def fitted_change(log_values: torch.Tensor) -> torch.Tensor:
    """Least-squares line through log10 values (dim 0 = layers, input → output):
    fitted last − fitted first, in decades (the diagnosis tool's fit, for many
    profiles at once).
    """
    n = log_values.shape[0]
    x = torch.arange(n, dtype=log_values.dtype) - (n - 1) / 2
    x = x.reshape(-1, *([1] * (log_values.dim() - 1)))
    slope = (x * log_values).sum(dim=0) / (x * x).sum(dim=0)
    return slope * (n - 1)


# ------------------------------------------------------------------ compact encoding


def pack(log10_values) -> str:
    """log10 values → hundredths of a decade, first absolute, then differences; a 2-D
    array is one profile per row (per σ_w), the rows separated by ";"."""
    q = np.atleast_2d(np.rint(np.asarray(log10_values, dtype=float) * 100).astype(int))
    q = np.concatenate([q[:, :1], np.diff(q, axis=1)], axis=1)
    return ";".join(",".join(map(str, row)) for row in q.tolist())


def unpack(text: str) -> list:
    """The inverse of ``pack`` for one record string: a list (one per σ_w) of log10
    profiles."""
    return [
        list(np.cumsum([int(v) for v in part.split(",")]) / 100)
        for part in text.split(";")
    ]


def pack_offsets(log10_values) -> str:
    """log10 offsets in hundredths of a decade, as they are; rows separated by ";"."""
    q = np.atleast_2d(np.rint(np.asarray(log10_values, dtype=float) * 100).astype(int))
    return ";".join(",".join(map(str, row)) for row in q.tolist())


# ------------------------------------------------------------ the page's data files

#: The settings a page slice holds: one activation, normalisation and skip, every depth.
SLICE = "{act}-{norm}-{skip}"
#: What the Explore page shows first (a link with settings in it shows those instead).
FIRST_VIEW = {"act": "tanh", "norm": "none", "skip": "none", "depth": 50, "sigma": 1.0}


def publish(results: dict) -> dict:
    """The Explore page's data, split so that a first visit loads only what its first view
    shows, and the rest when a reader asks for it.

    * ``first``: the grid's axes, presets and thresholds, the mean-field critical σ_w and the
      depth scales ξ the map's markers name (``index``), and the first view (``FIRST_VIEW``):
      the summaries of its activation, normalisation and skip at every depth (the map, the
      verdict) and its profiles at its own depth and σ_w only (the other σ_w left empty).
    * one slice per activation, normalisation and skip (named by ``SLICE``): every depth's
      profiles and summary.

    The values are the record's, unchanged (``unpack`` reads them): the page shows the same
    numbers whichever file it read them from.
    """
    deepest = max(results["depths"])
    index = {
        key: results[key]
        for key in ("width", "batch", "draws", "activations", "sigmas", "depths", "layers",
                    "norms", "skips", "presets", "thresholds")
    }
    index["theory"] = {act: {"critical": t["critical"]} for act, t in results["theory"].items()}
    index["xi"] = {act: results["summary"][f"{act}/none/none/{deepest}"]["xi"]
                   for act in results["activations"]}
    index["slice"] = SLICE
    index["view"] = FIRST_VIEW

    def part(act, norm, skip, depth, sigma=None):
        key = f"{act}/{norm}/{skip}/{depth}"
        record = results["profiles"][key]
        if sigma is not None:  # one σ_w's profiles, the others' places kept empty
            record = {
                name: ";".join(p if i == sigma else "" for i, p in enumerate(text.split(";")))
                for name, text in record.items()
            }
        return {"profiles": record, "summary": results["summary"][key]}

    view = FIRST_VIEW
    at = min(range(len(results["sigmas"])),
             key=lambda i: abs(math.log(results["sigmas"][i] / view["sigma"])))
    first = {
        str(depth): (part(view["act"], view["norm"], view["skip"], depth, at)
                     if depth == view["depth"]
                     else {"summary": results["summary"][f"{view['act']}/{view['norm']}/{view['skip']}/{depth}"]})
        for depth in results["depths"]
    }
    files = {"first": {"index": index, "slice": first}}
    for act in results["activations"]:
        for norm in results["norms"]:
            for skip in results["skips"]:
                files[SLICE.format(act=act, norm=norm, skip=skip)] = {
                    str(depth): part(act, norm, skip, depth) for depth in results["depths"]
                }
    return files


# --------------------------------------------------------------------- theory


def mean_field_gain(activation: str, sigmas, depths, nodes: int = 800) -> np.ndarray:
    """Mean-field log10(‖∂L/∂h_1‖ / ‖∂L/∂h_L‖) of bias-free plain networks, shaped
    (depths, σ_w).

    q_1 = σ_w², q_l = σ_w² E[φ(√q_{l−1} u)²], χ_l = σ_w² E[φ′(√q_l u)²] (u ~ N(0, 1), a
    quadrature on a fine grid), and the gradient's squared norm changes by χ_l at
    layer l.
    """
    phi, slope = ACTIVATIONS[activation], DERIVATIVES[activation]
    u = torch.linspace(
        -10, 10, nodes, dtype=torch.float64
    )  # an even count: no node at 0
    w = torch.exp(-u * u / 2)
    w = w / w.sum()
    s2 = torch.tensor(sigmas, dtype=torch.float64) ** 2
    q, total, gains = s2.clone(), torch.zeros_like(s2), []  # inputs have unit variance
    for layer in range(1, max(depths) + 1):
        z = q.sqrt()[:, None] * u
        y = phi(z)
        if layer >= 2:
            total += torch.log10(s2 * (slope(z, y).pow(2) * w).sum(dim=1))
        if layer in depths:
            gains.append(total / 2)
        q = s2 * (y.pow(2) * w).sum(dim=1)
    return torch.stack(gains).numpy()


def critical_sigmas(activation: str, depths) -> list:
    """Per depth, the smallest σ_w in [0.2, 6] where the mean-field gradient stops
    shrinking."""
    grid = np.exp(np.linspace(np.log(0.2), np.log(6.0), 121))
    found = []
    for gain in mean_field_gain(activation, grid, depths):
        up = np.nonzero((gain[:-1] < 0) & (gain[1:] >= 0))[0]
        if not len(up):
            found.append(None)
            continue
        i = up[0]
        t = -gain[i] / (
            gain[i + 1] - gain[i]
        )  # linear in log σ between the bracketing points
        found.append(rounded(float(grid[i] * (grid[i + 1] / grid[i]) ** t), 4))
    return found


def deep_chi(activation: str, sigmas, depth: int, nodes: int = 800) -> np.ndarray:
    """Mean-field χ = σ_w² E[φ′(z)²] at layer ``depth`` of a bias-free plain network (the
    recursion for q of ``mean_field_gain``, run to that layer), one per σ_w."""
    phi, slope = ACTIVATIONS[activation], DERIVATIVES[activation]
    u = torch.linspace(-10, 10, nodes, dtype=torch.float64)
    w = torch.exp(-u * u / 2)
    w = w / w.sum()
    s2 = torch.tensor(sigmas, dtype=torch.float64) ** 2
    q = s2.clone()
    for _ in range(depth - 1):
        q = s2 * (phi(q.sqrt()[:, None] * u).pow(2) * w).sum(dim=1)
    z = q.sqrt()[:, None] * u
    return (s2 * (slope(z, phi(z)).pow(2) * w).sum(dim=1)).numpy()


def crossing(sigmas, chi) -> float | None:
    """The σ_w where χ first reaches 1 from below (linear in log σ_w and log χ)."""
    sigmas, log_chi = np.asarray(sigmas, dtype=float), np.log(np.asarray(chi, dtype=float))
    up = np.nonzero((log_chi[:-1] < 0) & (log_chi[1:] >= 0))[0]
    if not len(up):
        return None
    i = up[0]
    t = -log_chi[i] / (log_chi[i + 1] - log_chi[i])
    return float(sigmas[i] * (sigmas[i + 1] / sigmas[i]) ** t)


#: σ_w beyond the grid, where a bias-free sigmoid network's χ reaches 1
SIGMOID_PROBE = (6.0, 8.0, 10.0, 12.0, 14.0, 16.0)


def sigmoid_critical(weights, inputs, readout, depth: int, settle: int) -> dict:
    """Mean-field critical σ_w of the bias-free sigmoid network, and the same networks
    measured at σ_w around it: the measured factor per layer and the saturated share."""
    grid = np.exp(np.linspace(np.log(1.0), np.log(30.0), 69))
    theory = crossing(grid, deep_chi("sigmoid", grid, depth))
    m = run("sigmoid", "none", [depth], weights, inputs, readout, SIGMOID_PROBE,
            skips=("none",))[depth]
    log_h = torch.log10(m["grad_h"][:, 0])  # (layers, σ_w, draws)
    # geometric mean of the measured factor of ‖∂L/∂h‖² per layer, settled layers
    factor = 10 ** (2 * (log_h[:-1] - log_h[1:]))[settle:].mean(dim=(0, 2))
    measured = crossing(SIGMOID_PROBE, factor.numpy())
    at = int(np.argmin([abs(s - (theory or 0)) for s in SIGMOID_PROBE]))
    return {
        "probe": list(SIGMOID_PROBE),
        "theory_chi": rounded(deep_chi("sigmoid", SIGMOID_PROBE, depth).tolist(), 4),
        "measured_factor": rounded(factor.tolist(), 4),
        "critical_theory": rounded(theory, 4) if theory else None,
        "critical_measured": rounded(measured, 4) if measured else None,
        "measured_over_theory": rounded(measured / theory, 4) if measured and theory else None,
        # the diagnosis tool's saturated share at the probe nearest the critical σ_w
        "saturated_near_critical": rounded(
            float(m["saturated"][:, 0, at].amax(dim=0).median()), 4
        ),
        "nearest_probe": SIGMOID_PROBE[at],
    }


def relu_drift(rng, width: int, batch: int, depth: int, draws: int = 64) -> dict:
    """The finite-width drift of the He ReLU network, over many networks: the mean over
    draws of log10 ‖∂L/∂h_1‖/‖∂L/∂h_L‖ against −(L−1)·5/(4n)/ln 10 (Hanin 2018)."""
    weights = torch.randn(draws, depth, width, width, generator=rng) / math.sqrt(width)
    inputs = torch.randn(draws, batch, width, generator=rng)
    readout = torch.randn(draws, batch, width, generator=rng)
    m = run("relu", "none", [depth], weights, inputs, readout, (math.sqrt(2),),
            skips=("none",))[depth]
    log_h = torch.log10(m["grad_h"][:, 0, 0])  # (layers, draws)
    measured = float((log_h[0] - log_h[-1]).mean())
    predicted = -(depth - 1) * 5 / (4 * width) / math.log(10)
    return {
        "draws": draws,
        "measured": rounded(measured, 4),
        "predicted": rounded(predicted, 4),
        "ratio": rounded(measured / predicted, 4),
    }


# --8<-- [start:measure]
def measure(
    width: int = 32,
    batch: int = 16,
    depths=DEPTHS,
    sigmas=SIGMAS,
    activations=tuple(ACTIVATIONS),
    draws: int = 3,
    settle: int = 10,
    seed: int = 0,
) -> dict:
    torch.set_default_dtype(torch.float64)  # 100 layers at σ_w = 4 reach 10^±60
    try:
        rng = generator(seed)
        weights = torch.randn(
            draws, max(depths), width, width, generator=rng
        ) / math.sqrt(width)
        inputs = torch.randn(draws, batch, width, generator=rng)
        readout = torch.randn(draws, batch, width, generator=rng)  # ∂L/∂h_L = r
        profiles, summary = {}, {}
        for act in activations:
            for norm in NORMS:
                grid = run(act, norm, depths, weights, inputs, readout, sigmas, SKIPS)
                for depth in depths:
                    for skip, (record, stats) in summarise(grid[depth], settle).items():
                        profiles[f"{act}/{norm}/{skip}/{depth}"] = record
                        summary[f"{act}/{norm}/{skip}/{depth}"] = stats
        critical = sigmoid_critical(weights, inputs, readout, max(depths), settle)
        drift = relu_drift(rng, width, 1, max(depths))  # one input: Hanin's setting
        theory = {
            act: {
                "critical": critical_sigmas(act, depths),
                "first_last": rounded(mean_field_gain(act, sigmas, depths).tolist(), 4),
            }
            for act in activations
        }
    finally:
        torch.set_default_dtype(torch.float32)
    return {
        "width": width,
        "batch": batch,
        "draws": draws,
        "settle": settle,
        "grid_size": len(activations)
        * len(sigmas)
        * len(depths)
        * len(NORMS)
        * len(SKIPS),
        "activations": list(activations),
        "sigmas": rounded(list(sigmas), 6),
        "depths": list(depths),
        "layers": {str(depth): stored_layers(depth) for depth in depths},
        "norms": list(NORMS),
        "skips": list(SKIPS),
        "presets": {name: rounded(value, 6) for name, value in PRESETS.items()},
        "thresholds": {
            "decades": GradientFlowRecorder.DECADES,
            "saturated": GradientFlowRecorder.SATURATED,
            "dead": GradientFlowRecorder.DEAD,
        },
        "theory": theory,
        "sigmoid_critical": critical,
        "relu_drift": drift,
        "profiles": profiles,
        "summary": summary,
        "checks": checks(summary, list(activations), list(sigmas), max(depths), width),
    }


def stored_layers(depth: int, most: int = 50) -> list:
    """Layers (1-based) whose values are published: all up to 50, else every 2nd and
    the last."""
    step = 1 if depth <= most else 2
    return sorted(set(range(1, depth + 1, step)) | {depth})


def summarise(m: dict, settle: int) -> dict:
    """Per skip: the published record (median profiles over draws) and the summary
    per σ_w."""
    depth = m["grad_h"].shape[0]
    keep = torch.tensor(stored_layers(depth)) - 1
    log_h = torch.log10(m["grad_h"])
    # the tool's trend of the ratio profile: fitted input end − fitted output end
    trend = -fitted_change(torch.log10(m["grad_w"] / m["weight"]))
    forward = fitted_change(
        torch.log10(m["pre_std"])
    )  # the layer outputs' std: last − first
    factor = 2 * (log_h[:-1] - log_h[1:])  # log10 factor of layer l = 2 … L
    first_last = log_h[0] - log_h[-1]
    start = min(settle, depth // 2)  # the settled layers, for the mean factor
    out = {}
    for s, skip in enumerate(SKIPS):

        def median(t, rows=keep):  # (σ, stored layers)
            return t[rows][:, s].median(dim=-1).values.T

        def packed(t, encode=pack):  # (σ, stored layers) → one string
            return encode(t.numpy())

        h = median(log_h)
        record = {
            "h": packed(h),
            "hlo": packed(h - log_h[keep][:, s].amin(-1).T, encode=pack_offsets),
            "hhi": packed(log_h[keep][:, s].amax(-1).T - h, encode=pack_offsets),
            "w": packed(median(torch.log10(m["grad_w"]))),
            "a": packed(median(torch.log10(m["spread"]))),
            "f": packed(median(factor, keep[1:] - 1)),
        }
        stats = {
            "trend": trend[s].median(dim=-1).values,
            "forward": forward[s].median(dim=-1).values,
            "saturated": m["saturated"].amax(dim=0)[s].median(dim=-1).values,
            "dead": m["dead"].amax(dim=0)[s].median(dim=-1).values,
            "first_last": first_last[s].median(dim=-1).values,
            "first_last_lo": first_last[s].amin(dim=-1),
            "first_last_hi": first_last[s].amax(dim=-1),
            # geometric mean of the measured factor, settled layers and all draws
            "chi_measured": 10 ** factor[start:, s].mean(dim=(0, 2)),
        }
        if skip == "none" and "chi" in m:
            chi = m["chi"][1:]  # χ_l pairs with the factor of layer l ≥ 2
            record["c"] = packed(torch.log10(chi[keep[1:] - 1].median(dim=-1).values.T))
            stats["chi_network"] = chi[start:].mean(dim=(0, 2))
        stats["xi"] = 1 / stats["chi_measured"].log().abs().clamp(min=1e-4)
        stats = {key: rounded(value.tolist(), 4) for key, value in stats.items()}
        stats["flags"] = [flags_of(stats, i) for i in range(len(stats["trend"]))]
        out[skip] = (record, stats)
    return out


def checks(summary: dict, activations: list, sigmas: list, depth: int, width: int) -> dict:
    """The numbers the claims and the page's prose use (depth ``depth``)."""
    index = {
        name: min(range(len(sigmas)), key=lambda i: abs(sigmas[i] - v))
        for name, v in PRESETS.items()
    }
    plain = {act: summary[f"{act}/none/none/{depth}"] for act in activations}
    errors = {
        act: max(abs(m / n - 1) for m, n in zip(p["chi_measured"], p["chi_network"]))
        for act, p in plain.items()
    }
    presets = {
        act: {
            name: {
                key: p[key][i]
                for key in ("first_last", "trend", "forward", "xi", "flags")
            }
            for name, i in index.items()
        }
        for act, p in plain.items()
    }
    he = index["he"]
    return {
        "chi_error": {act: rounded(e, 4) for act, e in errors.items()},
        "chi_error_max": rounded(max(errors.values()), 4),
        "presets": presets,
        "relu_he_trend": presets["relu"]["he"]["trend"],
        "relu_he_decades": presets["relu"]["he"]["first_last"],
        # Hanin (2018): at χ = 1 the per-layer factor X of ‖∂L/∂h‖² has E[X] = 1 and, for
        # ReLU, Var[X] ≈ 5/n, so E[ln X] ≈ −5/(2n): ln‖∂L/∂h‖ drifts by −5/(4n) per layer
        "relu_he_drift_predicted": rounded(-(depth - 1) * 5 / (4 * width) / math.log(10), 4),
        "relu_he_drift_ratio": rounded(
            presets["relu"]["he"]["first_last"]
            / (-(depth - 1) * 5 / (4 * width) / math.log(10)),
            4,
        ),
        "relu_default_decades": presets["relu"]["default"]["first_last"],
        "sigmoid_best_decades": max(plain["sigmoid"]["first_last"]),
        "relu_batchnorm_least": min(summary[f"relu/batch/none/{depth}"]["first_last"]),
        "grid_largest_sigma": max(sigmas),
        "relu_naive_he": summary[f"relu/none/naive/{depth}"]["first_last"][he],
        "relu_scaled_he": summary[f"relu/none/scaled/{depth}"]["first_last"][he],
    }


# --8<-- [end:measure]


# --8<-- [start:plot]
LABELS = {
    "linear": "linear",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "relu": "ReLU",
    "leaky_relu": "LeakyReLU",
    "elu": "ELU",
    "gelu": "GELU",
}
PRESET_LABELS = {
    "default": ("nn.Linear default", "o"),
    "xavier": ("xavier_normal_", "s"),
    "he": ("kaiming_normal_", "^"),
    "tanh_gain": ("gain 5/3", "D"),
}
#: Colour limits of the map, in decades (beyond them the colour saturates).
MAP_LIMIT = 10


def _edges(values):
    logs = np.log(values)
    middle = (logs[1:] + logs[:-1]) / 2
    return np.exp(
        np.concatenate([[2 * logs[0] - middle[0]], middle, [2 * logs[-1] - middle[-1]]])
    )


def plot(results: dict) -> dict:
    import matplotlib.pyplot as plt

    sigmas, depths = np.array(results["sigmas"]), results["depths"]
    text = plt.rcParams["text.color"]
    fig, axes = new_figure(ncols=4, nrows=2, height=5.0)
    for ax, act in zip(axes.flat, results["activations"]):
        values = np.array(
            [results["summary"][f"{act}/none/none/{d}"]["first_last"] for d in depths]
        )
        mesh = ax.pcolormesh(
            _edges(sigmas),
            np.arange(len(depths) + 1),
            values,
            cmap="RdBu_r",
            vmin=-MAP_LIMIT,
            vmax=MAP_LIMIT,
        )
        critical = results["theory"][act]["critical"]
        rows = [(c, i + 0.5) for i, c in enumerate(critical) if c is not None]
        if rows:
            ax.plot(
                [c for c, _ in rows], [y for _, y in rows], color=text, lw=1.6, ls="--"
            )
        for name, (label, marker) in PRESET_LABELS.items():  # above the map
            ax.plot(
                results["presets"][name],
                len(depths) + 0.4,
                marker,
                ms=5,
                mfc="none",
                mec=text,
                mew=1.2,
                clip_on=False,
            )
        ax.set_xscale("log")
        ax.set_xticks([0.25, 1, 4], ["0.25", "1", "4"])
        ax.minorticks_off()
        ax.set_ylim(0, len(depths))
        ax.set_yticks(np.arange(len(depths)) + 0.5, [str(d) for d in depths])
        ax.set_title(LABELS[act], fontsize=10, pad=20)
        ax.grid(False)
    for ax in axes[1]:
        ax.set_xlabel(r"$\sigma_w$")
    for ax in axes[:, 0]:
        ax.set_ylabel("depth")
    legend = axes.flat[-1]
    legend.axis("off")
    handles = [plt.Line2D([], [], ls="--", color=text, label="critical (mean field)")]
    handles += [
        plt.Line2D([], [], ls="none", marker=m, mfc="none", mec=text, label=l)
        for l, m in PRESET_LABELS.values()
    ]
    legend.legend(handles=handles, loc="upper left", fontsize=9, handlelength=1.6)
    bar = fig.colorbar(mesh, ax=legend, location="bottom", fraction=0.35, aspect=12)
    bar.set_label(r"$\log_{10}$ first / last $\|\partial L/\partial h\|$", fontsize=9)
    alt_map = (
        "Seven heat maps, one per activation, of the measured log10 ratio of the "
        "first layer's to the last "
        "layer's gradient norm, over the weight scale sigma_w (0.25 to 4, log axis) "
        "and the depth (10, 25, 50, "
        "100), for plain networks without normalisation or skips. Blue is vanishing, "
        "red exploding, white level. "
        "Linear, tanh and ELU turn from blue to red near sigma_w = 1, ReLU, LeakyReLU "
        "and GELU near 1.41; "
        "sigmoid is blue at every weight scale. A dashed line marks the mean-field "
        "critical weight scale; "
        "markers along the top of each map show PyTorch's nn.Linear default (0.58), "
        "xavier_normal_ (1), "
        "kaiming_normal_ (1.41) and the tanh gain 5/3."
    )

    fig2, ax = new_figure(width=5.4, height=3.6)
    lows, highs = [], []
    for colour, act in zip(PALETTE, results["activations"]):
        p = results["summary"][f"{act}/none/none/{max(depths)}"]
        ax.plot(
            p["chi_network"],
            p["chi_measured"],
            "o",
            ms=5,
            color=colour,
            label=LABELS[act],
        )
        lows.append(min(p["chi_network"] + p["chi_measured"]))
        highs.append(max(p["chi_network"] + p["chi_measured"]))
    span = [min(lows) / 1.3, max(highs) * 1.3]
    ax.plot(span, span, color=text, lw=0.8, ls="--", label="measured = χ")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel=r"mean-field $\chi = \sigma_w^2\,\overline{\phi'(z)^2}$",
        ylabel="measured factor per layer",
    )
    ax.legend(fontsize=9, ncol=2)
    alt_chi = (
        "A log-log scatter of the measured per-layer factor of the squared gradient "
        "norm against the mean-field "
        "factor chi computed from the same networks' pre-activations, for seven "
        "activations and eleven weight "
        "scales, 100 layers, no normalisation or skips. The points lie on the "
        "diagonal from about 0.004 to 16, "
        "with ReLU-like and tanh points slightly below it."
    )
    return {"map": (fig, alt_map), "chi": (fig2, alt_chi)}


# --8<-- [end:plot]


CLAIMS = (
    Claim(
        "factor_matches_chi",
        "Without normalisation or skips, the measured per-layer factor of "
        "$\\|\\partial L/\\partial h\\|^2$ matches the mean-field $\\chi$ of the same "
        "networks at every activation and $\\sigma_w$ ([[setup.depths.-1]] layers): worst relative error.",
        lambda r: r["checks"]["chi_error_max"],
        at_most=0.2,
    ),
    Claim(
        "he_relu_healthy",
        "With kaiming_normal_ ($\\sigma_w = \\sqrt{2}$), [[setup.depths.-1]] ReLU layers are healthy for the "
        "diagnosis tool: trend of the "
        "gradient-to-weight ratio, in decades.",
        lambda r: r["checks"]["relu_he_trend"],
        at_least=-2,
        at_most=2,
    ),
    Claim(
        "default_relu_vanishes",
        "With nn.Linear's default ($\\sigma_w = 1/\\sqrt{3}$), the ReLU network's "
        "gradient falls over [[setup.depths.-1]] layers: $\\log_{10}$ first/last.",
        lambda r: r["checks"]["relu_default_decades"],
        at_most=-20,
    ),
    Claim(
        "sigmoid_always_vanishes",
        "Sigmoid networks without normalisation vanish at every $\\sigma_w$ of the grid, "
        "up to [[results.checks.grid_largest_sigma|g]] ([[setup.depths.-1]] layers): the largest $\\log_{10}$ first/last.",
        lambda r: r["checks"]["sigmoid_best_decades"],
        at_most=-10,
    ),
    Claim(
        "sigmoid_critical_beyond_grid",
        "A bias-free sigmoid network does have a critical weight scale: the mean-field "
        "$\\chi$ reaches 1 at $\\sigma_w$ between [[at_least|g]] and [[at_most|g]], far beyond the grid's largest $\\sigma_w$.",
        lambda r: r["sigmoid_critical"]["critical_theory"],
        at_least=8,
        at_most=12,
        fmt=".1f",
    ),
    Claim(
        "sigmoid_measured_factor_crosses_one",
        "The same networks, measured at $\\sigma_w$ from [[setup.SIGMOID_PROBE.0|g]] to [[setup.SIGMOID_PROBE.-1|g]]: the measured per-layer "
        "factor of $\\|\\partial L/\\partial h\\|^2$ crosses 1 too, at a somewhat larger "
        "$\\sigma_w$ (measured crossing over the mean-field one).",
        lambda r: r["sigmoid_critical"]["measured_over_theory"],
        at_least=1.0,
        at_most=1.6,
        fmt=".2f",
        shows=("measured critical $\\sigma_w$",
               lambda r: r["sigmoid_critical"]["critical_measured"], ".1f"),
    ),
    Claim(
        "sigmoid_saturated_at_critical",
        "There the network is deep in saturation: the diagnosis tool's share of "
        "saturated units at the probe nearest the critical $\\sigma_w$.",
        lambda r: r["sigmoid_critical"]["saturated_near_critical"],
        at_least=0.5,
        fmt=".2f",
    ),
    Claim(
        "relu_he_drift_matches_hanin",
        "At $\\sigma_w = \\sqrt{2}$ the ReLU gradient's typical size drifts down by about "
        "$5/(4n)$ per layer in its logarithm (Hanin 2018): measured decades over [[setup.depths.-1]] "
        "layers for one input, mean over [[results.relu_drift.draws]] networks, over the predicted ones.",
        lambda r: r["relu_drift"]["ratio"],
        at_least=0.6,
        at_most=1.4,
        fmt=".2f",
        shows=("measured mean $\\log_{10}$ first/last",
               lambda r: r["relu_drift"]["measured"], ".2f"),
    ),
    Claim(
        "batchnorm_explodes",
        "BatchNorm without skips makes the ReLU gradient grow toward the input at "
        "every $\\sigma_w$ ([[setup.depths.-1]] layers): the smallest $\\log_{10}$ first/last.",
        lambda r: r["checks"]["relu_batchnorm_least"],
        at_least=5,
    ),
    Claim(
        "scaled_skips_tame",
        "With He weights, [[setup.depths.-1]] naive ReLU skip blocks explode, while blocks scaled by "
        "$1/\\sqrt{L}$ stay within a few decades: $\\log_{10}$ first/last, naive minus "
        "scaled.",
        lambda r: r["checks"]["relu_naive_he"] - r["checks"]["relu_scaled_he"],
        at_least=10,
    ),
)


def flags_of(stats: dict, i: int, limits=GradientFlowRecorder) -> str:
    """The diagnosis tool's flags for setting i, joined by '+' ('' when healthy): its own judgement."""
    return "+".join(flag_kinds(trend=stats["trend"][i], forward=stats["forward"][i], saturated=stats["saturated"][i],
                               dead=stats["dead"][i], decades=limits.DECADES, saturated_limit=limits.SATURATED,
                               dead_limit=limits.DEAD))


if __name__ == "__main__":
    import sys

    from book.standalone import main

    sys.exit(main(sys.modules[__name__]))
