"""Every script in examples/ runs offline and prints what the recorded fixture says it should."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import fixture_util
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def _expected(file: str) -> dict[str, Any]:
    entry = next(e for e in fixture_util.manifest() if e["file"] == file)
    return entry["expected"]  # type: ignore[no-any-return]


def _tool_call_lines(file: str) -> list[str]:
    calls = _expected(file)["tool_calls"]
    return [f"[tool_call] {c['name']}({json.dumps(c['arguments'])})" for c in calls]


CASES: dict[str, list[str]] = {
    "stream_basic.py": [
        _expected("sse/openai-openai-chat-gpt4o-text-include-usage.sse")["text"],
        "finish reason: stop",
        "usage: 14 input, 7 output tokens",
        "request: POST /v1/chat/completions model='gpt-4o'",
    ],
    "rag.py": [
        "[1] The Eiffel Tower is 330 metres tall and stands in Paris.",
        "[2] The Louvre in Paris is the most visited art museum in the world.",
        "answer: The Eiffel Tower [1] and the Louvre, the most visited art museum [2].",
        "embedding tokens: 52",
    ],
    "custom_provider.py": [
        "resolve('my-local:llama3.1:8b') -> provider 'my-local', model 'llama3.1:8b'",
        "resolve('my-local') -> provider 'my-local', model 'llama3.1' (default)",
        "answer: " + _expected("sse/ollama-openai-chat-llama31-text.sse")["text"],
        "stream_options sent: False",
    ],
    "tool_call_stream.py": [
        _expected("sse/anthropic-anthropic-messages-sonnet35-text-parallel-tool-use.sse")["text"],
        *_tool_call_lines("sse/anthropic-anthropic-messages-sonnet35-text-parallel-tool-use.sse"),
        "finish reason: tool_calls (raw 'tool_use')",
        "answer: It is 18 °C in San Francisco, and the local time is 09:41.",
        '"tool_use_id": "toolu_0121kXsENLvoDZ72LCuAnCCz", "content": "09:41"',
    ],
    "agent_tools.py": [
        '[tool_call] get_weather({"city": "Oslo"})',
        '[tool_result] get_weather -> {"city": "Oslo", "temperature": 4, "unit": "celsius"}',
        "[tool_result] convert_currency -> 1380.0",
        "[step 0 finished: tool_calls; get_weather, convert_currency]",
        "steps: 2; final answer: Oslo is 4 °C right now, so pack a coat; 120 EUR is about 1380",
        "total usage: 530 input, 88 output tokens",
        '"signature": "bW9jaw=="}, {"type": "text", "text": "Let me check both."}',
        '{"type": "tool_result", "tool_use_id": "toolu_0_1", "content": "1380.0"}',
    ],
    "council.py": [
        "[member-b ranks] B > C > A",
        "aggregate ranking: B (1.33), A (2.00), C (2.67)",
        "model names in the ranking prompt: False",
        "chairman: The council recommends a maintained retry library",
        "total usage over 7 calls: 1180 input, 165 output tokens",
    ],
    "generate_text_basic.py": [
        "text: " + _expected("json/anthropic-anthropic-messages-sonnet37-thinking.json")["text"],
        "finish reason: stop (raw 'end_turn')",
        "AuthenticationError: status 401, type 'authentication_error'",
        "message: invalid x-api-key",
    ],
    "custom_protocol.py": [
        "Okay, here we go!",
        "1, 2, 3, 4, 5",
        "[stop; 16 in, 22 out]",
    ],
    "extract_object.py": [
        "partial: {'name': 'Grace Ho'}",
        "object: Contact(name='Grace Hopper', email='grace@example.org', "
        "company='Naval Computing Lab', topics=['compilers', 'COBOL'])",
        "response_format: json_schema strict=True",
        "tool_choice: {'type': 'tool', 'name': 'Contact'}",
        'partial: {"title": "THE NAME OF THE WIND", "author": {}}',
        "object: "
        + json.dumps(
            _expected("sse/openai-openai-chat-gpt4o-forced-tool-finish-stop.sse")["tool_calls"][0][
                "arguments"
            ],
            separators=(",", ":"),
        ),
        'raw text: {"name": "Grace Hopper", "topics": "COBOL"}',
        "error: ('topics',) list_type",
    ],
}


def test_every_example_is_tested() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_runs(name: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        # no user providers file, no real keychain, UTF-8 output whatever the locale
        "LLMKIT_PROVIDERS_FILE": os.devnull,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "PYTHONIOENCODING": "utf-8",
    }
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    stdout = proc.stdout.decode("utf-8")
    assert proc.returncode == 0, f"{name} exited {proc.returncode}\n{stdout}\n{proc.stderr!r}"
    for line in CASES[name]:
        assert line in stdout, f"{name}: {line!r} missing from output:\n{stdout}"
