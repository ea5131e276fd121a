"""Requests we send to addresses someone else chose (partner endpoints), without SSRF.

A workspace admin types the partner endpoint, so without a check the notification worker would
POST from inside our network to whatever it names: the database port, a cloud metadata service
(169.254.169.254), an admin console on loopback. Every outbound request therefore:

1. resolves the host name at send time, and refuses it unless every address it resolves to is
   publicly routable — loopback, private, shared, link-local, multicast, reserved and unspecified
   addresses are refused, in IPv4 and IPv6, including IPv4 hidden in IPv6 (v4-mapped, 6to4,
   Teredo, NAT64) and the decimal/octal/hex spellings (`2130706433`, `0177.0.0.1`), which the
   resolver turns into the address they mean;
2. connects to the address it vetted (pinned), never resolving again, so a DNS answer that
   changes between the check and the connection (DNS rebinding) cannot steer it; TLS still
   checks the certificate against the name and sends it as SNI, and `Host` names the host;
3. never follows redirects: a 3xx is an answer, not an acknowledgement.

Operators who really deliver to a private network list it in `OUTBOUND_ALLOWED_NETWORKS`
(CIDRs); nothing else is exempt.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit

import urllib3
from flask import current_app

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")

REFUSED_PRIVATE = "Refused: the address is on a private network"
REFUSED_UNRESOLVED = "Could not find the partner's host name"
COULD_NOT_CONNECT = "Could not connect"
REFUSED_PORT = "Refused: the port is not valid"


class OutboundRefused(Exception):
    """The destination may not be contacted; `str(error)` says why in plain words."""


class HostUnresolved(OutboundRefused):
    """The name resolves to nothing (now): refused when sending, tolerated when saving."""


@dataclass(frozen=True)
class OutboundResult:
    """What happened to one request: the partner's status code, or None, and plain words."""

    status_code: int | None
    words: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (v4-mapped, 6to4, Teredo, NAT64)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found = [address.ipv4_mapped, address.sixtofour]
    if address.teredo:
        found.extend(address.teredo)
    if address in NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [item for item in found if item is not None]


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(cidr, strict=False)
        for cidr in current_app.config["OUTBOUND_ALLOWED_NETWORKS"]
    ]


def address_allowed(address: IPAddress) -> bool:
    """Whether we may connect to `address`: publicly routable, or in the operator's allow-list."""
    if any(address in network for network in _allowed_networks()):
        return True
    for candidate in [address, *_embedded_ipv4(address)]:
        if (
            not candidate.is_global
            or candidate.is_multicast
            or candidate.is_reserved
            or candidate.is_unspecified
        ):
            return False
    return True


def vetted_address(host: str, port: int) -> IPAddress:
    """Resolve `host` now and return an address to connect to, or raise OutboundRefused.

    Every address the name resolves to must be allowed: a name answering one public and one
    private address is refused, since the next resolver could pick either.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise HostUnresolved(REFUSED_UNRESOLVED) from None
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    if not addresses:
        raise HostUnresolved(REFUSED_UNRESOLVED)
    if not all(address_allowed(address) for address in addresses):
        raise OutboundRefused(REFUSED_PRIVATE)
    return addresses[0]


def _host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundRefused("Refused: not an http(s) URL")
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def endpoint_refusal(url: str) -> str | None:
    """Why `url` may not be called (for a field error when it is saved), or None.

    A name that does not resolve yet is accepted: the partner may still be setting up DNS,
    and the check that counts runs again at every delivery.
    """
    try:
        vetted_address(*_host_and_port(url))
    except HostUnresolved:
        return None
    except OutboundRefused as refused:
        return str(refused)
    except ValueError:  # a port outside 0-65535
        return REFUSED_PORT
    return None


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> OutboundResult:
    """POST `body` to `url` on a vetted, pinned address; never raises for network trouble."""
    try:
        host, port = _host_and_port(url)
        address = vetted_address(host, port)
    except OutboundRefused as refused:
        return OutboundResult(None, str(refused))
    except ValueError:  # a port outside 0-65535
        return OutboundResult(None, REFUSED_PORT)
    parts = urlsplit(url)
    # `netloc` without credentials (refused when saved) is exactly the Host the URL names.
    host_header = parts.netloc.rsplit("@", 1)[-1]
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    options: dict[str, object] = {
        "timeout": urllib3.Timeout(total=timeout),
        "retries": False,
        "maxsize": 1,
    }
    if parts.scheme == "https":
        pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
            str(address), port, server_hostname=host, assert_hostname=host, **options
        )
    else:
        pool = urllib3.HTTPConnectionPool(str(address), port, **options)
    try:
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            preload_content=False,
        )
        response.release_conn()
    except urllib3.exceptions.NewConnectionError:
        # Checked first: urllib3 makes it a subclass of its connect-timeout error.
        return OutboundResult(None, COULD_NOT_CONNECT)
    except urllib3.exceptions.TimeoutError:
        return OutboundResult(None, f"Timed out after {timeout:g} s")
    except urllib3.exceptions.SSLError:
        return OutboundResult(None, "Could not connect securely (TLS failed)")
    except urllib3.exceptions.HTTPError:
        return OutboundResult(None, COULD_NOT_CONNECT)
    finally:
        pool.close()
    return OutboundResult(response.status, answer_words(response.status))


def answer_words(status: int) -> str:
    """`The partner answered 200 OK`, with a note when the answer was a redirect."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    words = f"The partner answered {status} {phrase}".rstrip()
    if 300 <= status < 400:
        words += " (redirects are not followed)"
    return words
