"""``llmkit serve``: run the gateway (:mod:`llmkit.server`) on uvicorn."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmkit.server.config import GatewayConfig

__all__ = ["add_serve_parser", "run_serve"]


def add_serve_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``llmkit serve`` on the CLI's subcommands."""
    serve = sub.add_parser(
        "serve",
        help="run the gateway: OpenAI, Anthropic and AI SDK clients call any model",
        description="Serve POST /v1/chat/completions, POST /v1/messages, POST /api/chat and "
        "GET /v1/models, calling models through llmkit (needs llmkit[server]). Listening "
        "beyond 127.0.0.1 requires a gateway key (llmkit gateway keys create).",
    )
    serve.add_argument("--host", help="address to listen on (default: the config's, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="TCP port (default: the config's, 8787)")
    serve.add_argument(
        "--config",
        help="gateway TOML file (default: ./llmkit-gateway.toml when it exists)",
    )


def _config(path: str | None) -> GatewayConfig:
    from llmkit.server.config import DEFAULT_CONFIG_FILE, GatewayConfig, load_config

    if path is not None:
        return load_config(path)
    if Path(DEFAULT_CONFIG_FILE).is_file():
        return load_config(DEFAULT_CONFIG_FILE)
    return GatewayConfig()


def run_serve(args: argparse.Namespace) -> int:
    """Check the listen address against the keys, then serve until interrupted.

    Raises:
        GatewayConfigError: the config or keys file is invalid.
        InsecureListenError: a non-loopback ``--host`` with no gateway key.
    """
    from llmkit.server.config import check_listen_address
    from llmkit.server.keys import KeysFile

    config = _config(args.config)
    host = args.host or config.host
    port = config.port if args.port is None else args.port
    keys = KeysFile(config.keys_path())
    check_listen_address(host, bool(keys.keys()))
    try:
        import uvicorn

        from llmkit.server.app import create_app
    except ImportError:
        print('llmkit: the gateway needs: pip install "llmkit[server]"', file=sys.stderr)
        return 1
    app = create_app(config, keys=keys)
    _raise_open_file_limit()
    count = len(keys.keys())
    access = f"{count} gateway key(s) from {keys.path}" if count else "no keys: open to local use"
    print(f"llmkit gateway on http://{host}:{port} ({access})", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="info")
    return 0


def _raise_open_file_limit() -> None:
    """Raise the soft open-file limit to the hard one: each streamed request holds two sockets
    (client and upstream), and a common default soft limit of 1,024 failed 866 of 1,000
    concurrent streams (``bench/bench_gateway.py``). No-op where the ``resource`` module or the
    permission is missing."""
    try:
        import resource
    except ImportError:  # Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        with contextlib.suppress(ValueError, OSError):  # not permitted: keep the soft limit
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
