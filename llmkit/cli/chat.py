"""``llmkit chat``: one answer, or a conversation.

- ``llmkit chat -m P:M "prompt"`` streams one answer; ``-`` as the prompt, or no prompt with a
  pipe on standard input, reads the prompt from standard input.
- ``llmkit chat -m P:M`` on a terminal (or ``-i`` anywhere) holds a conversation: each answer
  is appended to the history sent with the next message. Commands: ``/exit``, ``/model``,
  ``/system``, ``/clear``, ``/help``. A line ``\"\"\"`` opens and closes a multi-line message;
  with prompt-toolkit (the ``cli`` extra) Alt+Enter or Esc Enter also inserts a new line and
  the arrow keys recall earlier messages. Without it, ``input()`` reads a terminal and lines
  are read one by one from a pipe.

The answer goes to standard output; reasoning (dimmed on a terminal, then a blank line),
warnings, the usage line and, on a terminal, a status line while the model has not answered
(retries included) go to standard error.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from llmkit.cli.terminal import StatusLine, Style, is_terminal
from llmkit.errors import LLMKitError

if TYPE_CHECKING:
    from llmkit.types.messages import MessageLike

__all__ = ["Conversation", "chat_once", "chat_repl", "run_turn"]

HELP = """\
commands:
  /model [PROVIDER:MODEL]   show or change the model
  /system [TEXT | -]        show, set or (with -) clear the system instructions
  /clear                    forget the conversation so far
  /exit                     leave (also /quit, Ctrl-D)
  /help                     this list
a line \"\"\" starts and ends a multi-line message; //text sends /text"""


@dataclass
class Conversation:
    """The state of a chat: model, system instructions, call options and the history.

    Attributes:
        model: ``"provider:model"``.
        system: system instructions, or None.
        options: further ``stream_text`` settings (``max_output_tokens``, ``temperature``,
            ``reasoning``).
        messages: the history: user messages and the assistant's response messages.
    """

    model: str
    system: str | None = None
    options: dict[str, object] = field(default_factory=dict)
    messages: list[MessageLike] = field(default_factory=list)


async def run_turn(
    conversation: Conversation,
    prompt: str,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> None:
    """Send ``prompt`` after the history, stream the answer, then append both to the history.

    Raises:
        LLMKitError: the call failed (the history is unchanged).
    """
    from llmkit import stream_text

    out = out or sys.stdout
    err = err or sys.stderr
    dim = Style(err).dim
    user: MessageLike = {"role": "user", "content": prompt}
    result = stream_text(
        model=conversation.model,
        messages=[*conversation.messages, user],
        system=conversation.system,
        **conversation.options,  # type: ignore[arg-type]
    )
    last = "\n"
    async with StatusLine(err, conversation.model) as status:
        async for event in result:
            status.stop()
            if event.type == "text_delta":
                if event.delta:
                    out.write(event.delta)
                    out.flush()
                    last = event.delta[-1]
            elif event.type == "reasoning_start":
                err.write(dim("thinking: "))
            elif event.type == "reasoning_delta":
                err.write(dim(event.delta))
                err.flush()
            elif event.type == "reasoning_end":
                err.write("\n\n")  # a blank line between the reasoning and the answer
                err.flush()
            elif event.type == "stream_start":
                for warning in event.warnings:
                    err.write(f"warning: {warning.message}\n")
            elif event.type == "finish":
                if last != "\n":
                    out.write("\n")
                    out.flush()
                    last = "\n"
                u = event.usage
                err.write(
                    dim(
                        f"[{event.finish_reason}; "
                        f"{u.input_tokens} input, {u.output_tokens} output tokens]"
                    )
                    + "\n"
                )
                err.flush()
    if last != "\n":
        out.write("\n")
        out.flush()
    conversation.messages.append(user)
    conversation.messages.extend(await result.response_messages)


async def chat_once(conversation: Conversation, prompt: str) -> int:
    """One answer to ``prompt`` (``llmkit chat -m P:M PROMPT``); the exit code."""
    await run_turn(conversation, prompt)
    return 0


# ------------------------------------------------------------------------------ input
Reader = Callable[[bool], str]
"""Reads one line (the argument: a continuation line of a multi-line message); raises
``EOFError`` at the end of input and ``KeyboardInterrupt`` on Ctrl-C."""


def _plain_reader(stdin: TextIO, interactive: bool) -> Reader:
    def read(more: bool) -> str:
        if interactive and stdin is sys.stdin:
            return input("… " if more else "> ")
        line = stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\r\n")

    return read


def _toolkit_reader() -> Reader | None:
    """A prompt-toolkit line editor (history, Alt+Enter for a new line), or None when the
    ``cli`` extra is not installed."""
    try:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import InMemoryHistory
        from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
    except ImportError:
        return None
    bindings = KeyBindings()

    @bindings.add("escape", "enter")
    def _newline(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text("\n")

    session: PromptSession[str] = PromptSession(
        history=InMemoryHistory(), key_bindings=bindings, multiline=False
    )

    def read(more: bool) -> str:
        return session.prompt("… " if more else "> ")

    return read


def _read_message(read: Reader) -> str:
    """One message: a line, or the lines between two ``\"\"\"`` lines."""
    line = read(False)
    if line.strip() != '"""':
        return line
    lines: list[str] = []
    while True:
        line = read(True)
        if line.strip() == '"""':
            return "\n".join(lines)
        lines.append(line)


# ------------------------------------------------------------------------------ the REPL
def _command(conversation: Conversation, line: str, err: TextIO) -> bool:
    """Run a ``/command``; False when it ends the conversation."""
    name, _, arg = line[1:].partition(" ")
    arg = arg.strip()
    if name in ("exit", "quit"):
        return False
    if name == "model":
        if arg:
            from llmkit.providers import default_registry

            provider, sep, model_id = arg.partition(":")
            if not sep or not model_id:
                err.write('llmkit: give the model as "provider:model"\n')
                return True
            try:
                default_registry().get(provider)
            except LLMKitError as exc:
                err.write(f"llmkit: {type(exc).__name__}: {exc}\n")
                return True
            conversation.model = arg
        err.write(f"model: {conversation.model}\n")
    elif name == "system":
        if arg == "-":
            conversation.system = None
        elif arg:
            conversation.system = arg
        err.write(f"system: {conversation.system or '(none)'}\n")
    elif name == "clear":
        conversation.messages.clear()
        err.write("history cleared\n")
    elif name == "help":
        err.write(HELP + "\n")
    else:
        err.write(f"unknown command /{name}; /help lists them\n")
    return True


def _run_interruptible(loop: asyncio.AbstractEventLoop, turn: asyncio.Task[None]) -> bool:
    """Run a turn; Ctrl-C cancels it (not the conversation). False when it was interrupted."""
    try:
        loop.add_signal_handler(signal.SIGINT, turn.cancel)
        handled = True
    except (NotImplementedError, RuntimeError, ValueError):  # no signal handlers here
        handled = False
    try:
        loop.run_until_complete(asyncio.wait({turn}))
    finally:
        if handled:
            loop.remove_signal_handler(signal.SIGINT)
    if turn.cancelled():
        return False
    turn.result()  # raise its error
    return True


def chat_repl(
    conversation: Conversation,
    first: str | None = None,
    *,
    stdin: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Hold a conversation: read a message, stream the answer, repeat until ``/exit`` or the
    end of input. A failed turn prints one line and leaves the history unchanged.

    Args:
        conversation: the model, system instructions, options and (usually empty) history.
        first: a first message to send before reading any.
        stdin: where messages come from (default ``sys.stdin``).
        err: where notes and errors go (default ``sys.stderr``).

    Returns:
        The exit code (0).
    """
    stdin = stdin or sys.stdin
    err = err or sys.stderr
    interactive = is_terminal(stdin)
    toolkit = _toolkit_reader() if interactive and stdin is sys.stdin else None
    read = toolkit or _plain_reader(stdin, interactive)
    if interactive:
        newline = "Alt+Enter for a new line, " if toolkit is not None else ""
        err.write(
            Style(err).dim(
                f"chatting with {conversation.model}; /help for commands, {newline}"
                '""" for a multi-line message, /exit or Ctrl-D to leave'
            )
            + "\n"
        )
    loop = asyncio.new_event_loop()
    try:
        message = first
        while True:
            if message is None:
                try:
                    message = _read_message(read)
                except EOFError:
                    break
                except KeyboardInterrupt:
                    err.write("\n")
                    continue
            line, message = message, None
            if not line.strip():
                continue
            if line.startswith("/") and not line.startswith("//"):
                if not _command(conversation, line.strip(), err):
                    break
                continue
            text = line[1:] if line.startswith("//") else line
            turn = loop.create_task(run_turn(conversation, text, err=err))
            try:
                if not _run_interruptible(loop, turn):
                    err.write("\n[interrupted]\n")
            except LLMKitError as exc:
                err.write(f"llmkit: {type(exc).__name__}: {exc}\n")
        return 0
    finally:
        _close_loop(loop)


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    from llmkit.transport.http import close_client

    try:
        loop.run_until_complete(close_client())
        loop.run_until_complete(loop.shutdown_asyncgens())
    except Exception:  # leaving anyway; the connections close with the process
        pass
    finally:
        loop.close()
