"""Limits on JSON and text from outside, so hostile input gets a 4xx and never a 500.

Hostile input must get a 4xx, never a 500: a NUL byte reaching PostgreSQL raises `DataError`,
deep nesting raises `RecursionError` in the JSON parser, and a 5,000-digit number raises
`ValueError` in `int()`. Both API families (and `configJson`, a JSON document inside a field)
parse with `loads_bounded`; path parameters are checked with `has_control_character`.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32
# JavaScript's safe integers: larger ones do not survive a round trip through most clients.
MAX_INTEGER = 2**53
# C0 controls except tab, line feed and carriage return; DEL; the C1 controls (a regex character
# class body). No person types these into a field or a URL; PostgreSQL cannot store NUL.
CONTROL_CHARACTERS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
_MAX_INTEGER_DIGITS = len(str(MAX_INTEGER))


class HostileJson(ValueError):
    """JSON the API refuses to read: `message` says why, for the client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def has_control_character(text: str) -> bool:
    """Whether `text` holds NUL or another control character (tab and newlines are fine)."""
    return _CONTROL.search(text) is not None


def nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in the JSON `text` (brackets in strings don't count)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > _MAX_INTEGER_DIGITS or abs(int(digits)) >= MAX_INTEGER:
        raise HostileJson(f"Numbers must be smaller than 2^53 in magnitude (got {digits[:20]}…).")
    return int(digits)


def _no_constant(name: str) -> Any:
    raise HostileJson(f"{name} is not valid JSON.")


def _check_strings(value: Any) -> None:
    if isinstance(value, str):
        if has_control_character(value):
            raise HostileJson("Strings must not contain NUL or other control characters.")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key)
            _check_strings(item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)


def loads_bounded(text: str) -> Any:
    """`json.loads`, refusing deep nesting, huge numbers, NaN/Infinity and control characters.

    Raises HostileJson for those and ValueError (json.JSONDecodeError) for malformed JSON.
    """
    if nesting_depth(text) > MAX_DEPTH:
        raise HostileJson(f"JSON may nest arrays and objects at most {MAX_DEPTH} levels deep.")
    value = json.loads(text, parse_int=_bounded_int, parse_constant=_no_constant)
    _check_strings(value)
    return value
