"""Web benchmark: the queue page and POST /api/v1/check under gunicorn. Prints a table.

    .venv/bin/python bench/web.py [--quick] [--workers N] [--clients N] [--seconds S]

Starts gunicorn on 127.0.0.1 (a free port) over the example policy and a SQLite
store in a temporary directory, fills it with pending submissions, then keeps N
client threads busy against each endpoint for S seconds and reports requests per
second and latency percentiles. Users are named by the trusted-header mode.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
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


def fill(policy: str, db: str, pending: int) -> None:
    store = Store(db)
    wf = Workflow(load_engine(policy), store)
    for n in range(pending):
        wf.submit("dana", "twitter/nmtw_help", f"{TEXTS[n % 2]} (#{n})", kind="reply")
    store.close()


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


def hammer(port: int, method: str, path: str, body, user: str, clients: int, seconds: float):
    """(requests, errors, latencies in ms) from `clients` threads for `seconds`."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    payload = json.dumps(body).encode() if body is not None else None
    headers = {HEADER: user, "Content-Type": "application/json"}

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Short run (CI smoke).")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--pending", type=int, default=200, help="Pending posts in the queue.")
    parser.add_argument("--policy", default=str(ROOT / "policies"))
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.pending, args.clients = 2.0, 20, 4

    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'bench.db'}"
        fill(args.policy, db, args.pending)
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
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(port, proc)
            check = {"channel": "twitter/nmtw_help", "kind": "reply", "text": TEXTS[1]}
            cases = [
                ("POST /api/v1/check", "POST", "/api/v1/check", check, "dana"),
                (f"GET /queue ({args.pending} pending)", "GET", "/queue", None, "fran"),
                ("GET /api/v1/queue", "GET", "/api/v1/queue", None, "fran"),
            ]
            rows = []
            for label, method, path, body, user in cases:
                hammer(port, method, path, body, user, 1, 0.3)  # warm up every worker
                n, bad, lat = hammer(port, method, path, body, user, args.clients, args.seconds)
                rows.append(
                    (
                        label,
                        f"{n / args.seconds:,.0f}",
                        f"{statistics.median(lat):.1f}",
                        f"{percentile(lat, 0.95):.1f}",
                        f"{percentile(lat, 0.99):.1f}",
                        str(bad),
                    )
                )
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    print(
        f"gunicorn -w {args.workers}, {args.clients} client threads, {args.seconds:g} s per row\n"
    )
    head = ("endpoint", "req/s", "p50 ms", "p95 ms", "p99 ms", "non-200")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


if __name__ == "__main__":
    main()
