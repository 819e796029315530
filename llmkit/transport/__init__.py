"""HTTP transport: shared clients, error mapping, SSE iteration."""

from llmkit.transport.http import get_client, open_response, post_json, set_max_concurrency
from llmkit.transport.sse import iter_sse

__all__ = ["get_client", "iter_sse", "open_response", "post_json", "set_max_concurrency"]
