"""Static checks as part of the suite: ruff (lint + format), mypy --strict on the package and
on the tests, and a strict docs build. The test command installs these tools (extras ``dev``
and ``docs``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.quality  # the same on every Python: .ci/run runs them on the main one


def _run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize(
    "command",
    [
        ("ruff", "check", "llmkit", "tests", "examples", "bench"),
        ("ruff", "format", "--check", "llmkit", "tests", "examples", "bench"),
        ("mypy", "--strict", "llmkit"),
    ],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_static_check(command: tuple[str, ...]) -> None:
    result = _run(*command)
    assert result.returncode == 0, result.stdout + result.stderr


def test_tests_type_check() -> None:
    """The tests pass mypy --strict too, checked from ``tests/`` with the modules named as
    pytest imports them (``tests/`` is on ``sys.path``: ``fixture_util``, ``server.x``)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            "--explicit-package-bases",
            ".",
        ],
        cwd=ROOT / "tests",
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_docs_build_strict(tmp_path: Path) -> None:
    result = _run("mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site"))
    assert result.returncode == 0, result.stdout + result.stderr
