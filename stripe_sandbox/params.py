"""Decode v1 form bodies the way Stripe reads them, and check them against a schema.

stripe-python encodes nested params as `capabilities[card_payments][requested]=true` and
lists as `expand[0]=a`; v2 endpoints take JSON instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from stripe_sandbox.errors import invalid_choice, invalid_url, missing_param, unknown_param

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")

# Schema leaves: SCALAR takes a string; ANY takes whatever was sent (kept opaque);
# a dict is a nested object with known keys; MapOf(x) has free-form keys.
SCALAR = "scalar"
ANY = "any"


class MapOf:
    """Schema node for objects with free-form keys (metadata, capabilities)."""

    def __init__(self, value: Any) -> None:
        self.value = value


def decode_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Turn form pairs with bracketed keys into nested dicts and lists."""
    root: dict[str, Any] = {}
    for raw_key, value in pairs:
        match = _KEY.match(raw_key)
        if not match:
            root[raw_key] = value
            continue
        path = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = root
        for index, part in enumerate(path[:-1]):
            following = path[index + 1]
            node = node.setdefault(part or str(len(node)), {})
            if following == "":
                path[index + 1] = str(len(node))
        node[path[-1] or str(len(node))] = value
    return _lists_from_numbered_dicts(root)


def _lists_from_numbered_dicts(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    converted = {key: _lists_from_numbered_dicts(item) for key, item in value.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def check_params(params: Mapping[str, Any], schema: Mapping[str, Any], prefix: str = "") -> None:
    """Raise Stripe's `parameter_unknown` error for the first key the schema does not know."""
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else key
        if key not in schema:
            raise unknown_param(name)
        _check_value(value, schema[key], name)


def _check_value(value: Any, node: Any, name: str) -> None:
    if isinstance(node, MapOf):
        if isinstance(value, dict):
            for key, item in value.items():
                _check_value(item, node.value, f"{name}[{key}]")
        return
    if isinstance(node, dict):
        if isinstance(value, dict):
            check_params(value, node, name)
        elif value != "":
            raise unknown_param(name)


def require(params: Mapping[str, Any], *names: str) -> None:
    """Raise `parameter_missing` for the first required top-level param that is absent."""
    for name in names:
        if params.get(name) in (None, ""):
            raise missing_param(name)


def choice(value: Any, param: str, choices: tuple[str, ...]) -> str:
    """Return `value` if it is one of `choices`, else raise Stripe's invalid-enum error."""
    if value not in choices:
        raise invalid_choice(param, choices)
    return value


def url(value: Any, param: str) -> str:
    """Return `value` if it is an absolute http(s) URL, else raise `url_invalid`."""
    parts = urlsplit(value) if isinstance(value, str) else None
    if not parts or parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid_url(param)
    return value


def boolean(value: Any) -> bool:
    """Read a form boolean (`true`/`false`) or a JSON one."""
    return value is True or (isinstance(value, str) and value.lower() == "true")
