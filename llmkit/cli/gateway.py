"""``llmkit gateway keys create|list|revoke``: the gateway's client keys
(:mod:`llmkit.server.keys`)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmkit.server.keys import KeysFile

__all__ = ["add_gateway_parser", "run_gateway"]


def add_gateway_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``llmkit gateway keys ...`` on the CLI's subcommands."""
    gateway = sub.add_parser("gateway", help="manage the gateway's client keys")
    gateway_sub = gateway.add_subparsers(dest="gateway_command", required=True)
    keys = gateway_sub.add_parser("keys", help="create, list or revoke gateway keys")
    keys_sub = keys.add_subparsers(dest="gateway_keys_command", required=True)

    def where(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--config", help="gateway TOML file naming the keys file")
        parser.add_argument("--keys-file", help="the keys file itself (overrides --config)")

    create = keys_sub.add_parser("create", help="make a key (shown once, stored hashed)")
    create.add_argument("--models", help="comma-separated models or aliases it may use")
    create.add_argument("--rpm", type=float, help="requests per minute it may make")
    create.add_argument("--name", help="a label shown by list")
    where(create)
    where(keys_sub.add_parser("list", help="show the keys (ids and hints, never the keys)"))
    revoke = keys_sub.add_parser("revoke", help="delete a key by id")
    revoke.add_argument("id")
    where(revoke)


def _keys_file(args: argparse.Namespace) -> KeysFile:
    from llmkit.server.config import DEFAULT_CONFIG_FILE, GatewayConfig, load_config
    from llmkit.server.keys import KeysFile

    if args.keys_file:
        return KeysFile(args.keys_file)
    if args.config:
        return KeysFile(load_config(args.config).keys_path())
    from pathlib import Path

    if Path(DEFAULT_CONFIG_FILE).is_file():
        return KeysFile(load_config(DEFAULT_CONFIG_FILE).keys_path())
    return KeysFile(GatewayConfig().keys_path())


def run_gateway(args: argparse.Namespace) -> int:
    """Run ``llmkit gateway keys <create|list|revoke>``; returns the exit code.

    Raises:
        GatewayConfigError: the config or keys file is invalid.
    """
    keys = _keys_file(args)
    command = args.gateway_keys_command
    if command == "create":
        from llmkit.reliability.ratelimit import RateLimit

        models = None
        if args.models:
            models = tuple(m.strip() for m in args.models.split(",") if m.strip())
        if args.rpm is not None and args.rpm <= 0:
            print("llmkit: --rpm must be above 0", file=sys.stderr)
            return 2
        limit = RateLimit(requests_per_minute=args.rpm) if args.rpm else None
        key, record = keys.create(models=models, rate_limit=limit, name=args.name)
        print(key)
        print(
            f"gateway key {record.id} created in {keys.path}; it is shown only now (the file "
            "keeps its hash). Clients send it as 'Authorization: Bearer <key>' or 'x-api-key'.",
            file=sys.stderr,
        )
        return 0
    if command == "revoke":
        if keys.revoke(args.id):
            print(f"gateway key {args.id} revoked")
            return 0
        print(f"llmkit: no gateway key {args.id!r} in {keys.path}", file=sys.stderr)
        return 1
    records = keys.keys()
    if not records:
        print(f"no gateway keys in {keys.path}")
        return 0
    for r in records:
        allowed = ",".join(r.models) if r.models is not None else "*"
        rpm = r.rate_limit.requests_per_minute if r.rate_limit else None
        per_minute = f"{rpm:g}/min" if rpm else "-"
        name = r.name or "-"
        print(f"{r.id}  {r.hint}...  {r.created}  name={name}  models={allowed}  rpm={per_minute}")
    return 0
