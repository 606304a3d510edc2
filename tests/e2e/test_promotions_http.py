"""POST /v1/promotions: promotion over HTTP (DESIGN.md §6-§7, docs/openapi.json, ADR-030).

Payloads go in over HTTP; the answer must be the document `latebind promote --json` prints,
and the curated files it names are read back with pyarrow. Promotions run on the server's
one promotion thread: a second request while one is running gets 429. To hold a promotion
in flight deterministically, the test takes the registry's write lock itself (sqlite3,
BEGIN IMMEDIATE): the promotion stages its files, then waits at its commit (the registry's
busy timeout is 10 s) until the test lets go. The per-source lock files under
<home>/locks/ are the ones `latebind promote` takes, so each reports the other `busy`.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import test_schema_http as schema_http
from test_schema_http import poll
from test_serve import metrics, request

JSON = {"Content-Type": "application/json"}
ENTRY_KEYS = ["source", "table", "status", "version", "objects", "rows", "rescued_rows", "run_id",
              "files", "retired_files", "breaking_versions", "seconds"]

V1_ORDERS = [
    {"transaction_id": 1001, "transaction_date": "2024-03-01", "amount": 19.99, "customer_id": "c-17"},
    {"transaction_id": 1002, "transaction_date": "2024-03-02", "amount": 5.25, "customer_id": "c-23"},
    {"transaction_id": 1003, "transaction_date": "2024-03-02", "amount": 120.0, "customer_id": "c-17"},
]
MORE_ORDERS = [
    {"transaction_id": 1004, "transaction_date": "2024-03-03", "amount": 7.5, "customer_id": "c-31"},
    {"transaction_id": 1005, "transaction_date": "2024-03-03", "amount": 12.0, "customer_id": "c-17"},
]
RENAMED = [
    {"transaction_id": 1007, "txn_date": "2024-03-05", "amount": 42.0, "customer_id": "c-17"},
    {"transaction_id": 1008, "txn_date": "2024-03-06", "amount": 8.75, "customer_id": "c-31"},
]
CARDS = [{"card": "4111", "limit": 500}]


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def post_records(port: int, source: str, records: list[dict], headers=None) -> dict:
    return schema_http.post_records(port, source, records, headers)[0]


def wait_applied(port: int, source: str, payloads: int, versions: int = 1, headers=None,
                 timeout: float = 10) -> None:
    """Profiling is asynchronous: waits until `payloads` payloads of the source are applied
    to its registry schema (over `versions` versions)."""
    def ready():
        status, _, data = request(port, "GET", f"/v1/sources/{source}/versions", headers=headers)
        if status != 200:
            return False
        vs = json.loads(data)["versions"]
        return len(vs) >= versions and sum(v["payloads"] for v in vs) >= payloads

    poll(ready, timeout, f"{source} to have {payloads} payload(s) applied")


def promote(port: int, body=None, headers=None, timeout: float = 60) -> tuple[int, dict, dict]:
    """POST /v1/promotions: (status, headers, parsed JSON body)."""
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    status, hdrs, out = request(port, "POST", "/v1/promotions", body=data,
                                headers={**JSON, **(headers or {})}, timeout=timeout)
    assert hdrs["content-type"] == "application/json", (status, out)
    return status, hdrs, json.loads(out)


def promote_ok(port: int, body=None, headers=None) -> dict[str, dict]:
    """A 200 answer, checked for shape, as {source: entry}."""
    status, _, doc = promote(port, body, headers)
    assert status == 200, doc
    assert list(doc) == ["sources"], doc
    by_source = {}
    for entry in doc["sources"]:
        assert list(entry)[:len(ENTRY_KEYS)] == ENTRY_KEYS, entry
        assert entry["source"] not in by_source, doc
        by_source[entry["source"]] = entry
    return by_source


def error_of(status: int, doc: dict, expect: int) -> dict:
    assert status == expect, doc
    assert set(doc) == {"error"} and set(doc["error"]) == {"code", "message"}, doc
    return doc["error"]


def read_rows(home: Path, files: list[str]) -> list[dict]:
    rows = []
    for key in files:
        assert key.startswith("curated/"), key
        rows += pq.read_table(home / key).to_pylist()
    return rows


@contextlib.contextmanager
def registry_write_lock(home: Path):
    """Holds the registry's write lock (readers go on: WAL). A promotion reaching its commit
    waits here, up to the registry's 10 s busy timeout."""
    db = sqlite3.connect(home / "registry.db", isolation_level=None, timeout=10)
    try:
        db.execute("BEGIN IMMEDIATE")
        yield
    finally:
        db.execute("ROLLBACK")
        db.close()


@contextlib.contextmanager
def source_lock(home: Path, source: str):
    """The lock `latebind promote` holds while it promotes `source`."""
    (home / "locks").mkdir(parents=True, exist_ok=True)
    with open(home / "locks" / f"promote-{source}.lock", "a+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


class InFlight:
    """A POST /v1/promotions on its own thread, held at its registry commit by
    registry_write_lock: `started()` returns once the server has taken it."""

    def __init__(self, srv, body, headers=None):
        self.srv = srv
        self.before = self._requested()
        self.result = None
        self.thread = threading.Thread(
            target=lambda: setattr(self, "result", promote(srv.port, body, headers)), daemon=True)
        self.thread.start()

    def _requested(self) -> int:
        return sum(1 for e in self.srv.logs() if e.get("msg") == "promotion requested")

    def started(self) -> None:
        poll(lambda: self._requested() > self.before, 10, "the server to log 'promotion requested'")

    def join(self) -> tuple[int, dict, dict]:
        self.thread.join(30)
        assert not self.thread.is_alive(), "the promotion did not answer within 30 s"
        return self.result


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------


def test_promotes_every_source_then_up_to_date(serve, latebind):
    srv = serve()
    port = srv.port
    r1 = post_records(port, "orders", V1_ORDERS)
    r2 = post_records(port, "orders", MORE_ORDERS)
    r3 = post_records(port, "cards", CARDS)
    wait_applied(port, "orders", 2)
    wait_applied(port, "cards", 1)

    first = promote_ok(port)  # empty body: every source
    assert set(first) == {"orders", "cards"}
    orders = first["orders"]
    assert orders["status"] == "promoted" and orders["table"] == "orders", orders
    assert (orders["version"], orders["objects"], orders["rows"], orders["rescued_rows"]) == (1, 2, 5, 0)
    assert orders["run_id"] and orders["files"] and orders["retired_files"] == []
    assert orders["breaking_versions"] == [] and "error" not in orders
    rows = read_rows(srv.home, orders["files"])
    # Raw-object order, then record order; lineage names the raw object.
    assert [r["transaction_id"] for r in rows] == [1001, 1002, 1003, 1004, 1005]
    assert [r["amount"] for r in rows] == [19.99, 5.25, 120.0, 7.5, 12.0]
    assert [r["_source_object"] for r in rows] == [r1["object"]] * 3 + [r2["object"]] * 2
    assert all(r["_rescued_data"] is None for r in rows)
    cards = first["cards"]
    assert (cards["status"], cards["objects"], cards["rows"]) == ("promoted", 1, 1), cards
    assert [r["_source_object"] for r in read_rows(srv.home, cards["files"])] == [r3["object"]]

    # Nothing new: up to date, nothing written; named sources only.
    again = promote_ok(port, {"sources": ["orders"]})
    assert list(again) == ["orders"]
    assert again["orders"]["status"] == "up_to_date" and again["orders"]["files"] == []
    assert again["orders"]["rows"] == 0 and again["orders"]["run_id"] == ""

    # The catalog has exactly what the answer said.
    tables = latebind.run("--home", srv.home, "tables", "--json")
    assert tables.returncode == 0, tables.describe()
    by_table = {t["table"]: t for t in tables.json()["tables"]}
    assert sorted(by_table["orders"]["file_keys"]) == sorted(orders["files"])
    assert by_table["orders"]["rows"] == 5

    # The same document as `latebind promote --json` (one rendering for both).
    cli = latebind.run("--home", srv.home, "promote", "--json", "--source", "orders")
    assert cli.returncode == 0, cli.describe()
    [cli_entry] = cli.json()["sources"]
    http_entry = again["orders"]
    assert list(cli_entry) == list(http_entry)
    assert {k: v for k, v in cli_entry.items() if k != "seconds"} == \
        {k: v for k, v in http_entry.items() if k != "seconds"}

    requested = [e for e in srv.logs() if e.get("msg") == "promotion requested"]
    assert len(requested) == 2 and requested[0]["who"] == "api", requested


def test_breaking_source_blocked_then_override_then_repromote(serve):
    srv = serve()
    port = srv.port
    post_records(port, "orders", V1_ORDERS)
    wait_applied(port, "orders", 1)
    post_records(port, "orders", RENAMED)
    wait_applied(port, "orders", 2, versions=2)
    post_records(port, "cards", CARDS)
    wait_applied(port, "cards", 1)

    # A BREAKING version blocks its source, not the others.
    out = promote_ok(port)
    assert out["orders"]["status"] == "blocked" and out["orders"]["breaking_versions"] == [2], out
    assert out["orders"]["files"] == [] and out["orders"]["rows"] == 0
    assert out["cards"]["status"] == "promoted"
    assert metrics(port).get('latebind_promotion_blocked_total{source="orders"}') == 1
    assert promote_ok(port, {"sources": ["orders"]})["orders"]["status"] == "blocked"

    # Overridden: bound to the ACTIVE version 1, the renamed field rescued.
    out = promote_ok(port, {"sources": ["orders"], "override_breaking": True})["orders"]
    assert (out["status"], out["version"], out["objects"], out["rows"], out["rescued_rows"]) == \
        ("promoted", 1, 2, 5, 2), out
    assert out["breaking_versions"] == [2]
    rows = read_rows(srv.home, out["files"])
    assert [r["transaction_date"] for r in rows[3:]] == [None, None]
    assert [json.loads(r["_rescued_data"]) for r in rows[3:]] == [{"txn_date": "2024-03-05"},
                                                                 {"txn_date": "2024-03-06"}]
    overridden_files = out["files"]

    # Resolved with the rename confirmed, then re-promoted under version 2.
    status, _, data = request(port, "POST", "/v1/sources/orders/versions/2/status", headers=JSON,
                              body=json.dumps({"status": "ACTIVE", "note": "rename confirmed",
                                               "mappings": {"txn_date": "transaction_date"}}).encode())
    assert status == 200, data
    out = promote_ok(port, {"sources": ["orders"], "repromote_since_version": 2})["orders"]
    assert (out["status"], out["version"], out["rows"], out["rescued_rows"]) == ("promoted", 2, 5, 0), out
    assert sorted(out["retired_files"]) == sorted(overridden_files)
    rows = read_rows(srv.home, out["files"])
    assert [str(r["transaction_date"]) for r in rows] == [
        "2024-03-01", "2024-03-02", "2024-03-02", "2024-03-05", "2024-03-06"]
    assert all(not (srv.home / key).exists() for key in overridden_files)


def test_bad_bodies_are_400_and_unknown_sources_404(serve):
    srv = serve()
    port = srv.port
    post_records(port, "orders", V1_ORDERS)
    wait_applied(port, "orders", 1)
    status, _, data = request(port, "POST", "/v1/sources/broken/payloads", body=b'{"x": oops}',
                              headers=JSON)
    assert status == 202, data

    for body, code, words in (
            (b"not json", "bad_request", "JSON object"),
            (b"[]", "bad_request", "JSON object"),
            (b'"orders"', "bad_request", "JSON object"),
            (b'{"source": ["orders"]}', "bad_request", 'unknown member "source"'),
            (b'{"sources": "orders"}', "bad_request", '"sources"'),
            (b'{"sources": []}', "bad_request", '"sources"'),
            (b'{"sources": [1]}', "bad_request", '"sources"'),
            (b'{"sources": ["Orders"]}', "bad_source_id", "'Orders': invalid source id"),
            (b'{"override_breaking": "yes"}', "bad_request", '"override_breaking"'),
            (b'{"override_breaking": 1}', "bad_request", '"override_breaking"'),
            (b'{"repromote_since_version": 0}', "bad_request", '"repromote_since_version"'),
            (b'{"repromote_since_version": -2}', "bad_request", '"repromote_since_version"'),
            (b'{"repromote_since_version": 1.5}', "bad_request", '"repromote_since_version"'),
            (b'{"repromote_since_version": "2"}', "bad_request", '"repromote_since_version"'),
    ):
        err = error_of(*promote(port, body)[::2], expect=400)
        assert err["code"] == code and words in err["message"], (body, err)

    # Registry audit 2026-11-24: a version the source does not have answered 200,
    # re-promoting nothing; `promote --repromote` says it is not found, and so does this.
    err = error_of(*promote(port, {"sources": ["orders"], "repromote_since_version": 99})[::2],
                   expect=404)
    assert err["code"] == "not_found" and "source 'orders' has no version 99 (it has version 1 only)" \
        in err["message"], err

    # Unknown: never posted, or known only by a dead letter. Nothing is promoted then.
    err = error_of(*promote(port, {"sources": ["orders", "nope"]})[::2], expect=404)
    assert err["code"] == "not_found" and "'nope'" in err["message"], err
    poll(lambda: any(s["id"] == "broken" for s in json.loads(request(port, "GET", "/v1/sources")[2])["sources"]),
         10, "the dead letter to be recorded")
    err = error_of(*promote(port, {"sources": ["broken"]})[::2], expect=404)
    assert "'broken'" in err["message"], err
    assert not (srv.home / "curated").exists()

    # Whitespace is an empty body; a source named twice is promoted once.
    assert list(promote_ok(port, b"  \n")) == ["orders"]
    assert promote_ok(port, {"sources": ["orders", "orders"]})["orders"]["status"] == "up_to_date"
    status, _, data = request(port, "GET", "/v1/promotions")
    assert status == 405, data


def test_one_promotion_at_a_time_and_cli_sees_busy(serve, latebind):
    srv = serve()
    port = srv.port
    post_records(port, "orders", V1_ORDERS)
    post_records(port, "cards", CARDS)
    wait_applied(port, "orders", 1)
    wait_applied(port, "cards", 1)

    with registry_write_lock(srv.home):
        first = InFlight(srv, {"sources": ["orders"]})
        first.started()
        # A second request while the first runs: refused at once, nothing started.
        err = error_of(*promote(port, {"sources": ["cards"]})[::2], expect=429)
        assert err["code"] == "promotion_running", err
        err = error_of(*promote(port)[::2], expect=429)
        # The connection threads are free meanwhile. (Registry reads would wait: this
        # process's registry connection is the one waiting for the test's lock.)
        assert request(port, "GET", "/healthz")[0] == 200
        # The server's promotion holds the same per-source lock as the CLI.
        cli = latebind.run("--home", srv.home, "promote", "--json", "--source", "orders", timeout=60)
        assert cli.returncode == 3, cli.describe()
        assert cli.json()["sources"][0]["status"] == "busy"
    status, _, doc = first.join()
    assert status == 200, doc
    [entry] = doc["sources"]
    assert (entry["source"], entry["status"], entry["rows"]) == ("orders", "promoted", 3), entry
    # Free again.
    assert promote_ok(port, {"sources": ["cards"]})["cards"]["status"] == "promoted"


def test_sigterm_waits_for_the_promotion_in_flight(serve):
    srv = serve()
    port = srv.port
    post_records(port, "orders", V1_ORDERS)
    wait_applied(port, "orders", 1)
    with registry_write_lock(srv.home):
        first = InFlight(srv, b"")
        first.started()
        srv.proc.send_signal(signal.SIGTERM)
        poll(lambda: any(e.get("msg") == "draining" for e in srv.logs()), 10, "draining")
        time.sleep(0.2)
        assert srv.alive(), "serve exited with a promotion still owed its answer"
    status, _, doc = first.join()
    assert status == 200 and doc["sources"][0]["status"] == "promoted", doc
    assert srv.proc.wait(10) == 0, srv.stderr_text()


def test_source_locked_by_the_cli_is_busy(serve):
    srv = serve()
    port = srv.port
    post_records(port, "orders", V1_ORDERS)
    post_records(port, "cards", CARDS)
    wait_applied(port, "orders", 1)
    wait_applied(port, "cards", 1)
    with source_lock(srv.home, "orders"):
        out = promote_ok(port)
        assert out["orders"]["status"] == "busy" and out["orders"]["files"] == [], out
        assert out["cards"]["status"] == "promoted"
    out = promote_ok(port)
    assert out["orders"]["status"] == "promoted" and out["cards"]["status"] == "up_to_date"


def test_promotions_need_an_operator_token(serve, operator_tokens):
    srv = serve("--auth-tokens", operator_tokens)
    port = srv.port
    producer = {"Authorization": "Bearer producer-secret"}
    operator = {"Authorization": "Bearer operator-secret"}
    post_records(port, "orders", V1_ORDERS, producer)
    wait_applied(port, "orders", 1, headers=producer)

    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        status, hdrs, doc = promote(port, {"sources": ["orders"]}, headers)
        assert error_of(status, doc, expect=401)["code"] == "unauthorized"
        assert hdrs["www-authenticate"] == "Bearer"
    err = error_of(*promote(port, {"sources": ["orders"]}, producer)[::2], expect=403)
    assert err["code"] == "forbidden" and "operator" in err["message"], err
    assert not (srv.home / "curated").exists()

    out = promote_ok(port, {"sources": ["orders"]}, operator)
    assert out["orders"]["status"] == "promoted" and out["orders"]["rows"] == 3
    requested = [e for e in srv.logs() if e.get("msg") == "promotion requested"]
    assert [e["who"] for e in requested] == ["oncall-alice"], requested
