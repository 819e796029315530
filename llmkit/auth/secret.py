"""A string wrapper that never shows its value in ``repr``, ``str`` or logs."""

from __future__ import annotations

__all__ = ["Secret"]


class Secret:
    """An API key or token. ``repr``/``str`` show only ``Secret('***')``; call
    :meth:`reveal` where the raw value is really needed (building the HTTP header)."""

    __slots__ = ("_source", "_value")

    def __init__(self, value: str, source: str = "explicit") -> None:
        self._value = value
        self._source = source

    @property
    def source(self) -> str:
        """Where the secret came from: ``explicit``, ``keychain`` or ``env:<VAR>``."""
        return self._source

    def reveal(self) -> str:
        """The raw value."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret('***', source={self._source!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> str:
        raise TypeError("Secret values cannot be pickled")
