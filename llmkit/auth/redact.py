"""Redaction of credentials in log records.

:func:`redact` masks credential headers (``Authorization``, ``Proxy-Authorization``,
``x-api-key``, ``api-key``), bearer/basic/token values, URL user info, credential query or
form parameters (``access_token``, ``refresh_token``, ``code``, ``key``...) and the same
fields in JSON or ``repr`` of a dict (``'access_token': '...'``) in any text.
:class:`RedactingFilter` applies it to every record of the loggers it is attached to;
:func:`install_log_redaction` attaches it to llmkit's, httpx's, httpcore's and authlib's loggers
(and their existing children: a logger's filters do not see its children's records).
"""

from __future__ import annotations

import logging
import re

__all__ = ["REDACTED", "RedactingFilter", "install_log_redaction", "redact"]

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


def redact(text: str) -> str:
    """``text`` with every credential-looking value replaced by ``***``."""
    text = _HEADER.sub(lambda m: f"{m['name']}{m['sep']}{REDACTED}", text)
    text = _SCHEME.sub(lambda m: f"{m[1]} {REDACTED}", text)
    text = _USERINFO.sub(lambda m: f"{m[1]}{REDACTED}@", text)
    text = _FIELD.sub(lambda m: f"{m[1]}{REDACTED}", text)
    return _PARAM.sub(lambda m: f"{m[1]}{REDACTED}", text)


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
