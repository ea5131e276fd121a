"""Bulk invites: upload, preview with per-line errors, send by the worker, results; the same
file twice sends nothing twice."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from app.extensions import db
from app.models import OnboardingInvite, OutboundMail
from app.services.bulk_invites import send_pending


def upload(auth, csv_text: str, filename: str = "invites.csv"):
    """Post the bulk form with `csv_text` as an uploaded file."""
    return auth.post(
        "/payments/invites/bulk",
        {"file": (io.BytesIO(csv_text.encode()), filename)},
        page="/payments/invites/bulk",
        content_type="multipart/form-data",
    )


def run_worker(app) -> None:
    """Let the worker send every confirmed batch, chunk by chunk."""
    with app.app_context():
        while send_pending():
            pass
        db.session.remove()


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def send(auth, client, batch_path: str):
    """Press Send on the preview page."""
    return auth.post(f"{batch_path}/send", page=batch_path)


def test_a_500_row_csv_sends_500_invites_once_and_the_same_file_again_sends_none(
    app, client, auth, signed_in, factory, public_base
):
    servers = [factory.resource(signed_in.workspace, f"Store {n:03d}") for n in range(500)]
    csv_text = "resource,email\n" + "".join(
        f"{server.id},owner{n}@business.example\n" for n, server in enumerate(servers)
    )

    first = upload(auth, csv_text)
    assert first.status_code == 303
    batch_path = first.headers["Location"]
    preview = client.get(batch_path).get_data(as_text=True)
    assert "500 of 500 lines can be sent" in preview
    assert count(app, OnboardingInvite) == 0  # nothing is sent by a preview
    assert send(auth, client, batch_path).status_code == 303
    progress = client.get(batch_path)
    assert progress.headers["Refresh"] == "2"
    run_worker(app)
    done = client.get(batch_path)
    assert "Refresh" not in done.headers
    assert done.mimetype == "text/html"
    assert "Sent 500 · already invited 0" in done.get_data(as_text=True)
    assert count(app, OnboardingInvite) == 500
    assert count(app, OutboundMail) == 500

    again = upload(auth, csv_text).headers["Location"]
    send(auth, client, again)
    run_worker(app)
    assert "Sent 0 · already invited 500" in client.get(again).get_data(as_text=True)
    assert count(app, OnboardingInvite) == 500
    assert count(app, OutboundMail) == 500


def test_invalid_lines_are_shown_and_never_block_the_valid_ones(
    app, client, auth, signed_in, factory, public_base
):
    other = factory.resource(signed_in.workspace, "Second shop")
    stranger = factory.user("stranger@example.com")
    theirs = factory.resource(factory.workspace(stranger, "Elsewhere"), "Their shop")
    csv_text = "\n".join(
        [
            f"{signed_in.server.id},first@business.example",
            "Second shop,second@business.example",
            f"{theirs.id},x@business.example",
            "No such shop,y@business.example",
            f"{other.id},not-an-email",
            f"{signed_in.server.id},first@business.example",
            "only one column",
        ]
    )

    batch_path = upload(auth, csv_text).headers["Location"]
    html = client.get(batch_path).get_data(as_text=True)

    assert "2 of 7 lines can be sent" in html
    assert html.count('data-outcome="error"') == 5
    assert "No resource with this id or name that you may onboard" in html
    assert "Enter a valid email address" in html
    assert "appear on an earlier line" in html
    send(auth, client, batch_path)
    run_worker(app)
    done = client.get(batch_path).get_data(as_text=True)
    assert "Sent 2 · already invited 0 · skipped 5" in done
    with app.app_context():
        invited = db.session.execute(
            select(OnboardingInvite.server_id, OnboardingInvite.email).order_by(
                OnboardingInvite.email
            )
        ).all()
    assert invited == [
        (signed_in.server.id, "first@business.example"),
        (other.id, "second@business.example"),
    ]


def test_an_empty_upload_is_an_inline_error(app, auth, signed_in):
    response = upload(auth, "resource,email\n")

    assert response.status_code == 400
    assert "The file has no rows" in response.get_data(as_text=True)


def test_another_persons_batch_is_not_found(app, client, auth, signed_in, factory, public_base):
    batch_path = upload(auth, f"{signed_in.server.id},a@business.example").headers["Location"]
    factory.user("other@example.com")
    auth.logout()
    auth.login("other@example.com")

    assert client.get(batch_path).status_code == 404
    assert auth.post(f"{batch_path}/send", page="/").status_code == 404
    run_worker(app)
    assert count(app, OnboardingInvite) == 0


def test_resources_selected_on_the_dashboard_arrive_as_lines_to_complete(
    app, client, auth, signed_in, factory
):
    other = factory.resource(signed_in.workspace, "Second shop")
    theirs = factory.resource(factory.workspace(factory.user("x@example.com"), "X"), "Theirs")
    dashboard = client.get("/").get_data(as_text=True)
    assert f'value="{other.id}" form="bulk-invite-select"' in dashboard

    page = client.get(
        f"/payments/invites/bulk?server={signed_in.server.id}&server={other.id}&server={theirs.id}"
    ).get_data(as_text=True)

    assert f"{signed_in.server.id},\n" in page and f"{other.id},\n" in page
    assert theirs.id not in page
