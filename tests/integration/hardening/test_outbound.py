"""No SSRF through the partner endpoint: private addresses refused when saved and when sent."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from sqlalchemy import update

from app.extensions import db
from app.models import StripeConnection
from app.security import outbound
from app.services import notifications
from app.services.connection_rules import ConnectionInvalid, clean_connection_fields
from tests.helpers import stored_notifications

REFUSED = [
    "127.0.0.1",
    "127.9.9.9",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "169.254.169.254",  # cloud metadata
    "0.0.0.0",  # noqa: S104 - the address under test
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    "::ffff:127.0.0.1",  # v4-mapped
    "::ffff:169.254.169.254",
    "2002:7f00:1::1",  # 6to4 around 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 around 169.254.169.254
    "2001:db8::1",  # documentation
]


@pytest.fixture
def nothing_allowed(app, monkeypatch):
    """The production default: no private network allowed."""
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOWED_NETWORKS", [])


@pytest.mark.parametrize("address", REFUSED)
def test_private_and_special_addresses_are_refused(app_ctx, nothing_allowed, address):
    assert outbound.address_allowed(ipaddress.ip_address(address)) is False


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(app_ctx, nothing_allowed, address):
    assert outbound.address_allowed(ipaddress.ip_address(address)) is True


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:5432/x",
        "https://localhost/x",  # a name: resolved, and it resolves to loopback
        "https://169.254.169.254/latest/meta-data",
        "https://2130706433/x",  # 127.0.0.1 in decimal
        "https://0177.0.0.1/x",  # octal
        "https://0x7f.0.0.1/x",  # hex
        "https://017700000001/x",
        "https://[::ffff:7f00:1]/x",
        "https://[::1]:8443/x",
    ],
)
def test_saving_an_endpoint_on_a_private_network_is_a_field_error(app_ctx, nothing_allowed, url):
    with pytest.raises(ConnectionInvalid) as invalid:
        clean_connection_fields({"name": "P", "partner_endpoint": url}, require_secrets=False)
    message = invalid.value.errors["partner_endpoint"]
    assert message.startswith("Refused: the address is on a private network")
    assert "OUTBOUND_ALLOWED_NETWORKS" in message


def test_an_operator_can_allow_a_private_network(app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOWED_NETWORKS", ["10.0.0.0/8"])
    assert outbound.address_allowed(ipaddress.ip_address("10.20.30.40")) is True
    assert outbound.address_allowed(ipaddress.ip_address("192.168.1.1")) is False


def deliver_all(app) -> notifications.DeliveryReport:
    """One worker pass in its own app context."""
    with app.app_context():
        try:
            return notifications.deliver_due()
        finally:
            db.session.remove()


def test_delivery_to_loopback_is_refused_unless_allowed(
    app, monkeypatch, partner, queue_notifications
):
    [notification_id] = queue_notifications(1)
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOWED_NETWORKS", [])

    assert deliver_all(app).retrying == 1

    [row] = stored_notifications(app)
    assert partner.received == []
    assert row.last_error == "Refused: the address is on a private network"
    assert row.last_status_code is None


def test_the_name_is_resolved_at_delivery_time(app, monkeypatch, partner, queue_notifications):
    """Saved while it pointed elsewhere, a name now resolving to loopback is refused."""
    queue_notifications(1, endpoint=f"http://localhost:{partner.port}/events")
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOWED_NETWORKS", [])
    deliver_all(app)
    [row] = stored_notifications(app)
    assert partner.received == []
    assert row.last_error == "Refused: the address is on a private network"


def test_the_vetted_address_is_pinned_against_dns_rebinding(
    app, monkeypatch, partner, queue_notifications
):
    """The first answer is checked and used; a second lookup (rebinding) is never made."""
    queue_notifications(1)
    # Plain http to a name is refused when saved; write the row directly, as an old row could be.
    with app.app_context():
        db.session.execute(
            update(StripeConnection).values(
                partner_endpoint=f"http://partner.test:{partner.port}/events"
            )
        )
        db.session.commit()
    real_getaddrinfo = socket.getaddrinfo
    lookups: list[str] = []

    def resolver(host, port, *args, **kwargs):
        if host != "partner.test":  # the IP literal we dial: nothing to resolve
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(host)
        # First answer: our receiver. Any later one would be a rebinding to the metadata host.
        address = "127.0.0.1" if len(lookups) == 1 else "169.254.169.254"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)

    assert deliver_all(app).delivered == 1
    [headers] = partner.received
    assert headers["Host"] == f"partner.test:{partner.port}"  # the name, though we dialled the IP
    assert lookups == ["partner.test"]


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (200, None),
        (302, "The partner answered 302 Found (redirects are not followed)"),
        (503, "The partner answered 503 Service Unavailable"),
    ],
)
def test_results_are_in_plain_words_and_redirects_are_not_followed(
    app, partner, queue_notifications, status, words
):
    other = type(partner)()
    try:
        partner.status, partner.location = status, other.url
        queue_notifications(1)
        deliver_all(app)
        [row] = stored_notifications(app)
        assert row.last_status_code == status
        assert row.last_error == words
        assert other.received == []
    finally:
        other.stop()


def test_a_slow_partner_times_out_in_plain_words(app, monkeypatch, partner, queue_notifications):
    monkeypatch.setitem(app.config, "NOTIFICATION_TIMEOUT_SECONDS", 0.3)
    partner.delay = (1.0, 1.0)
    queue_notifications(1)
    deliver_all(app)
    [row] = stored_notifications(app)
    assert row.last_error == "Timed out after 0.3 s"


def test_a_closed_port_is_could_not_connect(app, queue_notifications):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    queue_notifications(1, endpoint=f"http://127.0.0.1:{port}/events")
    deliver_all(app)
    [row] = stored_notifications(app)
    assert row.last_error == "Could not connect"


def test_a_tls_failure_is_said_in_plain_words(app, partner, queue_notifications):
    queue_notifications(1, endpoint=partner.url.replace("http://", "https://"))
    deliver_all(app)
    [row] = stored_notifications(app)
    assert row.last_error == "Could not connect securely (TLS failed)"
