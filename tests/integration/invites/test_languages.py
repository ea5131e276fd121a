"""The invitee's pages and mails in English, German, French and Spanish: the invite's locale
first, the browser's preference otherwise; dates in the locale's words."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.integration.invites.helpers import continue_from, emailed_link, invite, invite_row
from tests.integration.people.helpers import mail_to

TRANSLATIONS = Path(__file__).resolve().parents[3] / "app" / "translations"


@pytest.mark.parametrize(
    ("locale", "heading", "button", "month"),
    [
        ("en", "Set up payments for Shop", "Continue to Stripe", "December"),
        ("de", "Zahlungen für Shop einrichten", "Weiter zu Stripe", "Dezember"),
        ("fr", "Configurer les paiements pour Shop", "Continuer vers Stripe", "décembre"),
        ("es", "Configura los pagos de Shop", "Continuar a Stripe", "diciembre"),
    ],
)
def test_the_invite_locale_decides_the_landing_page_and_the_mail(
    app, mailbox, auth, signed_in, invitee, locale, heading, button, month
):
    invite(auth, signed_in.server.id, "owner@business.example", locale=locale)
    path = emailed_link(app, mailbox, "owner@business.example")

    html = invitee.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)

    assert heading in html and button in html
    assert f'lang="{locale}"' in html
    [message] = mail_to(mailbox, "owner@business.example")
    expires = invite_row(app, signed_in.server.id).expires_at
    if expires.month == 12:
        assert month in message.text
    assert str(expires.year) in message.text


def test_without_an_invite_locale_the_browser_decides(app, mailbox, auth, signed_in, invitee):
    invite(auth, signed_in.server.id, "owner@business.example")
    path = emailed_link(app, mailbox, "owner@business.example")

    french = invitee.get(path, headers={"Accept-Language": "fr-CH, fr;q=0.9, en;q=0.5"})
    other = invitee.get(path, headers={"Accept-Language": "it"})

    assert "Configurer les paiements pour Shop" in french.get_data(as_text=True)
    assert "Set up payments for Shop" in other.get_data(as_text=True)
    # The mail was written before any browser was known: in English.
    assert "You don't need an account" in mail_to(mailbox, "owner@business.example")[0].text


def test_the_return_page_and_refusals_follow_the_language(
    app, mailbox, auth, signed_in, invitee, sandbox, stored
):
    invite(auth, signed_in.server.id, "owner@business.example", locale="de")
    path = emailed_link(app, mailbox, "owner@business.example")
    continue_from(invitee, path)
    row = invite_row(app, signed_in.server.id)

    back = invitee.get(f"/onboard/i/{row.id}/return").get_data(as_text=True)
    refused = app.test_client().get(
        f"/onboard/i/{row.id}/return", headers={"Accept-Language": "es"}
    )

    assert "Für Shop fehlen noch Angaben" in back
    assert "Esta invitación no se puede usar" in refused.get_data(as_text=True)


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_every_message_is_translated(language):
    with (TRANSLATIONS / "messages.pot").open("rb") as pot:
        template = read_po(pot)
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po)
    wanted = {m.id for m in template if m.id}
    translated = {m.id for m in catalog if m.id and m.string}
    assert wanted - translated == set()
    mo = TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
    assert mo.exists()


def test_the_return_page_names_what_is_due_and_the_status_in_the_invite_language(
    app, mailbox, auth, signed_in, invitee, sandbox, stored
):
    invite(auth, signed_in.server.id, "owner@business.example", locale="de")
    continue_from(invitee, emailed_link(app, mailbox, "owner@business.example"))
    row = invite_row(app, signed_in.server.id)

    back = invitee.get(f"/onboard/i/{row.id}/return", headers={"Accept-Language": "en"})

    html = back.get_data(as_text=True)
    assert "external_account" in stored(signed_in.server.id).requirements["currently_due"]
    assert "Bankkonto für Auszahlungen" in html and "Art des Unternehmens" in html
    assert "Angaben fehlen" in html
    assert "Bank account for payouts" not in html and "Type of business" not in html
    assert "Needs information" not in html


def test_the_members_pages_stay_english_in_a_german_browser(
    app, client, mailbox, auth, signed_in, invitee, sandbox
):
    invite(auth, signed_in.server.id, "owner@business.example", locale="de")
    continue_from(invitee, emailed_link(app, mailbox, "owner@business.example"))

    page = client.get(f"/payments/{signed_in.server.id}", headers={"Accept-Language": "de"})

    html = page.get_data(as_text=True)
    assert "Needs information" in html and "Bank account for payouts" in html
    assert "Angaben fehlen" not in html and "Bankkonto für Auszahlungen" not in html
