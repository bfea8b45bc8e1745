"""Outbound address checks: which addresses connections and webhooks may reach."""

from __future__ import annotations

import ipaddress

import pytest

from otelhouse.app.netcheck import blocked_reason, check_outbound, is_allowed, parse_allow
from otelhouse.errors import BadRequest

BLOCKED = [
    ("169.254.169.254", "cloud metadata"),
    ("100.100.100.200", "cloud metadata"),
    ("192.0.0.192", "cloud metadata"),
    ("168.63.129.16", "cloud metadata"),
    ("169.254.1.1", "link-local"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("224.0.0.251", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
    ("fd00:ec2::254", "cloud metadata"),
    ("fe80::1", "link-local"),
    ("::", "unspecified"),
    ("ff02::1", "multicast"),
    ("fec0::1", "site-local"),
    ("::a9fe:a9fe", "IPv4-compatible"),
    # IPv6 forms of blocked IPv4 addresses
    ("::ffff:169.254.169.254", "cloud metadata"),
    ("2002:a9fe:a9fe::1", "cloud metadata"),
    ("64:ff9b::a9fe:a9fe", "cloud metadata"),
    ("64:ff9b:1::a9fe:a9fe", "cloud metadata"),
    ("::ffff:224.0.0.1", "multicast"),
]
ALLOWED = [
    "10.1.2.3",
    "172.16.0.9",
    "192.168.1.10",
    "100.64.0.1",
    "8.8.8.8",
    "fd12:3456::1",
    "2001:4860:4860::8888",
    "::ffff:10.0.0.1",
    "64:ff9b::808:808",
]


@pytest.mark.parametrize(("address", "reason"), BLOCKED)
def test_blocked_addresses_say_why(address: str, reason: str) -> None:
    found = blocked_reason(ipaddress.ip_address(address))
    assert found is not None and reason in found


@pytest.mark.parametrize("address", ALLOWED)
def test_private_and_public_addresses_are_allowed(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is None
    assert blocked_reason(ipaddress.ip_address(address), production=True) is None


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_loopback_is_allowed_in_development_only(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is None
    reason = blocked_reason(ipaddress.ip_address(address), production=True)
    assert reason is not None and "loopback" in reason


def test_the_allow_list_covers_ipv4_and_its_mapped_form() -> None:
    networks = parse_allow(" 169.254.169.254/32 , fd00:ec2::/32,")
    assert is_allowed(ipaddress.ip_address("169.254.169.254"), networks)
    assert is_allowed(ipaddress.ip_address("::ffff:169.254.169.254"), networks)
    assert is_allowed(ipaddress.ip_address("fd00:ec2::254"), networks)
    assert not is_allowed(ipaddress.ip_address("169.254.1.1"), networks)


def test_a_bad_allow_list_names_the_setting() -> None:
    with pytest.raises(BadRequest, match="OTELHOUSE_OUTBOUND_ALLOW holds 'nonsense'"):
        parse_allow("10.0.0.0/8,nonsense")


async def test_a_blocked_address_is_refused_with_how_to_allow_it() -> None:
    with pytest.raises(BadRequest) as refused:
        await check_outbound("http://169.254.169.254/latest/meta-data/", "")
    assert "169.254.169.254, a cloud metadata endpoint" in refused.value.message
    assert "OTELHOUSE_OUTBOUND_ALLOW=169.254.169.254/32" in refused.value.message
    assert refused.value.field == "url"
    await check_outbound("http://169.254.169.254/", "169.254.0.0/16")


async def test_other_spellings_of_a_blocked_address_are_refused() -> None:
    # The resolver reads these as 169.254.169.254; the check looks at what they resolve to.
    for url in ("http://2852039166/", "http://169.254.43518/", "http://[::ffff:a9fe:a9fe]:8123/"):
        with pytest.raises(BadRequest, match="cloud metadata endpoint"):
            await check_outbound(url, "")


async def test_loopback_names_are_refused_in_production_unless_allowed() -> None:
    await check_outbound("http://localhost:8123", "")
    with pytest.raises(BadRequest, match=r"localhost resolves to \S+, a loopback address"):
        await check_outbound("http://localhost:8123", "", production=True)
    await check_outbound("http://localhost:8123", "127.0.0.0/8, ::1/128", production=True)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/", "must start with http:// or https://"),
        ("file:///etc/passwd", "must start with http:// or https://"),
        ("http:///path", "has no host"),
        ("https://user:secret@10.0.0.1/", "user name or password"),
        ("http://10.0.0.1:99999/", "not a valid URL"),
        ("http://no-such-host.invalid/", "cannot resolve the host 'no-such-host.invalid'"),
    ],
)
async def test_urls_that_are_not_usable_are_refused_clearly(url: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message) as refused:
        await check_outbound(url, "")
    assert "secret" not in refused.value.message
