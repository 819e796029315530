"""``output=`` on the text calls: a final answer of a given shape from a model that may also
call tools.

The shape (:class:`~llmkit.Output`, from a type or a JSON Schema) is offered to the model as one
more tool, ``final_answer``, whose arguments are :attr:`Output.schema` (pydantic-ai's "tool
output" strategy; the AI SDK's ``experimental_output`` asks for a JSON response format instead,
which most providers do not allow together with tools, or only without streaming). So:

- the model works with the other tools as usual, then calls ``final_answer``; its arguments
  are validated (:meth:`Output.from_arguments`); invalid ones get an error result telling the
  model what is wrong, and it may try again;
- the first valid call ends the loop (a stop condition), and its value is ``result.output``;
- unless the call sets ``tool_choice``, it is ``"required"``: the model answers through a
  tool, never with bare text (a model that still ends with text gets that text parsed with
  :meth:`Output.from_text`, leniently);
- unless the call sets ``max_steps``, it is 20 (as with ``stop_when``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from llmkit.errors import ConfigurationError, NoObjectGeneratedError
from llmkit.tools._tool import Tool, ToolArgumentsError

if TYPE_CHECKING:
    from llmkit._output import Output, OutputLike
    from llmkit._steps import StepResult, StopCondition

__all__ = ["FINAL_ANSWER", "OutputTool", "output_tool"]

FINAL_ANSWER = "final_answer"
"""The name of the tool the final answer is given through."""

_DESCRIPTION = (
    "Give your final answer. Call this tool once, when you have everything you need (after "
    "any other tool calls); its arguments are the answer."
)


class OutputTool(Tool):
    """The ``final_answer`` tool of one call: validates the model's answer and keeps the value.

    Attributes:
        output: the shape of the answer.
        value: the last valid answer (None until one arrived; see :attr:`answered`).
        answered: True once a valid answer arrived.
    """

    def __init__(self, output: Output[object]) -> None:
        description = _DESCRIPTION
        if output.description:
            description = f"{description} The answer: {output.description}"
        super().__init__(
            name=FINAL_ANSWER,
            description=description,
            parameters=output.schema,
        )
        self.output = output
        self.value: object = None
        self.answered = False

    @property
    def executable(self) -> bool:
        """True: the loop runs it (validation only)."""
        return True

    def check_arguments(self, args: Mapping[str, object]) -> None:
        """Validate the answer.

        Raises:
            ToolArgumentsError: it does not match the shape (the message says where).
        """
        try:
            self.output.from_arguments(args)
        except NoObjectGeneratedError as exc:
            raise ToolArgumentsError(_reason(exc)) from None

    async def execute(self, args: Mapping[str, object]) -> object:
        """Validate and keep the answer; the model is told it was received.

        Raises:
            ToolArgumentsError: the answer does not match the shape.
        """
        try:
            self.value = self.output.from_arguments(args)
        except NoObjectGeneratedError as exc:
            raise ToolArgumentsError(_reason(exc)) from None
        self.answered = True
        return "Final answer received."

    def stop_condition(self) -> StopCondition:
        """Stops the loop after the step in which a valid answer arrived."""

        def answered(steps: Sequence[StepResult]) -> bool:
            return self.answered

        return answered

    def result(self, last_text: str, steps: Sequence[StepResult]) -> object:
        """The final answer: the valid ``final_answer`` call's value, else the last step's text
        parsed as the shape.

        Raises:
            NoObjectGeneratedError: no valid answer (``errors`` say why; ``finish_reason`` and
                ``usage`` are the call's).
        """
        if self.answered:
            return self.value
        last = steps[-1] if steps else None
        if last_text.strip():
            try:
                return self.output.from_text(last_text)
            except NoObjectGeneratedError as exc:
                error = exc
        else:
            error = NoObjectGeneratedError(
                "no object generated: the model gave no final answer (it did not call "
                f"{FINAL_ANSWER!r} with valid arguments); raise max_steps, or check the "
                "step results' tool results for the validation errors it got",
                text="",
                errors=[{"loc": (), "msg": "no final answer", "type": "no_output"}],
            )
        if last is not None:
            error.finish_reason = last.finish_reason
            error.usage = last.usage
        raise error


def _reason(exc: NoObjectGeneratedError) -> str:
    """The validation problems, without the error's generic prefix."""
    return str(exc).removeprefix("no object generated: ")


def output_tool(output: OutputLike, tools: Mapping[str, Tool]) -> OutputTool:
    """The ``final_answer`` tool for ``output=``.

    Raises:
        ConfigurationError: ``output`` cannot be an output, or a tool of the call is already
            named ``final_answer``.
    """
    from llmkit._output import to_output

    if FINAL_ANSWER in tools:
        raise ConfigurationError(
            f"output= adds a tool named {FINAL_ANSWER!r}, and a tool of this call has that "
            "name; rename your tool"
        )
    return OutputTool(to_output(output))
