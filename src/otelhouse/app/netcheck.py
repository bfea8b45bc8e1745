"""Checks on the addresses otelhouse connects to on a user's behalf (ClickHouse connections, webhooks).

Whoever can save a URL can make the server send requests from inside its network. So before a
connection is saved or tested, and before a webhook is saved, the host is resolved and every address
it resolves to is checked. Refused unless the operator allows them (`OTELHOUSE_OUTBOUND_ALLOW`):
link-local and cloud metadata endpoints (where instance credentials live), unspecified, multicast,
broadcast and reserved addresses, also when wrapped in IPv6 forms (IPv4-mapped, 6to4, NAT64, Teredo).
Private networks and loopback stay allowed, since a self-hosted ClickHouse lives there; in production
loopback is refused too, as it reaches this server's own internal ports.

The check runs when a URL is saved or tested; a name that later resolves elsewhere (DNS rebinding) is
the job of the code that sends, which calls `check_outbound` again just before it connects.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit

from otelhouse.errors import BadRequest
from otelhouse.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOW_SETTING = "OTELHOUSE_OUTBOUND_ALLOW"
RESOLVE_TIMEOUT_SECONDS = 5.0

# Instance metadata services answer with credentials to anyone who asks from the instance.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, DigitalOcean, OpenStack, …
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.253",  # AWS DNS resolver
        "168.63.129.16",  # Azure wire server
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
        "fd00:ec2::254",  # AWS, over IPv6
        "fd00:ec2::253",
        "fd00:ec2::23",
    )
)
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def parse_allow(allow: str) -> list[IPNetwork]:
    """The networks of the comma-separated allow-list ("169.254.169.254/32, fd00:ec2::/32")."""
    networks: list[IPNetwork] = []
    for entry in allow.split(","):
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise BadRequest(
                f"{ALLOW_SETTING} holds {entry!r}, which is not a network: use CIDR like 10.1.2.3/32, "
                "separated by commas (an operator has to fix the server's configuration)"
            ) from None
    return networks


def blocked_reason(address: IPAddress, *, production: bool = False) -> str | None:
    """Why otelhouse must not connect to `address` unless allowed, or None when it may."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        reason = blocked_reason(embedded, production=production)
        return f"{reason} ({embedded} inside an IPv6 address)" if reason else None
    if address in METADATA_ADDRESSES:
        return "a cloud metadata endpoint"
    if address.is_unspecified or (address.version == 4 and address in _THIS_NETWORK):
        return "an unspecified address (it reaches this machine)"
    if address.is_loopback:
        return "a loopback address (this server's own ports)" if production else None
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.version == 4 and address == ipaddress.IPv4Address("255.255.255.255"):
        return "the broadcast address"
    if address.version == 6 and address in _IPV4_COMPATIBLE:
        return "a deprecated IPv4-compatible IPv6 address"
    if address.version == 6 and address.is_site_local:
        return "a deprecated site-local address"
    if address.is_reserved:
        return "a reserved address"
    return None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, NAT64, Teredo client), if any."""
    if address.version == 4:
        return None
    assert isinstance(address, ipaddress.IPv6Address)
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in network for network in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_allowed(address: IPAddress, networks: list[IPNetwork]) -> bool:
    candidates = [address]
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        candidates.append(embedded)
    return any(candidate in network for candidate in candidates for network in networks)


def split_url(url: str, *, field: str = "url") -> SplitResult:
    """`url` taken apart, once it is an http(s) URL with a host, a valid port and no credentials."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise BadRequest(f"{url!r} is not a valid URL ({exc})", field=field) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise BadRequest("the URL must start with http:// or https://", field=field)
    if not parts.hostname:
        raise BadRequest("the URL has no host: write it like https://host:port/", field=field)
    if parts.username is not None or parts.password is not None:
        raise BadRequest(
            "the URL holds a user name or password (user:pass@host): remove them from the URL and give "
            "credentials in their own fields, where they are stored encrypted",
            field=field,
        )
    if port == 0:
        raise BadRequest("the URL's port must be between 1 and 65535", field=field)
    return parts


async def resolve(host: str, port: int, *, field: str = "url") -> list[IPAddress]:
    """Every address `host` resolves to (an IP literal resolves to itself)."""
    loop = asyncio.get_running_loop()
    try:
        found = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout=RESOLVE_TIMEOUT_SECONDS
        )
    except (OSError, ValueError, TimeoutError) as exc:  # gaierror, IDNA errors, NUL in the name, …
        why = "no answer in time" if isinstance(exc, TimeoutError) else str(exc)
        raise BadRequest(
            f"cannot resolve the host {host!r} ({why}): check the name, and that this server can look it up",
            field=field,
        ) from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in found:
        # IPv6 link-local answers carry a zone ("fe80::1%eth0"): the address is what counts.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


async def check_outbound(url: str, allow: str, *, production: bool = False, field: str = "url") -> None:
    """Refuse (BadRequest) `url` unless it is http(s) and its host resolves only to addresses otelhouse
    may reach: not blocked by default, or inside a network of the allow-list `allow`."""
    parts = split_url(url, field=field)
    host = parts.hostname
    assert host is not None
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    networks = parse_allow(allow)
    for address in await resolve(host, port, field=field):
        reason = blocked_reason(address, production=production)
        if reason is None or is_allowed(address, networks):
            continue
        named = "" if host == str(address) else f"{host} resolves to "
        network = f"{address}/{address.max_prefixlen}"
        raise BadRequest(
            f"{named}{address}, {reason}: otelhouse does not connect there by default. If this is intended, "
            f"an operator can allow it with {ALLOW_SETTING}={network} (comma-separated networks)",
            field=field,
        )


async def check_url(settings: Settings, url: str, *, field: str = "url") -> None:
    """`check_outbound` with the server's allow-list and mode."""
    await check_outbound(url, settings.outbound_allow, production=settings.env == "production", field=field)
