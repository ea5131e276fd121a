"""`make bench`: speed and memory figures, written to bench/RESULTS.md with the machine.

Ratios measured in one run are what we compare (absolute times are noisy on shared machines):
- dashboard time for 200 resources vs 1 (the page lists 20 at a time; queries stay constant),
- a Connect click's time with the sandbox answering slowly vs instantly (Stripe dominates),
- sign-in cost (argon2id verify) vs a dashboard render,
- peak Python memory of rendering the dashboard with 200 resources,
- the cost of the account lookup a Connect makes after an unfinished creation attempt.
"""

from __future__ import annotations

import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from stripe_sandbox.testing import SandboxServer  # noqa: E402
from tests.conftest import AuthActions  # noqa: E402
from tests.factories import Factory  # noqa: E402

PLATFORM_KEY = "sk_test_benchPlatformKey00000000000000000"


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds of `repeat` calls."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def sandbox_start_seconds() -> float:
    """Seconds from launching `python -m stripe_sandbox` until it answers a request."""
    import socket
    import subprocess

    from stripe_sandbox.wait import wait_until_up

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 — our own interpreter and module
        [sys.executable, "-m", "stripe_sandbox", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if not wait_until_up(f"http://127.0.0.1:{port}/_sandbox/requests", 10):
            raise RuntimeError("the sandbox did not start")
        return time.perf_counter() - started
    finally:
        process.terminate()
        process.wait()


def recovery_figures(app, factory, workspace, auth, sandbox) -> list[tuple[str, str]]:
    """A first Connect vs one that follows an unfinished attempt, with 300 other accounts
    created since that attempt began (the lookup pages through them, 100 at a time)."""
    from app.models import PaymentsAccount, utcnow

    def first_connect(after_unfinished_attempt: bool) -> tuple[float, int]:
        server = factory.resource(workspace, "Recovery")
        if after_unfinished_attempt:
            with app.app_context():
                payments = db.session.get(PaymentsAccount, server.payments.id)
                payments.creation_started_at = utcnow()
                db.session.commit()
        sandbox.clear_requests()
        start = time.perf_counter()
        response = auth.post(f"/payments/{server.id}/connect", page=f"/payments/{server.id}")
        elapsed = time.perf_counter() - start
        if response.status_code != 303:
            raise RuntimeError(f"Connect answered {response.status_code}, expected 303")
        return elapsed, len(sandbox.requests())

    plain_runs = [first_connect(False) for _ in range(5)]
    plain = statistics.median(elapsed for elapsed, _ in plain_runs)
    client = sandbox.stripe_client(PLATFORM_KEY)
    for _ in range(300):
        client.v1.accounts.create(params={"country": "US"})
    runs = [first_connect(True) for _ in range(5)]
    recovering = statistics.median(elapsed for elapsed, _ in runs)
    calls = runs[0][1]
    return [
        ("First Connect (median)", f"{plain * 1000:.1f} ms, {plain_runs[0][1]} Stripe calls"),
        (
            "First Connect after an unfinished attempt, 300 accounts since (median)",
            f"{recovering * 1000:.1f} ms, {calls} Stripe calls",
        ),
        ("Ratio after unfinished attempt / first", f"{recovering / plain:.1f}×"),
    ]


def main() -> None:
    sandbox = SandboxServer()
    tmp = Path(tempfile.mkdtemp())
    app = create_app(
        {
            "APP_ENV": "testing",
            "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
            "ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
            "JWT_SECRET": "bench-jwt-secret-0123456789abcdef0123456789",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite3'}",
            "RATELIMIT_ENABLED": False,
            "STRIPE_API_BASE": sandbox.url,
            "STRIPE_SECRET_KEY": PLATFORM_KEY,
        }
    )
    with app.app_context():
        db.create_all()
    factory = Factory(app)
    user = factory.user("bench@example.com")
    workspace = factory.workspace(user)
    client = app.test_client()
    auth = AuthActions(client)
    auth.login("bench@example.com")
    results: list[tuple[str, str]] = []

    first = factory.resource(workspace, "First")
    dash_1 = timed(lambda: client.get("/"), 30)
    for index in range(199):
        factory.resource(workspace, f"R{index}")
    dash_200 = timed(lambda: client.get("/"), 30)
    results.append(("Dashboard, 1 resource (median)", f"{dash_1 * 1000:.1f} ms"))
    results.append(("Dashboard, 200 resources, page of 20 (median)", f"{dash_200 * 1000:.1f} ms"))
    results.append(("Ratio 200 / 1", f"{dash_200 / dash_1:.2f}×"))

    tracemalloc.start()
    client.get("/")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    results.append(
        ("Peak Python memory of one dashboard render (200 resources)", f"{peak / 1024:.0f} KiB")
    )

    sign_in = timed(lambda: AuthActions(app.test_client()).login("bench@example.com"), 5)
    results.append(("Sign-in (argon2id verify + page)", f"{sign_in * 1000:.0f} ms"))
    results.append(("Ratio sign-in / dashboard", f"{sign_in / dash_200:.1f}×"))

    connect_path = f"/payments/{first.id}/connect"
    if "onboarding.connect" in app.view_functions:

        def connect():
            response = auth.post(connect_path, page=f"/payments/{first.id}")
            if response.status_code != 303:
                raise RuntimeError(f"Connect answered {response.status_code}, expected 303")

        connect()  # creates the account: later clicks mint a link only
        fast = timed(connect, 10)
        sandbox.set_latency(0.2)
        slow = timed(connect, 5)
        sandbox.set_latency(0)
        results.append(("Connect click, sandbox instant (median)", f"{fast * 1000:.1f} ms"))
        results.append(("Connect click, sandbox +200 ms per call", f"{slow * 1000:.1f} ms"))
        results.append(("Ratio slow / instant (1 Stripe call per click)", f"{slow / fast:.1f}×"))

        results.extend(recovery_figures(app, factory, workspace, auth, sandbox))

    sandbox.stop()
    results.append(
        ("Sandbox start-up (process launch → first answer)", f"{sandbox_start_seconds():.2f} s")
    )
    lines = [
        "# Benchmark results",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M UTC} on: {machine()}.",
        "SQLite, Flask test client, offline Stripe sandbox in-process. Compare ratios, not "
        "absolute times.",
        "",
        "| What | Result |",
        "|---|---|",
        *[f"| {name} | {value} |" for name, value in results],
        "",
    ]
    (ROOT / "bench" / "RESULTS.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
