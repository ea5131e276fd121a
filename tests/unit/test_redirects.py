"""`safe_next` keeps redirects on our site."""

import pytest

from app.security.redirects import safe_next


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "//evil.example",
        "///evil.example",
        "https://evil.example",
        "http:evil.example",
        "/\\evil.example",
        "\\evil.example",
        "javascript:alert(1)",
        "/ok\r\nLocation: x",
        "evil.example/path",
        "/x\x00y",
    ],
)
def test_unsafe_targets_fall_back_to_root(target):
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", ["/", "/payments/srv_1", "/payments/new?x=1&y=2", "/a#b"])
def test_same_site_paths_are_kept(target):
    assert safe_next(target) == target
