"""`python -m app.devserver`: the whole demo in one process group that Ctrl-C stops cleanly.

`make run` starts the offline Stripe sandbox, the mail catcher, the demo seed, the workers and
the app. A shell `trap 'kill 0'` re-entered itself on Ctrl-C (the trap's own `kill 0` signals
the shell again) and make printed "Segmentation fault". Here the children run in their own
sessions, so Ctrl-C reaches only this launcher, which stops them in reverse order and waits.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from stripe_sandbox.wait import wait_until_up

STOP_TIMEOUT_SECONDS = 10.0


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _wait_for_port(port: int, children: list[subprocess.Popen], timeout: float = 30.0) -> bool:
    """True once something listens on `port`; False if it doesn't in time or a child died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _listening(port):
            return True
        if any(child.poll() is not None for child in children):
            return False
        time.sleep(0.2)
    return False


def _sandbox_control(port: int, path: str) -> None:
    """POST one of the sandbox's `/_sandbox` controls (loopback)."""
    request = urllib.request.Request(  # noqa: S310 - the sandbox we started, on loopback
        f"http://127.0.0.1:{port}/_sandbox/{path}", data=b"{}", method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=5):  # noqa: S310
        pass


def _stop(children: list[subprocess.Popen]) -> None:
    """Stop the children one at a time, last started first: the app and the workers (each
    finishes the item in hand) while the sandbox and the mail catcher they talk to still
    answer, then those. A child still running after STOP_TIMEOUT_SECONDS is killed."""
    for child in reversed(children):
        if child.poll() is None:
            child.terminate()
        try:
            child.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m app.devserver", description=__doc__)
    parser.add_argument("--app-port", type=int, default=5000)
    parser.add_argument("--sandbox-port", type=int, default=12111)
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--mail-web-port", type=int, default=1080)
    parser.add_argument("--state-file", default="instance/sandbox-state.json")
    parser.add_argument(
        "--webhook-secret",
        default=os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        help="The app-level webhook secret the sandbox signs its events with.",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Start everything, say "Demo ready" once the app answers, stop everything on Ctrl-C."""
    args = _arguments(argv)
    python = sys.executable
    flask = [python, "-m", "flask"]
    children: list[subprocess.Popen] = []

    def start(*command: str) -> None:
        children.append(subprocess.Popen(command, start_new_session=True))  # noqa: S603

    def interrupted(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        start(
            python, "-m", "stripe_sandbox",
            "--port", str(args.sandbox_port),
            "--state-file", args.state_file,
            "--webhook",
            f"http://127.0.0.1:{args.app_port}/webhooks/stripe={args.webhook_secret}",
        )  # fmt: skip
        start(
            python, "-m", "mail_catcher",
            "--smtp-port", str(args.smtp_port),
            "--http-port", str(args.mail_web_port),
        )  # fmt: skip
        if not wait_until_up(f"http://127.0.0.1:{args.sandbox_port}/_sandbox/requests"):
            print("The Stripe sandbox did not start.", file=sys.stderr)
            return 1
        # The seed's webhooks wait at the sandbox until the app listens to receive them.
        _sandbox_control(args.sandbox_port, "webhooks/pause")
        seeded = subprocess.run([*flask, "demo", "seed", "--with-accounts"], check=False)  # noqa: S603
        if seeded.returncode:
            return seeded.returncode
        start(*flask, "notifications", "work")
        start(*flask, "mail", "work")
        start(*flask, "webhooks", "work")
        start(*flask, "run", "--port", str(args.app_port), "--no-reload")
        if not _wait_for_port(args.app_port, children):
            print("The app did not start listening.", file=sys.stderr)
            return 1
        _sandbox_control(args.sandbox_port, "webhooks/resume")
        print(
            f"\nDemo ready at http://127.0.0.1:{args.app_port} "
            f"(sent mail: http://127.0.0.1:{args.mail_web_port}). Ctrl-C stops everything.",
            flush=True,
        )
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("A demo process stopped; stopping the rest.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping the demo…", flush=True)
        return 0
    finally:
        _stop(children)


if __name__ == "__main__":
    sys.exit(main())
