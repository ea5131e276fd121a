"""`make bench`: issue 17's figures on PostgreSQL with gunicorn (gthread) and wrk, → RESULTS.md.

Every figure is a ratio within one run, taken three times (min / median / max), so a busy shared
machine shifts both sides alike:
- dashboard throughput (200 resources, 20 rows) / a bare Flask hello-world, same gunicorn;
- server CPU per dashboard request at 10,000 resources / at 200 (the workers' own CPU time);
- SQL statements per page (1 workspace and 20 on the page), counted on the engine;
- peak RSS of a worker during 16 concurrent sign-ins (argon2id, 64 MiB each);
- signed webhook ingest / a bare Flask+SQLAlchemy endpoint that verifies and inserts one row,
  each request a fresh signed event;
- EXPLAIN ANALYZE of every statement the dashboard and /v1/servers run, at 10,000 and 100,000.

BENCH_DATABASE_URL names a PostgreSQL database the bench may wipe (default: …/bench).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.config import DEFAULT_GUNICORN_THREADS  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import PaymentsAccount  # noqa: E402
from app.services import api_tokens  # noqa: E402
from tests.factories import Factory  # noqa: E402
from tests.helpers import (  # noqa: E402
    AuthActions,
    bulk_resources,
    csrf_token_from,
    statements,
    stripe_event,
    stripe_signature,
)

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench")
RUNS = 3
THREADS = int(os.environ.get("GUNICORN_THREADS", DEFAULT_GUNICORN_THREADS))
WRK_SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "8"))
WRK_CONNECTIONS = 16
WRK_THREADS = 2
SIGN_INS = 16
PASSWORD = Factory.PASSWORD
ENV = {
    "APP_ENV": "development",
    "DATABASE_URL": DATABASE_URL,
    "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
    "JWT_SECRET": "bench-jwt-secret-that-is-long-enough-0123456789",
    "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "WEB_CONCURRENCY": "2",
    "RATELIMIT_STORAGE_URI": "memory://",
}


def machine() -> str:
    """CPU model, cores, Python and OS, as lscpu and the interpreter say."""
    model = "unknown CPU"
    lscpu = subprocess.run(  # noqa: S603 - a fixed command
        [shutil.which("lscpu") or "/usr/bin/lscpu"], capture_output=True, text=True, check=False
    ).stdout
    for line in lscpu.splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    cores = len(os.sched_getaffinity(0))
    return f"{model}, {cores} cores, Python {platform.python_version()}, {platform.system()}"


def spread(values: list[float]) -> str:
    """`min / median / max` of three runs."""
    return " / ".join(f"{v:.3g}" for v in (min(values), statistics.median(values), max(values)))


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far, as /proc/<pid>/stat counts it."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- data -----------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    """Create the bench database on its server when it is missing (a fresh machine has none)."""
    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if exists.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')


def bench_app():
    """The app in this process, on the bench database, to seed, count and explain."""
    ensure_database(DATABASE_URL)
    for key, value in ENV.items():
        os.environ[key] = value
    return create_app({"RATELIMIT_ENABLED": False})


def seed(app) -> dict[str, object]:
    """People with 200 and 10,000 resources in one workspace, and 20 workspaces of 10 each."""
    with app.app_context():
        db.drop_all()
        db.create_all()
    factory = Factory(app)
    small = factory.user("small@example.com")
    large = factory.user("large@example.com")
    spread_out = factory.user("spread@example.com")
    small_ws = factory.workspace(small, "Two hundred")
    large_ws = factory.workspace(large, "Ten thousand")
    many = [factory.workspace(spread_out, f"WS {n:02d}").id for n in range(20)]
    bulk_resources(app, [small_ws.id], 200)
    bulk_resources(app, [large_ws.id], 10_000)
    bulk_resources(app, many, 200)
    for n in range(SIGN_INS):
        factory.user(f"signin{n}@example.com")
    with app.app_context():
        token = api_tokens.create_token(large.id, "bench").secret
    vacuum(app)
    return {"small_ws": small_ws.id, "large_ws": large_ws.id, "token": token}


def vacuum(app) -> None:
    """Fresh statistics and visibility maps, as autovacuum leaves a settled table."""
    with app.app_context(), db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))


def signed_in_client(app, email: str):
    client = app.test_client()
    AuthActions(client).login(email)
    return client


def answered(response) -> None:
    """A figure from an error page would be worthless: stop the bench instead."""
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.path} answered {response.status_code}")


def statements_per_page(app) -> dict[str, int]:
    """SQL statements of one dashboard page, the user loader's included."""
    counts = {}
    for label, email in [
        ("1 workspace, 200 resources", "small@example.com"),
        ("1 workspace, 10,000 resources", "large@example.com"),
        ("20 workspaces on the page", "spread@example.com"),
    ]:
        client = signed_in_client(app, email)
        client.get("/")
        with statements(app) as seen:
            answered(client.get("/"))
        counts[label] = len(seen)
    client = signed_in_client(app, "large@example.com")
    detail = re.search(r'class="resource-name" href="([^"]+)"', client.get("/").text).group(1)
    client.get(detail)
    with statements(app) as seen:
        answered(client.get(detail))
    counts["a resource's detail page"] = len(seen)
    return counts


def explain(app, data: dict[str, object]) -> list[tuple[str, str, str]]:
    """(page, statement, EXPLAIN ANALYZE plan) for each SELECT a listing page runs."""
    client = signed_in_client(app, "large@example.com")
    pages = {
        "dashboard": "/",
        "dashboard, workspace + status filter, page 3": (
            f"/?workspace={data['large_ws']}&status=pending&page=3"
        ),
        "dashboard, status filter": "/?status=complete",
        "/v1/servers": "/v1/servers?perPage=20",
    }
    bearer = {"Authorization": f"Bearer {data['token']}"}
    plans = []
    for label, path in pages.items():
        client.get(path, headers=bearer)
        with statements(app, with_parameters=True) as seen:
            answered(client.get(path, headers=bearer))
        with app.app_context(), db.engine.connect() as conn:
            for statement, parameters in seen:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                if "FROM servers" not in statement and "count(" not in statement:
                    continue
                plan = conn.exec_driver_sql(
                    "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " + statement, parameters
                ).scalars()
                plans.append((label, " ".join(statement.split())[:160], "\n".join(plan)))
    return plans


# --- gunicorn and wrk -----------------------------------------------------------------------


class Gunicorn:
    """gunicorn with gunicorn.conf.py serving `target`, on a free port, access log off."""

    def __init__(self, target: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(  # noqa: S603 - our own gunicorn and config
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "--config",
                str(ROOT / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--access-logfile",
                "/dev/null",
                target,
            ],
            cwd=ROOT,
            env={**os.environ, **ENV, **(env or {}), "PYTHONPATH": str(ROOT)},
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/auth/login", timeout=2).read()  # noqa: S310
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.2)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def cpu_seconds(self) -> float:
        """User + system CPU of the worker processes so far."""
        return cpu_seconds(self.workers())

    def connection_split(self) -> str:
        """Established client connections per worker now, e.g. `11/5` (ss shows the owner)."""
        listing = subprocess.run(  # noqa: S603 - a fixed command
            [shutil.which("ss") or "ss", "-tnpH", "state", "established", f"sport = :{self.port}"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        owners = re.findall(r"pid=(\d+)", listing)
        return "/".join(str(owners.count(str(pid))) for pid in self.workers())

    def peak_rss_mb(self) -> float:
        """The highest resident-set peak (VmHWM) among the workers, in MB."""
        peaks = []
        for pid in self.workers():
            status = Path(f"/proc/{pid}/status").read_text()
            peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024)
        return max(peaks)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def sign_in(base: str, email: str) -> tuple[urllib.request.OpenerDirector, str]:
    """An opener carrying a signed-in session cookie, and that cookie as a header value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(f"{base}/auth/login").read().decode()
    form = {"email": email, "password": PASSWORD, "csrf_token": csrf_token_from(html)}
    opener.open(f"{base}/auth/login", data=urllib.parse.urlencode(form).encode()).read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return opener, cookie


def wrk(
    url: str,
    cookie: str | None = None,
    *,
    headers: tuple[str, ...] = (),
    script: Path | None = None,
    script_args: tuple[str, ...] = (),
) -> tuple[float, int]:
    """(requests per second, requests completed) of one wrk run; errors abort the bench."""
    command = [
        *(
            shutil.which("wrk") or "wrk",
            f"-t{WRK_THREADS}",
            f"-c{WRK_CONNECTIONS}",
            f"-d{WRK_SECONDS}s",
        ),
        # A Connect waits on Stripe twice: wrk's 2 s default would count slow answers as errors.
        "--timeout=10s",
    ]
    for header in ([f"Cookie: {cookie}"] if cookie else []) + list(headers):
        command += ["-H", header]
    if script:
        command += ["-s", str(script)]
    command += [url, "--", *script_args] if script else [url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    # A script prints "unexpected answers" when a response was not the one it expects.
    if any(error in out for error in ("Non-2xx", "Socket errors", "unexpected answers")):
        raise RuntimeError(f"wrk saw errors on {url}:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    done = int(re.search(r"(\d+) requests in", out).group(1))
    return rate, done


def throughput_and_cpu(data: dict[str, object]) -> dict[str, list[float]]:
    """Three runs of hello-world, the floor, dashboard at 200 and at 10,000 resources, same
    gunicorn."""
    hello = Gunicorn("bench.serve:hello_world()")
    floor = Gunicorn("bench.serve:session_query_render()")
    app = Gunicorn("bench.serve:connect_onboarding()")
    try:
        _, small = sign_in(app.url, "small@example.com")
        _, large = sign_in(app.url, "large@example.com")
        floor_cookie = floor_session(floor.url, str(data["small_ws"]))
        wrk(f"{app.url}/", small)  # warm: imports, template cache, pool
        wrk(f"{floor.url}/", floor_cookie)
        figures: dict[str, list[float]] = {"ratio": [], "hello": [], "dash": [], "cpu": []}
        for _ in range(RUNS):
            hello_rate, _ = wrk(f"{hello.url}/")
            floor_rate, _ = wrk(f"{floor.url}/", floor_cookie)
            figures.setdefault("floor", []).append(floor_rate)
            figures.setdefault("floor_ratio", []).append(floor_rate / hello_rate)
            cpu = {}
            for label, cookie in (("small", small), ("large", large)):
                before = app.cpu_seconds()
                rate, done = wrk(f"{app.url}/", cookie)
                cpu[label] = (app.cpu_seconds() - before) / done
                if label == "small":
                    figures["dash"].append(rate)
            figures["hello"].append(hello_rate)
            figures["ratio"].append(figures["dash"][-1] / hello_rate)
            figures.setdefault("dash_floor", []).append(figures["dash"][-1] / floor_rate)
            figures["cpu"].append(cpu["large"] / cpu["small"])
            figures.setdefault("cpu_small_ms", []).append(cpu["small"] * 1000)
            figures.setdefault("cpu_large_ms", []).append(cpu["large"] * 1000)
        return figures
    finally:
        app.stop()
        floor.stop()
        hello.stop()


# --- webhook ingest --------------------------------------------------------------------------

WEBHOOK_SECRET = "whsec_benchWebhookSigningSecret00000000001"  # noqa: S105 - a bench secret
WEBHOOK_ACCOUNT = "acct_1BenchWebhookAcct0"
# More signed events than wrk can send in one run: every request is a new event, never a
# duplicate (which would skip the insert).
EVENTS_PER_RUN = 60_000
# wrk's Lua has no HMAC: each thread loads its share of the events signed in Python (one
# `signature<TAB>body` per line) and sends each once.
WEBHOOK_LUA = """
local requests, sent = {}, 0
local started = 0
function setup(thread)
  thread:set("tid", started)
  started = started + 1
end
function init(args)
  local n = 0
  for line in io.lines("%(events)s") do
    if n %% %(threads)d == tid then
      local signature, body = line:match("^([^\t]+)\t(.*)$")
      requests[#requests + 1] = wrk.format("POST", "%(path)s", {
        ["Content-Type"] = "application/json", ["Stripe-Signature"] = signature }, body)
    end
    n = n + 1
  end
end
function request()
  sent = sent %% #requests + 1
  return requests[sent]
end
"""


def seed_webhook_inbox(app) -> None:
    """One resource onboards under the app-level key, so our endpoint records its events; the
    baseline gets its one-table schema."""
    with app.app_context():
        payments = db.session.scalars(
            select(PaymentsAccount).order_by(PaymentsAccount.id).limit(1)
        ).one()
        payments.stripe_account_id, payments.connection_id = WEBHOOK_ACCOUNT, None
        db.session.execute(text("DROP TABLE IF EXISTS bench_webhook_events"))
        db.session.execute(
            text(
                "CREATE TABLE bench_webhook_events (id varchar(80) PRIMARY KEY, "
                "type varchar(80) NOT NULL, account_id varchar(64), "
                "received_at timestamptz NOT NULL)"
            )
        )
        db.session.commit()


def signed_events(folder: Path, path: str) -> Path:
    """A wrk script posting EVENTS_PER_RUN fresh `account.updated` events, signed now (Stripe's
    tolerance is 300 s), to `path`."""
    run = uuid.uuid4().hex[:12]
    now = int(time.time())
    events = folder / f"events-{run}.tsv"
    with events.open("w") as out:
        for n in range(EVENTS_PER_RUN):
            event = stripe_event("account.updated", WEBHOOK_ACCOUNT, event_id=f"evt_{run}{n:07d}")
            body = json.dumps(event, separators=(",", ":"))
            out.write(f"{stripe_signature(body.encode(), WEBHOOK_SECRET, now)}\t{body}\n")
    script = folder / f"post-{run}.lua"
    script.write_text(WEBHOOK_LUA % {"events": events, "threads": WRK_THREADS, "path": path})
    return script


def rows(app, table: str) -> int:
    with app.app_context(), db.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608


def posted(app, server: Gunicorn, path: str, table: str, folder: Path) -> float:
    """Requests per second of one wrk run of fresh signed events; checks each was inserted."""
    before = rows(app, table)
    rate, done = wrk(f"{server.url}{path}", script=signed_events(folder, path))
    inserted = rows(app, table) - before
    if done > EVENTS_PER_RUN or inserted < done:
        raise RuntimeError(f"{path}: {done} answered, {inserted} rows inserted")
    return rate


def webhook_ingest(app, folder: Path) -> dict[str, list[float]]:
    """Three runs of the verify+insert baseline and our webhook endpoint, same gunicorn.

    Only the ingest is measured: no `flask webhooks work` runs, as the worker's fetch and
    apply happen after Stripe has its 2xx.
    """
    os.environ["STRIPE_WEBHOOK_SECRET"] = WEBHOOK_SECRET  # both servers read it
    baseline = Gunicorn("bench.serve:verify_and_insert()")
    ours = Gunicorn("bench.serve:connect_onboarding()")
    try:
        posted(app, ours, "/webhooks/stripe", "webhook_events", folder)  # warm
        figures: dict[str, list[float]] = {"ratio": [], "baseline": [], "ours": []}
        for _ in range(RUNS):
            base_rate = posted(app, baseline, "/webhook", "bench_webhook_events", folder)
            our_rate = posted(app, ours, "/webhooks/stripe", "webhook_events", folder)
            figures["baseline"].append(base_rate)
            figures["ours"].append(our_rate)
            figures["ratio"].append(our_rate / base_rate)
        figures["load"] = [os.getloadavg()[0]]
        return figures
    finally:
        ours.stop()
        baseline.stop()


def floor_session(base: str, workspace_id: str) -> str:
    """The floor baseline's session cookie, naming the workspace whose rows it lists."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/sign-in/{workspace_id}").read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def sign_in_memory() -> list[float]:
    """Peak worker RSS (MB) during 16 concurrent sign-ins, a fresh gunicorn each run."""
    peaks = []
    for _ in range(RUNS):
        app = Gunicorn("bench.serve:connect_onboarding()")
        try:
            start = threading.Barrier(SIGN_INS)
            failures: list[BaseException] = []

            def one(n: int, base=app.url, barrier=start, failures=failures) -> None:
                barrier.wait()
                try:
                    sign_in(base, f"signin{n}@example.com")
                except BaseException as error:  # a failed sign-in invalidates the figure
                    failures.append(error)

            threads = [threading.Thread(target=one, args=(n,)) for n in range(SIGN_INS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            if failures:
                raise failures[0]
            peaks.append(app.peak_rss_mb())
        finally:
            app.stop()
    return peaks


# --- Connect with Stripe answering in 300 ms ----------------------------------------------

STRIPE_LATENCY = 0.3
CONNECT_KEY = "sk_test_benchPlatformKey000000000000000000"
CONNECT_EMAIL = "connect@example.com"
# Fresh resources per run: more than 16 threads can click in WRK_SECONDS at Stripe's pace.
FRESH_PER_RUN = 600
# Resources connected once before measuring, clicked again by every later-Connect run.
LATER_RESOURCES = 600


class Sandbox:
    """The offline Stripe sandbox in its own process, so its work takes no gunicorn thread."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(  # noqa: S603 - our own sandbox module
            [sys.executable, "-m", "stripe_sandbox", "--port", str(self.port)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.control("GET", "clock")
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the sandbox did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def control(self, method: str, path: str, body: dict | None = None) -> object:
        """Call one of the sandbox's `/_sandbox/…` test controls."""
        request = urllib.request.Request(  # noqa: S310 - our own sandbox on loopback
            f"{self.url}/_sandbox/{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return json.load(answer)

    def cpu_seconds(self) -> float:
        """User + system CPU of the sandbox process so far."""
        return cpu_seconds([self.process.pid])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def seed_connect(app) -> tuple[list[str], list[str]]:
    """A person's resources, onboarded under the app-level key (test mode, like every bulk
    resource): RUNS × FRESH_PER_RUN never connected, for the first Connects, and LATER_RESOURCES
    the bench connects once before measuring, for the later ones."""
    factory = Factory(app)
    person = factory.user(CONNECT_EMAIL)
    workspace = factory.workspace(person, "Connect")
    ids = bulk_resources(app, [workspace.id], RUNS * FRESH_PER_RUN + LATER_RESOURCES)
    vacuum(app)
    return ids[: RUNS * FRESH_PER_RUN], ids[RUNS * FRESH_PER_RUN :]


class IdleSamples(list):
    """(sessions idle in transaction, of which idle for a Stripe call's length) per sample,
    the longest idle spell seen (seconds) and the statement it followed."""

    longest = 0.0
    longest_after = ""


# A transaction held across a Stripe call sits idle at least as long as Stripe takes to answer;
# the gaps between two statements of a short transaction last milliseconds on a quiet machine
# (on a busy one a thread waiting for the CPU stretches them too: the statement says which).
HELD_ACROSS_STRIPE = STRIPE_LATENCY


@contextmanager
def idle_in_transaction() -> Iterator[IdleSamples]:
    """Samples, every 50 ms, of the bench database's sessions idle in a transaction."""
    samples = IdleSamples()
    stop = threading.Event()
    url = DATABASE_URL.replace("postgresql+psycopg://", "postgresql://")

    def sample() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            while not stop.is_set():
                idle = conn.execute(
                    "SELECT extract(epoch FROM now() - state_change)::float, query"
                    " FROM pg_stat_activity WHERE datname = current_database()"
                    " AND state LIKE 'idle in transaction%'"
                ).fetchall()
                samples.append((len(idle), sum(age >= HELD_ACROSS_STRIPE for age, _ in idle)))
                for age, query in idle:
                    if age > samples.longest:
                        samples.longest, samples.longest_after = age, " ".join(query.split())
                stop.wait(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        yield samples
    finally:
        stop.set()
        sampler.join()


def click_connect(
    served: Gunicorn, sandbox: Sandbox, cookie: str, csrf: str, ids: list[str], splits: list[str]
) -> tuple[float, float, float]:
    """(Connects per second, CPU ms per Connect of the workers, of the sandbox), 16 clients
    each clicking Connect on resources from `ids`; how wrk's connections were split over the
    workers goes to `splits`."""
    ids_file = ROOT / "bench" / ".connect-ids"
    ids_file.write_text("\n".join(ids) + "\n")
    try:
        before = served.cpu_seconds(), sandbox.cpu_seconds()
        split = threading.Timer(WRK_SECONDS / 2, lambda: splits.append(served.connection_split()))
        split.start()
        rate, done = wrk(
            f"{served.url}/",
            cookie,
            script=ROOT / "bench" / "connect.lua",
            script_args=(str(ids_file), urllib.parse.quote(csrf, safe=""), sandbox.url, "2"),
        )
        split.join()
    finally:
        ids_file.unlink()
    if done > len(ids):
        raise RuntimeError(
            f"{done} Connects but {len(ids)} resources: raise FRESH_PER_RUN or LATER_RESOURCES"
        )
    workers = (served.cpu_seconds() - before[0]) / done * 1000
    return rate, workers, (sandbox.cpu_seconds() - before[1]) / done * 1000


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Keep Connect's 303 as the answer instead of following it to the Stripe link."""

    def redirect_request(self, *args, **kwargs) -> None:
        return None


def connect_each_once(app, served: Gunicorn, cookie: str, csrf: str, ids: list[str]) -> None:
    """Connect every resource in `ids` once (16 at a time), so that each has its account before
    the later Connects are measured; stop the bench if one has none after."""
    opener = urllib.request.build_opener(_NoRedirect)
    body = urllib.parse.urlencode({"csrf_token": csrf}).encode()

    def connect(server_id: str) -> None:
        request = urllib.request.Request(  # noqa: S310 - our own app on loopback
            f"{served.url}/payments/{server_id}/connect", data=body, headers={"Cookie": cookie}
        )
        try:
            opener.open(request, timeout=30).read()
        except urllib.error.HTTPError as answer:
            if answer.code != 303:
                raise

    with ThreadPoolExecutor(WRK_CONNECTIONS) as pool:
        list(pool.map(connect, ids))
    with app.app_context():
        missing = db.session.scalar(
            select(func.count())
            .select_from(PaymentsAccount)
            .where(PaymentsAccount.server_id.in_(ids), PaymentsAccount.stripe_account_id.is_(None))
        )
    if missing:
        raise RuntimeError(f"{missing} of the later Connects' resources have no account")


def connect_throughput(app, fresh_ids: list[str], later_ids: list[str]) -> dict[str, list]:
    """Three runs of first Connects (2 Stripe calls: create the account, mint its link) and
    later ones (1 call: the link), Stripe answering every call in 300 ms; the sandbox alone
    at the same latency; PostgreSQL sessions idle in transaction all along."""
    sandbox = Sandbox()
    served = Gunicorn(
        "bench.serve:connect_onboarding()",
        env={"STRIPE_API_BASE": sandbox.url, "STRIPE_SECRET_KEY": CONNECT_KEY},
    )
    try:
        opener, cookie = sign_in(served.url, CONNECT_EMAIL)
        csrf = csrf_token_from(opener.open(f"{served.url}/").read().decode())
        # Before measuring, Stripe answering at once: the later Connects' resources get their
        # accounts (a later Connect makes one Stripe call only if its account exists; without
        # this, a run's later Connects past the first run's reach were first ones, two calls
        # each), and every worker thread has met the database and the sandbox once.
        connect_each_once(app, served, cookie, csrf, later_ids)
        sandbox.control("POST", "latency", {"seconds": STRIPE_LATENCY})
        ideal = WRK_CONNECTIONS / STRIPE_LATENCY  # one Stripe wait per thread at a time
        figures: dict[str, list] = {}
        splits: list[str] = []
        with idle_in_transaction() as idle:
            for run in range(RUNS):
                fresh = fresh_ids[run * FRESH_PER_RUN : (run + 1) * FRESH_PER_RUN]
                first, first_cpu, first_stripe = click_connect(
                    served, sandbox, cookie, csrf, fresh, splits
                )
                later, later_cpu, later_stripe = click_connect(
                    served, sandbox, cookie, csrf, later_ids, splits
                )
                for name, value in (
                    ("first", first),
                    ("first_ratio", first / (ideal / 2)),
                    ("first_cpu_ms", first_cpu),
                    ("first_sandbox_cpu_ms", first_stripe),
                    ("later", later),
                    ("later_ratio", later / ideal),
                    ("later_cpu_ms", later_cpu),
                    ("later_sandbox_cpu_ms", later_stripe),
                ):
                    figures.setdefault(name, []).append(value)
        figures["idle_max"] = [max(count for count, _ in idle)]
        figures["idle_across_stripe"] = [max(held for _, held in idle)]
        figures["splits"] = splits
        figures["idle_longest_ms"] = [idle.longest * 1000]
        figures["idle_longest_after"] = [idle.longest_after[:120]]
        figures.update(sandbox_alone(app, sandbox))
        check_one_account_per_resource(app, sandbox)
        return figures
    finally:
        served.stop()
        sandbox.stop()


def sandbox_alone(app, sandbox: Sandbox) -> dict[str, list[float]]:
    """The sandbox's own pace at 300 ms: 16 clients retrieving an account, three runs."""
    with app.app_context():
        account = db.session.scalar(
            select(PaymentsAccount.stripe_account_id)
            .where(PaymentsAccount.stripe_account_id.is_not(None))
            .limit(1)
        )
    bearer = (f"Authorization: Bearer {CONNECT_KEY}",)
    rates = [wrk(f"{sandbox.url}/v1/accounts/{account}", headers=bearer)[0] for _ in range(RUNS)]
    ideal = WRK_CONNECTIONS / STRIPE_LATENCY
    return {"sandbox": rates, "sandbox_ratio": [rate / ideal for rate in rates]}


def check_one_account_per_resource(app, sandbox: Sandbox) -> None:
    """Every account Stripe made belongs to exactly one resource, and the reverse."""
    with app.app_context():
        stored = db.session.scalar(
            select(func.count()).where(PaymentsAccount.stripe_account_id.is_not(None))
        )
    made = len(sandbox.control("GET", "accounts")["data"])
    if stored != made:
        raise RuntimeError(f"Stripe made {made} accounts, resources hold {stored}")


# --- report ---------------------------------------------------------------------------------


def write_results(
    figures,
    connect,
    memory,
    counts,
    ingest,
    plans_10k,
    plans_100k,
    started: tuple[datetime, str],
    seconds: float,
) -> str:
    """RESULTS.md from the figures; `started` is when and at which load average."""
    started_at, load_at_start = started
    met = {
        "dashboard / hello-world": min(figures["ratio"]) >= 0.10,
        "CPU 10,000 / 200": max(figures["cpu"]) <= 1.3,
        "SQL statements": max(counts.values()) <= 5,
        "sign-in RSS": max(memory) <= 250,
        "Connect at 300 ms": min(connect["later_ratio"]) >= 0.9,
        "idle in transaction across Stripe": max(connect["idle_across_stripe"]) == 0,
        "webhook ingest / verify+insert": min(ingest["ratio"]) >= 0.6,
    }
    mark = {True: "met", False: "**not met**"}
    lines = [
        "# Benchmark results",
        "",
        f"`make bench`, {started_at:%Y-%m-%d %H:%M} UTC, {seconds:.0f} s, on: {machine()}; "
        f"load average at the start {load_at_start}, at the end {load_average()} (the machine "
        "is shared: a busy one lowers every figure that leans on the CPU).",
        f"PostgreSQL, gunicorn with gunicorn.conf.py (gthread, 2 workers × {THREADS} threads), wrk "
        f"-t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{WRK_SECONDS}s on the same machine. Figures are "
        f"min / median / max of {RUNS} runs; every ratio is taken within one run.",
        "",
        "| figure | this run | target | |",
        "|---|---|---|---|",
        f"| dashboard throughput (200 resources, 20 rows) / bare Flask hello-world, same gunicorn "
        f"| {spread(figures['ratio'])} | ≥ 0.10 | {mark[met['dashboard / hello-world']]} |",
        f"| server CPU per dashboard request, 10,000 / 200 resources "
        f"| {spread(figures['cpu'])} ({spread(figures['cpu_large_ms'])} ms / "
        f"{spread(figures['cpu_small_ms'])} ms) | ≤ 1.3× | {mark[met['CPU 10,000 / 200']]} |",
        "| SQL statements per page | "
        + ", ".join(f"{n} ({label})" for label, n in counts.items())
        + f" | ≤ 5 | {mark[met['SQL statements']]} |",
        f"| peak RSS per worker during {SIGN_INS} concurrent sign-ins (argon2id, 64 MiB) "
        f"| {spread(memory)} MB | ≤ 250 MB | {mark[met['sign-in RSS']]} |",
        *connect_rows(
            connect, mark[met["Connect at 300 ms"]], mark[met["idle in transaction across Stripe"]]
        ),
        "| signed webhook ingest / bare Flask+SQLAlchemy verify+insert, a fresh signed event "
        f"per request | {spread(ingest['ratio'])} | ≥ 0.6 "
        f"| {mark[met['webhook ingest / verify+insert']]} |",
        "",
        f"Raw: hello-world {spread(figures['hello'])} req/s; dashboard (200) "
        f"{spread(figures['dash'])} req/s; the floor {spread(figures['floor'])} req/s; webhook "
        f"ingest {spread(ingest['ours'])} req/s, verify+insert baseline "
        f"{spread(ingest['baseline'])} req/s.",
        "",
        "The floor (`bench/serve.py:session_query_render`): a Flask page that reads a signed "
        "session cookie, runs one SQL statement and renders 20 escaped rows, nothing else "
        f"(no Flask-Login, CSRF, ORM, security headers, layout): floor / hello-world "
        f"{spread(figures['floor_ratio'])}, dashboard / floor {spread(figures['dash_floor'])}.",
        "",
        "## Closing note",
        "",
        "Met in this run: "
        + (", ".join(name for name, ok in met.items() if ok) or "none")
        + ". Not met: "
        + (", ".join(name for name, ok in met.items() if not ok) or "none")
        + ".",
        "",
        *reading(figures, connect),
        "",
        "Each page with its count (execution time in PostgreSQL): "
        + "; ".join(
            f"{label} {count_times(plans_10k, label)} at 10,000, "
            f"{count_times(plans_100k, label)} at 100,000"
            for label in dict.fromkeys(label for label, _, _ in plans_10k)
        )
        + ".",
        "",
        "## Query plans",
        "",
        "Every SELECT over servers or accounts the listing pages run, for the person with "
        "10,000 (then 100,000) resources in one workspace, after VACUUM ANALYZE "
        "(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)`).",
    ]
    for size, plans in (("10,000", plans_10k), ("100,000", plans_100k)):
        lines += ["", f"### {size} resources", ""]
        for label, statement, plan in plans:
            lines += [f"**{label}** — `{statement}…`", "", "```", plan, "```", ""]
    report = "\n".join(lines).rstrip() + "\n"
    (ROOT / "bench" / "RESULTS.md").write_text(report)
    return report


def connect_rows(connect: dict[str, list], connect_mark: str, idle_mark: str) -> list[str]:
    """The table rows of Connect at 300 ms and of the sessions idle in transaction."""
    return [
        "| Connect throughput with Stripe at 300 ms, 16 clients / (16 threads ÷ 0.3 s): a "
        "resource that has its account (1 Stripe call, the link) "
        f"| {spread(connect['later_ratio'])} ({spread(connect['later'])} Connects/s) | ≥ 0.9 "
        f"| {connect_mark} |",
        "| … the first Connect of a resource (2 Stripe calls: the account, the link) / "
        "(16 threads ÷ 0.6 s) "
        f"| {spread(connect['first_ratio'])} ({spread(connect['first'])} Connects/s) | | |",
        f"| … worker CPU per Connect, later / first "
        f"| {spread(connect['later_cpu_ms'])} ms / {spread(connect['first_cpu_ms'])} ms | | |",
        "| … the sandbox's CPU per Connect (Stripe's side of the same calls), later / first "
        f"| {spread(connect['later_sandbox_cpu_ms'])} ms / "
        f"{spread(connect['first_sandbox_cpu_ms'])} ms | | |",
        f"| … wrk's 16 connections over the 2 workers ({THREADS} threads each), mid-run, first and "
        f"later Connects of each run | {', '.join(connect['splits'])} | | |",
        "| … the sandbox alone at 300 ms, 16 clients retrieving an account / (16 ÷ 0.3 s) "
        f"| {spread(connect['sandbox_ratio'])} | | |",
        "| PostgreSQL sessions idle in transaction during that load, for a Stripe call's length "
        f"(≥ {HELD_ACROSS_STRIPE * 1000:.0f} ms) "
        f"| {max(connect['idle_across_stripe'])} (at most {max(connect['idle_max'])} idle "
        "between two statements of a short transaction, the longest for "
        f"{max(connect['idle_longest_ms']):.0f} ms, after `{connect['idle_longest_after'][0]}…`;"
        f" sampled every 50 ms) | 0 | {idle_mark} |",
    ]


def reading(figures: dict[str, list[float]], connect: dict[str, list]) -> list[str]:
    """What bounds the two CPU-bound rows, from this run's own figures."""
    cores = len(os.sched_getaffinity(0))
    ideal = WRK_CONNECTIONS / STRIPE_LATENCY
    connect_cores = statistics.median(connect["later_cpu_ms"]) * ideal / 1000
    return [
        "Dashboard: hello-world is a few hundred microseconds of worker CPU; the floor (a "
        "session read, one SQL statement, 20 rows) already reaches only "
        f"{statistics.median(figures['floor_ratio']):.3g} of it. The dashboard adds a "
        "server-side session resolved by Flask-Login (1 statement: the user with memberships "
        "and workspaces), the page (1 statement: 20 rows, their newest invites and the total), "
        "the key availability of the page's workspaces (1 statement), CSRF, the layout and 20 "
        "rows with their buttons: "
        f"{statistics.median(figures['cpu_small_ms']):.3g} ms of worker CPU per request "
        "(split when this bench was last changed, in process with `time.process_time`: "
        "rendering ≈ 30 %, the three statements and the user loader's objects ≈ 40 %, Flask, "
        "the session cookie and the request hooks ≈ 20 %, building the rows ≈ 10 %). 0.10 "
        "would need the whole dashboard within "
        f"{statistics.median(figures['floor_ratio']) / 0.10:.2g}× the floor's cost.",
        "",
        "Connect: the later Connects click resources connected once before measuring, so each "
        "makes exactly one Stripe call. With Stripe at 300 ms, 16 clients at the ideal pace make "
        f"{ideal:.0f} Connects/s; at this run's median worker CPU per later Connect that is "
        f"{connect_cores:.2f} of the {cores} cores for the app's workers alone, before the "
        "sandbox, PostgreSQL and wrk on the same cores: the ratio falls with every other "
        "process the machine runs (see the load average above). The sandbox alone at the same "
        "latency shows what the machine leaves for any client. A gthread worker serves at "
        "most its threads at once and the kernel gives each new connection to whichever "
        "worker accepts first: with 8 threads a split of 12/4 would cap the ratio at 12/16, "
        f"16/0 at 0.5; with {THREADS} every split of 16 clients is served at once.",
    ]


def count_times(plans: list[tuple[str, str, str]], label: str) -> str:
    """The execution time of the statement that counts the page's resources (the page's own,
    its count folded in), as EXPLAIN ANALYZE reported it."""
    for plan_label, _statement, plan in plans:
        if plan_label == label and "Aggregate" in plan:
            return re.search(r"Execution Time: ([\d.]+ ms)", plan).group(1)
    return "—"


def load_average() -> str:
    """The 1-minute load average, as uptime shows it."""
    return f"{os.getloadavg()[0]:.1f}"


def main() -> None:
    started = (datetime.now(UTC), load_average())
    clock = time.monotonic()
    app = bench_app()
    print("seeding…", flush=True)
    data = seed(app)
    counts = statements_per_page(app)
    plans_10k = explain(app, data)
    print("wrk: hello-world, the floor and dashboard, 3 runs…", flush=True)
    figures = throughput_and_cpu(data)
    print("Connect with Stripe at 300 ms, 3 runs…", flush=True)
    connect = connect_throughput(app, *seed_connect(app))
    print("wrk: webhook ingest and verify+insert, 3 runs…", flush=True)
    seed_webhook_inbox(app)
    with tempfile.TemporaryDirectory() as folder:
        ingest = webhook_ingest(app, Path(folder))
    print("sign-in burst, 3 runs…", flush=True)
    memory = sign_in_memory()
    print("100,000 resources: EXPLAIN…", flush=True)
    bulk_resources(app, [str(data["large_ws"])], 90_000)
    vacuum(app)
    plans_100k = explain(app, data)
    print(
        write_results(
            figures,
            connect,
            memory,
            counts,
            ingest,
            plans_10k,
            plans_100k,
            started,
            time.monotonic() - clock,
        )
    )


if __name__ == "__main__":
    main()
