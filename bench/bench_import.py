"""Import-time benchmark: ``import llmkit`` against ``import openai`` and ``import anthropic``.

    .venv/bin/python bench/bench_import.py             # 9 runs of each statement
    .venv/bin/python bench/bench_import.py --runs 30

Each statement runs as ``python -c "<statement>"`` in a fresh interpreter (cwd = the repository,
so the checkout's llmkit is imported), round-robin so that drift hits all statements alike. The
median wall time of ``python -c "pass"`` (a bare interpreter) is subtracted from each median.
Also measured: ``from llmkit import stream_text``, ``import httpx`` (llmkit's transport, for
reference), and a whole first call of llmkit and of the openai SDK to a closed loopback port
(everything a real call loads: transport, protocol, credential lookup; no network). Prints a
Markdown table and writes it to ``bench/results/import.md``. Measures only; never fails on a number.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# A first call that fails fast: it loads everything a real call loads (transport, protocol,
# credential lookup), then gets "connection refused" from a closed loopback port. Retries are
# off on both sides (a refused connection is retryable, and the backoff would be timed).
CLOSED = "http://127.0.0.1:9"
LLMKIT_FIRST_CALL = f"""
import asyncio
from llmkit import APIConnectionError, ProviderConfig, ProviderRegistry, stream_text
registry = ProviderRegistry([ProviderConfig(
    id="x", protocol="openai-chat", base_url="{CLOSED}/v1", api_key_required=False)])
async def main():
    try:
        await stream_text(model="x:m", prompt="hi", registry=registry, retry=0).text
    except APIConnectionError:
        return
    raise SystemExit("expected a connection error")
asyncio.run(main())
"""
OPENAI_FIRST_CALL = f"""
import asyncio, openai
async def main():
    client = openai.AsyncOpenAI(base_url="{CLOSED}/v1", api_key="x", max_retries=0)
    try:
        stream = await client.chat.completions.create(
            model="m", messages=[{{"role": "user", "content": "hi"}}], stream=True)
        async for _ in stream:
            pass
    except openai.APIConnectionError:
        return
    raise SystemExit("expected a connection error")
asyncio.run(main())
"""

STATEMENTS = {
    "bare interpreter": "pass",
    "import llmkit": "import llmkit",
    "from llmkit import stream_text": "from llmkit import stream_text",
    "import httpx": "import httpx",
    "import openai": "import openai",
    "import anthropic": "import anthropic",
    "llmkit first call": LLMKIT_FIRST_CALL,
    "openai first call": OPENAI_FIRST_CALL,
}
LABELS = {
    "llmkit first call": "llmkit: import + first `stream_text` call (refused connection)",
    "openai first call": "openai: import + first `create(stream=True)` (refused connection)",
}


def time_once(statement: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(ROOT)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", statement], check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--output", default=str(HERE / "results" / "import.md"))
    args = parser.parse_args()

    for statement in STATEMENTS.values():  # warm the OS file cache and .pyc files
        time_once(statement)
    times: dict[str, list[float]] = {name: [] for name in STATEMENTS}
    for _ in range(args.runs):
        for name, statement in STATEMENTS.items():
            times[name].append(time_once(statement))
    median = {name: statistics.median(t) * 1000 for name, t in times.items()}
    bare = median["bare interpreter"]
    net = {name: m - bare for name, m in median.items()}

    lines = [
        "### Import time",
        "",
        f'Median wall time of `python -c "..."` in a fresh process over {args.runs} runs, '
        f'minus the bare interpreter (`python -c "pass"`, {bare:.1f} ms).',
        "",
        "| statement | median ms (whole process) | ms minus bare interpreter |",
        "|---|---:|---:|",
    ]
    for name in STATEMENTS:
        if name == "bare interpreter":
            lines.append(f"| `pass` (bare interpreter) | {median[name]:.1f} | 0 |")
        else:
            label = LABELS.get(name, f"`{STATEMENTS[name]}`")
            lines.append(f"| {label} | {median[name]:.1f} | {net[name]:.1f} |")
    llmkit = max(net["import llmkit"], 0.1)
    ratio = net["import openai"] / llmkit
    call = max(net["from llmkit import stream_text"], 0.1)
    lines += [
        "",
        f"- `import llmkit`: {net['import llmkit']:.1f} ms (target < 250 ms): "
        + ("met" if net["import llmkit"] < 250 else "**missed**"),
        f"- `import openai` / `import llmkit`: {ratio:.1f}× (target ≥ 5×): "
        + ("met" if ratio >= 5 else "**missed**"),
        f"- `import openai` / `from llmkit import stream_text`: "
        f"{net['import openai'] / call:.1f}×; `import anthropic` / "
        f"`from llmkit import stream_text`: {net['import anthropic'] / call:.1f}×",
        f"- first call, openai / llmkit: "
        f"{net['openai first call'] / max(net['llmkit first call'], 0.1):.1f}×",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    command = "python bench/bench_import.py " + " ".join(sys.argv[1:])
    out.write_text(
        f"# llmkit import benchmark: latest run\n\nCommand: `{command.strip()}`\n\n{text}",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
