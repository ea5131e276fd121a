"""pytest fixtures: `pytest_plugins = ["mail_catcher.pytest_plugin"]`.

`mail_catcher_server` is one real SMTP server on a free loopback port for the whole session;
`mailbox` is the same server emptied for one test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mail_catcher import MailCatcher


@pytest.fixture(scope="session")
def mail_catcher_server() -> Iterator[MailCatcher]:
    """The session's SMTP server (aiosmtpd) on a free loopback port."""
    catcher = MailCatcher().start()
    yield catcher
    catcher.stop()


@pytest.fixture
def mailbox(mail_catcher_server: MailCatcher) -> MailCatcher:
    """The session's SMTP server, emptied for this test."""
    mail_catcher_server.clear()
    return mail_catcher_server
