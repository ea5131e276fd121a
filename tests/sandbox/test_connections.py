"""Persistent HTTP/1.1 connections, as Stripe's API keeps them for a client's next call."""

from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlsplit

from stripe_sandbox.testing import DEFAULT_TEST_KEY, SandboxServer

AUTH = {"Authorization": f"Bearer {DEFAULT_TEST_KEY}"}
FORM = {**AUTH, "Content-Type": "application/x-www-form-urlencoded"}


def connection_to(server: SandboxServer) -> http.client.HTTPConnection:
    address = urlsplit(server.url)
    return http.client.HTTPConnection(address.hostname, address.port, timeout=5)


def answer(connection: http.client.HTTPConnection, method: str, path: str, **kwargs):
    connection.request(method, path, **kwargs)
    response = connection.getresponse()
    return response, response.read()


def test_one_connection_carries_every_call_of_a_client(sandbox):
    connection = connection_to(sandbox)
    try:
        created, body = answer(
            connection, "POST", "/v1/accounts", body="type=express", headers=FORM
        )
        first_socket = connection.sock
        account = json.loads(body)["id"]
        fetched, _ = answer(connection, "GET", f"/v1/accounts/{account}", headers=AUTH)
        assert (created.status, fetched.status) == (200, 200)
        assert not fetched.will_close
        assert connection.sock is first_socket  # no new TCP connection for the second call
    finally:
        connection.close()


def test_a_body_the_sandbox_never_reads_does_not_spill_into_the_next_request(sandbox):
    connection = connection_to(sandbox)
    try:
        # Refused before its params are read: the body stays unread by the app.
        refused, _ = answer(
            connection, "POST", "/v1/accounts", body="type=express&" + "x" * 70_000, headers={}
        )
        fetched, body = answer(connection, "GET", "/v1/account", headers=AUTH)
        assert refused.status == 401
        assert fetched.status == 200
        assert json.loads(body)["object"] == "account"
    finally:
        connection.close()


def test_a_client_asking_to_close_gets_its_connection_closed(sandbox):
    connection = connection_to(sandbox)
    try:
        response, _ = answer(
            connection, "GET", "/v1/account", headers={**AUTH, "Connection": "close"}
        )
        assert response.status == 200
        assert response.getheader("Connection") == "close"
        assert response.will_close
    finally:
        connection.close()


def test_a_stopped_sandbox_ends_the_connections_it_kept_open():
    server = SandboxServer()
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=5) as client:
        client.sendall(
            b"GET /v1/account HTTP/1.1\r\nHost: sandbox\r\n"
            + f"Authorization: Bearer {DEFAULT_TEST_KEY}\r\n\r\n".encode()
        )
        assert client.recv(65536).startswith(b"HTTP/1.1 200")
        server.stop()
        assert client.recv(65536) == b""  # closed by the sandbox, not left to answer
