"""Tools: :class:`Tool` (a JSON Schema, optionally with a function) and the :func:`tool`
decorator that turns a typed Python function into a :class:`FunctionTool`."""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Generic, ParamSpec, TypeAlias, TypeVar, overload

from pydantic import JsonValue, ValidationError

from llmkit.errors import ConfigurationError
from llmkit.tools._schema import function_schema
from llmkit.types.options import ToolDefinition

__all__ = ["FunctionTool", "Tool", "ToolArgumentsError", "ToolLike", "tool", "tool_map"]

P = ParamSpec("P")
R = TypeVar("R")

_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")

ProviderOptions: TypeAlias = Mapping[str, Mapping[str, JsonValue]]

NeedsApproval: TypeAlias = (
    bool
    | Callable[[Mapping[str, object]], bool]
    | Callable[[Mapping[str, object]], Awaitable[bool]]
)
"""Whether a call of a tool waits for the application's approval: always (True), never
(False), or per call: a function of the call's arguments (sync or async) returning True to ask."""


class ToolArgumentsError(ValueError):
    """Raised by :meth:`Tool.check_arguments` (or ``execute``) for arguments that do not match
    the tool's schema; what is wrong is given to the model.

    Args:
        message: what is wrong.
        problems: one line per problem (``"<path>: <message>"``); given to the model instead
            of ``message`` when there are any.
    """

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


def _check_timeout(timeout: float | None) -> float | None:
    if timeout is not None and not timeout > 0:
        raise ConfigurationError(f"a tool's timeout is in seconds and must be > 0, not {timeout!r}")
    return timeout


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ConfigurationError(
            f"tool name {name!r} is not valid: use 1-64 letters, digits, '_' or '-' (the rule "
            "of the OpenAI and Anthropic APIs)"
        )
    return name


class Tool:
    """A tool the model may call, described by a JSON Schema.

    A plain ``Tool`` has no function: when the model calls it, the tool loop stops and hands the
    call to your code (``result.tool_calls``), which sends the result back itself. Use
    :func:`tool` (or :meth:`from_function`) for a tool that llmkit runs.

    Args:
        name: the tool's name (1-64 letters, digits, ``_`` or ``-``).
        description: what the tool does, for the model.
        parameters: JSON Schema of the arguments object (default: no arguments).
        strict: ask for strict schema adherence where the protocol supports it (OpenAI).
        provider_options: per protocol family, e.g.
            ``{"anthropic": {"cache_control": {"type": "ephemeral"}}}`` (copied onto the tool).
        needs_approval: True (or a function of the call's arguments, sync or async, returning
            True) to have each call wait for the application's approval: the tool loop yields a
            ``tool_approval_request`` instead of running it (see :func:`llmkit.approve`).
        timeout: the most seconds one run of the tool may take; a run past it is cancelled and
            the model gets an error result (None: no limit).

    Raises:
        ConfigurationError: an invalid name, or a timeout that is not > 0.
    """

    def __init__(
        self,
        *,
        name: str,
        description: str | None = None,
        parameters: Mapping[str, JsonValue] | None = None,
        strict: bool | None = None,
        provider_options: ProviderOptions | None = None,
        needs_approval: NeedsApproval = False,
        timeout: float | None = None,
    ) -> None:
        self.name = _check_name(name)
        self.description = description
        self.parameters: dict[str, JsonValue] = (
            dict(parameters) if parameters is not None else {"type": "object", "properties": {}}
        )
        self.strict = strict
        self.provider_options = (
            {k: dict(v) for k, v in provider_options.items()} if provider_options else None
        )
        self.needs_approval: NeedsApproval = needs_approval
        self.timeout = _check_timeout(timeout)

    @property
    def definition(self) -> ToolDefinition:
        """The :class:`~llmkit.types.options.ToolDefinition` sent to the provider."""
        return ToolDefinition(
            name=self.name,
            description=self.description,
            parameters=self.parameters,
            strict=self.strict,
            provider_options=self.provider_options,
        )

    @property
    def executable(self) -> bool:
        """True when llmkit can run the tool itself (it has a function)."""
        return False

    def check_arguments(self, args: Mapping[str, object]) -> None:
        """Check the model's arguments before the tool runs (the default checks nothing; a
        tool with a function validates them against its type hints).

        Raises:
            ToolArgumentsError, pydantic.ValidationError: the arguments do not match the
                schema (the tool loop offers the call to ``repair_tool_call``, else the model
                gets the error).
        """

    async def execute(self, args: Mapping[str, object]) -> object:
        """Run the tool with the model's arguments.

        Raises:
            ConfigurationError: always: a plain ``Tool`` has no function.
        """
        raise ConfigurationError(f"tool {self.name!r} has no function to run")

    @classmethod
    def from_function(
        cls,
        function: Callable[P, R],
        *,
        name: str | None = None,
        description: str | None = None,
        strict: bool | None = None,
        provider_options: ProviderOptions | None = None,
        run_in_thread: bool = True,
        needs_approval: NeedsApproval = False,
        timeout: float | None = None,
    ) -> FunctionTool[P, R]:
        """A tool that runs ``function`` (see :func:`tool` for the arguments)."""
        return FunctionTool(
            function,
            name=name,
            description=description,
            strict=strict,
            provider_options=provider_options,
            run_in_thread=run_in_thread,
            needs_approval=needs_approval,
            timeout=timeout,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class FunctionTool(Tool, Generic[P, R]):
    """A tool backed by a Python function (sync or async), made by :func:`tool`.

    The JSON Schema of its parameters is generated by pydantic from the function's type hints;
    descriptions come from its docstring. The tool is still callable like the function.

    Attributes:
        function: the wrapped function.
        arguments_model: the pydantic model the model's arguments are validated with.
        run_in_thread: run a sync function in a worker thread (``asyncio.to_thread``) so it
            does not block the event loop and runs concurrently with other tools.
    """

    def __init__(
        self,
        function: Callable[P, R],
        *,
        name: str | None = None,
        description: str | None = None,
        strict: bool | None = None,
        provider_options: ProviderOptions | None = None,
        run_in_thread: bool = True,
        needs_approval: NeedsApproval = False,
        timeout: float | None = None,
    ) -> None:
        tool_name = _check_name(name or str(getattr(function, "__name__", "")))
        schema = function_schema(function, tool_name)
        super().__init__(
            name=tool_name,
            description=description if description is not None else schema.description,
            parameters=schema.parameters,
            strict=strict,
            provider_options=provider_options,
            needs_approval=needs_approval,
            timeout=timeout,
        )
        self.function = function
        self.arguments_model = schema.model
        self.run_in_thread = run_in_thread
        self.__doc__ = getattr(function, "__doc__", None)
        self.__wrapped__ = function

    @property
    def executable(self) -> bool:
        """Always True."""
        return True

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Call the function directly (no validation)."""
        return self.function(*args, **kwargs)

    def check_arguments(self, args: Mapping[str, object]) -> None:
        """Validate the arguments per the type hints (see :meth:`validate_arguments`).

        Raises:
            pydantic.ValidationError: the arguments do not match the schema.
        """
        self.validate_arguments(args)

    def validate_arguments(self, args: Mapping[str, object]) -> dict[str, object]:
        """The arguments validated and converted per the type hints, as keyword arguments.

        Raises:
            pydantic.ValidationError: the arguments do not match the schema.
        """
        model = self.arguments_model.model_validate(dict(args))
        return {name: getattr(model, name) for name in type(model).model_fields}

    async def execute(self, args: Mapping[str, object]) -> object:
        """Validate ``args``, then run the function (awaited, or in a thread when sync).

        Returns:
            Whatever the function returns.

        Raises:
            pydantic.ValidationError: invalid arguments (the function did not run).
            Exception: whatever the function raises.
        """
        kwargs = self.validate_arguments(args)
        function: Callable[..., object] = self.function
        if inspect.iscoroutinefunction(function):
            result = await function(**kwargs)
        elif self.run_in_thread:
            result = await asyncio.to_thread(function, **kwargs)
        else:
            result = function(**kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result


@overload
def tool(function: Callable[P, R], /) -> FunctionTool[P, R]: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool | None = None,
    provider_options: ProviderOptions | None = None,
    run_in_thread: bool = True,
    needs_approval: NeedsApproval = False,
    timeout: float | None = None,
) -> Callable[[Callable[P, R]], FunctionTool[P, R]]: ...


def tool(
    function: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool | None = None,
    provider_options: ProviderOptions | None = None,
    run_in_thread: bool = True,
    needs_approval: NeedsApproval = False,
    timeout: float | None = None,
) -> FunctionTool[P, R] | Callable[[Callable[P, R]], FunctionTool[P, R]]:
    """Turn a typed function (sync or async) into a tool llmkit can run.

    Use it bare (``@tool``) or with options (``@tool(name="weather")``)::

        @tool
        async def get_weather(city: str, unit: Literal["C", "F"] = "C") -> dict[str, object]:
            \"\"\"The current weather in a city.

            Args:
                city: the city's name.
                unit: the temperature unit.
            \"\"\"

    Args:
        function: the function (when used bare).
        name: the tool's name (default: the function's ``__name__``).
        description: what the tool does (default: the docstring before its sections).
        strict: ask for strict schema adherence where the protocol supports it (OpenAI).
        provider_options: per protocol family options copied onto the tool definition, e.g.
            ``{"anthropic": {"cache_control": {"type": "ephemeral"}}}``.
        run_in_thread: run a sync function in a worker thread (default True).
        needs_approval: True, or a function of the call's arguments (sync or async) returning
            True, to have calls wait for the application's approval (see :class:`Tool`).
        timeout: the most seconds one run may take (None: no limit); see :class:`Tool`.

    Returns:
        A :class:`FunctionTool`, still callable like the function.

    Raises:
        ConfigurationError: a parameter without a type hint, ``*args``/``**kwargs``, a
            positional-only parameter, an invalid name, or a timeout that is not > 0.
    """

    def wrap(fn: Callable[P, R]) -> FunctionTool[P, R]:
        return FunctionTool(
            fn,
            name=name,
            description=description,
            strict=strict,
            provider_options=provider_options,
            run_in_thread=run_in_thread,
            needs_approval=needs_approval,
            timeout=timeout,
        )

    if function is not None:
        return wrap(function)
    return wrap


ToolLike: TypeAlias = Tool | ToolDefinition | Mapping[str, object] | Callable[..., object]
"""What ``tools=`` accepts: a :class:`Tool` (e.g. from :func:`tool`), a plain function (wrapped
with :func:`tool`), a :class:`~llmkit.types.options.ToolDefinition`, or a dict with its fields
(``{"name": ..., "description": ..., "parameters": {...}}``)."""


def _to_tool(value: object) -> Tool:
    if isinstance(value, Tool):
        return value
    if isinstance(value, ToolDefinition):
        return Tool(
            name=value.name,
            description=value.description,
            parameters=value.parameters,
            strict=value.strict,
            provider_options=value.provider_options,
        )
    if isinstance(value, Mapping):
        try:
            definition = ToolDefinition.model_validate(dict(value))
        except ValidationError as exc:
            from llmkit._validation import explain, problem_lines

            lines = problem_lines(exc, model=ToolDefinition)
            raise ConfigurationError(explain("invalid tool definition", lines)) from None
        return _to_tool(definition)
    if callable(value):
        return FunctionTool(value)
    raise ConfigurationError(
        f"a tool must be a Tool, a function, a ToolDefinition or a dict, not {type(value).__name__}"
    )


def tool_map(tools: Sequence[ToolLike] | None) -> dict[str, Tool]:
    """Normalise ``tools=`` into ``{name: Tool}``, in the given order.

    Raises:
        ConfigurationError: an invalid tool, or two tools with the same name.
    """
    out: dict[str, Tool] = {}
    for value in tools or ():
        item = _to_tool(value)
        if item.name in out:
            raise ConfigurationError(f"two tools are named {item.name!r}; tool names must differ")
        out[item.name] = item
    return out
