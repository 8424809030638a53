"""Shared helpers for every snippet: model builders, per-layer gradients, plot style.

Written once here so that each snippet reads top to bottom as its experiment only.
"""

from __future__ import annotations

import contextlib

import math

import numpy as np
import torch
from cycler import cycler
from torch import nn

from book.claims import Claim  # noqa: F401 - re-exported: snippets import everything from here

# --------------------------------------------------------------------------- models

ACTIVATIONS = {
    "linear": nn.Identity,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "selu": nn.SELU,
}


def generator(seed: int) -> torch.Generator:
    """A private random stream, so a snippet's numbers depend on its seed alone."""
    return torch.Generator().manual_seed(seed)


def init_linear_(layer: nn.Linear, scheme: str, sigma_w: float, rng: torch.Generator) -> None:
    """Initialise one layer in place.

    ``scaled_normal``: W ~ N(0, sigma_w² / fan_in) — the scale the theory talks about.
    ``xavier``: N(0, 2 / (fan_in + fan_out)) (Glorot & Bengio 2010).
    ``he``: N(0, 2 / fan_in) (He et al. 2015).
    ``default``: whatever ``nn.Linear`` did on construction (left untouched).
    Biases, if any, start at zero except under ``default``.
    """
    if scheme == "default":
        return
    fan_out, fan_in = layer.weight.shape
    std = {
        "scaled_normal": sigma_w / math.sqrt(fan_in),
        "xavier": math.sqrt(2.0 / (fan_in + fan_out)),
        "he": math.sqrt(2.0 / fan_in),
    }.get(scheme)
    if std is None:
        raise ValueError(f"unknown init scheme {scheme!r}")
    with torch.no_grad():
        layer.weight.normal_(0.0, std, generator=rng)
        if layer.bias is not None:
            layer.bias.zero_()


def mlp(
    depth: int,
    width: int,
    *,
    activation: str = "linear",
    sigma_w: float = 1.0,
    init: str = "scaled_normal",
    bias: bool = False,
    in_features: int | None = None,
    seed: int = 0,
) -> nn.Sequential:
    """``depth`` blocks ``Linear → activation``, each a child of the returned Sequential.

    Block ``l`` (1-based in the text, ``model[l-1]`` in code) maps h_{l-1} to h_l.
    """
    rng = generator(seed)
    blocks = []
    for index in range(depth):
        layer = nn.Linear(in_features if index == 0 and in_features else width, width, bias=bias)
        init_linear_(layer, init, sigma_w, rng)
        blocks.append(nn.Sequential(layer, ACTIVATIONS[activation]()))
    return nn.Sequential(*blocks)


# --------------------------------------------------------------------- measurement


# --8<-- [start:layer_gradient_norms]
def layer_gradient_norms(model: nn.Sequential, inputs: torch.Tensor, loss_fn) -> dict:
    """Forward ``inputs`` block by block, backpropagate ``loss_fn(output)``, and return

    ``hidden``: ‖∂L/∂h_l‖ for l = 1..L (the gradient arriving at each block's output),
    ``weight``: ‖∂L/∂W_l‖ for the first weight matrix of each block,
    ``activation``: ‖h_l‖ for l = 1..L, ``loss``: the loss value.
    All norms are Frobenius norms over the whole batch.
    """
    model.zero_grad(set_to_none=True)
    hidden, h = [], inputs
    for block in model:
        h = block(h)
        h.retain_grad()
        hidden.append(h)
    loss = loss_fn(h)
    loss.backward()
    weights = [next(p for name, p in block.named_parameters() if name.endswith("weight")) for block in model]
    return {
        "hidden": [float(t.grad.norm()) for t in hidden],
        "weight": [float(w.grad.norm()) for w in weights],
        "activation": [float(t.detach().norm()) for t in hidden],
        "loss": float(loss.detach()),
    }
# --8<-- [end:layer_gradient_norms]


def log10_slope(values, start: int = 0) -> float:
    """Least-squares slope of log10(values) against their index: decades per step."""
    y = np.log10(np.asarray(values[start:], dtype=float))
    x = np.arange(len(y))
    return float(np.polyfit(x, y, 1)[0])


def growth_per_layer(values) -> float:
    """Fitted factor by which ``values`` (one per layer, input → output) grow from one layer
    to the next: 10 to the least-squares slope of log10(values) against the layer."""
    return 10 ** log10_slope(values)


def gradient_factor_per_layer(norms) -> float:
    """Fitted factor by which gradient ``norms`` (one per layer, input → output) are
    multiplied at each layer on their way back toward the input: 10 to minus the
    least-squares slope of log10(norms) against the layer (below 1: vanishing)."""
    return 10 ** (-log10_slope(norms))


def log10_gradient_by_gap(states) -> list[float]:
    """Batch mean of log10 ‖∂L/∂s_t‖ (one row of each state per sequence) for the time gaps
    T − t = 0, 1, … back from the last state; ``states`` in time order, their ``.grad`` kept."""
    return [float(state.grad.norm(dim=1).log10().mean()) for state in reversed(states)]


def factor_per_time_step(log10_by_gap, start: int = 0) -> float:
    """Fitted factor by which a gradient changes per step back in time: 10 to the
    least-squares slope of ``log10_by_gap`` (log10 sizes at gaps 0, 1, …) against the gap,
    over the gaps from ``start`` on."""
    return float(10 ** np.polyfit(np.arange(start, len(log10_by_gap)), log10_by_gap[start:], 1)[0])


def log_log_slope(x, y, log=np.log) -> float:
    """Least-squares slope of log y against log x: the exponent a of y ∝ x^a. The slope is
    the same in any base; ``log`` is the logarithm the fit is computed with."""
    return float(np.polyfit(log(x), log(y), 1)[0])


# ---------------------------------------------------------------------- plot style

#: Line colours chosen to read on both the light and the dark page background.
PALETTE = ["#3b82d6", "#e07b39", "#2fa374", "#b35fc7", "#c9a227", "#d9546e", "#7f8c9a"]

_THEMES = {
    "light": {"text": "#2b2b2b", "edge": "#5b5b5b", "grid": "#d9d9d9"},
    "dark": {"text": "#d8dadf", "edge": "#a0a6b0", "grid": "#3b404c"},
}


def theme_rc(theme: str) -> dict:
    """matplotlib settings for the site's light or dark palette (transparent background)."""
    colours = _THEMES[theme]
    return {
        "axes.prop_cycle": cycler(color=PALETTE),
        "figure.facecolor": "none",
        "axes.facecolor": "none",
        "savefig.transparent": True,
        "savefig.bbox": "tight",
        "text.color": colours["text"],
        "axes.labelcolor": colours["text"],
        "axes.edgecolor": colours["edge"],
        "xtick.color": colours["text"],
        "ytick.color": colours["text"],
        "grid.color": colours["grid"],
        "axes.grid": True,
        "grid.linewidth": 0.6,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.frameon": False,
        "font.size": 10.5,
        "legend.fontsize": MIN_FONT_PT,
        "legend.title_fontsize": MIN_FONT_PT,
        "xtick.labelsize": MIN_FONT_PT,
        "ytick.labelsize": MIN_FONT_PT,
        "lines.linewidth": 1.8,
        # Text stays text in the SVG (about 40 % smaller than glyph paths, and selectable):
        # the browser draws it with the reader's own sans-serif font; no font is downloaded.
        "svg.fonttype": "none",
    }


def recolour_svg(svg: str, theme: str) -> str:
    """A figure drawn in the light palette, recoloured for ``theme``.

    The palettes differ only in the colours of text, axes edges and grid (the line colours
    read on both backgrounds), so the build draws each figure once and derives the others.
    """
    for part, colour in _THEMES["light"].items():
        svg = svg.replace(colour, _THEMES[theme][part])
    return svg


#: The smallest text a figure may carry, in points: at the desktop column (688 CSS px
#: for a figure about 7.2 in wide) that is at least 10 CSS px. Smaller sizes asked for
#: in plot() are raised to it when the figure is drawn.
MIN_FONT_PT = 10.0
#: Text with mathtext (``$…$``, log-axis ticks included) is drawn at least this large,
#: so that its sub- and superscripts (70 % of it) are 10 CSS px too.
MIN_MATH_FONT_PT = 11.6


#: A phone shows a figure about 358 CSS px wide: drawn this many inches wide, its smallest
#: text (MIN_FONT_PT) is still above 11 CSS px there. Its panels are stacked, not side by side.
PHONE_WIDTH = 4.2
#: The height of one panel in the phone layout, at most.
PHONE_PANEL_HEIGHT = 3.0
_layout = {"phone": False}


@contextlib.contextmanager
def phone_layout():
    """Inside it, ``new_figure`` lays figures out for a phone's width: one column of panels
    (a grid's rows become columns), ``PHONE_WIDTH`` wide. ``plot()`` code indexes its axes as
    it always does. The build draws every figure once more this way (book/execute.py)."""
    _layout["phone"] = True
    try:
        yield
    finally:
        _layout["phone"] = False


def fit_to_phone(fig) -> None:
    """Narrow a figure drawn in the phone layout until everything it draws (legends and colour
    bars outside the axes included) is ``PHONE_WIDTH`` wide, so that a phone shows its text
    at full size. The build calls it before saving a phone figure (book/execute.py).

    Text cannot be narrowed, and a legend is the widest text a figure has: a legend wider than
    what it belongs to (an axes' legend wider than its axes, a figure's legend wider than the
    phone) is laid out anew, a figure's legend one entry a row, an axes' legend below its axes
    in as many columns as the phone's width holds, and the figure grows by what it takes."""
    import warnings

    def drawn_width() -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # constrained layout's warning when the axes collapse
            fig.draw_without_rendering()  # laid out, not rasterised: only sizes are read
        return fig.get_tightbbox(fig.canvas.get_renderer()).width  # inches

    def narrow() -> float:
        best_size, best = fig.get_size_inches().copy(), drawn_width()
        for _ in range(4):
            if best <= PHONE_WIDTH * 1.01:
                break
            width, height = best_size
            fig.set_size_inches(max(width - (best - PHONE_WIDTH), PHONE_WIDTH / 2), height)
            drawn = drawn_width()
            if drawn > best * 0.99:  # its text, not its axes, makes it wide: narrowing does not help
                break
            best_size, best = fig.get_size_inches().copy(), drawn
        fig.set_size_inches(*best_size)
        return best

    size = fig.get_size_inches().copy()
    if narrow() > PHONE_WIDTH * 1.01:
        narrowed = fig.get_size_inches().copy()
        fig.set_size_inches(*size)  # start again from the phone's width, legends laid out anew
        if _lay_out_wide_legends(fig):
            narrow()
        else:
            fig.set_size_inches(*narrowed)


def _lay_out_wide_legends(fig) -> bool:
    """Lay out anew each legend of ``fig`` wider than what it belongs to (see fit_to_phone).
    Whether any legend was."""
    from matplotlib.transforms import offset_copy

    renderer = fig.canvas.get_renderer()
    inches = fig.dpi  # display units (pixels) per inch
    wide_axes_legends = [
        ax for ax in fig.axes
        if ax.get_legend() is not None
        and ax.get_legend().get_window_extent(renderer).width > ax.get_window_extent(renderer).width
    ]
    wide_figure_legends = [
        legend for legend in fig.legends
        if legend.get_window_extent(renderer).width > PHONE_WIDTH * inches and hasattr(legend, "book_kwargs")
    ]
    laid_out = []  # (new legend, the height its old layout took, in inches)
    for legend in wide_figure_legends:
        legend.remove()
        args, kwargs = legend.book_kwargs
        one_a_row = fig.legend(*args, **{**{k: v for k, v in kwargs.items() if k != "ncol"}, "ncols": 1})
        laid_out.append((one_a_row, legend.get_window_extent(renderer).height / inches))
    moved = []
    for ax in wide_axes_legends:
        legend = ax.get_legend()
        moved.append((ax, legend.legend_handles, [text.get_text() for text in legend.get_texts()],
                      legend.get_texts()[0].get_fontsize(), getattr(legend, "_ncols", 1)))
        legend.remove()
    fig.draw_without_rendering()
    for ax, handles, labels, fontsize, columns in moved:
        # Just below the axes' tick labels and axis label, whatever the axes' height becomes.
        below = (ax.get_window_extent(renderer).y0 - ax.get_tightbbox(renderer).y0) / inches * 72
        anchor = offset_copy(ax.transAxes, fig=fig, y=-below, units="points")
        for ncols in range(columns, 0, -1):  # as many columns as the phone's width holds
            legend = ax.legend(handles, labels, ncols=ncols, loc="upper center", bbox_to_anchor=(0.5, 0),
                               bbox_transform=anchor, fontsize=fontsize)
            if legend.get_window_extent(renderer).width <= PHONE_WIDTH * inches * 0.95:
                break
        laid_out.append((legend, 0.0))
    fig.draw_without_rendering()
    # The axes keep their height: the figure grows by what the legends now take.
    added_height = sum(legend.get_window_extent(renderer).height / inches - before for legend, before in laid_out)
    width, height = fig.get_size_inches()
    fig.set_size_inches(width, height + added_height)
    return bool(moved or wide_figure_legends)


def new_figure(ncols: int = 1, nrows: int = 1, width: float = 7.2, height: float = 3.2,
               phone_ncols: int | None = None):
    """A figure of the site's size with ``ncols × nrows`` axes (an array when more than one).

    On a phone (``phone_layout``) the panels are stacked: by default a grid's rows become its
    columns; with ``phone_ncols`` the panels are laid out in reading order (left to right, then
    down, as on a wide screen) ``phone_ncols`` a row. ``plot()`` indexes ``axes[row, col]`` and
    ``axes.flat`` the same way in both layouts."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    class LegibleFigure(Figure):
        def legend(self, *args, **kwargs):
            if _layout["phone"]:  # a row of legend entries wider than a phone: two a row
                for key in ("ncols", "ncol"):
                    if key in kwargs:
                        kwargs[key] = min(kwargs[key], 2)
            legend = super().legend(*args, **kwargs)
            legend.book_kwargs = (args, kwargs)  # to lay it out anew (fit_to_phone)
            return legend

        def draw(self, renderer):
            for text in self.findobj(Text):
                has_math = text.get_text().count("$") >= 2
                floor = MIN_MATH_FONT_PT if has_math else MIN_FONT_PT
                if text.get_fontsize() < floor:
                    text.set_fontsize(floor)
            super().draw(renderer)

    if _layout["phone"] and phone_ncols is not None and nrows * ncols > 1:
        count = nrows * ncols
        rows = -(-count // phone_ncols)
        panel_height = min(height / nrows, PHONE_PANEL_HEIGHT)
        fig, grid = plt.subplots(
            rows, phone_ncols, figsize=(PHONE_WIDTH, panel_height * rows), layout="constrained",
            FigureClass=LegibleFigure, squeeze=False,
        )
        for ax in grid.flat[count:]:  # a last row not filled
            ax.remove()
        panels = np.array(grid.flat[:count], dtype=object)
        return fig, (panels.reshape(nrows, ncols) if nrows > 1 else panels)
    if _layout["phone"]:
        # Transposed: the grid's columns become rows. axes.T keeps plot()'s axes[row, col].
        panel_height = min(height / nrows, PHONE_PANEL_HEIGHT)
        fig, axes = plt.subplots(
            ncols, nrows, figsize=(PHONE_WIDTH, panel_height * ncols), layout="constrained",
            FigureClass=LegibleFigure,
        )
        return fig, (axes.T if nrows > 1 and ncols > 1 else axes)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(width, height), layout="constrained",
        FigureClass=LegibleFigure,
    )
    return fig, axes


_PROFILE_LABELS = {
    "hidden": {"ylabel": "$\\|\\partial L/\\partial h_l\\|$", "title": "gradient at each layer's output"},
    "weight": {"ylabel": "$\\|\\partial L/\\partial W_l\\|$", "title": "gradient of each layer's weights"},
}


def label_gradient_profile(ax, of: str) -> None:
    """Axis labels and title of a panel that plots ``layer_gradient_norms(...)[of]`` against
    the layer: ``of="hidden"`` for ‖∂L/∂h_l‖, ``"weight"`` for ‖∂L/∂W_l‖."""
    ax.set(xlabel="layer l", **_PROFILE_LABELS[of])


def rounded(values, digits: int = 6):
    """Round floats (or a list of them) to ``digits`` significant digits for the results JSON."""
    if isinstance(values, (list, tuple, np.ndarray)):
        return [rounded(v, digits) for v in values]
    return float(f"{float(values):.{digits}g}")


# -------------------------------------------------------------- optimisers


# --8<-- [start:adam_step]
def adam_step(params, grads, state, lr: torch.Tensor, step: int, betas=(0.9, 0.999), eps=1e-8,
              weight_decay: float = 0.0) -> list:
    """One step of Adam (Kingma & Ba 2015) for an ensemble stacked along the first axis of every
    parameter: one learning rate per member (``lr`` of shape (E,)), ``eps`` a number or one per
    member, ``weight_decay`` AdamW's decoupled decay (Loshchilov & Hutter 2019). ``state`` holds
    one (m, v) pair of zero tensors per parameter. Returns each parameter's update
    u = m̂/(√v̂ + ε), before the learning rate and the decay.
    """
    updates = []
    for p, g, (m, v) in zip(params, grads, state):
        shape = (-1,) + (1,) * (p.dim() - 1)  # the ensemble runs along the first axis
        rate = lr.view(shape)
        epsilon = eps.view(shape) if torch.is_tensor(eps) else eps
        m.lerp_(g, 1 - betas[0])
        v.mul_(betas[1]).addcmul_(g, g, value=1 - betas[1])
        update = (m / (1 - betas[0] ** step)) / ((v / (1 - betas[1] ** step)).sqrt() + epsilon)
        if weight_decay:
            p.mul_(1 - rate * weight_decay)  # decoupled: not through m and v
        p.sub_(rate * update)
        updates.append(update)
    return updates
# --8<-- [end:adam_step]


# ------------------------------------------------------------ residual networks


# --8<-- [start:residual_mlp]
class ResidualBlock(nn.Module):
    """A pre-activation residual block: h + α · W₂ φ(N₂(W₁ φ(N₁(h)))).

    N₁, N₂ are BatchNorm1d when ``norm="batch"``, LayerNorm when ``norm="layer"``, and
    nothing otherwise. The linear layers are registered first, so the block's first
    parameter named "weight" is W₁ (what ``layer_gradient_norms`` reads).
    """

    def __init__(self, width, activation, alpha, norm, init, zero_last, rng):
        super().__init__()
        # skip_init: the default initialisation would only be overwritten (and is slow at depth 200)
        make = nn.Linear if init == "default" else lambda *a, **k: torch.nn.utils.skip_init(nn.Linear, *a, **k)
        self.lin1 = make(width, width, bias=False)
        self.lin2 = make(width, width, bias=False)
        for layer in (self.lin1, self.lin2):
            init_linear_(layer, init, 1.0, rng)
        if zero_last:  # the branch starts as the zero function (as in Fixup)
            with torch.no_grad():
                self.lin2.weight.zero_()
        make_norm = {"batch": nn.BatchNorm1d, "layer": nn.LayerNorm}.get(norm, lambda width: nn.Identity())
        self.norm1, self.norm2 = make_norm(width), make_norm(width)
        self.act = ACTIVATIONS[activation]()
        self.alpha = alpha

    def forward(self, h):
        branch = self.lin2(self.act(self.norm2(self.lin1(self.act(self.norm1(h))))))
        return h + self.alpha * branch


def residual_mlp(
    depth: int,
    width: int,
    *,
    activation: str = "relu",
    alpha: float = 1.0,
    norm: str | None = None,
    init: str = "he",
    zero_last: bool = False,
    seed: int = 0,
) -> nn.Sequential:
    """``depth`` residual blocks of width ``width`` (one child of the Sequential per block)."""
    rng = generator(seed)
    return nn.Sequential(*[ResidualBlock(width, activation, alpha, norm, init, zero_last, rng) for _ in range(depth)])
# --8<-- [end:residual_mlp]
