"""The work the build saves when it draws figures (book/execute.py's kept math parses and text
sizes, fit_to_phone's layout without pixels) must not change a byte of any figure."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Drawn three times in one fresh process: with matplotlib's own caches only, then with the
# build's kept parses and sizes (cold), then again (warm). A log axis (math tick labels), math
# labels, a legend wider than its axes (laid out anew on a phone) and two panels.
DRAW_THREE_TIMES = r'''
import sys, types
from pathlib import Path
import numpy as np
from book import execute
from snippets.common import new_figure

def plot(results):
    fig, axes = new_figure(2)
    x = np.arange(1, 40)
    for k in range(4):
        axes[0].semilogy(x, x ** (k - 2.0), label=f"a rather long legend entry number {k}")
    axes[0].legend(ncols=2)
    axes[1].set(xscale="log", xlabel="$\\|\\partial L/\\partial h_l\\|$", title="$10^{3}$ steps")
    axes[1].plot(x, np.sqrt(x))
    return {"demo": (fig, "A demo figure.")}

module = types.SimpleNamespace(plot=plot)
out = Path(sys.argv[1])
kept = execute.keep_mathtext_parses, execute.keep_text_metrics
execute.keep_mathtext_parses = execute.keep_text_metrics = lambda: None
for run, keep in (("plain", False), ("cold", True), ("warm", True)):
    if keep:
        execute.keep_mathtext_parses, execute.keep_text_metrics = kept
    (out / run).mkdir()
    execute.save_figures(module, "demo", {}, out / run)
'''


def test_kept_parses_and_sizes_draw_the_same_bytes(tmp_path):
    subprocess.run([sys.executable, "-c", DRAW_THREE_TIMES, str(tmp_path)], cwd=ROOT, check=True,
                   env={"PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"})
    plain = {p.name: p.read_bytes() for p in sorted((tmp_path / "plain").glob("*.svg"))}
    assert sorted(plain) == ["demo-demo.dark.svg", "demo-demo.phone.dark.svg", "demo-demo.phone.svg", "demo-demo.svg"]
    for run in ("cold", "warm"):
        drawn = {p.name: p.read_bytes() for p in sorted((tmp_path / run).glob("*.svg"))}
        assert drawn == plain, f"the {run} run drew other bytes"
