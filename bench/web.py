"""Web benchmark: the queue page and POST /api/v1/check under gunicorn. Prints a table.

    .venv/bin/python bench/web.py [--quick] [--workers N] [--clients N] [--seconds S]

Starts gunicorn on 127.0.0.1 (a free port) over the example policy and a SQLite
store in a temporary directory, fills it with pending submissions, then keeps N
client threads busy against each endpoint for S seconds and reports requests per
second and latency percentiles. API clients use bearer tokens; the server-side queue
render names its user with the trusted-header mode.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import accounts  # noqa: E402
from engine.compiler import load_engine  # noqa: E402
from engine.store import Store  # noqa: E402
from engine.workflow import Workflow  # noqa: E402

HEADER = "X-Remote-User"
TEXTS = (
    "Thanks for your patience, we are looking into your complaint today.",
    "We are sorry about the terrible service at the branch; a lead will call you.",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fill(policy: str, db: str, pending: int) -> dict[str, str]:
    """Pending submissions by dana; API tokens for dana and fran."""
    store = Store.create(db)
    wf = Workflow(load_engine(policy), store)
    for n in range(pending):
        wf.submit("dana", "twitter/nmtw_help", f"{TEXTS[n % 2]} (#{n})", kind="reply")
    tokens = {user: accounts.create_token(store, user, "bench") for user in ("dana", "fran")}
    store.close()
    return tokens


def wait_for(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/openapi.json")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def hammer(port: int, method: str, path: str, body, token: str, clients: int, seconds: float):
    """(requests, errors, latencies in ms) from `clients` threads for `seconds`."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    payload = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad = [], 0
        while time.monotonic() < stop:
            start = time.perf_counter()
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - start) * 1000)
            bad += response.status != 200
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies), errors[0], latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def queue_render_ms(policy: str, db: str, user: str, runs: int) -> list[float]:
    """Server-side time of GET /queue, in process (no network, no client)."""
    from web import create_app

    app = create_app(
        {"SAYSO_POLICY": policy, "SAYSO_DB": db, "SAYSO_TRUSTED_HEADER": HEADER, "SECRET_KEY": "b"}
    )
    client = app.test_client()
    times = []
    for _ in range(runs + 5):
        start = time.perf_counter()
        response = client.get("/queue", headers={HEADER: user})
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    app.extensions["sayso"].close()
    return times[5:]


WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = [[%s]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
"""


def wrk_check(port: int, body: dict, token: str, clients: int, seconds: float, tmp: str):
    """Requests/s and latency percentiles of POST /api/v1/check measured by wrk."""
    script = Path(tmp) / "check.lua"
    script.write_text(WRK_SCRIPT % (json.dumps(body), token))
    out = subprocess.run(
        ["wrk", "-t", "1", "-c", str(clients), "-d", f"{seconds:g}s", "--latency",
         "-s", str(script), f"http://127.0.0.1:{port}/api/v1/check"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rate = float(out.split("Requests/sec:")[1].split()[0])
    lat = {}
    for line in out.split("Latency Distribution")[1].splitlines()[1:5]:
        q, value = line.split()
        lat[q] = value
    bad = 0
    if "Non-2xx or 3xx responses:" in out:
        bad = int(out.split("Non-2xx or 3xx responses:")[1].split()[0])
    return rate, lat, bad


def row(name: str, value: str, target: str = "", ok: bool | None = None) -> str:
    verdict = "" if ok is None else ("ok" if ok else "MISSED")
    return f"| {name:<52} | {value:>22} | {target:>12} | {verdict:<6} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Short run (a smoke run).")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--pending", type=int, default=10_000, help="Pending posts in the queue.")
    parser.add_argument("--policy", default=str(ROOT / "policies"))
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.pending = 2.0, 200

    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'bench.db'}"
        tokens = fill(args.policy, db, args.pending)
        print(f"{args.pending:,} pending submissions in {args.policy}; gunicorn -w {args.workers}")
        print(row("metric", "value", "target"))
        print(f"|{'-' * 54}|{'-' * 24}|{'-' * 14}|{'-' * 8}|")
        times = queue_render_ms(args.policy, db, "fran", 50 if args.quick else 200)
        p95 = percentile(times, 0.95)
        print(
            row(
                f"GET /queue server-side, {args.pending:,} pending: p50",
                f"{statistics.median(times):.1f} ms",
            )
        )
        print(
            row(
                f"GET /queue server-side, {args.pending:,} pending: p95",
                f"{p95:.1f} ms",
                "<= 50 ms",
                p95 <= 50,
            )
        )

        port = free_port()
        env = dict(
            os.environ,
            SAYSO_POLICY=args.policy,
            SAYSO_DB=db,
            SAYSO_TRUSTED_HEADER=HEADER,
            SAYSO_SECRET_KEY="bench",
        )
        gunicorn = Path(sys.executable).with_name("gunicorn")
        proc = subprocess.Popen(
            [str(gunicorn), "-w", str(args.workers), "-b", f"127.0.0.1:{port}", "web:create_app()"],
            cwd=tmp,
            env=dict(env, PYTHONPATH=str(ROOT)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(port, proc)
            check = {"channel": "twitter/nmtw_help", "kind": "reply", "text": TEXTS[1]}
            hammer(
                port, "POST", "/api/v1/check", check, tokens["dana"], 2, 0.5
            )  # warm up both workers
            if shutil.which("wrk"):
                rate, lat, bad = wrk_check(
                    port, check, tokens["dana"], args.clients, args.seconds, tmp
                )
                label = f"POST /api/v1/check req/s (wrk, {args.clients} connections)"
                print(row(label, f"{rate:,.0f}", ">= 1,000", rate >= 1000 and bad == 0))
                print(
                    row(
                        "POST /api/v1/check latency p50 / p90 / p99",
                        f"{lat['50%']} / {lat['90%']} / {lat['99%']}",
                    )
                )
            else:
                n, bad, lat = hammer(
                    port, "POST", "/api/v1/check", check, tokens["dana"], args.clients, args.seconds
                )
                rate = n / args.seconds
                label = f"POST /api/v1/check req/s (Python client, {args.clients} threads)"
                print(row(label, f"{rate:,.0f}", ">= 1,000", rate >= 1000 and bad == 0))
                print(
                    row(
                        "POST /api/v1/check latency p50 / p95",
                        f"{statistics.median(lat):.1f} / {percentile(lat, 0.95):.1f} ms",
                    )
                )
            n, bad, lat = hammer(
                port, "GET", "/api/v1/queue", None, tokens["fran"], 4, args.seconds / 2
            )
            print(
                row(
                    "GET /api/v1/queue over HTTP, p95 (4 clients)",
                    f"{percentile(lat, 0.95):.1f} ms",
                )
            )
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
