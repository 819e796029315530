"""The fixture file format of :mod:`llmkit.testing.record`: recorded HTTP exchanges as JSON, read
back into :class:`~llmkit.testing.replay.ReplayResponse` objects.

The fixture format (``"format": "llmkit.fixture/1"``)::

    {"format": "llmkit.fixture/1", "model": "openai:gpt-4o", "protocol": "openai-chat",
     "exchanges": [{"request": {"method": "POST", "path": "/v1/chat/completions",
                                "body": {...}},
                    "response": {"status": 200, "headers": {"content-type": "..."},
                                 "body": "data: ...", "complete": true}}]}

A request body that is not JSON is kept as ``body_text`` (or ``body_base64``); a response body
that is not UTF-8 as ``body_base64``. ``complete`` is false when the reader stopped before the
end (the body holds what was read); ``error`` says why the connection failed mid-body (replayed
as a connection dropped after the same bytes).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from llmkit.errors import InvalidArgumentError
from llmkit.testing.replay import Chunking, RecordedRequest, ReplayResponse

__all__ = ["FIXTURE_FORMAT", "Fixture", "RecordedExchange", "fixture_error", "load_fixture"]

FIXTURE_FORMAT = "llmkit.fixture/1"
"""The ``format`` value of the fixture files this version writes and reads."""


@dataclass(frozen=True)
class RecordedExchange:
    """One recorded HTTP exchange.

    Attributes:
        method: the request method (``POST``).
        path: the URL path and query, without host and credential parameters.
        status: the response's HTTP status code.
        headers: the response headers kept (lower-case names; ``content-type`` among them).
        body: the response body bytes as received (credentials replaced by ``***``).
        request_body: the request body for reference: parsed JSON, else text, bytes or None.
        complete: False when the reader stopped before the end of the body.
        error: why the connection failed mid-body, or None.
    """

    method: str
    path: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    request_body: object = None
    complete: bool = True
    error: str | None = None

    def to_response(self, chunking: Chunking = None) -> ReplayResponse:
        """This exchange as a :class:`~llmkit.testing.replay.ReplayResponse` cut per
        ``chunking`` (a body that failed mid-way is served up to the same byte, then cut)."""
        headers = {k: v for k, v in self.headers.items() if k != "content-type"}
        return ReplayResponse(
            self.body,
            status=self.status,
            content_type=self.headers.get("content-type", "application/octet-stream"),
            headers=headers,
            chunking=chunking,
            close_after=len(self.body) if self.error is not None else None,
        )


@dataclass(frozen=True)
class Fixture:
    """The contents of a fixture file.

    Attributes:
        exchanges: the recorded exchanges, in the order the responses arrived.
        model: the ``"provider:model"`` recorded, if known (:func:`replay_model` uses it).
        protocol: that provider's protocol name, if known.
    """

    exchanges: tuple[RecordedExchange, ...]
    model: str | None = None
    protocol: str | None = None

    def responses(self, chunking: Chunking = None) -> list[ReplayResponse]:
        """Every exchange as a :class:`~llmkit.testing.replay.ReplayResponse`, in order."""
        return [x.to_response(chunking) for x in self.exchanges]

    def handler(
        self, chunking: Chunking = None, *, source: str | None = None
    ) -> Callable[[RecordedRequest], ReplayResponse]:
        """A :class:`~llmkit.testing.replay.ReplayServer` ``handler`` that plays the exchanges.

        Each request is answered with the first exchange not yet played whose method, path and
        request body equal the request's (so requests sent concurrently, such as
        ``embed_many`` batches, get their own responses), else with the next exchange not yet
        played in recorded order. A request after all were played gets an HTTP 400 error body
        that says so, which every built-in protocol reads and none retries.

        Args:
            chunking: how each body is cut into network writes.
            source: where the exchanges came from (the file), named in that error.
        """
        left = list(self.exchanges)
        total = len(left)
        served = 0

        def answer(request: RecordedRequest) -> ReplayResponse:
            nonlocal served
            served += 1
            if not left:
                return _exhausted(source, total, served, request)
            index = next((i for i, x in enumerate(left) if _same_request(x, request)), 0)
            return left.pop(index).to_response(chunking)

        return answer

    def to_json(self) -> str:
        """The fixture file's text (indented JSON, keys in a stable order)."""
        out = {
            "format": FIXTURE_FORMAT,
            "model": self.model,
            "protocol": self.protocol,
            "exchanges": [_exchange_json(x) for x in self.exchanges],
        }
        return json.dumps(out, indent=2, ensure_ascii=False) + "\n"

    def save(self, path: str | Path) -> None:
        """Write the file (parent folders created; replaced at once, never half-written)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(self.to_json(), encoding="utf-8")
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: str | Path) -> Fixture:
        """Read a fixture file.

        Raises:
            InvalidArgumentError: the file is missing, not JSON, not a fixture, of another
                format version, or an exchange is malformed; the message names the file and
                the field.
        """
        path = Path(path)
        try:
            data = json.loads(path.read_bytes())
        except FileNotFoundError:
            raise fixture_error(path, "the file does not exist; record it first") from None
        except ValueError as exc:
            raise fixture_error(path, f"not JSON ({exc}); record it again") from exc
        if not isinstance(data, dict) or "format" not in data:
            raise fixture_error(
                path, f"no 'format' field: not an llmkit fixture ({FIXTURE_FORMAT})"
            )
        if data["format"] != FIXTURE_FORMAT:
            raise fixture_error(
                path,
                f"format {data['format']!r} is not {FIXTURE_FORMAT!r}: written by another "
                "llmkit version; record it again or use that version",
            )
        try:
            exchanges = tuple(
                _exchange_from(x, f"exchanges[{i}]") for i, x in enumerate(data["exchanges"])
            )
            return cls(exchanges, _opt_str(data, "model"), _opt_str(data, "protocol"))
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise fixture_error(path, f"malformed: {exc}; record it again") from exc


def fixture_error(path: Path, what: str) -> InvalidArgumentError:
    """The error for a fixture file that cannot be used (``what``: why, and what to do)."""
    return InvalidArgumentError(f"fixture {str(path)!r}: {what}", problems=[f"{path}: {what}"])


def _same_request(exchange: RecordedExchange, request: RecordedRequest) -> bool:
    if (exchange.method, exchange.path) != (request.method, request.path):
        return False
    if isinstance(exchange.request_body, bytes):
        return exchange.request_body == request.body
    if exchange.request_body is None:
        return not request.body
    try:
        return bool(json.loads(request.body) == exchange.request_body)
    except ValueError:
        return request.body.decode("utf-8", "replace") == exchange.request_body


def _exhausted(
    source: str | None, total: int, served: int, request: RecordedRequest
) -> ReplayResponse:
    where = f"fixture {source!r}" if source else "the fixture"
    message = (
        f"{where} has {total} recorded response(s) and this is request {served} "
        f"({request.method} {request.path}): the code under test sent more requests than "
        "when it was recorded; record it again (LLMKIT_RECORD=all)"
    )
    error = {"type": "invalid_request_error", "code": 400, "status": "INVALID_ARGUMENT"}
    return ReplayResponse.json({"type": "error", "error": {**error, "message": message}}, 400)


def _opt_str(data: Mapping[str, object], name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} is {value!r}, expected a string or null")
    return value


def _bytes_json(body: bytes, text_key: str) -> dict[str, object]:
    """Bytes as an exact JSON field: ``text_key`` when UTF-8 text, else ``body_base64``."""
    try:
        return {text_key: body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"body_base64": base64.b64encode(body).decode("ascii")}


def _exchange_json(x: RecordedExchange) -> dict[str, object]:
    request: dict[str, object] = {"method": x.method, "path": x.path}
    if isinstance(x.request_body, bytes):
        request.update(_bytes_json(x.request_body, "body_text"))
    elif x.request_body is not None:
        request["body"] = x.request_body
    response: dict[str, object] = {"status": x.status, "headers": dict(x.headers)}
    response.update(_bytes_json(x.body, "body"))
    response["complete"] = x.complete
    if x.error is not None:
        response["error"] = x.error
    return {"request": request, "response": response}


def _exchange_from(data: object, where: str) -> RecordedExchange:
    if not isinstance(data, dict):
        raise TypeError(f"{where} is not an object")
    request, response = data["request"], data["response"]
    if "body_base64" in response:
        body = base64.b64decode(response["body_base64"], validate=True)
    else:
        body = str(response["body"]).encode("utf-8")
    if "body_base64" in request:
        request_body: object = base64.b64decode(request["body_base64"], validate=True)
    else:
        request_body = request.get("body", request.get("body_text"))
    headers = response.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise TypeError(f"{where}.response.headers is not an object of strings")
    status = response["status"]
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError(f"{where}.response.status is {status!r}, not an HTTP status")
    return RecordedExchange(
        method=str(request["method"]),
        path=str(request["path"]),
        status=status,
        headers={k.lower(): v for k, v in headers.items()},
        body=body,
        request_body=request_body,
        complete=bool(response.get("complete", True)),
        error=response.get("error"),
    )


def load_fixture(path: str | Path, *, chunking: Chunking = None) -> list[ReplayResponse]:
    """The recorded responses of a fixture file, in order, for a
    :class:`~llmkit.testing.replay.ReplayServer`.

    Raises:
        InvalidArgumentError: the file is missing, corrupt or of an unknown format.
    """
    return Fixture.load(path).responses(chunking)
