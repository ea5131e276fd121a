"""The connection options table: one source for config, validation, doctor, form and README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import create_app
from app.config import UnsafeConfigError
from app.services.connection_options import (
    CONNECTION_OPTIONS,
    V2_LINKS_NEED_V2_ACCOUNTS,
    app_defaults,
    known_options,
    option_errors,
    readme_table,
)
from app.services.onboarding.plan import CONTROLLERS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_table_is_the_code_table():
    text = README.read_text(encoding="utf-8")
    found = re.search(
        r"<!-- connection-options -->\n(.*?)\n<!-- /connection-options -->", text, re.S
    )
    assert found is not None
    assert found.group(1) == readme_table()


@pytest.mark.parametrize("option", CONNECTION_OPTIONS, ids=lambda option: option.name)
def test_the_app_refuses_a_setting_outside_the_table(option):
    with pytest.raises(UnsafeConfigError, match=option.config_key):
        create_app({"TESTING": True, "APP_ENV": "testing", option.config_key: "bogus"})


def test_the_app_defaults_come_from_the_table():
    app = create_app({"TESTING": True, "APP_ENV": "testing"})
    assert app_defaults(app.config) == {o.name: o.default for o in CONNECTION_OPTIONS}


@pytest.mark.parametrize(
    ("config", "errors", "kept"),
    [
        ({"dashboard": "none"}, [], {"dashboard": "none"}),
        ({"dashboard": "standard"}, ["“dashboard” must be one of express, full, none"], {}),
        ({"collection_fields": 3}, ["“collection_fields” must be one of"], {}),
        ({"partner_tag": "anything"}, [], {}),
    ],
)
def test_known_options_are_checked_and_unknown_keys_pass(config, errors, kept):
    found = option_errors(config)
    assert len(found) == len(errors)
    assert all(message in text for message, text in zip(errors, found, strict=True))
    assert known_options(config) == kept


@pytest.mark.parametrize(
    ("config", "defaults", "refused"),
    [
        ({"account_links_api": "v2"}, {"accounts_api": "v1"}, True),
        ({"account_links_api": "v2"}, {}, True),
        ({"account_links_api": "v2", "accounts_api": "v2"}, {"accounts_api": "v1"}, False),
        ({"account_links_api": "v2"}, {"accounts_api": "v2"}, False),
        ({"accounts_api": "v1"}, {"account_links_api": "v2", "accounts_api": "v2"}, True),
        ({"accounts_api": "v2"}, {}, False),
    ],
)
def test_v2_links_are_refused_with_v1_accounts_saying_why(config, defaults, refused):
    found = option_errors(config, defaults)
    assert found == ([V2_LINKS_NEED_V2_ACCOUNTS] if refused else [])


def test_every_dashboard_value_has_its_controller():
    (dashboard,) = [option for option in CONNECTION_OPTIONS if option.name == "dashboard"]
    assert set(dashboard.allowed) == set(CONTROLLERS)
