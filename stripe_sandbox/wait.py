"""`python -m stripe_sandbox.wait URL [SECONDS]`: block until the sandbox answers, or fail."""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request


def wait_until_up(url: str, timeout: float = 15.0) -> bool:
    """Poll `url` until it answers (any HTTP status) or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).close()  # noqa: S310 — a loopback URL we start
            return True
        except urllib.error.HTTPError:
            return True  # it answered
        except OSError:
            time.sleep(0.2)
    return False


if __name__ == "__main__":
    target = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 15.0
    if not wait_until_up(target, seconds):
        sys.exit(f"{target} did not answer within {seconds:.0f} s")
