"""Tool-call ids across protocols: each protocol states, as data, which ids it accepts.

A conversation may carry tool-call ids minted by another provider (Moonshot Kimi's
OpenAI-compatible API names them ``functions.get_weather:0``) that the target protocol rejects
(Anthropic: ``tool_use.id`` must match ``^[a-zA-Z0-9_-]+$``). :meth:`ToolCallIdFormat.map`
rewrites such an id the same way wherever it appears, so an assistant's tool call and the tool
result answering it still pair up:

- an id the format accepts is sent unchanged (a provider's own ids replay byte for byte);
- otherwise every character outside the allowed set becomes ``_`` and ``_`` plus the first 12
  hex digits of the SHA-256 of the original id is appended (cut to ``max_length`` first when
  there is one), so two ids that differ only in replaced characters stay distinct.

The mapping is a pure function of the id: the same input gives the same output in every request
and every process, and nothing needs to be remembered between calls.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

__all__ = ["ToolCallIdFormat"]

_HASH_CHARS = 12


@dataclass(frozen=True, slots=True)
class ToolCallIdFormat:
    """Which tool-call ids a protocol accepts.

    Attributes:
        allowed: the characters an id may contain, as the inside of a regular-expression
            character class (``a-zA-Z0-9_-``), or None for any character.
        max_length: the longest accepted id, or None for no documented limit.
        source: where the rule is documented (for readers of the code).
    """

    allowed: str | None = None
    max_length: int | None = None
    source: str = ""
    _valid: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _disallowed: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_length is not None and self.max_length <= _HASH_CHARS + 1:
            raise ValueError(f"max_length must be more than {_HASH_CHARS + 1}")
        valid = re.compile(f"[{self.allowed}]+") if self.allowed is not None else None
        disallowed = re.compile(f"[^{self.allowed}]") if self.allowed is not None else None
        if valid is not None and not valid.fullmatch("_0123456789abcdef"):
            raise ValueError("the allowed characters must include _ and 0-9a-f (the hash suffix)")
        object.__setattr__(self, "_valid", valid)
        object.__setattr__(self, "_disallowed", disallowed)

    def accepts(self, tool_call_id: str) -> bool:
        """True when ``tool_call_id`` can be sent as it is."""
        if self.max_length is not None and len(tool_call_id) > self.max_length:
            return False
        if self._valid is None:
            return True
        return self._valid.fullmatch(tool_call_id) is not None

    def map(self, tool_call_id: str) -> str:
        """The id to send: ``tool_call_id`` itself when accepted, else its deterministic
        rewrite (see the module doc)."""
        if self.accepts(tool_call_id):
            return tool_call_id
        base = tool_call_id if self._disallowed is None else self._disallowed.sub("_", tool_call_id)
        suffix = (
            "_"
            + hashlib.sha256(tool_call_id.encode("utf-8", "surrogatepass")).hexdigest()[
                :_HASH_CHARS
            ]
        )
        if self.max_length is not None:
            base = base[: self.max_length - len(suffix)]
        return base + suffix
