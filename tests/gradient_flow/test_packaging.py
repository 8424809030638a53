"""`pip install .` installs the toolkit alone: a wheel of gradient_flow, torch its only requirement."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import gradient_flow

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_project_is_the_toolkit_with_an_explicit_package_list():
    project = PYPROJECT["project"]
    assert project["name"] == "gradient-flow" and project["dynamic"] == ["version"]
    assert [d.split(">")[0].split("=")[0] for d in project["dependencies"]] == ["torch"]
    assert {"plot", "tensorboard", "lightning"} <= set(project["optional-dependencies"])
    assert PYPROJECT["tool"]["setuptools"]["packages"] == ["gradient_flow"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "gradient_flow.__version__"}
    assert PYPROJECT["build-system"]["build-backend"] == "setuptools.build_meta"


def test_the_wheel_holds_gradient_flow_only(tmp_path):
    pytest.importorskip("setuptools")
    source = tmp_path / "source"  # a copy: building in place would leave build/ and *.egg-info behind
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    for folder in ("gradient_flow", "snippets", "book", "tests", "docs"):  # all of them, to see which are left out
        shutil.copytree(REPO / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    assert wheel.name.startswith(f"gradient_flow-{gradient_flow.__version__}-py3-none-any")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert top == {"gradient_flow", f"gradient_flow-{gradient_flow.__version__}.dist-info"}
    assert {"gradient_flow/__init__.py", "gradient_flow/recorder.py", "gradient_flow/py.typed"} <= set(names)
    metadata = zipfile.ZipFile(wheel).read(f"gradient_flow-{gradient_flow.__version__}.dist-info/METADATA").decode()
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert [r for r in requires if "extra ==" not in r] == ["Requires-Dist: torch>=2.2"]
