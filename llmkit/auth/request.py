"""Credentials around one HTTP request: what the I/O driver calls.

``resolve_credentials`` before the request, then ``open_authorized`` (streaming) or
``send_authorized`` (one JSON body) send it with the credential's headers and, on a 401 with an
OAuth token, refresh once and retry once. A 401 with an API key is raised as is (a new key is
the user's job); when that key came from the keychain, the manager first drops it from its key
cache, so the next call reads the keychain again and picks up a key the user has replaced.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, TypeAlias, TypeVar

from llmkit.auth.manager import AuthManager, Credentials, default_auth_manager
from llmkit.errors import AuthenticationError

if TYPE_CHECKING:
    from llmkit.auth.secret import Secret
    from llmkit.protocols.base import BuiltRequest
    from llmkit.providers.config import ProviderConfig

__all__ = ["open_authorized", "resolve_credentials", "send_authorized"]

_T = TypeVar("_T")

Opener: TypeAlias = (
    "Callable[[BuiltRequest, Mapping[str, str]], contextlib.AbstractAsyncContextManager[_T]]"
)


async def resolve_credentials(
    provider: ProviderConfig, explicit: str | Secret | None, manager: AuthManager | None = None
) -> Credentials:
    """The credential for one request (see :meth:`AuthManager.credentials`).

    Raises:
        MissingCredentialError, KeychainError, TokenRefreshError: no usable credential.
    """
    return await (manager or default_auth_manager()).credentials(provider, explicit)


def _rebase(request: BuiltRequest, provider: ProviderConfig, creds: Credentials) -> BuiltRequest:
    if creds.base_url and request.url.startswith(provider.base_url):
        return replace(request, url=creds.base_url + request.url[len(provider.base_url) :])
    return request


@contextlib.asynccontextmanager
async def open_authorized(
    provider: ProviderConfig,
    creds: Credentials,
    request: BuiltRequest,
    open_response: Opener[_T],
    manager: AuthManager | None = None,
) -> AsyncIterator[_T]:
    """Enter ``open_response(request, headers)``; on a 401 with an OAuth token, refresh once
    and enter it once more. The 401 arrives before any event, so nothing is yielded twice.

    Raises:
        AuthenticationError: the retry was rejected too, or the credential is not OAuth.
        TokenRefreshError: the refresh failed (log in again).
    """
    async with contextlib.AsyncExitStack() as stack:
        try:
            response = await stack.enter_async_context(
                open_response(_rebase(request, provider, creds), creds.headers)
            )
        except AuthenticationError:
            fresh = await (manager or default_auth_manager()).after_unauthorized(provider, creds)
            if fresh is None:
                raise
            response = await stack.enter_async_context(
                open_response(_rebase(request, provider, fresh), fresh.headers)
            )
        yield response


async def send_authorized(
    provider: ProviderConfig,
    creds: Credentials,
    request: BuiltRequest,
    send: Callable[[BuiltRequest, Mapping[str, str]], Awaitable[_T]],
    manager: AuthManager | None = None,
) -> _T:
    """``await send(request, headers)`` with the same one-refresh, one-retry rule.

    Raises:
        AuthenticationError, TokenRefreshError: as :func:`open_authorized`.
    """
    try:
        return await send(_rebase(request, provider, creds), creds.headers)
    except AuthenticationError:
        fresh = await (manager or default_auth_manager()).after_unauthorized(provider, creds)
        if fresh is None:
            raise
    return await send(_rebase(request, provider, fresh), fresh.headers)
