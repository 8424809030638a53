"""Plots of a recorder's series over the recorded steps (needs matplotlib, the `[plot]` extra)."""

from __future__ import annotations

__all__ = ["plot_gradients", "plot_updates"]


def _lines(ax, series: dict, ylabel: str, xlabel: str, steps: list):
    import matplotlib.pyplot as plt

    colours = plt.get_cmap("viridis")
    names = list(series)
    for i, name in enumerate(names):
        values = [v if v is not None and v > 0 else float("nan") for v in series[name]]
        ax.plot(steps[: len(values)], values, color=colours(i / max(1, len(names) - 1)), lw=1.2,
                label=name if i in (0, len(names) - 1) else None)
    ax.set_yscale("log")  # no fixed limits: matplotlib fits the axis to the data, explosions included
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.legend(fontsize=8, title="input → output (dark → light)", title_fontsize=8)
    return ax


def _axes(ax):
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError('plotting needs matplotlib: pip install "gradient-flow[plot]"') from error
    return plt.subplots()[1]


def plot_gradients(recorder, ax=None, key: str = "grad_norm"):
    """Plot every weight matrix's `key` against the training step of each recorded step.

    Returns:
        The `Axes`, on a log scale fitted to the data.
    """
    recorder._step(-1)
    ax = _axes(ax)
    series = {n: recorder.history(n, key) for n, p in recorder.parameters.items()
              if p.dim() >= 2 and n not in recorder.sparse}
    steps = [entry["step"] for entry in recorder.steps]
    return _lines(ax, series, {"grad_norm": "‖∂L/∂W‖", "ratio": "‖∂L/∂W‖ / ‖W‖"}.get(key, key), "training step",
                  steps)


def plot_updates(recorder, ax=None):
    """Plot every weight matrix's update-to-weight ratio against the training step it followed.

    Raises:
        RuntimeError: no optimizer step was recorded.
    """
    if not recorder.updates:
        raise RuntimeError("no optimizer step recorded: pass optimizer= to the recorder, or call attach_optimizer()")
    ax = _axes(ax)
    series = {n: [u.get(n) for u in recorder.updates] for n, p in recorder.parameters.items()
              if p.dim() >= 2 and n not in recorder.sparse}
    _lines(ax, series, "‖ΔW‖ / ‖W‖ per step", "training step", recorder.update_steps)
    ax.axhline(1e-3, ls="--", lw=1, color=ax.xaxis.label.get_color())
    return ax
