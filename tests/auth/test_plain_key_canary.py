"""An API key passed as a plain ``str`` is wrapped at the API boundary: no repr, message or
traceback with locals of a failed call shows it."""

from __future__ import annotations

import traceback

import pytest

import llmkit
from llmkit.errors import AuthenticationError
from llmkit.providers.registry import ProviderRegistry
from llmkit.testing.replay import ReplayResponse, ReplayServer

CANARY = "sk-plain-canary-41b7e90d"
DENIED = ReplayResponse.json({"error": {"message": "invalid api key", "type": "auth"}}, status=401)


def _shown(exc: BaseException) -> str:
    return (
        "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())
        + repr(exc)
        + str(exc)
    )


@pytest.mark.parametrize("streaming", [True, False], ids=["stream_text", "generate_text"])
async def test_plain_string_key_never_shows(streaming: bool) -> None:
    with ReplayServer([DENIED]) as server:
        registry = ProviderRegistry([server.provider("p", "openai-chat", api_key_required=True)])
        with pytest.raises(AuthenticationError) as info:
            if streaming:
                result = llmkit.stream_text(
                    model="p:m", prompt="hi", api_key=CANARY, registry=registry
                )
                await result.text
            else:
                await llmkit.generate_text(
                    model="p:m", prompt="hi", api_key=CANARY, registry=registry
                )
        # the key did reach the server, as a bearer token
        assert server.requests[0].headers["authorization"] == f"Bearer {CANARY}"
    shown = _shown(info.value)
    assert "invalid api key" in shown  # the traceback really has content and locals
    assert "settings" in shown or "connection" in shown
    assert CANARY not in shown
