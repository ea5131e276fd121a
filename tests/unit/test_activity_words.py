"""Every audit action the app records has words a person reads on the activity pages."""

from __future__ import annotations

import re
from pathlib import Path

from app.presentation import ACTIVITY_WORDS

SERVICES = Path(__file__).resolve().parents[2] / "app" / "services"
# Services name audit actions as "<subject>.<what happened>" string literals; the same shape as an
# endpoint name passed to `url_for` / `external_url`, which is left out.
ACTION = re.compile(
    r'(?<!url\()(?<!url_for\()"((?:onboarding|member|account|workspace|connection|webhook'
    r'|notification|api_token|resource)\.[a-z_]+)"'
)


# Literals of that shape that are not audit actions: a Stripe event type, and the endpoints the
# onboarding buttons post to.
NOT_ACTIONS = {"account.updated", "onboarding.connect", "onboarding.dashboard"}


def recorded_actions() -> set[str]:
    texts = [path.read_text() for path in SERVICES.rglob("*.py")]
    return {action for text in texts for action in ACTION.findall(text)} - NOT_ACTIONS


def test_the_scan_finds_the_actions_it_should():
    actions = recorded_actions()
    assert {"onboarding.link_minted", "member.invited", "account.password_changed"} <= actions


def test_every_recorded_action_has_words():
    assert sorted(recorded_actions() - set(ACTIVITY_WORDS)) == []
