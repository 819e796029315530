"""``generate_image``: one call over every image-generation API.

The call resolves ``"provider:model"`` (a provider alone means its default image model, see
:func:`llmkit.images.registry.default_image_model`), picks the provider's image protocol
(:func:`llmkit.images.registry.image_protocol_for`), and sends each request through
:func:`llmkit._driver.send_request`: credentials, the concurrency gate, rate limits, retries,
fallback models and time limits are those of every llmkit call. A larger ``n`` than the model
takes per request is split into several requests sent concurrently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from llmkit.errors import APIError, APIStatusError, ConfigurationError, InvalidArgumentError
from llmkit.images.base import ImageOptions, ParsedImages
from llmkit.types.usage import Usage
from llmkit.types.warnings import CallWarning

if TYPE_CHECKING:
    import httpx

    from llmkit._driver import Connection, Target
    from llmkit.auth.secret import Secret
    from llmkit.protocols.base import BuiltRequest
    from llmkit.providers.inline import ModelLike
    from llmkit.providers.registry import ProviderRegistry
    from llmkit.reliability.deadline import Timeouts
    from llmkit.reliability.ratelimit import RateLimit
    from llmkit.reliability.retry import RetryPolicy

__all__ = [
    "GenerateImageResult",
    "GeneratedImage",
    "ImageResponse",
    "generate_image",
    "generate_image_sync",
]

_T = TypeVar("_T")


@dataclass(slots=True)
class GeneratedImage:
    """One generated image: its bytes, or a URL to fetch them from on request.

    Attributes:
        data: the image bytes (base64 answers are decoded), or None for an image the provider
            answered as a URL and that was not fetched yet (:meth:`fetch`).
        media_type: ``image/png``, ``image/jpeg``, ``image/webp``... when known (from the
            response, the bytes, or the URL's suffix; after :meth:`fetch`, the download's
            ``Content-Type`` if it was unknown), else None.
        url: where the provider stored the image (often expiring within hours), or None.
        revised_prompt: the prompt the model used (dall-e-3), or the text a Gemini model sent
            with the image; None when there is none.
    """

    data: bytes | None
    media_type: str | None
    url: str | None = None
    revised_prompt: str | None = None
    _client: httpx.AsyncClient | None = field(default=None, repr=False, compare=False)
    _timeouts: Timeouts | None = field(default=None, repr=False, compare=False)

    async def fetch(self) -> bytes:
        """The image bytes: :attr:`data` when present, else downloaded from :attr:`url` once
        (``GET``, no credential sent, through llmkit's transport and the call's HTTP client;
        ``timeouts.first_event`` bounds the whole download) and kept in :attr:`data`.

        Raises:
            APIStatusError: the URL answered a non-2xx status (an expired link: 403/404).
            APIConnectionError, APITimeoutError: the download failed or took too long.
            ConfigurationError: an unsafe URL (see :func:`llmkit.transport.http.check_url`).
        """
        if self.data is not None:
            return self.data
        if self.url is None:  # pragma: no cover - a GeneratedImage always has one of the two
            raise ConfigurationError("this image has neither bytes nor a URL")
        data, media_type = await _download(self.url, self._client, self._timeouts)
        self.data = data
        if self.media_type is None:
            self.media_type = media_type
        return data

    def fetch_sync(self) -> bytes:
        """:meth:`fetch` for synchronous code (runs on llmkit's private loop).

        Raises:
            APIError: the errors of :meth:`fetch`.
            RuntimeError: called on llmkit's own sync loop thread.
        """
        from llmkit._sync import run_sync

        if self.data is not None:
            return self.data
        self._client = None  # a caller's client belongs to its own loop
        return run_sync(self.fetch())


@dataclass(frozen=True, slots=True)
class ImageResponse:
    """What the provider answered.

    Attributes:
        model: ``"provider:model"`` that answered (a fallback's when one did).
        model_id: the model id the provider reports, if any.
        created: the response's creation time (Unix seconds), if sent.
        attempts: requests sent, over every batch (retries and fallbacks included).
        bodies: each response body as parsed JSON (one per request sent for the images).
    """

    model: str
    model_id: str | None
    created: int | None
    attempts: int
    bodies: tuple[Mapping[str, object], ...]


@dataclass(frozen=True, slots=True)
class GenerateImageResult:
    """The result of :func:`generate_image`.

    Attributes:
        images: the images, in response order (requests in order when ``n`` was split).
        usage: token usage summed over the requests (a single request keeps the provider's
            ``raw`` object); every count None when the API reports none (dall-e).
        warnings: settings the model could not honour (not sent), and responses without an
            image (a blocked prompt).
        response: the provider's answer (:class:`ImageResponse`).
    """

    images: tuple[GeneratedImage, ...]
    usage: Usage
    warnings: tuple[CallWarning, ...]
    response: ImageResponse

    @property
    def image(self) -> GeneratedImage:
        """The first image.

        Raises:
            IndexError: the provider returned no image (see :attr:`warnings`).
        """
        if not self.images:
            raise IndexError("no image was generated; see result.warnings")
        return self.images[0]


def _fetch_error(status: int, headers: Mapping[str, str], body: bytes) -> APIStatusError:
    from llmkit.errors import status_error_class

    text = body[:300].decode("utf-8", "replace")
    return status_error_class(status)(
        f"downloading the image failed with HTTP {status} (the link may have expired): {text}",
        status_code=status,
        body=text,
    )


async def _download(
    url: str, client: httpx.AsyncClient | None, timeouts: Timeouts | None
) -> tuple[bytes, str | None]:
    import httpx

    from llmkit.protocols.base import BuiltRequest
    from llmkit.reliability.deadline import DEFAULT_TIMEOUTS
    from llmkit.transport.http import map_httpx_error, open_response

    limits = timeouts or DEFAULT_TIMEOUTS
    request = BuiltRequest(
        url=url, headers={"accept": "image/*"}, body={}, stream=False, method="GET"
    )

    async def get() -> tuple[bytes, str | None]:
        async with open_response(
            request,
            {},
            _fetch_error,
            client=client,
            timeout=limits,
            follow_redirects=True,
        ) as response:
            try:
                data = await response.aread()
            except httpx.HTTPError as exc:
                raise map_httpx_error(exc) from exc
            ctype = response.headers.get("content-type")
            media = ctype.split(";")[0].strip().lower() if ctype else None
            return data, media if media and media.startswith("image/") else None

    if limits.first_event is None:
        return await get()
    try:
        return await asyncio.wait_for(get(), limits.first_event)
    except TimeoutError:
        from llmkit.errors import APITimeoutError

        raise APITimeoutError(
            f"downloading the image took more than {limits.first_event} s", limit="first_event"
        ) from None


async def _all(coros: Iterable[Coroutine[Any, Any, _T]]) -> list[_T]:
    """Run ``coros`` concurrently and return their results in order; the first failure
    cancels the others (their HTTP responses are closed) before it is raised."""
    tasks = [asyncio.ensure_future(coro) for coro in coros]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _image_model(model: ModelLike, registry: ProviderRegistry | None) -> ModelLike:
    """``"provider"`` (or ``"provider:"``) → ``"provider:<default image model>"``."""
    if not isinstance(model, str):
        return model
    provider_id, _, model_id = model.partition(":")
    if model_id:
        return model
    from llmkit.images.registry import default_image_model
    from llmkit.providers import default_registry

    provider, _ = (registry or default_registry()).resolve(f"{provider_id}:-")
    default = default_image_model(provider)
    if default is None:
        raise ConfigurationError(
            f"no model id in {model!r} and provider {provider_id!r} has no default image "
            f"model; write it as '{provider_id}:<image model id>' or set "
            "default_models={'image': ...} in its config"
        )
    return f"{provider_id}:{default}"


def _label(exc: APIError, target: Target) -> None:
    if exc.provider_id is None:
        exc.provider_id = target.provider.id
    if exc.model_id is None:
        exc.model_id = target.model_id


async def _batch(
    target: Target, options: ImageOptions, connection: Connection
) -> tuple[ParsedImages, tuple[CallWarning, ...], Target, int]:
    """One request for ``options.n`` images (with retries and fallbacks): the parsed answer,
    the build warnings of the request that answered, the target that answered, attempts."""
    from llmkit._driver import send_request
    from llmkit.images.registry import image_protocol_for

    built: dict[str, BuiltRequest] = {}

    def build(candidate: Target) -> BuiltRequest:
        request = image_protocol_for(candidate.provider).build_request(
            options, candidate.provider, candidate.model_id
        )
        built[candidate.name] = request
        return request

    sent = await send_request(target, build, connection)
    body, answered, attempts = sent.body, sent.target, sent.attempts
    protocol = image_protocol_for(answered.provider)
    try:
        parsed = protocol.parse_response(body, answered.provider, answered.model_id)
    except APIError as exc:
        _label(exc, answered)
        raise
    request = built.get(answered.name)
    return parsed, (request.warnings if request is not None else ()), answered, attempts


async def generate_image(
    *,
    model: ModelLike,
    prompt: str,
    n: int = 1,
    size: str | None = None,
    quality: str | None = None,
    background: str | None = None,
    output_format: str | None = None,
    response_format: Literal["b64_json", "url"] | None = None,
    seed: int | None = None,
    user: str | None = None,
    download: bool = False,
    headers: Mapping[str, str] | None = None,
    provider_options: Mapping[str, object] | None = None,
    api_key: str | Secret | None = None,
    registry: ProviderRegistry | None = None,
    retry: RetryPolicy | int | None = None,
    timeouts: Timeouts | None = None,
    rate_limit: RateLimit | None = None,
    http_client: httpx.AsyncClient | None = None,
    fallback_models: Sequence[ModelLike] | None = None,
) -> GenerateImageResult:
    """Generate ``n`` images from a text prompt.

    Args:
        model: ``"provider:model"`` (``"openai:gpt-image-1"``, ``"google:gemini-2.5-flash-image"``),
            ``"provider"`` alone for its default image model, or an inline
            :class:`~llmkit.Model`.
        prompt: what to draw.
        n: how many images (>= 1); split into several concurrent requests when the model takes
            fewer per request (dall-e-3 and Gemini: 1).
        size: ``"<width>x<height>"`` pixels (``"1024x1024"``), an aspect ratio (``"16:9"``,
            Gemini) or the API's own value (``"auto"``, ``"2K"``).
        quality: the API's quality level (``"hd"`` for dall-e-3, ``"high"`` for gpt-image-1).
        background: ``"transparent"`` / ``"opaque"`` / ``"auto"`` (gpt-image-1 family).
        output_format: ``"png"`` / ``"jpeg"`` / ``"webp"``.
        response_format: ``"b64_json"`` or ``"url"`` where the model lets you choose (dall-e:
            the API's default is ``url``; gpt-image and Gemini always answer bytes).
        seed: for reproducible output where the API takes a seed (Gemini; compatible vendors).
        user: an end-user id for the provider's abuse monitoring (OpenAI).
        download: fetch every URL image now (else only on ``await image.fetch()``).
        headers: extra request headers.
        provider_options: extra request body fields, merged last (``{"style": "natural"}``,
            ``{"moderation": "low"}``).
        api_key, registry, retry, timeouts, rate_limit, http_client, fallback_models: as for
            :func:`llmkit.stream_text` (give fallbacks as ``"provider:model"`` image models).

    Returns:
        :class:`GenerateImageResult`: images (bytes and media type, or URL), usage, warnings
        for settings the model cannot honour (they are not sent), the response.

    Raises:
        InvalidArgumentError: an empty prompt, or ``n`` < 1.
        NoSuchProviderError, ConfigurationError: unknown provider; a provider without an image
            protocol (Anthropic) or without a default image model.
        MissingCredentialError: no API key found.
        APIStatusError: the provider's error (``BadRequestError`` for a refused prompt or
            setting, with ``error_type``/``error_code``), after retries and fallbacks.
        APIConnectionError, APITimeoutError: the request could not be answered.
        InvalidResponseError: an unusable body (not JSON, bad base64).
    """
    from llmkit._driver import make_connection, resolve_target
    from llmkit.images.registry import image_protocol_for

    problems: list[str] = []
    if not isinstance(prompt, str) or not prompt.strip():
        problems.append('prompt: must be a non-empty string; pass prompt="a watercolor fox"')
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        problems.append(f"n: must be an integer >= 1, not {n!r}")
    if problems:
        raise InvalidArgumentError(
            "invalid image options:\n  " + "\n  ".join(problems), problems=problems
        )
    target = resolve_target(_image_model(model, registry), registry)
    protocol = image_protocol_for(target.provider)  # fails now for a provider without images
    connection = make_connection(
        api_key,
        http_client,
        retry=retry,
        timeouts=timeouts,
        rate_limit=rate_limit,
        fallback_models=[_image_model(m, registry) for m in fallback_models or ()],
        registry=registry,
    )
    options = ImageOptions(
        prompt=prompt,
        n=n,
        size=size,
        quality=quality,
        background=background,
        output_format=output_format,
        response_format=response_format,
        seed=seed,
        user=user,
        headers=dict(headers or {}),
        provider_options=dict(provider_options or {}),
    )
    per_call = max(1, protocol.max_images_per_call(target.model_id))
    counts = [per_call] * (n // per_call) + ([n % per_call] if n % per_call else [])
    batches = await _all(_batch(target, replace(options, n=count), connection) for count in counts)
    images: list[GeneratedImage] = []
    warnings: list[CallWarning] = []
    usage: Usage | None = None
    attempts = 0
    for parsed, built_warnings, _, tries in batches:
        attempts += tries
        for warning in (*built_warnings, *parsed.warnings):
            if warning not in warnings:
                warnings.append(warning)
        usage = parsed.usage if usage is None else usage + parsed.usage
        images += (
            GeneratedImage(
                image.data,
                image.media_type,
                image.url,
                image.revised_prompt,
                _client=http_client,
                _timeouts=timeouts,
            )
            for image in parsed.images
        )
    first, _, answered, _ = batches[0]
    if download:
        await _all(image.fetch() for image in images if image.data is None)
    response = ImageResponse(
        model=answered.name,
        model_id=first.model,
        created=first.created,
        attempts=attempts,
        bodies=tuple(parsed.body for parsed, _, _, _ in batches),
    )
    return GenerateImageResult(tuple(images), usage or Usage(), tuple(warnings), response)


def generate_image_sync(
    *,
    model: ModelLike,
    prompt: str,
    n: int = 1,
    size: str | None = None,
    quality: str | None = None,
    background: str | None = None,
    output_format: str | None = None,
    response_format: Literal["b64_json", "url"] | None = None,
    seed: int | None = None,
    user: str | None = None,
    download: bool = False,
    headers: Mapping[str, str] | None = None,
    provider_options: Mapping[str, object] | None = None,
    api_key: str | Secret | None = None,
    registry: ProviderRegistry | None = None,
    retry: RetryPolicy | int | None = None,
    timeouts: Timeouts | None = None,
    rate_limit: RateLimit | None = None,
    fallback_models: Sequence[ModelLike] | None = None,
) -> GenerateImageResult:
    """:func:`generate_image` for synchronous code: runs on llmkit's private event loop and
    blocks until done (same arguments except ``http_client``, which belongs to one loop; an
    image's :meth:`GeneratedImage.fetch_sync` downloads a URL image).

    Raises:
        LLMKitError: the errors of :func:`generate_image`.
        RuntimeError: called from a callback running on llmkit's own sync loop thread.
    """
    from llmkit._sync import run_sync

    return run_sync(
        generate_image(
            model=model,
            prompt=prompt,
            n=n,
            size=size,
            quality=quality,
            background=background,
            output_format=output_format,
            response_format=response_format,
            seed=seed,
            user=user,
            download=download,
            headers=headers,
            provider_options=provider_options,
            api_key=api_key,
            registry=registry,
            retry=retry,
            timeouts=timeouts,
            rate_limit=rate_limit,
            fallback_models=fallback_models,
        )
    )
