"""The shared client's transport (httpx's API over aiohttp): what differs from httpx's own
transport and what llmkit adds on top. The fault matrix (test_fault_matrix.py) proves the error
mapping row by row; these cover the rest."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap

import httpx
import pytest
import respx

import llmkit
from llmkit.errors import APIConnectionError, ConfigurationError
from llmkit.transport import http as transport_http
from llmkit.transport._aiohttp import LlmkitAiohttpTransport

from .faults import Fault, FaultServer
from .helpers import TEXT, openai_events, registry_for

BODY = b"".join(openai_events())


async def test_the_shared_client_sends_over_aiohttp() -> None:
    assert isinstance(transport_http.get_client()._transport, LlmkitAiohttpTransport)


async def test_connections_are_counted_and_closed() -> None:
    with FaultServer([Fault(pieces=openai_events())]) as server:
        assert transport_http.connections_open() in (0, 1)
        text = await llmkit.stream_text(
            model="flaky:m", prompt="hi", registry=registry_for(server.url)
        ).text
        assert text == TEXT
        # the server said `connection: close`: nothing is pooled, the socket is closed
        assert transport_http.connections_open() == 0
        assert await server.until_closed() == 0


async def test_respx_mocks_the_shared_client_with_using_httpx() -> None:
    registry = registry_for("https://api.example.test")
    with respx.mock(using="httpx") as mock:
        route = mock.post("https://api.example.test/v1/chat/completions").respond(
            200, content=BODY, headers={"content-type": "text/event-stream"}
        )
        text = await llmkit.stream_text(model="flaky:m", prompt="hi", registry=registry).text
    assert text == TEXT
    assert route.called


async def test_a_caller_client_keeps_its_own_transport() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=BODY, headers={"content-type": "text/event-stream"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        result = llmkit.stream_text(
            model="flaky:m",
            prompt="hi",
            registry=registry_for("https://api.example.test"),
            http_client=client,
        )
        assert await result.text == TEXT
    assert len(seen) == 1


async def test_a_refused_connection_is_a_connection_error() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with pytest.raises(APIConnectionError, match="connection failed"):
        await llmkit.stream_text(
            model="flaky:m", prompt="hi", registry=registry_for(url), retry=0
        ).text


@pytest.mark.parametrize("bad", [0, -1, 1.5, "10", True])
def test_max_concurrency_must_be_a_positive_integer(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="positive integer"):
        llmkit.transport.set_max_concurrency(bad)  # type: ignore[arg-type]


def test_max_concurrency_sizes_the_gate_and_the_pool_of_new_loops() -> None:
    script = textwrap.dedent(
        """
        import asyncio
        import llmkit
        from llmkit.transport import http

        llmkit.transport.set_max_concurrency(5000)

        async def main():
            client = http.get_client()
            return http.concurrency_gate()._value, client._transport.limits.max_connections

        print(*asyncio.run(main()))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["5000", "5000"]


def test_no_unclosed_session_warning_at_exit() -> None:
    """asyncio.run closes the loop's shared client; the sync forms' daemon loop drops its
    client at exit without aiohttp's "Unclosed client session" report."""
    with FaultServer([Fault(pieces=openai_events())]) as server:
        script = textwrap.dedent(
            f"""
            import asyncio
            import llmkit
            from llmkit import ProviderConfig, ProviderRegistry

            registry = ProviderRegistry([ProviderConfig(
                id="p", protocol="openai-chat", base_url="{server.url}/v1",
                api_key_required=False,
            )])

            async def main():
                return await llmkit.stream_text(model="p:m", prompt="x", registry=registry).text

            print(asyncio.run(main()))
            print(llmkit.stream_text_sync(model="p:m", prompt="x", registry=registry).text)
            """
        )
        done = subprocess.run(
            [sys.executable, "-W", "error::ResourceWarning", "-c", script],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == [TEXT, TEXT]
    assert done.stderr == ""
