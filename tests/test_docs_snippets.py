"""Every ```python block of README.md and docs/**/*.md runs offline, one test per block.

How a block runs:

- in its own process (forked from one warm runner process per test session, so each block starts
  with a fresh registry, fresh pools and no state from another block), with the repository root
  as the working directory;
- with the built-in providers (``openai``, ``anthropic``, ``google``, ``deepseek``...) pointed by
  ``LLMKIT_PROVIDERS_FILE`` at a loopback server started here, fake keys in the environment, no
  keychain, and a socket guard that fails the block if it tries to reach anything but 127.0.0.1;
- a block with top-level ``await`` runs the way a notebook runs it (compiled with
  ``ast.PyCF_ALLOW_TOP_LEVEL_AWAIT`` inside ``asyncio.run``); a block that defines ``test_*``
  functions runs under pytest in pytest-asyncio's default *strict* mode, as a reader's test file
  would; a ``>>>`` block runs as a doctest;
- after the page's ``GIVEN`` setup below, which defines the names a page leaves to the reader
  (a ``get_weather`` tool, the ``result`` of an earlier block...).

The loopback server answers from the request itself, for any of the four protocols: a request
with tools gets a call of each tool (or of the forced one) with arguments made from the tool's
JSON Schema, then, once tool results are sent, a text answer; a request with a JSON schema
response format gets an object made from the schema; anything else gets a short text answer.

A block that cannot run is marked right before its fence with a visible reason:
``<!-- snippet: excerpt: <reason> -->`` (part of a larger file) or
``<!-- snippet: not-run: <reason> -->`` (needs something only a person can provide, e.g. a
browser sign-in). Nothing is skipped silently, and :data:`MAX_MARKED` keeps the marks few.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
MAX_MARKED = 6
BLOCK_TIMEOUT = 30  # seconds per block

_FENCE = re.compile(r"^(?P<indent>[ \t]*)```python[ \t]*$")
_MARK = re.compile(r"^\s*<!--\s*snippet:\s*(?P<kind>[a-z-]+)\s*(?::\s*(?P<reason>.*?))?\s*-->\s*$")
_KINDS = ("excerpt", "not-run")


@dataclass(frozen=True)
class Block:
    page: str  # path relative to the repository root
    line: int  # line of the opening fence (1-based)
    source: str
    mark: str | None  # "excerpt" / "not-run", or None: the block runs
    reason: str

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def collect_blocks(pages: list[Path] = PAGES) -> list[Block]:
    """Every ```python block of ``pages`` (fences may be indented, e.g. in an admonition)."""
    blocks: list[Block] = []
    for path in pages:
        lines = path.read_text(encoding="utf-8").splitlines()
        i = 0
        while i < len(lines):
            match = _FENCE.match(lines[i])
            if not match:
                i += 1
                continue
            start, indent = i, match["indent"]
            body: list[str] = []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i])
                i += 1
            prev = next((ln for ln in reversed(lines[:start]) if ln.strip()), "")
            mark = _MARK.match(prev)
            blocks.append(
                Block(
                    page=path.relative_to(ROOT).as_posix(),
                    line=start + 1,
                    source="\n".join(body) + "\n",
                    mark=mark["kind"] if mark else None,
                    reason=(mark["reason"] or "") if mark else "",
                )
            )
            i += 1
    return blocks


BLOCKS = collect_blocks()

# What each page leaves to the reader, defined before each of its blocks runs (never shown in
# the docs). Keep these small: a name a reader would have, not a way around a broken snippet.
GIVEN: dict[str, str] = {
    "docs/multi-turn.md": """
        import os, tempfile
        os.chdir(tempfile.mkdtemp())
        open("photo.jpg", "wb").write(b"\\xff\\xd8\\xff\\xe0 a jpeg")
        open("report.pdf", "wb").write(b"%PDF-1.4 a report")
        png_bytes = b"\\x89PNG\\r\\n\\x1a\\n a png"
        long_instructions = "You are a careful assistant. " * 50
        big_document = "Section 1. ... Section 2. ... " * 100
        from llmkit import SystemMessage, TextPart, UserMessage, stream_text, tool

        @tool
        def get_weather(city: str) -> str:
            \"\"\"The current weather in a city.\"\"\"
            return f"12 °C and clear in {city}"
    """,
    "docs/agents.md": """
        from llmkit import tool

        @tool
        def get_weather(city: str) -> str:
            \"\"\"The current weather in a city.\"\"\"
            return f"12 °C and clear in {city}"
    """,
    "docs/streaming.md": """
        import sys
        import llmkit
        from llmkit import AssistantMessage, stream_text

        def get_weather(city: str) -> str:
            return f"18 °C and sunny in {city}"

        result = stream_text(model="openai:gpt-4.1-mini", prompt="Hi")
        thinking_text, tool_call_parts = "Let me check.", []
        class reasoning_end:  # a reasoning_end event received earlier
            signature = "bW9jaw=="
    """,
    "docs/quickstart.md": """
        from llmkit import stream_text
        result = stream_text(model="openai:gpt-4.1-mini", prompt="Hi")
    """,
    "docs/structured-output.md": """
        import logging
        from pydantic import BaseModel, Field
        from llmkit import NoObjectGeneratedError, stream_object

        log = logging.getLogger("app")
        email = "Hi, Grace Hopper here (grace@example.org), about compilers and COBOL."

        class Contact(BaseModel):
            name: str
            email: str
            company: str | None = Field(description="Organisation, if named")
            topics: list[str]

        stream = stream_object(model="openai:gpt-4.1-mini", schema=Contact, prompt=email)
    """,
    "docs/tools.md": """
        from llmkit import generate_text, stream_text, tool

        async def weather_api(city, unit):
            return {"city": city, "temperature": 4, "unit": unit}

        class rates:
            @staticmethod
            def convert(amount, source, target):
                return round(amount * 11.5, 2)

        @tool
        def search(query: str) -> str:
            \"\"\"Search the web.\"\"\"
            return f"3 results for {query}"

        class ui:
            @staticmethod
            async def ask(question):
                return "Next weekend."

        model = "anthropic:claude-sonnet-4-5"
        history = [{"role": "user", "content": "Book me a table in Oslo."}]
        CONTEXT_WINDOW = 200_000
        last_result = await generate_text(model=model, messages=history)
    """,
    "docs/providers.md": """
        import llmkit
        from llmkit import ProviderConfig, stream_text
        local_config = ProviderConfig(id="local", protocol="openai-chat",
                                      base_url="http://127.0.0.1:8000/v1", api_key_required=False)
    """,
    "docs/custom-protocols.md": """
        import sys
        sys.path.insert(0, "examples")
        from custom_protocol import OllamaChatProtocol
        from llmkit import ProviderConfig, ProviderRegistry, register_protocol, stream_text
    """,
    "docs/testing.md": """
        import os, tempfile
        import llmkit
        fixture = "tests/fixtures/sse/openai-openai-chat-gpt4o-text-include-usage.sse"
        stream = open(fixture, "rb").read()
        os.chdir(tempfile.mkdtemp())
        open("stream.sse", "wb").write(stream)
        from llmkit.testing import ReplayServer
        server = ReplayServer().start()
    """,
}


# --- the loopback model --------------------------------------------------------------------

_STRINGS = {
    "email": "grace@example.org",
    "name": "Grace Hopper",
    "company": "Naval Computing Lab",
    "city": "Paris",
    "question": "Which dates suit you?",
    "query": "Oslo restaurants",
    "source": "EUR",
    "target": "NOK",
    "title": "A short title",
}


def fake_value(schema: Any, name: str = "", defs: dict[str, Any] | None = None) -> Any:
    """A plausible value for a JSON Schema (tool arguments, a structured-output object)."""
    if not isinstance(schema, dict):
        return _STRINGS.get(name, "Paris")
    defs = {**(defs or {}), **schema.get("$defs", {}), **schema.get("definitions", {})}
    if "$ref" in schema:
        return fake_value(defs.get(schema["$ref"].rsplit("/", 1)[-1], {}), name, defs)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return fake_value(options[0], name, defs)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object":
        props = schema.get("properties", {})
        return {key: fake_value(sub, key, defs) for key, sub in props.items()}
    if kind == "array":
        return [fake_value(schema.get("items", {}), name.rstrip("s"), defs)]
    if kind == "number":
        return 120.0
    if kind == "integer":
        return 3
    if kind == "boolean":
        return True
    return _STRINGS.get(name, "compilers" if name == "topic" else "Paris")


TEXT_ANSWER = "Dublin is the capital of Ireland."


def _walk(value: Any) -> Any:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def read_request(body: dict[str, Any]) -> dict[str, Any]:
    """What the answer depends on, from a request body of any of the four protocols."""
    tools: list[tuple[str, Any]] = []
    for entry in body.get("tools") or []:
        fn = entry.get("function", entry)  # openai-chat nests it; the others do not
        if "name" in fn:
            tools.append((fn["name"], fn.get("parameters") or fn.get("input_schema") or {}))
        for decl in entry.get("functionDeclarations", []):  # google-generative
            tools.append((decl["name"], decl.get("parameters") or decl.get("parametersJsonSchema")))
    choice = body.get("tool_choice") or {}
    choice = choice if isinstance(choice, dict) else {}  # "auto" / "required" / "none"
    forced = choice.get("name") or (choice.get("function") or {}).get("name")
    allowed = (body.get("toolConfig") or {}).get("functionCallingConfig", {})
    forced = forced or (allowed.get("allowedFunctionNames") or [None])[0]
    answered = any(
        d.get("role") == "tool"
        or d.get("type") in ("tool_result", "function_call_output")
        or "functionResponse" in d
        for d in _walk(body.get("messages") or body.get("input") or body.get("contents") or [])
    )
    schema = None
    response_format = body.get("response_format") or (body.get("text") or {}).get("format")
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        schema = response_format.get("schema") or response_format["json_schema"].get("schema")
    config = body.get("generationConfig") or {}
    schema = schema or config.get("responseJsonSchema") or config.get("responseSchema")
    reasoning = any(k in body for k in ("thinking", "reasoning", "reasoning_effort"))
    return {
        "tools": tools,
        "forced": forced,
        "answered": answered,
        "schema": schema,
        "reasoning": reasoning or "thinkingConfig" in config,
    }


def answer(body: dict[str, Any]) -> Any:
    """The scripted turn for one request."""
    from llmkit.testing import MockTurn

    request = read_request(body)
    reasoning = "Thinking it over." if request["reasoning"] else ""
    if request["tools"] and not request["answered"]:
        calls = [
            (name, fake_value(schema))
            for name, schema in request["tools"]
            if request["forced"] in (None, name)
        ]
        return MockTurn(reasoning=reasoning, tool_calls=calls)
    if request["schema"] is not None:
        return MockTurn(reasoning=reasoning, text=json.dumps(fake_value(request["schema"])))
    return MockTurn(reasoning=reasoning, text=TEXT_ANSWER)


def _models_body() -> dict[str, Any]:
    model = {
        "id": "claude-sonnet-4-5",
        "object": "model",
        "type": "model",
        "display_name": "Claude Sonnet 4.5",
        "created": 1759104000,
        "created_at": "2025-09-29T00:00:00Z",
        "owned_by": "mock",
    }
    return {"object": "list", "data": [model], "has_more": False, "last_id": model["id"]}


def _respond(request: Any) -> Any:
    from llmkit.testing import ReplayResponse

    protocol_name, _, rest = request.path.lstrip("/").partition("/")
    rest = "/" + rest
    if request.method == "GET" and rest.split("?")[0].rstrip("/").endswith("/models"):
        return ReplayResponse.json(_models_body())
    from llmkit.protocols import get_protocol

    try:
        protocol = get_protocol(protocol_name)
        body = json.loads(request.body or b"{}")
        turn, stream = answer(body), protocol.fake_wants_stream(rest, body)
    except Exception as exc:  # a 400 is not retried: the snippet fails at once, saying why
        error = {"type": "invalid_request_error", "message": f"snippet server: {exc!r}"}
        return ReplayResponse.json({"error": error}, status=400)
    if stream:
        content_type = (
            "application/x-ndjson" if protocol.framing == "ndjson" else "text/event-stream"
        )
        return ReplayResponse(protocol.fake_stream(turn, "mock-model"), content_type=content_type)
    return ReplayResponse(protocol.fake_body(turn, "mock-model"), content_type="application/json")


def snippet_environment(url: str, tmp: Path) -> dict[str, str]:
    """The environment of a block: built-in providers on the loopback server, fake keys."""
    from llmkit.providers.builtin import BUILTIN_PROVIDERS

    tables: list[str] = []
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.lower().endswith("_proxy") and not k.endswith("_API_KEY")
    }
    for config in BUILTIN_PROVIDERS:
        if config.api_key_env:
            env[config.api_key_env] = "sk-test-" + config.id
        if config.base_url.startswith(("http://127.", "http://localhost")):
            continue  # loopback already (ollama, vllm...): left as documented
        tables.append(
            f'[providers.{json.dumps(config.id)}]\nprotocol = "{config.protocol}"\n'
            f'base_url = "{url}/{config.protocol}/v1"\napi_key_required = false\n'
        )
    providers_file = tmp / "providers.toml"
    providers_file.write_text("\n".join(tables), encoding="utf-8")
    env.update(
        LLMKIT_PROVIDERS_FILE=str(providers_file),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        PYTHONIOENCODING="utf-8",
        NO_PROXY="127.0.0.1,localhost",
        PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    )
    return env


# --- the runner (this file run as a script: forks one child per block) ----------------------


def _guard_network(violations: list[str]) -> None:
    """Fail the block if it resolves or connects to anything but loopback."""
    import socket

    allowed = {"127.0.0.1", "localhost", "::1", None}
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def check(host: Any) -> None:
        host = host.decode() if isinstance(host, bytes) else host
        if host not in allowed and not str(host).startswith("127."):
            violations.append(str(host))
            raise OSError(f"snippet test: no network beyond 127.0.0.1 (tried {host})")

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        check(host)
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple):
            check(address[0])
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple):
            check(address[0])
        return real_connect_ex(self, address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]


def _run_pytest(source: str) -> None:
    """Run a block that is a test module the way a reader runs it: pytest, strict asyncio mode
    (an ``async def test_`` without ``@pytest.mark.asyncio`` is skipped there: a failure here)."""
    import tempfile

    outcomes: list[str] = []

    class Outcomes:
        def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
            if report.when == "call" or report.outcome != "passed":
                outcomes.append(f"{report.nodeid} {report.when} {report.outcome}")

    folder = Path(tempfile.mkdtemp())
    ini = "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"
    (folder / "pytest.ini").write_text(ini, encoding="utf-8")
    (folder / "test_snippet.py").write_text(source, encoding="utf-8")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # only pytest-asyncio, loaded below
    args = [str(folder / "test_snippet.py"), "-q", "-p", "no:cacheprovider", "-p", "asyncio"]
    args += ["-c", str(folder / "pytest.ini"), "--rootdir", str(folder)]
    code = pytest.main(args, plugins=[Outcomes()])
    bad = [o for o in outcomes if not o.endswith("call passed")]
    if code != 0 or bad or not outcomes:
        raise AssertionError(f"pytest exited {code}: {bad or 'no test ran'}")


def _run_block(given: str, source: str) -> None:
    import ast
    import asyncio
    import doctest

    namespace: dict[str, Any] = {"__name__": "__main__"}
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    if source.lstrip().startswith(">>>"):
        test = doctest.DocTestParser().get_doctest(source, namespace, "snippet", None, 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        runner.run(test)
        if runner.failures:
            raise AssertionError(f"{runner.failures} doctest example(s) failed")
        return
    if re.search(r"^(async )?def test_", source, re.M):
        _run_pytest(source)
        return

    async def notebook() -> None:
        for text in (textwrap.dedent(given), source):
            code = compile(text, "<snippet>", "exec", flags=flags)
            result = eval(code, namespace)  # the docs' own code
            if asyncio.iscoroutine(result):
                await result

    needs_loop = any(
        compile(text, "<snippet>", "exec", flags=flags).co_flags & 0x80  # CO_COROUTINE
        for text in (textwrap.dedent(given), source)
    )
    if needs_loop:
        asyncio.run(notebook())
    else:
        for text in (textwrap.dedent(given), source):
            exec(compile(text, "<snippet>", "exec"), namespace)


def _warm_imports() -> None:
    """Import llmkit's modules (and so httpx, pydantic, tenacity...) once, before forking, so a
    block does not pay for them; nothing runs and no state is created."""
    import contextlib
    import importlib
    import pkgutil

    import keyring.backends.null  # noqa: F401

    import llmkit

    for module in pkgutil.walk_packages(llmkit.__path__, "llmkit."):
        if ".server" in module.name or module.name.endswith("__main__"):
            continue
        with contextlib.suppress(ImportError):  # an optional extra that is not installed
            importlib.import_module(module.name)


def runner_main(spec_path: str) -> None:
    """Run every block of the spec in a forked child; write ``{id: [exit code, output]}``."""
    import signal
    import tempfile
    import time
    import traceback

    _warm_imports()

    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    results: dict[str, list[Any]] = {}
    for item in spec["blocks"]:
        out = tempfile.TemporaryFile()  # noqa: SIM115 - closed below, in the parent
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:  # the child: one block, then exit
            os.dup2(out.fileno(), 1)
            os.dup2(out.fileno(), 2)
            signal.alarm(BLOCK_TIMEOUT)
            violations: list[str] = []
            _guard_network(violations)
            code = 0
            try:
                _run_block(item["given"], item["source"])
            except BaseException:
                traceback.print_exc()
                code = 1
            if violations:
                print(f"network access attempted: {violations}")
                code = 1
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        out.seek(0)
        output = out.read().decode("utf-8", "replace")
        out.close()
        seconds = round(time.monotonic() - started, 2)
        results[item["id"]] = [os.waitstatus_to_exitcode(status), output, seconds]
    Path(spec["out"]).write_text(json.dumps(results), encoding="utf-8")


# --- the tests -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def snippet_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Any]]:
    from llmkit.testing import ReplayServer

    tmp = tmp_path_factory.mktemp("snippets")
    runnable = [b for b in BLOCKS if b.mark is None]
    spec = {
        "out": str(tmp / "results.json"),
        "blocks": [
            {"id": b.id, "source": b.source, "given": GIVEN.get(b.page, "")} for b in runnable
        ],
    }
    (tmp / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    with ReplayServer(handler=_respond) as server:
        proc = subprocess.run(
            [sys.executable, __file__, str(tmp / "spec.json")],
            cwd=ROOT,
            env=snippet_environment(server.url, tmp),
            capture_output=True,
            timeout=BLOCK_TIMEOUT * len(runnable) + 30,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    return json.loads((tmp / "results.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the runner forks one child per block")
@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_snippet_runs(block: Block, snippet_results: dict[str, list[Any]]) -> None:
    if block.mark is not None:
        assert block.mark in _KINDS, f"{block.id}: unknown snippet mark {block.mark!r}"
        assert block.reason, f"{block.id}: a '{block.mark}' mark needs a reason"
        return
    code, output, _seconds = snippet_results[block.id]
    assert code == 0, f"{block.id} failed (exit {code}):\n{block.source}\n--- output ---\n{output}"


def test_marked_blocks_are_few() -> None:
    marked = [f"{b.id} ({b.mark}: {b.reason})" for b in BLOCKS if b.mark]
    assert len(marked) <= MAX_MARKED, "\n".join(marked)
    assert len(BLOCKS) - len(marked) >= 30, "the docs' snippets went missing?"


def test_marks_sit_right_before_a_python_block() -> None:
    """A mark that does not precede a python fence would silently mark nothing."""
    for path in PAGES:
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if _MARK.match(line):
                following = next((ln for ln in lines[i + 1 :] if ln.strip()), "")
                where = f"{path.relative_to(ROOT)}:{i + 1}"
                assert _FENCE.match(following), f"{where}: mark not followed by a python block"


NOTEBOOK_PAGES = {"docs/notebooks.md"}  # pages whose every snippet is notebook code


def test_scripts_do_not_use_top_level_await() -> None:
    """A block that reads as a script (it starts with imports) must run as one: top-level
    ``await`` there only works in a notebook, so such a block says so in its first line."""
    for block in BLOCKS:
        if block.mark or block.source.lstrip().startswith(">>>"):
            continue
        first = block.source.lstrip().splitlines()[0]
        if block.page in NOTEBOOK_PAGES or (first.startswith("#") and "notebook" in first.lower()):
            continue
        code = [ln for ln in block.source.splitlines() if ln.strip() and not ln.startswith("#")]
        if not code[0].startswith(("import ", "from ")):
            continue
        try:
            compile(block.source, block.id, "exec")
        except SyntaxError:
            raise AssertionError(
                f"{block.id} reads as a script but uses top-level await: wrap it in "
                "asyncio.run(main()) or start it with a comment saying it is for a notebook"
            ) from None


if __name__ == "__main__":
    runner_main(sys.argv[1])
