"""Wire protocols: sans-IO request builders and stream parsers.

Use :func:`get_protocol` to obtain the (stateless, shared) instance for a protocol name and
:func:`register_protocol` to add one; the table lives in :mod:`llmkit.protocols.registry`, and a
built-in implementation is imported on first use.
"""

from __future__ import annotations

from llmkit.protocols.base import BuiltRequest, Protocol, StreamState, run_sse
from llmkit.protocols.registry import get_protocol, protocol_names, register_protocol

__all__ = [
    "BuiltRequest",
    "Protocol",
    "StreamState",
    "get_protocol",
    "protocol_names",
    "register_protocol",
    "run_sse",
]
