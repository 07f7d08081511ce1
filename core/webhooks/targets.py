"""Which URLs a webhook may target.

A target must be an absolute http(s) URL whose host resolves only to public addresses:
private, loopback, link-local, shared, reserved, multicast and unspecified addresses are
refused unless ``webhooks.allow_private_targets`` is set. The check runs when an endpoint is
saved and again at every delivery, and the request then goes to the very address that was
checked (with the original Host header and TLS server name), so a DNS answer that changes
between the check and the connection (DNS rebinding) cannot redirect a delivery inward.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from unicrm.core.errors import UniCRMError

MAX_URL_LENGTH = 2000

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(UniCRMError):
    """The URL is malformed, does not resolve, or resolves to a refused address."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Target:
    """A checked target: where to connect, and what to call the host in the request."""

    url: str
    host: str
    address: str
    pinned_url: str


def _split(url: str) -> tuple[str, str, int]:
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused("TOO_LONG", f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused("INVALID_URL", "not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("INVALID_URL", "expected an absolute http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("INVALID_URL", "credentials in the URL are not allowed")
    if parts.fragment:
        raise TargetRefused("INVALID_URL", "a fragment (#...) is not allowed")
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, parts.hostname, port or default


def check_url(url: str) -> str:
    """``url`` stripped, if it is an absolute http(s) URL without credentials."""
    url = url.strip()
    _split(url)
    return url


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


async def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise TargetRefused("UNRESOLVABLE", f"the host {host} does not resolve") from None
    found = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not found:
        raise TargetRefused("UNRESOLVABLE", f"the host {host} does not resolve")
    return list(dict.fromkeys(found))


async def resolve_target(url: str, *, allow_private: bool) -> Target:
    """Resolve ``url``'s host now; refuse it if any address it resolves to is not public."""
    scheme, host, port = _split(url)
    addresses = await _resolve(host, port)
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise TargetRefused(
                    "PRIVATE_TARGET",
                    f"{host} resolves to {address}, a private, loopback or link-local address",
                )
    chosen = addresses[0]
    shown = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    parts = urlsplit(url)
    netloc = f"{shown}:{port}"
    pinned = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    return Target(url=url, host=host, address=str(chosen), pinned_url=pinned)
