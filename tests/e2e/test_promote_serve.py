"""End to end: `latebind serve --promote-every` (the scheduler inside serve, DESIGN.md §1/§6).

Payloads are posted over HTTP to a server on 127.0.0.1 (the `serve` fixture); the curated
zone is read with `latebind tables --json` on the same home while the server runs, and
DuckDB over the catalog's SQL. Every wait is bounded.
"""
from __future__ import annotations

import http.client
import json
import subprocess
import threading
import time

import pytest

from promotion_helpers import Home, curated_parquet, duckdb_rows

HOST = "127.0.0.1"


def post(port: int, source: str, body: bytes, content_type: str = "application/x-ndjson") -> dict:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("POST", f"/v1/sources/{source}/payloads", body=body,
                     headers={"Content-Type": content_type})
        res = conn.getresponse()
        data = res.read()
    finally:
        conn.close()
    assert res.status == 202, (res.status, data)
    return json.loads(data)


def metrics(port: int) -> dict[str, float]:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", "/metrics")
        res = conn.getresponse()
        data = res.read()
    finally:
        conn.close()
    assert res.status == 200
    out = {}
    for line in data.decode().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def wait_for(predicate, timeout: float, what: str, describe=None):
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / 0.2) + 2):
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout} s waiting for {what}" + (f": {describe()}" if describe else ""))


def records(source: str, first: int, n: int, **extra) -> bytes:
    return "".join(json.dumps({"id": i, "amount": i * 0.5, "src": source, **extra}) + "\n"
                   for i in range(first, first + n)).encode()


def table_rows(home: Home, table: str) -> int:
    return home.tables().get(table, {}).get("rows", 0)


def check_exact(home: Home, table: str, ids: set[int]) -> None:
    """The table holds each id exactly once, read by DuckDB, and the catalog lists exactly
    the table's files on disk."""
    entry = home.tables()[table]
    rows = duckdb_rows(f"SELECT id, _source_object FROM ({entry['sql']})")
    got = [r["id"] for r in rows]
    assert len(got) == len(set(got)), f"{table}: duplicate rows ({len(got) - len(set(got))})"
    assert set(got) == ids, f"{table}: {len(ids - set(got))} missing, {len(set(got) - ids)} extra"
    assert entry["rows"] == len(ids)
    assert set(entry["file_keys"]) == {k for k in curated_parquet(home.root)
                                       if k.startswith(f"curated/{table}/")}


def test_serve_promotes_on_schedule_and_counts_blocked_sources(serve, latebind):
    """With --promote-every 1s, payloads posted over HTTP reach the curated tables without
    any command; a BREAKING version of one source shows as
    latebind_promotion_blocked_total{source} > 0 on /metrics while the other source goes
    on being promoted and the blocked one keeps its rows."""
    srv = serve("--promote-every", "1s")
    home = Home(latebind, srv.home)
    for k in range(3):
        post(srv.port, "web", records("web", k * 50, 50))
    post(srv.port, "other", records("other", 0, 20))
    wait_for(lambda: table_rows(home, "web") == 150 and table_rows(home, "other") == 20, 20,
             "the scheduler to promote web and other", lambda: home.tables())
    check_exact(home, "web", set(range(150)))
    check_exact(home, "other", set(range(20)))

    bad = b'{"id": 1000, "amount": "N/A", "src": "web"}\n'
    post(srv.port, "web", bad)
    blocked = 'latebind_promotion_blocked_total{source="web"}'
    wait_for(lambda: metrics(srv.port).get(blocked, 0) > 0, 15, blocked,
             lambda: {k: v for k, v in metrics(srv.port).items() if "promotion" in k})
    post(srv.port, "other", records("other", 20, 10))
    wait_for(lambda: table_rows(home, "other") == 30, 15, "other promoted while web is blocked")
    assert table_rows(home, "web") == 150
    check_exact(home, "other", set(range(30)))
    assert metrics(srv.port).get('latebind_promotion_blocked_total{source="other"}', 0) == 0


def test_manual_promote_while_serve_promotes_makes_no_duplicates(serve, latebind):
    """`latebind promote` run again and again from the command line while serve's
    scheduler promotes the same source: every manual run reports promoted, up_to_date or
    busy (exit 0 or 3), and in the end each posted record is in the table exactly once."""
    srv = serve("--promote-every", "1s")
    home = Home(latebind, srv.home)
    stop = threading.Event()
    outcomes: list[tuple[int, list[str], str]] = []

    def manual_loop():
        for _ in range(40):  # bounded
            if stop.is_set():
                return
            proc = subprocess.run([str(latebind.bin), "--home", str(srv.home), "promote", "--json"],
                                  capture_output=True, timeout=60)
            statuses = []
            if proc.stdout:
                try:
                    statuses = [s["status"] for s in json.loads(proc.stdout)["sources"]]
                except (ValueError, KeyError):
                    statuses = ["<unparsable>"]
            outcomes.append((proc.returncode, statuses, proc.stderr.decode()[-500:]))
            time.sleep(0.05)

    worker = threading.Thread(target=manual_loop, daemon=True)
    worker.start()
    total = 0
    try:
        for k in range(24):
            post(srv.port, "busy-src", records("busy-src", total, 100))
            total += 100
            time.sleep(0.1)
    finally:
        stop.set()
        worker.join(120)
    assert not worker.is_alive()
    assert outcomes, "no manual promote ran"
    for rc, statuses, err in outcomes:
        assert rc in (0, 3), (rc, statuses, err)
        assert set(statuses) <= {"promoted", "up_to_date", "busy"}, (rc, statuses, err)
        assert (rc == 3) == ("busy" in statuses), (rc, statuses, err)

    wait_for(lambda: table_rows(home, "busy-src") == total, 30, f"{total} rows promoted",
             lambda: home.tables().get("busy-src"))
    _, out = home.promote(expect_rc=None)
    assert out["busy-src"]["status"] in ("up_to_date", "busy"), out
    check_exact(home, "busy-src", set(range(total)))
