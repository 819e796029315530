"""Warnings about call settings a protocol could not honour."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["CallWarning"]


@dataclass(frozen=True, slots=True)
class CallWarning:
    """A setting the protocol dropped or changed, reported in the ``stream_start`` event.

    Attributes:
        type: ``unsupported_setting`` (dropped), ``changed_setting`` (adapted) or ``other``.
        setting: the name of the :class:`~llmkit.types.options.CallOptions` field concerned.
        message: what happened, for a person.
    """

    type: Literal["unsupported_setting", "changed_setting", "other"]
    setting: str | None
    message: str
