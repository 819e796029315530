"""Test-wide setup: import paths, no test ever touches the machine's real keychain unless it asks
for it (the keychain tests install their own backend), and how much input the sweeps cover.

Sweeps. ``.ci/run`` runs the whole suite on the main Python and again on the other supported
Pythons. On the main Python every sweep runs in full. With ``LLMKIT_TEST_SWEEP=sample`` in the
environment (``.ci/run`` sets it for the other Pythons) the version-independent sweeps run a
representative part, because the same code under every Python has already run the whole of
them on the main one:

- Hypothesis runs a quarter of each test's examples (at least ``SAMPLE_MIN_EXAMPLES``), with
  the strategies, assertions and the example database unchanged.
- A parametrised test marked ``version_independent`` runs a sample of its cases, chosen the
  same way on every run: every value of each small parameter axis (protocol, mode...), and, for
  recorded fixtures (manifest entries), every protocol, provider, kind, HTTP status and feature
  at least once; then at least a quarter of the cases, evenly spread.

No test is skipped: the cases left out are deselected (pytest reports the count).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Hashable, Iterator, Mapping
from enum import Enum
from pathlib import Path

import pytest
from hypothesis import settings

_TESTS = Path(__file__).resolve().parent
for _path in (_TESTS.parent, _TESTS):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

SWEEP = os.environ.get("LLMKIT_TEST_SWEEP", "full")
if SWEEP not in ("full", "sample"):
    raise pytest.UsageError(f"LLMKIT_TEST_SWEEP={SWEEP!r}: use 'full' (the default) or 'sample'")
SAMPLED = SWEEP == "sample"
SAMPLE_FRACTION = 4  # a sampled sweep runs at least 1 case (or example) in 4
SAMPLE_MIN_EXAMPLES = 10

# No test asserts timing, so no Hypothesis deadline either (a busy CI machine would trip it).
settings.register_profile("llmkit-full", deadline=None, print_blob=True)
settings.register_profile(
    "llmkit-sample",
    deadline=None,
    print_blob=True,
    max_examples=max(SAMPLE_MIN_EXAMPLES, settings().max_examples // SAMPLE_FRACTION),
)
settings.load_profile("llmkit-sample" if SAMPLED else "llmkit-full")

# Version-independent sweeps in folders whose files are edited elsewhere today; the mark belongs
# in those files (``@pytest.mark.version_independent``) and this list goes when it is there.

# What a recorded fixture (a tests/fixtures manifest entry) is sampled to cover.
_ENTRY_KEYS = ("protocol", "provider", "kind", "http_status")


@pytest.fixture(autouse=True)
def _no_real_keychain(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import keyring
    from keyring.backends import null

    previous = keyring.get_keyring()
    keyring.set_keyring(null.Keyring())  # type: ignore[no-untyped-call]
    monkeypatch.setenv("LLMKIT_PROVIDERS_FILE", os.devnull)  # no providers file
    yield
    keyring.set_keyring(previous)


def pytest_report_header(config: pytest.Config) -> str:
    if SAMPLED:
        return (
            "sweeps: sampled (LLMKIT_TEST_SWEEP=sample): a quarter of the Hypothesis examples "
            "and of the version_independent cases"
        )
    return "sweeps: full"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not SAMPLED:
        return
    _sample_hypothesis(items)
    groups: dict[str, list[pytest.Item]] = {}
    for item in items:
        if item.get_closest_marker("version_independent") and hasattr(item, "callspec"):
            groups.setdefault(item.nodeid.split("[", 1)[0], []).append(item)
    dropped: set[str] = set()
    for cases in groups.values():
        kept = _sample(cases)
        dropped.update(case.nodeid for index, case in enumerate(cases) if index not in kept)
    if dropped:
        config.hook.pytest_deselected(items=[i for i in items if i.nodeid in dropped])
        items[:] = [i for i in items if i.nodeid not in dropped]


def _sample_hypothesis(items: list[pytest.Item]) -> None:
    """A quarter of each Hypothesis test's examples, also where the test sets ``max_examples``
    itself (Hypothesis reads the settings it keeps on the test when the test runs)."""
    done: set[int] = set()
    for item in items:
        test = getattr(getattr(item, "obj", None), "__func__", getattr(item, "obj", None))
        own = getattr(test, "_hypothesis_internal_use_settings", None)
        if own is None or not hasattr(test, "hypothesis") or id(test) in done:
            continue
        done.add(id(test))
        examples = max(SAMPLE_MIN_EXAMPLES, own.max_examples // SAMPLE_FRACTION)
        if own.max_examples > settings().max_examples:  # set by the test (else the profile's)
            test._hypothesis_internal_use_settings = settings(own, max_examples=examples)  # type: ignore[union-attr]


def _sample(cases: list[pytest.Item]) -> set[int]:
    """The indices of the cases a sampled sweep runs (the same ones every run)."""
    tokens = [set(_tokens(case, cases)) for case in cases]
    uncovered = set().union(*tokens)
    kept: set[int] = set()
    while uncovered:  # greedy cover: the case carrying the most uncovered tokens, first on ties
        best = max(range(len(cases)), key=lambda i: (len(tokens[i] & uncovered), -i))
        kept.add(best)
        uncovered -= tokens[best]
    target = math.ceil(len(cases) / SAMPLE_FRACTION)
    step = len(cases) / target
    for n in range(target):
        if len(kept) >= target:
            break
        kept.add(int(n * step))
    return kept


def _tokens(case: pytest.Item, cases: list[pytest.Item]) -> Iterator[Hashable]:
    """What one case stands for: each value of a small parameter axis, and the protocol,
    provider, kind, HTTP status and features of a recorded fixture."""
    params: Mapping[str, object] = case.callspec.params  # type: ignore[attr-defined]
    for name, value in params.items():
        if isinstance(value, Mapping) and "protocol" in value:
            yield from ((name, key, value[key]) for key in _ENTRY_KEYS if key in value)
            yield from ((name, "feature", f) for f in value.get("features", ()))
        elif isinstance(value, (str, bytes, int, float, Enum)) or value is None:
            axis = {repr(c.callspec.params.get(name)) for c in cases}  # type: ignore[attr-defined]
            if len(axis) * 2 <= len(cases):  # an axis of a matrix, not one value per case
                yield (name, repr(value))
