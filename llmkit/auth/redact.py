"""Redaction of credentials in log records.

:func:`redact` masks credential headers (``Authorization``, ``Proxy-Authorization``,
``x-api-key``, ``api-key``), bearer/basic/token values, URL user info, credential query or
form parameters (``access_token``, ``refresh_token``, ``code``, ``key``...) and the same
fields in JSON or ``repr`` of a dict (``'access_token': '...'``), and well-known API key shapes
(:data:`KEY_SHAPES`: ``sk-...``, ``sk-ant-...``, ``AIza...``...) in any text.
:func:`redact_error_body` removes the credentials a request was sent with (and key shapes) from
a provider's error body before it becomes an exception's message, ``body`` or ``raw``.
:class:`RedactingFilter` applies it to every record of the loggers it is attached to;
:func:`install_log_redaction` attaches it to llmkit's, httpx's, httpcore's and authlib's loggers
(and their existing children: a logger's filters do not see its children's records).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection, Mapping

__all__ = [
    "KEY_SHAPES",
    "REDACTED",
    "RedactingFilter",
    "credential_values",
    "install_log_redaction",
    "redact",
    "redact_error_body",
    "scrub_error",
]

REDACTED = "***"

_HEADER = re.compile(
    r"""(?ix)
    (?P<name>\b(?:proxy-)?authorization|\bx-api-key|\bapi-key|\bx-goog-api-key)
    (?P<sep>['"]?\s*[:=,]\s*\(?\s*(?:b?['"])?)
    (?P<value>(?:(?:bearer|basic|token)\s+)?[^\s'",)}\]]+)
    """
)
_SCHEME = re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]*:[^/\s@]*@")
_FIELD = re.compile(
    r"""(?ix)(['"](?:access_token|refresh_token|id_token|client_secret|code_verifier|device_code
    |api_key|apikey|token|password)['"]\s*:\s*b?['"])[^'"]+"""
)
_PARAM = re.compile(
    r"(?i)([?&\s\"'](?:access_token|refresh_token|id_token|client_secret|code|code_verifier|"
    r"device_code|api_key|apikey|key|token|password)=)[^&\s\"']+"
)

KEY_SHAPES = re.compile(
    r"\b(sk-(?:ant-)?|AIza|gsk_|xai-|gh[opsu]_|github_pat_)[A-Za-z0-9_-]{20,}(?![A-Za-z0-9_-])"
)
"""Well-known API key and token shapes (a literal prefix and at least 20 key characters):
OpenAI, DeepSeek, OpenRouter... ``sk-``; Anthropic ``sk-ant-``; Google ``AIza``; Groq ``gsk_``;
xAI ``xai-``; GitHub ``ghp_`` / ``gho_`` / ``ghs_`` / ``ghu_`` / ``github_pat_``. Group 1 is the
prefix, which :func:`redact` keeps (``sk-ant-***``) so a message still tells which kind of key it
was. A provider's own masked echo (``sk-proj-****abcd``) does not match."""
_KEY_SHAPES_BYTES = re.compile(KEY_SHAPES.pattern.encode())

_SCHEME_PREFIX = re.compile(r"(?i)^\s*(?:bearer|basic|token)\s+")
_MIN_SECRET = 8
"""Shorter credential values are not searched for in error bodies (a one-letter test key would
otherwise blank every such letter); real keys and tokens are far longer."""


def redact(text: str) -> str:
    """``text`` with every credential-looking value replaced by ``***``."""
    text = _HEADER.sub(lambda m: f"{m['name']}{m['sep']}{REDACTED}", text)
    text = _SCHEME.sub(lambda m: f"{m[1]} {REDACTED}", text)
    text = _USERINFO.sub(lambda m: f"{m[1]}{REDACTED}@", text)
    text = _FIELD.sub(lambda m: f"{m[1]}{REDACTED}", text)
    text = KEY_SHAPES.sub(lambda m: f"{m[1]}{REDACTED}", text)
    return _PARAM.sub(lambda m: f"{m[1]}{REDACTED}", text)


def credential_values(headers: Mapping[str, str], names: Collection[str]) -> list[str]:
    """The secret values carried by the credential headers of a request.

    Args:
        headers: the request's headers.
        names: the lower-case names of its credential headers (``authorization``,
            ``x-api-key``...).

    Returns:
        Each credential header's value and, for ``Bearer`` / ``Basic`` / ``token`` values, the
        token after the scheme; values shorter than 8 characters are left out. Longest first.
    """
    found: set[str] = set()
    for name, value in headers.items():
        if name.lower() not in names:
            continue
        value = str(value).strip()
        token = _SCHEME_PREFIX.sub("", value)
        found.update(v for v in (value, token) if len(v) >= _MIN_SECRET)
    return sorted(found, key=len, reverse=True)


def redact_error_body(body: bytes, secrets: Collection[str]) -> bytes:
    """``body`` without the given secrets and without well-known key shapes (:data:`KEY_SHAPES`).

    Call it on a provider's error body before it is parsed into an exception: a provider that
    echoes the request's API key ("invalid key sk-...") must not put it into the exception's
    message, ``body``, ``repr`` or a traceback. Each secret is replaced by ``***`` as is and in
    its JSON-escaped form; the body stays valid JSON if it was.

    Args:
        body: the raw response body.
        secrets: the credential values the request was sent with (:func:`credential_values`).

    Returns:
        The cleaned body (the same object when there was nothing to remove).
    """
    if not body:
        return body
    for secret in secrets:
        if len(secret) < _MIN_SECRET:
            continue
        escaped = json.dumps(secret)[1:-1]
        forms = {secret, escaped, escaped.replace("/", "\\/")}
        for form in forms:
            raw = form.encode("utf-8", "replace")
            if raw in body:
                body = body.replace(raw, REDACTED.encode())
    return _KEY_SHAPES_BYTES.sub(lambda m: m[1] + REDACTED.encode(), body)


_MAX_DEPTH = 64
"""How deep :func:`scrub_error` follows a parsed JSON body; deeper values (a provider's body
nested a thousand levels, which Python 3.13's json parses) are replaced by a placeholder."""


def _scrub(value: object, secrets: Collection[str], depth: int = 0) -> object:
    if isinstance(value, bytes):
        return redact_error_body(value, secrets)
    if isinstance(value, str):
        # lone surrogates (a JSON "\ud800" escape) survive the round trip unchanged
        cleaned = redact_error_body(value.encode("utf-8", "surrogatepass"), secrets)
        return cleaned.decode("utf-8", "surrogatepass")
    if isinstance(value, (dict, list)) and depth >= _MAX_DEPTH:
        return f"<a {type(value).__name__} nested too deeply to show>"
    if isinstance(value, dict):
        return {k: _scrub(v, secrets, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, secrets, depth + 1) for v in value]
    return value


def scrub_error(error: BaseException, secrets: Collection[str]) -> None:
    """Remove ``secrets`` and well-known key shapes from an error built from provider data.

    For the errors a protocol builds from a 200 response (an in-band ``error`` event in a
    stream, an error object in a JSON body), which do not pass through the non-2xx boundary of
    :func:`~llmkit.transport.http.open_response`: ``args`` and every text field (``message``,
    ``body``, ``raw``, ``error_code``...) are cleaned in place (strings, bytes, and the strings
    inside a parsed JSON body).

    Args:
        error: the exception to clean.
        secrets: the credential values the request was sent with (:func:`credential_values`).
    """
    error.args = tuple(_scrub(arg, secrets) for arg in error.args)
    fields = vars(error)
    for name, value in fields.items():
        fields[name] = _scrub(value, secrets)


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites each record's message with :func:`redact`.

    The record is formatted once (``msg % args``), redacted, and its ``args`` cleared; records
    are never dropped.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record's message in place; always keeps the record (returns True)."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler
            return True
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        return True


_FILTER = RedactingFilter()
_ROOTS = ("llmkit", "httpx", "httpx2", "httpcore", "httpcore2", "authlib", "hpack")


def install_log_redaction(extra: tuple[str, ...] = ()) -> None:
    """Attach the redacting filter to llmkit's and the HTTP stack's loggers (idempotent).

    Covers the loggers ``llmkit``, ``httpx``, ``httpx2``, ``httpcore``, ``authlib``, and every
    existing logger below them (``httpcore.http11``...), plus ``extra``.
    """
    import httpx  # noqa: F401  (creates the httpx and httpcore.* loggers)

    roots = (*_ROOTS, *extra)
    names = set(roots)
    for name in list(logging.root.manager.loggerDict):
        if name.split(".", 1)[0] in roots:
            names.add(name)
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
