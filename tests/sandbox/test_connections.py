"""Persistent HTTP/1.1 connections, as Stripe's API keeps them for a client's next call."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from stripe_sandbox.testing import DEFAULT_TEST_KEY, SandboxServer

AUTH = {"Authorization": f"Bearer {DEFAULT_TEST_KEY}"}
FORM = {**AUTH, "Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def connection(sandbox: SandboxServer) -> Iterator[http.client.HTTPConnection]:
    """One HTTP/1.1 client connection to the sandbox, closed after the test."""
    address = urlsplit(sandbox.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=5)
    yield connection
    connection.close()


def answer(connection: http.client.HTTPConnection, method: str, path: str, **kwargs):
    connection.request(method, path, **kwargs)
    response = connection.getresponse()
    return response, response.read()


def test_one_connection_carries_every_call_of_a_client(connection):
    created, body = answer(connection, "POST", "/v1/accounts", body="type=express", headers=FORM)
    first_socket = connection.sock
    account = json.loads(body)["id"]
    fetched, _ = answer(connection, "GET", f"/v1/accounts/{account}", headers=AUTH)
    assert (created.status, fetched.status) == (200, 200)
    assert not fetched.will_close
    assert connection.sock is first_socket  # no new TCP connection for the second call


def test_a_body_the_sandbox_never_reads_does_not_spill_into_the_next_request(connection):
    # Refused before its params are read: the body stays unread by the app.
    body = "type=express&" + "x" * 70_000
    refused, _ = answer(connection, "POST", "/v1/accounts", body=body, headers={})
    fetched, account = answer(connection, "GET", "/v1/account", headers=AUTH)
    assert (refused.status, fetched.status) == (401, 200)
    assert json.loads(account)["object"] == "account"


def test_a_client_asking_to_close_gets_its_connection_closed(connection):
    closing = {**AUTH, "Connection": "close"}
    response, _ = answer(connection, "GET", "/v1/account", headers=closing)
    assert response.status == 200
    assert response.getheader("Connection") == "close"
    assert response.will_close


def test_a_stopped_sandbox_ends_the_connections_it_kept_open():
    server = SandboxServer()
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=5)
    try:
        response, _ = answer(connection, "GET", "/v1/account", headers=AUTH)
        assert response.status == 200 and not response.will_close
        server.stop()
        assert connection.sock.recv(1) == b""  # closed by the sandbox, not left to answer
    finally:
        connection.close()
