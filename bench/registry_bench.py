#!/usr/bin/env python3
"""Registry update cost under ingest load: p99 from a payload's 202 to its registry update.

Usage:
  registry_bench.py --latebind build/latebind [--rate 1000] [--duration 20] [--sources 8]
                    [--threads 16] [--wal]

Starts `latebind serve` on a temp home and posts 1 KiB NDJSON payloads at a fixed open-loop
rate (--rate payloads/s, spread over --threads keep-alive connections, each pacing itself
to its share of the schedule) to --sources sources for --duration seconds. Every 500th
payload of a source carries a new field, so new versions are written under load, not
only stats updates. Each 202's object key and arrival time (time.monotonic) are recorded.

A watcher thread polls the registry (SQLite, read-only, WAL mode: readers never block the
writer) every 2 ms for new rows in its `payloads` table and records when each object first
became visible there — that is when its version or stats update committed. Visibility
latency = visible - 202 arrival (both on this host's monotonic clock; the 2 ms poll bounds
the error). The 202 latency of the same requests is the anchor: what the registry adds
comes after the 202, off the request path.

Prints p50/p90/p99/max of both latencies, achieved rate, versions written, and one JSON
line with every figure, the date and the machine. Target (issue 5): p99 visibility
<= 100 ms at 1,000 payloads/s. Exit status: 0 ok (also when the target is missed: this is a
measurement), 1 the server failed, 3 a payload never became visible.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import http.client
import json
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_machine import machine_info  # noqa: E402


def body(source_index: int, seq: int, drift: bool) -> bytes:
    lines = []
    for i in range(8):
        rec = {"id": seq * 8 + i, "src": source_index, "amount": round((seq * 7 + i) % 997 * 1.25, 2),
               "ts": "2026-11-23T10:00:00Z", "note": "x" * 40}
        if drift:
            rec[f"extra_{seq}"] = i
        lines.append(json.dumps(rec, separators=(",", ":")))
    text = "\n".join(lines) + "\n"
    return text.encode()


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--latebind", required=True)
    ap.add_argument("--rate", type=float, default=1000)
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--sources", type=int, default=8)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--wal", action="store_true", help="serve --wal")
    ap.add_argument("--profile-workers", type=int, default=1, help="serve --profile-workers")
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="latebind-registry-bench-")
    home = os.path.join(tmp, "home")
    err = open(os.path.join(tmp, "serve.stderr"), "w+")
    cmd = [a.latebind, "--home", home, "serve", "--listen", "127.0.0.1:0"] + (["--wal"] if a.wal else []) + \
        ["--profile-workers", str(a.profile_workers)]
    proc = subprocess.Popen(cmd, stderr=err)
    port = None
    deadline = time.monotonic() + 20
    while port is None and time.monotonic() < deadline:
        err.seek(0)
        m = re.search(r'"address":"127\.0\.0\.1:(\d+)"', err.read())
        if m:
            port = int(m.group(1))
        elif proc.poll() is not None:
            print("latebind serve exited at start", file=sys.stderr)
            return 1
        time.sleep(0.05)
    if port is None:
        print("latebind serve did not start", file=sys.stderr)
        return 1

    acked: dict[str, float] = {}
    ack_latency: list[float] = []
    visible: dict[str, float] = {}
    lock = threading.Lock()
    errors: list[str] = []
    stop_watch = threading.Event()
    start = time.monotonic() + 0.5
    interval = a.threads / a.rate

    def client(t: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        n = 0
        while True:
            due = start + (n * a.threads + t) / a.rate
            if due > start + a.duration:
                break
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            src = (n * a.threads + t) % a.sources
            seq = (n * a.threads + t) // a.sources
            sent = time.monotonic()
            try:
                conn.request("POST", f"/v1/sources/bench-{src}/payloads",
                             body=body(src, seq, drift=seq % 500 == 499),
                             headers={"Content-Type": "application/x-ndjson"})
                res = conn.getresponse()
                data = res.read()
            except (OSError, http.client.HTTPException) as e:
                errors.append(repr(e))
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                n += 1
                continue
            got = time.monotonic()
            if res.status != 202:
                errors.append(f"{res.status} {data[:200]!r}")
            else:
                with lock:
                    acked[json.loads(data)["object"]] = got
                    # Open loop: latency counts from when the request was due, so a
                    # server that falls behind is not flattered by coordinated omission.
                    ack_latency.append(got - min(due, sent))
            n += 1

    def watcher() -> None:
        db_path = os.path.join(home, "registry.db")
        while not os.path.exists(db_path) and not stop_watch.is_set():
            time.sleep(0.002)
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
        last = 0
        while not stop_watch.is_set():
            try:
                rows = db.execute("SELECT rowid, object FROM payloads WHERE rowid > ? ORDER BY rowid",
                                  (last,)).fetchall()
            except sqlite3.OperationalError:
                rows = []
            now = time.monotonic()
            for rowid, obj in rows:
                visible.setdefault(obj, now)
                last = max(last, rowid)
            time.sleep(0.002)

    w = threading.Thread(target=watcher, daemon=True)
    w.start()
    threads = [threading.Thread(target=client, args=(t,)) for t in range(a.threads)]
    for t in threads:
        t.start()
    # Queue depths by stage, sampled through the run: which stage falls behind.
    depths: dict[str, int] = {}

    def sample_depths() -> None:
        while any(t.is_alive() for t in threads):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/metrics")
                text = conn.getresponse().read().decode()
                for m in re.finditer(r'latebind_queue_depth\{stage="(\w+)"\} (\d+)', text):
                    depths[m.group(1)] = max(depths.get(m.group(1), 0), int(m.group(2)))
            except OSError:
                pass
            time.sleep(0.5)

    sampler = threading.Thread(target=sample_depths, daemon=True)
    sampler.start()
    for t in threads:
        t.join()
    sampler.join()
    wall = time.monotonic() - start
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with lock:
            missing = [o for o in acked if o not in visible]
        if not missing:
            break
        time.sleep(0.05)
    stop_watch.set()
    w.join()
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(60)
    versions = sqlite3.connect(os.path.join(home, "registry.db")).execute(
        "SELECT COUNT(*) FROM schema_versions").fetchone()[0]
    subprocess.run(["rm", "-rf", tmp], check=False)

    vis = [visible[o] - t for o, t in acked.items() if o in visible]
    result = {
        "benchmark": "registry_visibility",
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "mode": "wal" if a.wal else "raw-file-commit",
        "rate_target": a.rate, "rate_achieved": round(len(acked) / wall, 1),
        "acknowledged": len(acked), "errors": len(errors), "never_visible": len(missing),
        "versions_written": versions, "serve_exit": rc, "max_queue_depth": depths,
        "visible_ms": {p: round(pct(vis, q) * 1000, 1) for p, q in
                       (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))},
        "ack_ms": {p: round(pct(ack_latency, q) * 1000, 1) for p, q in
                   (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))},
    }
    print(f"registry visibility under {result['rate_achieved']:.0f} payloads/s "
          f"(target {a.rate:.0f}), {len(acked)} acknowledged, {versions} versions, "
          f"{len(errors)} errors")
    print(f"  202 latency (anchor)      p50 {result['ack_ms']['p50']:7.1f} ms  "
          f"p99 {result['ack_ms']['p99']:7.1f} ms")
    print(f"  202 -> registry visible   p50 {result['visible_ms']['p50']:7.1f} ms  "
          f"p99 {result['visible_ms']['p99']:7.1f} ms  (target p99 <= 100 ms: "
          f"{'met' if result['visible_ms']['p99'] <= 100 else 'NOT met'})")
    print(f"  max queue depth by stage  {depths}")
    print(json.dumps(result))
    if errors:
        print("first errors:", errors[:3], file=sys.stderr)
    return 3 if missing else (1 if rc != 0 else 0)


if __name__ == "__main__":
    sys.exit(main())
