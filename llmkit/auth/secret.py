"""Secret values that never show themselves in ``repr``, ``str``, logs or tracebacks."""

from __future__ import annotations

__all__ = ["MaskedStr", "Secret"]


class Secret:
    """An API key or token. ``repr``/``str`` show only ``Secret('***')``; call
    :meth:`reveal` where the raw value is really needed (building the HTTP header)."""

    __slots__ = ("_source", "_value")

    def __init__(self, value: str, source: str = "explicit") -> None:
        self._value = value
        self._source = source

    @property
    def source(self) -> str:
        """Where the secret came from: ``explicit``, ``keychain``, ``env:<VAR>``, ``oauth``..."""
        return self._source

    def reveal(self) -> MaskedStr:
        """The raw value, as a :class:`MaskedStr` (a ``str`` whose ``repr`` is masked)."""
        return MaskedStr(self._value)

    def __repr__(self) -> str:
        return f"Secret('***', source={self._source!r})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> str:
        raise TypeError("Secret values cannot be pickled")


class MaskedStr(str):
    """A ``str`` whose ``repr`` is ``'***'``: the value of a credential header.

    It behaves as the raw string everywhere an HTTP client needs it (``encode``, concatenation,
    ``str()``), but a dict of headers holding it prints as ``{'authorization': '***'}``, so a
    traceback rendered with local variables (``traceback.TracebackException(...,
    capture_locals=True)``, pytest's ``--showlocals``, Sentry) does not show the credential.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'"
