"""Where llmkit refuses to send a request (and a credential); no I/O, no DNS.

- Only ``http`` and ``https``; plain ``http`` only to loopback (``127.0.0.0/8``, ``::1``,
  ``localhost``) unless the provider sets ``allow_insecure_http``.
- Never a link-local address (``169.254.0.0/16``, ``fe80::/10``: the AWS, GCP and Azure instance
  metadata services live at 169.254.169.254), an unspecified or multicast address, or a known
  cloud metadata host name (``metadata.google.internal``, Alibaba's ``100.100.100.200``, AWS's
  ``fd00:ec2::254``), which would hand out the machine's cloud credentials.

Host names are not resolved, so a public name that resolves to a metadata address is not caught
here; redirects are re-checked hop by hop by the transport.
"""

from __future__ import annotations

import functools
import ipaddress
from urllib.parse import urlsplit

__all__ = ["url_problem"]

_METADATA_HOSTS = frozenset(
    {
        "metadata.google.internal",
        "metadata.goog",
        "metadata",
        "instance-data",
        "instance-data.ec2.internal",
        "100.100.100.200",
        "fd00:ec2::254",
    }
)


@functools.lru_cache(maxsize=256)
def _problem(scheme: str, host: str, allow_http: bool) -> str | None:
    if scheme not in ("http", "https"):
        return f"scheme {scheme!r} is not http(s)"
    host = host.lower().strip("[]").rstrip(".")
    if not host:
        return "no host"
    if host in _METADATA_HOSTS:
        return f"host {host!r} is a cloud metadata service"
    loopback = host == "localhost" or host.endswith(".localhost")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if ip.is_link_local or ip.is_unspecified or ip.is_multicast:
            return f"address {host} is link-local, unspecified or multicast (cloud metadata?)"
        loopback = ip.is_loopback
    if scheme == "http" and not loopback and not allow_http:
        return (
            f"plain http to {host!r} would send the credential unencrypted; use https, or set "
            "allow_insecure_http=True on the provider for a trusted private network"
        )
    return None


def url_problem(url: str, *, allow_http: bool = False) -> str | None:
    """Why ``url`` must not be requested, or None when it may be.

    Args:
        url: an absolute URL.
        allow_http: accept plain ``http://`` to a non-loopback host.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    return _problem(parts.scheme.lower(), host, allow_http)
