"""``list_models``: ask a provider which models it serves (``GET {base_url}/models``).

The protocol builds the request and parses each page (sans-IO, see
:meth:`~llmkit.protocols.base.Protocol.build_models_request` and
:meth:`~llmkit.protocols.base.Protocol.parse_models`); the credential comes from the auth layer
(:func:`~llmkit.auth.request.resolve_credentials`, with the one-refresh rule of
:func:`~llmkit.auth.request.send_authorized`) and the bytes travel over the shared transport
(:func:`~llmkit.transport.http.post_json` with ``method="GET"``), so URL safety, redirects and
error mapping are those of every other call.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from llmkit.errors import APIError, InvalidResponseError, TotalTimeoutError

if TYPE_CHECKING:
    import httpx

    from llmkit.auth.secret import Secret
    from llmkit.providers.inline import Model, Provider
    from llmkit.providers.registry import ProviderRegistry
    from llmkit.reliability.cache import ModelListCache
    from llmkit.types.models import ModelInfo

__all__ = ["MAX_MODEL_PAGES", "MODELS_TIMEOUT", "list_models", "list_models_sync"]

MAX_MODEL_PAGES = 50
"""Pages fetched at most for one list (Anthropic pages hold 20 models by default); the models
of the pages fetched so far are returned when a provider has more."""

MODELS_TIMEOUT = 60.0
"""Seconds allowed for the whole listing (every page) unless the provider's
``timeouts.total`` says otherwise."""


async def list_models(
    provider: str | Provider | Model,
    *,
    api_key: str | Secret | None = None,
    registry: ProviderRegistry | None = None,
    http_client: httpx.AsyncClient | None = None,
    cache: bool | ModelListCache = True,
) -> list[ModelInfo]:
    """The models a provider serves, as it reports them (``GET {base_url}/models``).

    OpenAI-compatible providers answer one page (OpenAI API reference, "Models: list");
    Anthropic pages are followed through ``has_more`` / ``after_id`` (Anthropic API reference,
    "Models: list"), at most :data:`MAX_MODEL_PAGES` pages.

    Args:
        provider: a provider id of the registry (``"openai"``, ``"anthropic"``); a
            ``"provider:model"`` string is accepted and its model part ignored; or an inline
            :class:`~llmkit.Provider` / :class:`~llmkit.Model` (``llmkit.provider(url)``),
            whose key is used unless ``api_key`` is given.
        api_key: the key to use instead of the stored or environment one (a plain string is
            wrapped in :class:`~llmkit.Secret` at once).
        registry: the registry to resolve ``provider`` in (default ``llmkit.registry``).
        http_client: an ``httpx.AsyncClient`` to use instead of the shared one.
        cache: True keeps the answer for an hour in the process-wide
            :class:`~llmkit.reliability.cache.ModelListCache` (keyed by provider id and base
            URL, not by credential); a ``ModelListCache`` uses that one; False always asks.

    Returns:
        The models in the provider's order (Anthropic: newest first). A fresh list each
        call; the :class:`~llmkit.types.models.ModelInfo` values are shared with the cache.

    Raises:
        NoSuchProviderError: ``provider`` is not in the registry.
        UnsupportedFeatureError: the provider's protocol cannot list models.
        MissingCredentialError: the provider needs a key and none was found.
        AuthenticationError, PermissionDeniedError, NotFoundError, RateLimitError,
            APIStatusError: the provider answered with an error status (mapped by the
            protocol's ``parse_error``, ``provider_id`` set).
        APIConnectionError, TotalTimeoutError: the provider could not be reached, or the
            listing took longer than ``timeouts.total`` (default :data:`MODELS_TIMEOUT` s).
        InvalidResponseError: a body that is not a model list, or a cursor that repeats.
        ConfigurationError: an unsafe base URL (see :func:`llmkit.transport.http.check_url`).
    """
    from llmkit.auth.secret import Secret
    from llmkit.protocols import get_protocol
    from llmkit.providers import default_registry
    from llmkit.providers.inline import Model, Provider
    from llmkit.reliability.cache import ModelListCache, default_model_cache, model_list_key

    key = Secret(api_key) if isinstance(api_key, str) else api_key
    if isinstance(provider, (Provider, Model)):
        config = provider.config if isinstance(provider, Provider) else provider.provider
        key = key if key is not None else provider.api_key
    else:
        config = (registry or default_registry()).get(provider.partition(":")[0])
    protocol = get_protocol(config.protocol)
    timeout = config.timeouts.total if config.timeouts and config.timeouts.total else None
    seconds = timeout or MODELS_TIMEOUT

    async def pages() -> list[ModelInfo]:
        from llmkit.auth.request import resolve_credentials, send_authorized
        from llmkit.transport.http import post_json

        creds = await resolve_credentials(config, key)
        models: list[ModelInfo] = []
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_MODEL_PAGES):
            request = protocol.build_models_request(config, cursor=cursor)
            body = await send_authorized(  # a 401 with an OAuth token: one refresh, one retry
                config,
                creds,
                request,
                lambda req, auth: post_json(
                    req,
                    auth,
                    protocol.parse_error,
                    client=http_client,
                    timeout=config.timeouts,
                    follow_redirects=config.follow_redirects,
                    allow_http=config.allow_insecure_http,
                ),
            )
            page, cursor = protocol.parse_models(body)
            models.extend(page)
            if cursor is None:
                break
            if cursor in seen:
                raise InvalidResponseError(
                    f"model list pagination repeats the cursor {cursor!r}", raw=body
                )
            seen.add(cursor)
        return models

    async def fetch() -> list[ModelInfo]:
        protocol.build_models_request(config)  # an unsupported protocol fails before any I/O
        try:
            return await asyncio.wait_for(pages(), seconds)
        except asyncio.TimeoutError:
            raise TotalTimeoutError(
                f"listing the models took longer than {seconds:g} s",
                seconds=seconds,
                provider_id=config.id,
            ) from None
        except APIError as exc:
            if exc.provider_id is None:
                exc.provider_id = config.id
            raise

    if cache is False:
        return await fetch()
    store = cache if isinstance(cache, ModelListCache) else default_model_cache()
    return list(await store.get(model_list_key(config.id, config.base_url), fetch))


def list_models_sync(
    provider: str | Provider | Model,
    *,
    api_key: str | Secret | None = None,
    registry: ProviderRegistry | None = None,
    cache: bool | ModelListCache = True,
) -> list[ModelInfo]:
    """:func:`list_models` for synchronous code (scripts, worker threads, Jupyter).

    Takes the same arguments but ``http_client`` (an ``httpx.AsyncClient`` belongs to one event
    loop; the call runs on llmkit's private loop thread, with that loop's shared client).

    Raises:
        LLMKitError: the errors of :func:`list_models`, with their own types.
        RuntimeError: called from llmkit's own sync loop thread.
    """
    from llmkit._sync import run_sync

    return run_sync(list_models(provider, api_key=api_key, registry=registry, cache=cache))
