"""The bounded JSON reader: what it refuses, and that ordinary JSON reads as before."""

from __future__ import annotations

import json

import pytest

from app.json_limits import (
    MAX_DEPTH,
    HostileJson,
    has_control_character,
    loads_bounded,
    nesting_depth,
)


@pytest.mark.parametrize(
    "text",
    [
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        '{"a": ' + "9" * 5_000 + "}",
        "9007199254740992",
        "-9007199254740992",
        '{"a": NaN}',
        '{"a": -Infinity}',
        '"\\u0000"',
        '{"\\u001f": 1}',
        '["\\u007f"]',
    ],
)
def test_hostile_json_is_refused_with_a_reason(text):
    with pytest.raises(HostileJson) as refused:
        loads_bounded(text)
    assert refused.value.message


@pytest.mark.parametrize(
    "text",
    [
        "[" * MAX_DEPTH + "]" * MAX_DEPTH,
        '{"a": 9007199254740991, "b": -9007199254740991, "c": 1.5e300}',
        '{"text": "tab\\tand\\nnewlines\\r are fine", "brackets": "[[[[{{{{"}',
        '"\\\\[\\"["',
    ],
)
def test_ordinary_json_reads_as_json_loads_does(text):
    assert loads_bounded(text) == json.loads(text)


def test_malformed_json_is_still_a_value_error_with_a_position():
    with pytest.raises(json.JSONDecodeError):
        loads_bounded('{"a": ')


def test_depth_ignores_brackets_inside_strings():
    assert nesting_depth('{"a": "[[[[[", "b": [1, {"c": "]]]"}]}') == 3


@pytest.mark.parametrize(("text", "found"), [("a\x00b", True), ("é\t\n\r", False), ("\x7f", True)])
def test_control_characters(text, found):
    assert has_control_character(text) is found
