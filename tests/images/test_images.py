"""Image generation: the 5 recorded image bodies through the sans-IO protocol and end to end over
loopback (async and sync), URL images fetched only on request, warnings, errors, Gemini image
output, the image protocol registry."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from llmkit import ProviderConfig, ProviderRegistry
from llmkit.errors import (
    BadRequestError,
    ConfigurationError,
    InvalidArgumentError,
    InvalidResponseError,
)
from llmkit.images import (
    GeneratedImage,
    GenerateImageResult,
    ImageOptions,
    ImageProtocol,
    ParsedImage,
    ParsedImages,
    default_image_model,
    generate_image,
    generate_image_sync,
    get_image_protocol,
    image_protocol_for,
    register_image_protocol,
)
from llmkit.images.gemini_images import GeminiImagesProtocol, aspect_ratio
from llmkit.images.openai_images import OpenAIImagesProtocol
from llmkit.images.registry import BY_CHAT_PROTOCOL, DEFAULT_IMAGE_MODELS
from llmkit.protocols.base import BuiltRequest
from llmkit.providers.builtin import BUILTIN_PROVIDERS
from llmkit.testing import ReplayResponse, ReplayServer

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "tests" / "fixtures" / "json" / "images"
FIXTURES = ROOT / "tests" / "fixtures"
ENTRIES: list[dict[str, Any]] = json.loads((FOLDER / "MANIFEST.json").read_text())["files"]
OK = [e for e in ENTRIES if e["http_status"] == 200]
ERRORS = [e for e in ENTRIES if e["http_status"] != 200]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24 + b"a tiny png"
OPENAI = ProviderConfig(id="openai", protocol="openai-chat", base_url="https://example.invalid/v1")


def _body(entry: dict[str, Any]) -> bytes:
    return (FIXTURES / str(entry["file"])).read_bytes()


def _ids(entries: list[dict[str, Any]]) -> list[str]:
    return [Path(e["file"]).stem for e in entries]


def _check(result: ParsedImages | GenerateImageResult, entry: dict[str, Any]) -> None:
    """The manifest's expected values (count, form, usage) and what the body itself says
    (decoded bytes, media type, revised prompt), read independently of llmkit."""
    expected = entry["expected"]
    raw = json.loads(_body(entry))
    assert len(result.images) == expected["count"] == len(raw["data"])
    assert any(i.data is not None for i in result.images) is expected["has_b64"]
    assert any(i.url is not None for i in result.images) is expected["has_url"]
    assert result.usage.raw == expected["usage"]
    images: list[ParsedImage | GeneratedImage] = list(result.images)
    for image, item in zip(images, raw["data"], strict=True):
        assert image.revised_prompt == item.get("revised_prompt")
        if "b64_json" in item:
            assert image.data == base64.b64decode(item["b64_json"])
            assert image.data is not None and image.data.startswith(b"\x89PNG\r\n\x1a\n")
            assert image.media_type == "image/png"
        else:
            assert image.data is None and image.url == item["url"]
    if expected["usage"] and "input_tokens" in expected["usage"]:
        assert result.usage.input_tokens == expected["usage"]["input_tokens"]
        assert result.usage.output_tokens == expected["usage"]["output_tokens"]
        assert result.usage.total_tokens == expected["usage"]["total_tokens"]


# ---------------------------------------------------------------------------- recordings
def test_the_recordings_are_unchanged_and_listed() -> None:
    assert len(ENTRIES) == 5
    assert sorted(p.name for p in FOLDER.glob("*.json") if p.name != "MANIFEST.json") == sorted(
        Path(e["file"]).name for e in ENTRIES
    )
    notice = (FOLDER / "NOTICE").read_text()
    for entry in ENTRIES:
        data = _body(entry)
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["file"]
        assert len(data) == entry["bytes"]
        assert Path(entry["file"]).name in notice


@pytest.mark.parametrize("entry", OK, ids=_ids(OK))
def test_recording_through_the_protocol(entry: dict[str, Any]) -> None:
    parsed = OpenAIImagesProtocol().parse_response(_body(entry), OPENAI, entry["model"])
    _check(parsed, entry)


def test_media_types_from_the_recordings() -> None:
    by_name = {Path(e["file"]).stem: e for e in OK}
    protocol = OpenAIImagesProtocol()

    def parse(name: str) -> ParsedImage:
        entry = by_name[name]
        return protocol.parse_response(_body(entry), OPENAI, entry["model"]).images[0]

    assert parse("xai-openai-images-grok-imagine-url").media_type == "image/jpeg"  # mime_type
    assert parse("openai-openai-images-dalle2-url-sea-otter").media_type == "image/png"  # .png
    b64 = parse("openai-openai-images-gpt-image-15-edit-b64-usage")
    assert b64.data is not None and len(b64.data) > 600_000


def _registry(server: ReplayServer, **fields: object) -> ProviderRegistry:
    return ProviderRegistry([server.provider("replay", "openai-chat", **fields)])


@pytest.mark.parametrize("entry", OK, ids=_ids(OK))
async def test_recording_end_to_end(entry: dict[str, Any]) -> None:
    with ReplayServer.from_file(FIXTURES / entry["file"], chunking=4096) as server:
        result = await generate_image(
            model=f"replay:{entry['model']}",
            prompt="a baby sea otter cooking pasta",
            registry=_registry(server),
        )
    _check(result, entry)
    assert [r.path for r in server.requests] == ["/v1/images/generations"]
    sent = server.requests[0].json()
    assert sent == {"model": entry["model"], "prompt": "a baby sea otter cooking pasta"}
    assert result.response.model == f"replay:{entry['model']}"
    assert result.response.attempts == 1
    assert result.response.created == json.loads(_body(entry)).get("created")
    assert result.warnings == ()


@pytest.mark.parametrize("entry", OK, ids=_ids(OK))
def test_recording_end_to_end_sync(entry: dict[str, Any]) -> None:
    with ReplayServer.from_file(FIXTURES / entry["file"]) as server:
        result = generate_image_sync(
            model=f"replay:{entry['model']}", prompt="a lion", registry=_registry(server)
        )
    _check(result, entry)


@pytest.mark.parametrize("entry", ERRORS, ids=_ids(ERRORS))
@pytest.mark.parametrize("sync", [False, True])
async def test_error_body(entry: dict[str, Any], sync: bool) -> None:
    expected = entry["expected"]["error"]
    response = ReplayResponse.from_file(FIXTURES / entry["file"], status=entry["http_status"])
    with ReplayServer([response]) as server:
        kwargs: dict[str, Any] = {
            "model": f"replay:{entry['model']}",
            "prompt": "edit this",
            "registry": _registry(server),
            "retry": 0,
        }
        with pytest.raises(BadRequestError) as info:
            if sync:
                generate_image_sync(**kwargs)
            else:
                await generate_image(**kwargs)
    error = info.value
    assert error.status_code == 400
    assert error.error_type == expected["type"]
    assert error.error_code == expected["code"]
    assert expected["message"] in str(error)
    assert error.provider_id == "replay" and error.model_id == entry["model"]
    assert len(server.requests) == 1  # a 400 is not retried


async def test_a_retryable_error_is_retried_then_answered() -> None:
    ok = next(e for e in OK if "dalle2" in e["file"])
    script = [
        ReplayResponse.json({"error": {"message": "busy", "type": "server_error"}}, status=503),
        ReplayResponse.from_file(FIXTURES / ok["file"]),
    ]
    with ReplayServer(script) as server:
        from llmkit import RetryPolicy

        result = await generate_image(
            model="replay:dall-e-2",
            prompt="otter",
            registry=_registry(server),
            retry=RetryPolicy(max_retries=1, initial_delay=0.0, max_delay=0.0),
        )
    assert len(result.images) == 1 and result.response.attempts == 2


# ---------------------------------------------------------------------------- URL images
def _url_body(url: str, revised: str | None = "a revised prompt") -> bytes:
    """The dall-e-3 recording with its (expired) URL replaced by a loopback one; the recording
    file itself is not touched."""
    entry = next(e for e in OK if "dalle3" in e["file"])
    obj = json.loads(_body(entry))
    obj["data"][0]["url"] = url
    if revised is not None:
        obj["data"][0]["revised_prompt"] = revised
    return json.dumps(obj).encode()


async def test_url_images_are_fetched_only_on_request() -> None:
    with ReplayServer([ReplayResponse(PNG, content_type="image/png")]) as storage:
        url = f"{storage.url}/img/abc?sig=1"
        api = ReplayServer([ReplayResponse(_url_body(url), content_type="application/json")])
        with api:
            result = await generate_image(
                model="replay:dall-e-3", prompt="a lion", registry=_registry(api)
            )
            image = result.image
            assert image.data is None and image.url == url and image.media_type is None
            assert storage.requests == []  # nothing fetched yet
            assert await image.fetch() == PNG
            assert image.data == PNG and image.media_type == "image/png"  # from Content-Type
            assert await image.fetch() == PNG
    assert [r.path for r in storage.requests] == ["/img/abc?sig=1"]
    assert "authorization" not in storage.requests[0].headers  # no credential to storage


async def test_download_fetches_every_url_image() -> None:
    storage = ReplayServer([ReplayResponse(PNG, content_type="image/png")]).start()
    api = ReplayServer([ReplayResponse(_url_body(f"{storage.url}/x.png"))])
    with storage, api:
        result = await generate_image(
            model="replay:dall-e-3",
            prompt="a lion",
            registry=_registry(api),
            download=True,
            api_key="sk-test-secret",
        )
    assert result.image.data == PNG
    assert len(storage.requests) == 1
    assert api.requests[0].headers["authorization"] == "Bearer sk-test-secret"
    assert "authorization" not in storage.requests[0].headers


def test_fetch_sync_and_an_expired_link() -> None:
    from llmkit.errors import APIStatusError

    gone = ReplayResponse(b"<Error>AuthenticationFailed</Error>", status=403, content_type="a/b")
    storage = ReplayServer([gone]).start()
    api = ReplayServer([ReplayResponse(_url_body(f"{storage.url}/x.png"))])
    with storage, api:
        result = generate_image_sync(
            model="replay:dall-e-3", prompt="a lion", registry=_registry(api)
        )
        with pytest.raises(APIStatusError) as info:
            result.image.fetch_sync()
    assert info.value.status_code == 403 and "expired" in str(info.value)
    assert result.image.data is None


# ---------------------------------------------------------------------------- settings
def _build(model: str, **options: Any) -> BuiltRequest:
    return OpenAIImagesProtocol().build_request(ImageOptions(**options), OPENAI, model)


def test_settings_each_family_takes_and_warnings_for_the_rest() -> None:
    req = _build(
        "gpt-image-1",
        prompt="p",
        n=2,
        size="1536x1024",
        quality="high",
        background="transparent",
        output_format="webp",
        response_format="url",
        seed=7,
        user="u1",
    )
    assert req.url == "https://example.invalid/v1/images/generations"
    assert req.body == {
        "model": "gpt-image-1",
        "prompt": "p",
        "n": 2,
        "size": "1536x1024",
        "quality": "high",
        "background": "transparent",
        "output_format": "webp",
        "user": "u1",
    }
    assert [(w.type, w.setting) for w in req.warnings] == [
        ("unsupported_setting", "response_format"),
        ("unsupported_setting", "seed"),
    ]
    assert "base64" in req.warnings[0].message

    req = _build("dall-e-3", prompt="p", quality="hd", background="opaque", response_format="url")
    assert req.body == {
        "model": "dall-e-3",
        "prompt": "p",
        "quality": "hd",
        "response_format": "url",
    }
    assert [w.setting for w in req.warnings] == ["background"]

    req = _build("dall-e-2", prompt="p", quality="hd", output_format="png")
    assert [w.setting for w in req.warnings] == ["quality", "output_format"]

    # a model llmkit does not know (a compatible vendor): everything given is sent
    req = _build("grok-imagine-image", prompt="p", seed=3, response_format="b64_json")
    assert req.body == {
        "model": "grok-imagine-image",
        "prompt": "p",
        "seed": 3,
        "response_format": "b64_json",
    }
    assert req.warnings == ()
    req = _build("dall-e-3", prompt="p", provider_options={"style": "natural"})
    assert req.body["style"] == "natural"


async def test_warnings_reach_the_result_and_n_is_split_per_model() -> None:
    ok = next(e for e in OK if "dalle3" in e["file"])
    with ReplayServer.from_file(FIXTURES / ok["file"]) as server:
        result = await generate_image(
            model="replay:dall-e-3",
            prompt="a lion",
            n=3,
            seed=1,
            registry=_registry(server),
        )
    assert len(server.requests) == 3  # dall-e-3 takes n=1 per request
    assert all("n" not in r.json() and "seed" not in r.json() for r in server.requests)  # type: ignore[operator]
    assert len(result.images) == 3 and len(result.response.bodies) == 3
    assert [w.setting for w in result.warnings] == ["seed"]
    assert result.response.attempts == 3


async def test_invalid_arguments() -> None:
    with pytest.raises(InvalidArgumentError) as info:
        await generate_image(model="openai:gpt-image-1", prompt=" ", n=0)
    assert len(info.value.problems) == 2


async def test_a_provider_without_images_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="no image generation protocol"):
        await generate_image(model="anthropic:claude-sonnet-4-5", prompt="p")


def test_invalid_bodies() -> None:
    protocol = OpenAIImagesProtocol()
    for body in (
        b"not json",
        b"[]",
        b'{"data": 1}',
        b'{"data": [{}]}',
        b'{"data": [{"b64_json": "@@"}]}',
    ):
        with pytest.raises(InvalidResponseError):
            protocol.parse_response(body, OPENAI, "gpt-image-1")


# ---------------------------------------------------------------------------- Gemini
def _gemini_body(text: str | None = "Here is your otter.") -> bytes:
    """A generateContent answer in the documented shape (Gemini API "Image generation"); no
    recording of Gemini image output exists in the shared fixtures, so this one is synthetic."""
    parts: list[dict[str, object]] = []
    if text is not None:
        parts.append({"text": text})
    parts.append({"inlineData": {"mimeType": "image/png", "data": base64.b64encode(PNG).decode()}})
    return json.dumps(
        {
            "candidates": [{"content": {"parts": parts, "role": "model"}, "finishReason": "STOP"}],
            "usageMetadata": {
                "promptTokenCount": 7,
                "candidatesTokenCount": 1290,
                "totalTokenCount": 1297,
            },
            "modelVersion": "gemini-2.5-flash-image",
        },
        indent=2,
    ).encode()


def test_gemini_request_and_response() -> None:
    google = ProviderConfig(
        id="google", protocol="google-generative", base_url="https://example.invalid/v1beta"
    )
    protocol = image_protocol_for(google)
    assert isinstance(protocol, GeminiImagesProtocol)
    req = protocol.build_request(
        ImageOptions(prompt="an otter", size="1792x1024", seed=5, quality="hd"),
        google,
        "gemini-2.5-flash-image",
    )
    assert req.url.endswith("/models/gemini-2.5-flash-image:generateContent")
    assert req.body == {
        "contents": [{"role": "user", "parts": [{"text": "an otter"}]}],
        "generationConfig": {
            "responseModalities": ["TEXT", "IMAGE"],
            "seed": 5,
        },
    }
    assert [(w.type, w.setting) for w in req.warnings] == [
        ("unsupported_setting", "size"),  # 7:4 is not a Gemini aspect ratio
        ("unsupported_setting", "quality"),
    ]
    assert "imageConfig" not in req.body["generationConfig"]  # type: ignore[operator]
    req = protocol.build_request(ImageOptions(prompt="p", size="1024x1024"), google, "m")
    assert req.body["generationConfig"]["imageConfig"] == {"aspectRatio": "1:1"}  # type: ignore[index]
    assert req.warnings[0].type == "changed_setting"
    req = protocol.build_request(ImageOptions(prompt="p", size="2K"), google, "m")
    assert req.body["generationConfig"]["imageConfig"] == {"imageSize": "2K"}  # type: ignore[index]

    parsed = protocol.parse_response(_gemini_body(), google, "gemini-2.5-flash-image")
    assert [(i.data, i.media_type, i.url, i.revised_prompt) for i in parsed.images] == [
        (PNG, "image/png", None, "Here is your otter.")
    ]
    assert parsed.usage.input_tokens == 7 and parsed.usage.total_tokens == 1297
    blocked = b'{"promptFeedback": {"blockReason": "SAFETY"}}'
    parsed = protocol.parse_response(blocked, google, "m")
    assert parsed.images == () and "SAFETY" in parsed.warnings[0].message
    assert aspect_ratio("16:9") == "16:9" and aspect_ratio("auto") is None


async def test_gemini_end_to_end_default_model_and_n() -> None:
    response = ReplayResponse(_gemini_body(), content_type="application/json")
    with ReplayServer([response]) as server:
        registry = ProviderRegistry(
            [server.provider("gem", "google-generative", default_models={"image": "img-model"})]
        )
        result = await generate_image(model="gem", prompt="an otter", n=2, registry=registry)
        sync_result = generate_image_sync(model="gem:", prompt="an otter", registry=registry)
    assert [r.path for r in server.requests] == ["/v1/models/img-model:generateContent"] * 3
    assert [i.data for i in result.images] == [PNG, PNG]
    assert result.usage.total_tokens == 2 * 1297
    assert result.response.model == "gem:img-model"
    assert result.response.model_id == "gemini-2.5-flash-image"
    assert sync_result.image.revised_prompt == "Here is your otter."


# ---------------------------------------------------------------------------- registry
def test_protocol_and_default_model_are_data() -> None:
    assert get_image_protocol("openai-images") is get_image_protocol("openai-images")
    with pytest.raises(ConfigurationError, match="known image protocols"):
        get_image_protocol("nope")
    builtin = {p.id: p for p in BUILTIN_PROVIDERS}
    for provider_id, model in DEFAULT_IMAGE_MODELS.items():
        assert provider_id in builtin
        assert default_image_model(builtin[provider_id]) == model
        assert builtin[provider_id].protocol in BY_CHAT_PROTOCOL
    assert default_image_model(builtin["anthropic"]) is None
    custom = OPENAI.model_copy(update={"default_models": {"image": "mine"}})
    assert default_image_model(custom) == "mine"


async def test_a_registered_protocol_is_used_by_kind_protocols() -> None:
    class EchoImages(ImageProtocol):
        name = "echo-images"

        def build_request(
            self, options: ImageOptions, provider: ProviderConfig, model_id: str
        ) -> BuiltRequest:
            return BuiltRequest(
                url=f"{provider.base_url}/draw",
                headers={"content-type": "application/json"},
                body={"what": options.prompt},
                stream=False,
            )

        def parse_response(
            self, body: bytes, provider: ProviderConfig, model_id: str
        ) -> ParsedImages:
            return ParsedImages((ParsedImage(body, "image/png"),))

    register_image_protocol(EchoImages)
    with pytest.raises(ConfigurationError):
        register_image_protocol(object())  # type: ignore[arg-type]
    with ReplayServer([ReplayResponse(PNG, content_type="image/png")]) as server:
        registry = ProviderRegistry(
            [server.provider("echo", "openai-chat", kind_protocols={"image": "echo-images"})]
        )
        result = await generate_image(model="echo:any", prompt="x", registry=registry)
    assert result.image.data == PNG
    assert server.requests[0].path == "/v1/draw"


def test_import_llmkit_does_not_import_images() -> None:
    code = "import sys, llmkit; print(any(m.startswith('llmkit.images') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "False", out.stderr


async def test_a_fallback_model_answers_with_its_own_request() -> None:
    ok = next(e for e in OK if "dalle2" in e["file"])
    script = [
        ReplayResponse.json({"error": {"message": "busy", "type": "server_error"}}, status=503),
        ReplayResponse.from_file(FIXTURES / ok["file"]),
    ]
    with ReplayServer(script) as server:
        result = await generate_image(
            model="replay:gpt-image-1",
            prompt="otter",
            background="opaque",
            registry=_registry(server),
            retry=0,
            fallback_models=["replay:dall-e-2"],
        )
    assert [r.json()["model"] for r in server.requests] == ["gpt-image-1", "dall-e-2"]  # type: ignore[index]
    assert result.response.model == "replay:dall-e-2" and result.response.attempts == 2
    # the warnings are those of the request that answered
    assert [w.setting for w in result.warnings] == ["background"]


async def test_one_failed_request_of_a_split_n_fails_the_call() -> None:
    ok = next(e for e in OK if "dalle3" in e["file"])
    bad = next(e for e in ERRORS)
    script = [
        ReplayResponse.from_file(FIXTURES / ok["file"]),
        ReplayResponse.from_file(FIXTURES / bad["file"], status=400),
    ]
    with ReplayServer(script) as server, pytest.raises(BadRequestError):
        await generate_image(
            model="replay:dall-e-3", prompt="a lion", n=2, registry=_registry(server)
        )
    assert len(server.requests) == 2
