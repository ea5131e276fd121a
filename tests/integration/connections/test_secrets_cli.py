"""`flask secrets rotate|new-key` and `flask tokens jwt`, run through the CLI runner."""

from __future__ import annotations

import jwt
from cryptography.fernet import Fernet
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, StripeConnection
from app.security.crypto import decrypt_secret
from tests.helpers import TEST_ENCRYPTION_KEY, TEST_KEY, WEBHOOK_SECRET

OTHER_TEST_KEY = "sk_test_connectionKeyOther00000000000002"


def _with_keys(app, keys):
    """Swap ENCRYPTION_KEYS for the block; returns the previous list to restore."""
    previous = app.config["ENCRYPTION_KEYS"]
    app.config["ENCRYPTION_KEYS"] = keys
    return previous


def test_new_key_prints_a_usable_fernet_key(runner):
    result = runner.invoke(args=["secrets", "new-key"])
    assert result.exit_code == 0
    Fernet(result.output.strip())  # raises if it is not a valid key


def test_rotate_re_encrypts_every_secret_under_the_newest_key(
    app, runner, factory, add_connection, db_execute
):
    workspace = factory.workspace()
    first, notification = add_connection(workspace)
    add_connection(workspace, api_key=OTHER_TEST_KEY, name="Second")
    new_key = Fernet.generate_key().decode()
    previous = _with_keys(app, [new_key, TEST_ENCRYPTION_KEY])
    try:
        result = runner.invoke(args=["secrets", "rotate", "--batch-size", "1"])
        again = runner.invoke(args=["secrets", "rotate"])
    finally:
        app.config["ENCRYPTION_KEYS"] = previous
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 6 secrets of 2 connections" in result.output
    assert again.exit_code == 0 and "Re-encrypted 6 secrets" in again.output
    only_new = Fernet(new_key)
    with app.app_context():
        rows = db_execute(
            "SELECT id, api_key_ciphertext, webhook_secret_ciphertext,"
            " notification_secret_ciphertext FROM stripe_connections"
        )
    for _id, *ciphertexts in rows:
        for ciphertext in ciphertexts:
            only_new.decrypt(ciphertext.encode())  # the old key is no longer needed
    by_id = {row[0]: row for row in rows}
    assert only_new.decrypt(by_id[first.id][1].encode()).decode() == TEST_KEY
    assert only_new.decrypt(by_id[first.id][2].encode()).decode() == WEBHOOK_SECRET
    assert only_new.decrypt(by_id[first.id][3].encode()).decode() == notification


def test_a_tampered_secret_marks_attention_and_rotation_carries_on(
    app, runner, factory, add_connection, tamper, client, auth
):
    owner = factory.user("owner@example.com")
    workspace = factory.workspace(owner)
    broken, _ = add_connection(workspace, name="Broken")
    fine, _ = add_connection(workspace, api_key=OTHER_TEST_KEY, name="Fine")
    tamper(broken.id, "webhook_secret_ciphertext")
    result = runner.invoke(args=["secrets", "rotate"])
    assert result.exit_code == 0, result.output
    assert "1 connections hold a secret no configured key decrypts" in result.output
    assert broken.id in result.output
    with app.app_context():
        assert db.session.get(StripeConnection, broken.id).attention_reason
        assert db.session.get(StripeConnection, fine.id).attention_reason is None
        assert decrypt_secret(db.session.get(StripeConnection, broken.id).api_key_ciphertext)
        assert db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_id == broken.id)
            .order_by(AuditEvent.id)
        ).all() == ["connection.created", "connection.secret_unreadable"]
    auth.login("owner@example.com")
    for path in (
        f"/workspaces/{workspace.id}/connections",
        f"/workspaces/{workspace.id}/connections/{broken.id}",
        f"/workspaces/{workspace.id}/connections/{broken.id}/edit",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "needs attention" in page.get_data(as_text=True).lower()


def test_tokens_jwt_mints_a_token_the_api_accepts(app, runner, client, factory):
    user = factory.user("admin@example.com")
    workspace = factory.workspace(user)
    result = runner.invoke(args=["tokens", "jwt", "admin@example.com", "--ttl", "120"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    claims = jwt.decode(token, app.config["JWT_SECRET"], algorithms=["HS256"])
    assert claims["sub"] == user.id
    assert claims["exp"] - claims["iat"] == 120
    response = client.get(
        f"/web/v1/workspaces/{workspace.id}/stripe/connections",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200


def test_tokens_jwt_refuses_an_unknown_email(runner):
    result = runner.invoke(args=["tokens", "jwt", "nobody@example.com"])
    assert result.exit_code != 0
    assert "No active user with the email nobody@example.com" in result.output
