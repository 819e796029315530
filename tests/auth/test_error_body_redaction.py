"""A provider whose error body echoes the API key in full must not put it into the exception.

A loopback server answers 401 / 400 with a body that repeats the credential header it received
(as JSON, JSON with escaped slashes, or an HTML page). The key appears in none of ``str(exc)``,
``repr(exc)``, ``exc.body``, ``exc.message``, the formatted traceback (with and without local
variables), or any DEBUG log record of llmkit, httpx and httpcore. Log redaction is *not*
installed here: the error body itself must be clean.
"""

from __future__ import annotations

import json
import logging
import pickle
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import llmkit
from llmkit.auth.redact import REDACTED, credential_values, redact, redact_error_body
from llmkit.auth.secret import Secret
from llmkit.errors import APIStatusError, AuthenticationError, BadRequestError
from llmkit.providers.config import ProtocolName, ProviderConfig
from llmkit.providers.registry import ProviderRegistry

OPENAI_KEY = "sk-proj-Canary0123456789abcdefGHIJKLmnop/qrs+tuv="
ANTHROPIC_KEY = "sk-ant-api03-Canary0123456789abcdefGHIJKLmnopqrstuv-AA"
OTHER_KEY = "sk-ant-api03-SomeoneElses0123456789abcdefghijkl"
"""A key the request did not use, echoed anyway: caught by its shape."""
AZURE_KEY = "0123456789abcdef0123456789abcdef"
"""An api-key with no well-known shape: only the request's own credential list catches it."""
SECRETS = (OPENAI_KEY, ANTHROPIC_KEY, OTHER_KEY, AZURE_KEY)
KEYS = {"openai": OPENAI_KEY, "anthropic": ANTHROPIC_KEY, "azure": AZURE_KEY}
"""The tests name keys, so that no test frame holds one in a local variable (the tracebacks are
rendered with local variables)."""


class EchoHandler(BaseHTTPRequestHandler):
    """Answers every POST with the error named by the path's last segment, echoing the key."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        auth = self.headers.get("authorization") or ""
        key = self.headers.get("x-api-key") or self.headers.get("api-key") or auth[7:]
        mode = self.path.split("/")[1]
        status, ctype = 401, "application/json"
        if mode == "openai":
            body = json.dumps(
                {
                    "error": {
                        "message": f"Incorrect API key provided: {key}. Header was {auth!r}.",
                        "type": "invalid_request_error",
                        "param": key,
                        "code": "invalid_api_key",
                    }
                }
            )
        elif mode == "escaped":  # JSON with "/" written as "\/" (PHP, some Java stacks)
            message = json.dumps({"error": {"message": f"bad key {key}", "code": 401}})
            body = message.replace("/", "\\/")
        elif mode == "anthropic":
            status = 400
            body = json.dumps(
                {
                    "type": "error",
                    "error": {
                        "type": "invalid_request_error",
                        "message": f"x-api-key {key} is not valid; also saw {OTHER_KEY}",
                    },
                    "request_id": "req_echo",
                }
            )
        else:  # an HTML page from a proxy
            ctype = "text/html"
            body = f"<html><body><h1>401</h1><pre>Authorization: {auth}\napi-key: {key}</pre>"
        data = body.encode()
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in ("llmkit", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    return caplog


def _registry(url: str, mode: str, protocol: ProtocolName, auth: str) -> ProviderRegistry:
    config = ProviderConfig.model_validate(
        {"id": "echo", "protocol": protocol, "base_url": f"{url}/{mode}/v1", "auth": auth}
    )
    return ProviderRegistry([config])


def _evidence(exc: BaseException) -> list[str]:
    texts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    texts.append(
        "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())
    )
    if isinstance(exc, APIStatusError):
        texts += [exc.message, json.dumps(exc.body), repr(exc.body)]
    texts.append(repr(pickle.loads(pickle.dumps(exc)).__dict__))
    return texts


def _assert_clean(texts: list[str], logs: pytest.LogCaptureFixture) -> None:
    texts = texts + [r.getMessage() for r in logs.records]
    hits = [(s, t) for t in texts for s in SECRETS if s in t]
    assert not hits, f"a key leaked: {hits[0][1][:2000]}"


CASES = [
    ("openai", "openai-chat", "bearer", "openai", AuthenticationError),
    ("escaped", "openai-chat", "bearer", "openai", AuthenticationError),
    ("html", "openai-chat", "bearer", "openai", AuthenticationError),
    ("openai", "openai-chat", "api-key", "azure", AuthenticationError),
    ("html", "anthropic-messages", "x-api-key", "azure", AuthenticationError),
    ("anthropic", "anthropic-messages", "x-api-key", "anthropic", BadRequestError),
]


@pytest.mark.parametrize(("mode", "protocol", "auth", "key_name", "cls"), CASES)
@pytest.mark.parametrize("stream", [False, True], ids=["generate", "stream"])
async def test_an_echoed_key_reaches_no_exception_text(
    server: str,
    logs: pytest.LogCaptureFixture,
    mode: str,
    protocol: ProtocolName,
    auth: str,
    key_name: str,
    cls: type[APIStatusError],
    stream: bool,
) -> None:
    registry = _registry(server, mode, protocol, auth)
    with pytest.raises(cls) as info:
        if stream:
            result = llmkit.stream_text(
                model="echo:m", prompt="hi", api_key=Secret(KEYS[key_name]), registry=registry
            )
            await result.text
        else:
            await llmkit.generate_text(
                model="echo:m", prompt="hi", api_key=Secret(KEYS[key_name]), registry=registry
            )
    error = info.value
    _assert_clean(_evidence(error), logs)
    assert REDACTED in error.message  # the echo is still there, masked: the message stays useful
    if mode == "anthropic":
        assert error.request_id == "req_echo"
        assert error.error_type == "invalid_request_error"
        assert "sk-ant-***" in error.message  # the other key, caught by its shape
    if mode == "openai":
        assert error.error_code == "invalid_api_key"
        assert isinstance(error.body, dict)


def test_redact_error_body_keeps_json_valid_and_other_text() -> None:
    body = json.dumps(
        {"error": {"message": f"key {OPENAI_KEY} rejected", "param": OPENAI_KEY}}
    ).encode()
    secrets = credential_values({"Authorization": f"Bearer {OPENAI_KEY}"}, {"authorization"})
    assert secrets == [f"Bearer {OPENAI_KEY}", OPENAI_KEY]
    cleaned = json.loads(redact_error_body(body, secrets))
    assert cleaned == {"error": {"message": "key *** rejected", "param": "***"}}
    plain = b'{"error": {"message": "max_tokens is too large: 100000 > 8192 tokens"}}'
    assert redact_error_body(plain, secrets) is plain
    masked = b"Incorrect API key provided: sk-proj-********************abcd."
    assert redact_error_body(masked, secrets) == masked  # the provider's own mask is kept
    assert redact_error_body(b"task-0123456789abcdefghijklmnop", ()) == (
        b"task-0123456789abcdefghijklmnop"
    )
    assert redact_error_body(b"x", ["short"]) == b"x"  # no short values searched for
    assert redact(f"saw {ANTHROPIC_KEY}.") == "saw sk-ant-***."
