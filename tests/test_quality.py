"""Lint, format and type checks run as part of the suite, so the README's one test command
enforces them (ruff and mypy are in the ``test`` extra)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from .conftest import ROOT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)


HAS_RUFF = importlib.util.find_spec("ruff") is not None


@pytest.mark.skipif(not HAS_RUFF, reason="ruff is not installed (pip install -e '.[test]')")
def test_ruff_lint_clean() -> None:
    proc = _run(sys.executable, "-m", "ruff", "check", "src", "tests", "benchmarks", "scripts")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(not HAS_RUFF, reason="ruff is not installed (pip install -e '.[test]')")
def test_ruff_format_clean() -> None:
    proc = _run(
        sys.executable, "-m", "ruff", "format", "--check", "src", "tests", "benchmarks", "scripts"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_strict_on_the_library() -> None:
    proc = _run(sys.executable, "-m", "mypy", "src/tkiresist")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
