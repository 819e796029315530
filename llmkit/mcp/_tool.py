""":class:`MCPTool`: one tool of an MCP server as an llmkit :class:`~llmkit.tools.Tool`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from pydantic import JsonValue

from llmkit.mcp._errors import MCPToolArgumentsError
from llmkit.tools._tool import Tool

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

    from llmkit.mcp._server import MCPServer

__all__ = ["MCPTool"]

_MAX_PROBLEMS = 5


class MCPTool(Tool):
    """A tool served by an MCP server, made by :meth:`MCPServer.list_tools`.

    Its definition is the server's: name (with the server's prefix, if any), description, and
    input JSON Schema as the parameters. llmkit runs it (``executable`` is True): the model's
    arguments are checked against the input schema first (a mismatch raises
    :class:`~llmkit.mcp.MCPToolArgumentsError` and the server is not called), then sent as a
    ``tools/call`` request.

    Attributes:
        server: the :class:`MCPServer` that runs the tool (must be connected when it runs).
        remote_name: the tool's name on the server (without the prefix).
        title: the tool's display title, if the server gave one.
        output_schema: the JSON Schema of its structured result, if the server gave one.
    """

    def __init__(
        self,
        server: MCPServer,
        *,
        name: str,
        remote_name: str,
        description: str | None,
        parameters: Mapping[str, JsonValue],
        title: str | None = None,
        output_schema: Mapping[str, JsonValue] | None = None,
    ) -> None:
        super().__init__(name=name, description=description, parameters=parameters)
        self.server = server
        self.remote_name = remote_name
        self.title = title
        self.output_schema = dict(output_schema) if output_schema is not None else None
        self._validator: Validator | None = None
        self._checked_schema = False

    @property
    def executable(self) -> bool:
        """Always True: the server runs the tool."""
        return True

    def _get_validator(self) -> Validator | None:
        if not self._checked_schema:
            self._checked_schema = True
            import jsonschema

            cls: Any = jsonschema.validators.validator_for(
                self.parameters, default=jsonschema.Draft202012Validator
            )
            try:
                cls.check_schema(self.parameters)
            except jsonschema.SchemaError:
                return None  # a schema jsonschema cannot use: the server checks the arguments
            self._validator = cls(self.parameters)
        return self._validator

    def validate_arguments(self, args: Mapping[str, object]) -> dict[str, object]:
        """``args`` checked against the input JSON Schema (JSON Schema 2020-12 unless the schema
        names its ``$schema``), as a new dict.

        Raises:
            MCPToolArgumentsError: the arguments do not match; ``.problems`` lists up to five.
        """
        arguments = dict(args)
        validator = self._get_validator()
        if validator is None:
            return arguments
        found = validator.iter_errors(cast(Any, arguments))
        errors = sorted(found, key=lambda e: [str(p) for p in e.absolute_path])
        if errors:
            problems = []
            for error in errors[:_MAX_PROBLEMS]:
                where = ".".join(str(p) for p in error.absolute_path) or "(arguments)"
                problems.append(f"{where}: {error.message}")
            raise MCPToolArgumentsError(
                server=self.server.name, tool_name=self.name, problems=problems
            )
        return arguments

    def check_arguments(self, args: Mapping[str, object]) -> None:
        """Check ``args`` before the call (the tool loop offers a failing call to
        ``repair_tool_call``); see :meth:`validate_arguments`.

        Raises:
            MCPToolArgumentsError: the arguments do not match the input JSON Schema.
        """
        self.validate_arguments(args)

    async def execute(self, args: Mapping[str, object]) -> JsonValue:
        """Validate ``args``, then call the tool on the server.

        Returns:
            The result as JSON (see :meth:`MCPServer.call_tool`).

        Raises:
            MCPToolArgumentsError: invalid arguments (the server was not called).
            MCPToolError: the tool reported an error (``isError``).
            MCPConnectionError: the server is not connected, or the connection broke.
            MCPTimeoutError: no answer within the server's ``timeout``.
            MCPRequestError: the server refused the request.
        """
        arguments = self.validate_arguments(args)
        return await self.server.call_tool(self.remote_name, arguments)

    def __repr__(self) -> str:
        return f"MCPTool(name={self.name!r}, server={self.server.name!r})"
