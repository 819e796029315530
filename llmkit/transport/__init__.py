"""HTTP transport: shared clients, error mapping, SSE iteration."""

from llmkit.transport._httpx_import import import_httpx

import_httpx()  # before the modules below import it: httpx without its CLI (see there)

from llmkit.transport.http import (  # noqa: E402
    get_client,
    open_response,
    post_json,
    set_max_concurrency,
)
from llmkit.transport.sse import iter_sse  # noqa: E402

__all__ = ["get_client", "iter_sse", "open_response", "post_json", "set_max_concurrency"]
