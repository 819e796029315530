"""Test-wide setup: import paths, and no test ever touches the machine's real keychain unless it
asks for it (the keychain tests install their own backend)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

_TESTS = Path(__file__).resolve().parent
for _path in (_TESTS.parent, _TESTS):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


@pytest.fixture(autouse=True)
def _no_real_keychain(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring
    from keyring.backends import null

    previous = keyring.get_keyring()
    keyring.set_keyring(null.Keyring())
    monkeypatch.setenv("LLMKIT_PROVIDERS_FILE", os.devnull)  # no providers file
    yield
    keyring.set_keyring(previous)
