"""The seed's schema-drift story over HTTP, alerts included (issue 5).

Payloads go in through POST /v1/sources/{id}/payloads; the registry is read back through
the versions endpoints (profiling is asynchronous, so every read polls with a deadline);
BREAKING versions reach a webhook receiver running in the test (webhook_receiver.py), which
can answer 500, hang past the dispatcher's 5 s post timeout, or be down. Delivery is
at-least-once with a stable Idempotency-Key, so a receiver that dedupes by that key acts
exactly once: the durability tests count distinct keys and successful (2xx) deliveries.
"""
from __future__ import annotations

import json
import re
import signal
import subprocess
import time

import pytest

from test_serve import metrics, request
from webhook_receiver import WebhookReceiver

NDJSON = {"Content-Type": "application/x-ndjson"}
JSON = {"Content-Type": "application/json"}
POLL_S = 0.02
ALERT_LATENCY_BUDGET_S = 2.0  # a BREAKING payload's 202 → its alert at the sink

V1_ORDERS = [
    {"transaction_id": 1001, "transaction_date": "2024-03-01", "amount": 19.99, "customer_id": "c-17"},
    {"transaction_id": 1002, "transaction_date": "2024-03-02", "amount": 5.25, "customer_id": "c-23"},
    {"transaction_id": 1003, "transaction_date": "2024-03-02", "amount": 120.0, "customer_id": "c-17"},
]
# `coupon` in one record of the payload: optional by nature.
V2_ADDITIVE = [
    {"transaction_id": 1004, "transaction_date": "2024-03-03", "amount": 7.5, "customer_id": "c-31", "coupon": "SPRING"},
    {"transaction_id": 1005, "transaction_date": "2024-03-03", "amount": 12.0, "customer_id": "c-17"},
]
OPTIONAL_MISSING = [
    {"transaction_id": 1006, "transaction_date": "2024-03-04", "amount": 3.0, "customer_id": "c-23"},
]
RENAMED = [
    {"transaction_id": 1007, "txn_date": "2024-03-05", "amount": 42.0, "customer_id": "c-17"},
    {"transaction_id": 1008, "txn_date": "2024-03-06", "amount": 8.75, "customer_id": "c-31"},
]


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def ndjson(records: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def post_records(port: int, source: str, records: list[dict], headers=None) -> tuple[dict, float]:
    """(receipt, time.monotonic() when the 202 had been read)."""
    status, _, data = request(port, "POST", f"/v1/sources/{source}/payloads", body=ndjson(records),
                              headers={**NDJSON, **(headers or {})})
    acked = time.monotonic()
    assert status == 202, (status, data)
    return json.loads(data), acked


def get_json(port: int, path: str, headers=None, expect: int = 200):
    status, hdrs, data = request(port, "GET", path, headers=headers)
    assert status == expect, (path, status, data)
    assert hdrs["content-type"] == "application/json"
    return json.loads(data)


def set_status(port: int, source: str, version, body, headers=None) -> tuple[int, dict, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    status, hdrs, out = request(port, "POST", f"/v1/sources/{source}/versions/{version}/status",
                                body=data, headers={**JSON, **(headers or {})})
    return status, hdrs, json.loads(out)


def poll(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(POLL_S)


def wait_versions(port: int, source: str, n: int, timeout: float = 10, headers=None) -> list[dict]:
    """The source's versions once there are n (exactly n: more is a test failure)."""
    def ready():
        status, _, data = request(port, "GET", f"/v1/sources/{source}/versions", headers=headers)
        if status != 200:
            return None
        versions = json.loads(data)["versions"]
        return versions if len(versions) >= n else None

    versions = poll(ready, timeout, f"{source} to have {n} version(s)")
    assert [v["version"] for v in versions] == list(range(1, n + 1)), versions
    return versions


def wait_payloads(port: int, source: str, version: int, payloads: int, timeout: float = 10) -> dict:
    """Polls a version until `payloads` payloads were applied to it (a payload that adds no
    version only updates the current one's counts)."""
    def ready():
        status, _, data = request(port, "GET", f"/v1/sources/{source}/versions/{version}")
        v = json.loads(data) if status == 200 else None
        return v if v and v["payloads"] >= payloads else None

    return poll(ready, timeout, f"{source} v{version} to count {payloads} payloads")


def fields(version: dict) -> dict[str, dict]:
    return {f["path"]: f for f in version["fields"]}


def texts(node) -> list[str]:
    """Every "text" string in a Block Kit tree."""
    if isinstance(node, list):
        return [t for n in node for t in texts(n)]
    if isinstance(node, dict):
        own = [node["text"]] if isinstance(node.get("text"), str) else []
        return own + [t for k, v in node.items() for t in texts(v)]
    return []


def wait_metric(port: int, name: str, value: float, timeout: float = 10) -> dict:
    return poll(lambda: (m := metrics(port)).get(name) == value and m, timeout,
                f"{name} == {value} (now {metrics(port).get(name)})")


def schema_metrics(port: int) -> dict[str, float]:
    return {k: v for k, v in metrics(port).items() if k.startswith("latebind_schema_versions_total")}


def closed_port() -> int:
    """A port nothing listens on (the sink is down: connection refused)."""
    with WebhookReceiver() as r:
        return r.port


# ---------------------------------------------------------------------------------------------
# The drift story of the seed, end to end
# ---------------------------------------------------------------------------------------------


def test_drift_story_additive_optional_rename_alert_and_resolution(serve):
    with WebhookReceiver() as sink:
        srv = serve("--alert-webhook", sink.url)
        port = srv.port

        # v1: the first payload.
        post_records(port, "orders", V1_ORDERS)
        (v1,) = wait_versions(port, "orders", 1)
        assert (v1["status"], v1["compatibility"]) == ("ACTIVE", "FULL")
        assert {p: (f["type"], f["required"]) for p, f in fields(v1).items()} == {
            "transaction_id": ("int64", True), "transaction_date": ("date", True),
            "amount": ("float64", True), "customer_id": ("string", True)}
        assert v1["sk"] == "version#" + v1["created_at"]
        assert re.fullmatch(r"[0-9a-f]{32}", v1["fingerprint"])

        # v2: an additive field → ACTIVE, FULL; v1 DEPRECATED.
        post_records(port, "orders", V2_ADDITIVE)
        v1, v2 = wait_versions(port, "orders", 2)
        assert (v2["status"], v2["compatibility"]) == ("ACTIVE", "FULL")
        assert v2["field_diff"]["added"] == ["coupon"]
        assert v2["field_diff"]["removed"] == [] and v2["field_diff"]["renamed"] == {}
        assert fields(v2)["coupon"]["required"] is False
        assert v1["status"] == "DEPRECATED"

        # The optional field missing from a whole payload changes nothing: no version.
        post_records(port, "orders", OPTIONAL_MISSING)
        v2 = wait_payloads(port, "orders", 2, 2)
        assert len(wait_versions(port, "orders", 2)) == 2
        assert v2["records"] == 3 and v2["status"] == "ACTIVE"

        # v3: transaction_date → txn_date is a rename: BREAKING, and an alert.
        assert sink.snapshot() == [], "no alert for ACTIVE versions"
        _, acked = post_records(port, "orders", RENAMED)
        deliveries = sink.wait_for(1, timeout=10)
        assert deliveries, f"no alert reached the sink\n{srv.stderr_text()}"
        latency = deliveries[0].at - acked
        print(f"alert latency, 202 -> webhook receipt: {latency * 1000:.0f} ms")
        assert latency < ALERT_LATENCY_BUDGET_S, f"the alert took {latency:.2f} s"

        v1, v2, v3 = wait_versions(port, "orders", 3)
        assert (v3["status"], v3["compatibility"]) == ("BREAKING", "BACKWARD")
        renamed = v3["field_diff"]["renamed"]
        assert list(renamed) == ["transaction_date"] and renamed["transaction_date"]["to"] == "txn_date"
        confidence = renamed["transaction_date"]["confidence"]
        assert 0.5 <= confidence <= 1
        assert v3["field_diff"]["added"] == [] and v3["field_diff"]["removed"] == []
        f3 = fields(v3)
        assert f3["transaction_date"]["removed"] is True and f3["txn_date"]["type"] == "date"
        assert v2["status"] == "ACTIVE", "a BREAKING version leaves the active one active"

        # The alert: Slack-compatible, with the diff, the rename, its confidence, the command.
        d = deliveries[0]
        assert d.path == "/hook"
        assert d.headers["content-type"] == "application/json"
        assert d.key, "no Idempotency-Key header"
        body = d.body
        assert isinstance(body, dict), d.raw[:300]
        assert "orders" in body["text"] and "BREAKING" in body["text"] and "3" in body["text"]
        blocks_text = "\n".join(texts(body["blocks"]))
        assert all(isinstance(b, dict) and "type" in b for b in body["blocks"])
        assert "`transaction_date` → `txn_date`" in blocks_text
        assert f"{round(confidence * 100)}%" in blocks_text
        (attachment,) = body["attachments"]
        assert attachment["color"] == "danger"
        assert {f["title"]: f["value"] for f in attachment["fields"]} == {
            "Source": "orders", "Version": "3", "Status": "BREAKING", "Compatibility": "BACKWARD"}
        lb = body["latebind"]
        assert (lb["source_id"], lb["version"], lb["status"], lb["compatibility"]) == (
            "orders", 3, "BREAKING", "BACKWARD")
        assert lb["field_diff"] == v3["field_diff"]
        assert lb["created_at"] == v3["created_at"]
        command = lb["resolve_command"]
        assert command.startswith("latebind schema resolve orders --version 3 --status ACTIVE")
        assert "--map txn_date=transaction_date" in command
        assert command in blocks_text

        # Metrics: versions by status, the alert no longer owed.
        assert schema_metrics(port) == {
            'latebind_schema_versions_total{source="orders",status="ACTIVE"}': 1,
            'latebind_schema_versions_total{source="orders",status="DEPRECATED"}': 1,
            'latebind_schema_versions_total{source="orders",status="BREAKING"}': 1}
        wait_metric(port, "latebind_alerts_pending", 0)

        # A person confirms the rename over HTTP.
        status, _, out = set_status(port, "orders", 3, {
            "status": "ACTIVE", "note": "rename confirmed", "mappings": {"txn_date": "transaction_date"}})
        assert status == 200, out
        assert out["status"] == "ACTIVE" and out["mappings"] == {"txn_date": "transaction_date"}
        assert out["note"] == "rename confirmed"
        v3 = get_json(port, "/v1/sources/orders/versions/3")
        assert v3["status"] == "ACTIVE" and v3["mappings"] == {"txn_date": "transaction_date"}
        history = v3["status_history"]
        assert [(h["from"], h["to"]) for h in history] == [(None, "BREAKING"), ("BREAKING", "ACTIVE")]
        assert history[1]["who"] == "api" and history[1]["note"] == "rename confirmed"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", history[1]["at"])
        assert history[1]["at"] >= history[0]["at"]
        v2 = get_json(port, "/v1/sources/orders/versions/2")
        assert v2["status"] == "DEPRECATED"
        assert [(h["from"], h["to"]) for h in v2["status_history"]] == [(None, "ACTIVE"), ("ACTIVE", "DEPRECATED")]
        (listed,) = get_json(port, "/v1/sources")["sources"]
        assert (listed["id"], listed["versions"], listed["latest_status"], listed["active_version"]) == (
            "orders", 3, "ACTIVE", 3)
        assert (listed["payloads"], listed["records"], listed["dead_letters"]) == (4, 8, 0)
        assert schema_metrics(port) == {
            'latebind_schema_versions_total{source="orders",status="ACTIVE"}': 1,
            'latebind_schema_versions_total{source="orders",status="DEPRECATED"}': 2}

        # Exactly one alert, delivered once.
        time.sleep(0.3)
        assert len(sink.snapshot()) == 1 and len(sink.successful()) == 1


# ---------------------------------------------------------------------------------------------
# What is not a rename, widening, incompatible types, nested and array paths
# ---------------------------------------------------------------------------------------------


def test_float_removed_while_a_string_appears_is_not_a_rename(serve):
    srv = serve()
    post_records(srv.port, "shop", [{"sku": "a-1", "price": 9.99, "qty": 1},
                                    {"sku": "b-2", "price": 4.5, "qty": 2}])
    wait_versions(srv.port, "shop", 1)
    post_records(srv.port, "shop", [{"sku": "a-1", "qty": 3, "customer_email": "ann@example.com"},
                                    {"sku": "c-3", "qty": 1, "customer_email": "bob@example.com"}])
    _, v2 = wait_versions(srv.port, "shop", 2)
    diff = v2["field_diff"]
    assert diff["removed"] == ["price"] and diff["added"] == ["customer_email"]
    assert diff["renamed"] == {} and diff["type_changed"] == {}
    assert v2["status"] == "BREAKING" and v2["compatibility"] == "BACKWARD"
    f = fields(v2)
    assert f["price"]["removed"] is True and f["price"]["type"] == "float64"
    assert f["customer_email"]["type"] == "string"


def test_int_widened_to_float_is_backward_and_active(serve):
    srv = serve()
    post_records(srv.port, "meter", [{"reading": 1}, {"reading": 2}])
    wait_versions(srv.port, "meter", 1)
    post_records(srv.port, "meter", [{"reading": 1.5}])
    v1, v2 = wait_versions(srv.port, "meter", 2)
    assert (v2["status"], v2["compatibility"]) == ("ACTIVE", "BACKWARD")
    assert v2["field_diff"]["type_changed"] == {"reading": {"from": "int64", "to": "float64"}}
    assert fields(v2)["reading"]["type"] == "float64"
    assert v1["status"] == "DEPRECATED"


def test_incompatible_type_change_is_none_and_breaking(serve):
    srv = serve()
    post_records(srv.port, "codes", [{"code": 5}, {"code": 7}])
    wait_versions(srv.port, "codes", 1)
    post_records(srv.port, "codes", [{"code": "X-9"}])
    v1, v2 = wait_versions(srv.port, "codes", 2)
    assert (v2["status"], v2["compatibility"]) == ("BREAKING", "NONE")
    assert v2["field_diff"]["type_changed"] == {"code": {"from": "int64", "to": "string"}}
    assert v1["status"] == "ACTIVE", "BREAKING never deprecates the active version"
    (listed,) = get_json(srv.port, "/v1/sources")["sources"]
    assert (listed["latest_version"], listed["latest_status"], listed["active_version"]) == (2, "BREAKING", 1)


def test_nested_and_array_paths(serve):
    srv = serve()
    post_records(srv.port, "nested", [
        {"id": 1, "customer": {"address": {"city": "Oslo", "zip": "0150"}}, "items": [{"sku": "a", "qty": 1}]}])
    (v1,) = wait_versions(srv.port, "nested", 1)
    assert {p: f["type"] for p, f in fields(v1).items()} == {
        "id": "int64", "customer": "object", "customer.address": "object",
        "customer.address.city": "string", "customer.address.zip": "string",
        "items": "array", "items[]": "object", "items[].sku": "string", "items[].qty": "int64"}

    # Added below an object and inside array elements: additive.
    post_records(srv.port, "nested", [
        {"id": 2, "customer": {"address": {"city": "Oslo", "zip": "0150", "country": "NO"}},
         "items": [{"sku": "a", "qty": 1, "price": 2.5}]}])
    _, v2 = wait_versions(srv.port, "nested", 2)
    assert sorted(v2["field_diff"]["added"]) == ["customer.address.country", "items[].price"]
    assert (v2["status"], v2["compatibility"]) == ("ACTIVE", "FULL")

    # A nested field gone (another appears), an array element's field widened.
    post_records(srv.port, "nested", [
        {"id": 3, "customer": {"address": {"town": "Oslo", "zip": "0150", "country": "NO"}},
         "items": [{"sku": "a", "qty": 1.5, "price": 2.5}]}])
    _, _, v3 = wait_versions(srv.port, "nested", 3)
    diff = v3["field_diff"]
    gone = set(diff["removed"]) | set(diff["renamed"])
    came = set(diff["added"]) | {r["to"] for r in diff["renamed"].values()}
    assert gone == {"customer.address.city"} and came == {"customer.address.town"}, diff
    assert diff["type_changed"] == {"items[].qty": {"from": "int64", "to": "float64"}}
    assert v3["status"] == "BREAKING" and v3["compatibility"] == "BACKWARD"
    f3 = fields(v3)
    assert f3["customer.address.city"]["removed"] is True
    assert f3["items[].qty"]["type"] == "float64"


# ---------------------------------------------------------------------------------------------
# Ordering and errors of the versions endpoints
# ---------------------------------------------------------------------------------------------


def test_versions_oldest_first_and_errors(serve):
    srv = serve()
    port = srv.port
    record = {"a": 1}
    for i, name in enumerate(("b", "c", "d")):
        post_records(port, "seq", [record])
        wait_versions(port, "seq", i + 1)
        record = {**record, name: i}
    post_records(port, "seq", [record])
    versions = wait_versions(port, "seq", 4)
    assert [v["version"] for v in versions] == [1, 2, 3, 4]
    assert [v["created_at"] for v in versions] == sorted(v["created_at"] for v in versions)
    assert [v["status"] for v in versions] == ["DEPRECATED"] * 3 + ["ACTIVE"]
    assert [v["field_diff"]["added"] for v in versions] == [[], ["b"], ["c"], ["d"]]
    assert get_json(port, "/v1/sources/seq/versions")["source_id"] == "seq"
    assert get_json(port, "/v1/sources/seq/versions/4")["version"] == 4

    def error(method, path, body=None, status=None, code=None):
        st, _, data = request(port, method, path, body=body, headers=JSON if body is not None else None)
        out = json.loads(data)
        assert (st, out["error"]["code"]) == (status, code), (method, path, st, out)
        assert out["error"]["message"]

    error("GET", "/v1/sources/unknown/versions", status=404, code="not_found")
    error("GET", "/v1/sources/unknown/versions/1", status=404, code="not_found")
    error("GET", "/v1/sources/seq/versions/5", status=404, code="not_found")
    for bad in ("0", "-1", "one", "1.0", "1e3", "99999999999999999999"):
        error("GET", f"/v1/sources/seq/versions/{bad}", status=400, code="bad_version")
        error("POST", f"/v1/sources/seq/versions/{bad}/status", b'{"status": "ACTIVE", "note": "n"}',
              status=400, code="bad_version")
    for bad in ("Seq", "-seq", "se.q", "a" * 65, "%2e%2e"):
        error("GET", f"/v1/sources/{bad}/versions", status=400, code="bad_source_id")
        error("GET", f"/v1/sources/{bad}/versions/1", status=400, code="bad_source_id")
    for body in (b"", b"{", b'"ACTIVE"', b'{"note": "n"}', b'{"status": "GONE", "note": "n"}',
                 b'{"status": "BREAKING", "note": "n"}', b'{"status": "ACTIVE", "note": ""}',
                 b'{"status": "ACTIVE", "note": "n", "mappings": "d=a"}',
                 b'{"status": "ACTIVE", "note": "n", "mappings": {"zzz": "a"}}'):
        error("POST", "/v1/sources/seq/versions/1/status", body, status=400, code="bad_request")
    error("POST", "/v1/sources/seq/versions/9/status", b'{"status": "ACTIVE", "note": "n"}',
          status=404, code="not_found")
    # Nothing above changed a status.
    assert [v["status"] for v in wait_versions(port, "seq", 4)] == ["DEPRECATED"] * 3 + ["ACTIVE"]


# ---------------------------------------------------------------------------------------------
# Authentication of the status endpoint
# ---------------------------------------------------------------------------------------------


def test_status_change_needs_an_operator_token(serve, operator_tokens):
    srv = serve("--auth-tokens", operator_tokens)
    port = srv.port
    producer = {"Authorization": "Bearer producer-secret"}
    operator = {"Authorization": "Bearer operator-secret"}
    post_records(port, "orders", V1_ORDERS, producer)
    post_records(port, "orders", RENAMED, producer)
    _, v2 = wait_versions(port, "orders", 2, headers=producer)
    assert v2["status"] == "BREAKING"
    resolve = {"status": "ACTIVE", "note": "rename confirmed", "mappings": {"txn_date": "transaction_date"}}

    status, headers, out = set_status(port, "orders", 2, resolve)
    assert status == 401 and out["error"]["code"] == "unauthorized"
    assert headers["www-authenticate"] == "Bearer"
    status, _, out = set_status(port, "orders", 2, resolve, {"Authorization": "Bearer wrong"})
    assert status == 401
    status, _, out = set_status(port, "orders", 2, resolve, producer)
    assert status == 403 and out["error"]["code"] == "forbidden"
    assert get_json(port, "/v1/sources/orders/versions/2", producer)["status"] == "BREAKING"

    status, _, out = set_status(port, "orders", 2, resolve, operator)
    assert status == 200, out
    assert out["status"] == "ACTIVE" and out["mappings"] == {"txn_date": "transaction_date"}
    history = get_json(port, "/v1/sources/orders/versions/2", producer)["status_history"]
    assert history[-1]["who"] == "oncall-alice" and history[-1]["note"] == "rename confirmed"
    v1 = get_json(port, "/v1/sources/orders/versions/1", operator)
    assert v1["status"] == "DEPRECATED" and v1["status_history"][-1]["who"] == "oncall-alice"


# ---------------------------------------------------------------------------------------------
# Alert delivery durability
# ---------------------------------------------------------------------------------------------


def breaking_version(port: int, source: str = "orders") -> float:
    """Writes v1 and a BREAKING v2 (a rename); returns when v2's payload was acknowledged."""
    post_records(port, source, V1_ORDERS)
    wait_versions(port, source, 1)
    _, acked = post_records(port, source, RENAMED)
    return acked


def log_entries(srv, msg: str) -> list[dict]:
    return [e for e in srv.logs() if e.get("msg") == msg]


def test_alert_retried_through_500_and_a_hang_then_delivered_once(serve):
    """500, then a hang past the 5 s post timeout, then 200: three attempts, one key, one
    successful delivery, and nothing more afterwards."""
    with WebhookReceiver(script=["500", "hang"], default="200") as sink:
        srv = serve("--alert-webhook", sink.url)
        breaking_version(srv.port)
        assert sink.wait_until(lambda ds: any(d.succeeded for d in ds), timeout=20), (
            f"not delivered: {sink.snapshot()}\n{srv.stderr_text()}")
        wait_metric(srv.port, "latebind_alerts_pending", 0)
        time.sleep(1.2)  # past the dispatcher's 1 s poll: nothing more is sent
        ds = sink.snapshot()
        assert [d.action for d in ds] == ["500", "hang", "200"], ds
        assert len({d.key for d in ds}) == 1 and ds[0].key
        assert len(sink.successful()) == 1
        assert all(d.body == ds[0].body for d in ds), "every attempt carries the same alert"
        # The backoff (500 ms less up to 20 % jitter) and the post timeout (5 s) in between.
        assert ds[1].at - ds[0].at >= 0.35
        assert ds[2].at - ds[1].at >= 4.5
        failed = log_entries(srv, "alert delivery failed")
        assert [e["attempt"] for e in failed] == [1, 2]
        assert "HTTP 500" in failed[0]["error"] and "timed out" in failed[1]["error"]
        (delivered,) = log_entries(srv, "alert delivered")
        assert delivered["attempt"] == 3 and delivered["http_status"] == 200


@pytest.mark.parametrize("failure", ["sink-down", "post-in-flight"])
def test_alert_owed_across_kill_9_is_delivered_once_after_restart(serve, tmp_path, failure):
    """The version and its outbox row are written while the sink fails (down, or a POST
    hanging when the server dies); after kill -9 and a restart with the same
    --alert-webhook, the alert reaches a healthy sink under the same key, once."""
    home = tmp_path / "home"
    port = closed_port()
    url = f"http://127.0.0.1:{port}/hook"
    sink = None if failure == "sink-down" else WebhookReceiver(script=["500", "hang"], port=port)
    try:
        srv = serve("--alert-webhook", url, home=home)
        breaking_version(srv.port)
        if sink is None:
            poll(lambda: log_entries(srv, "alert delivery failed"), 10, "a failed delivery")
        else:
            assert sink.wait_until(lambda ds: len(ds) == 2, timeout=10), sink.snapshot()
            assert sink.snapshot()[1].action == "hang"  # the POST is in flight
        srv.kill()
        assert srv.proc.returncode == -signal.SIGKILL
        if sink is None:
            sink = WebhookReceiver(port=port)
        else:
            sink.release_hangs()
        sink.answer("200")
        restarted = serve("--alert-webhook", url, home=home)
        assert sink.wait_until(lambda ds: any(d.succeeded for d in ds), timeout=5), (
            f"{sink.snapshot()}\n{restarted.stderr_text()}")
        wait_metric(restarted.port, "latebind_alerts_pending", 0)
        assert restarted.stop() == 0
        # A further restart owes nothing.
        again = serve("--alert-webhook", url, home=home)
        time.sleep(1.2)
        assert again.stop() == 0
        ds = sink.snapshot()
        assert len({d.key for d in ds}) == 1 and ds[0].key, ds
        assert len(sink.successful()) == 1, ds
        assert ds[-1].body["latebind"]["version"] == 2
    finally:
        if sink is not None:
            sink.close()


def test_a_breaking_version_found_by_the_cli_is_alerted_by_the_server(serve, latebind_bin, tmp_path):
    """Audit 2026-11-24: delivery rows were written only for the writer's own sinks, so a
    BREAKING version that `latebind ingest` (or `deadletter replay`) found on a served home
    was never alerted. The server registers its sinks in the registry; the CLI's version is
    owed to them, also while the server is down, and goes out once it runs."""
    home = tmp_path / "home"
    inputs = tmp_path / "in"
    inputs.mkdir()

    def ingest(name: str, records: list[dict]):
        (inputs / name).write_bytes(ndjson(records))
        res = subprocess.run([str(latebind_bin), "--home", str(home), "ingest", "--source",
                              "orders", "--json", str(inputs / name)],
                             capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout)[0]

    with WebhookReceiver() as sink:
        srv = serve("--alert-webhook", sink.url, home=home)
        assert ingest("v1.ndjson", V1_ORDERS)["schema_status"] == "ACTIVE"
        assert ingest("v2.ndjson", RENAMED)["schema_status"] == "BREAKING"
        deliveries = sink.wait_for(1, timeout=10)
        assert deliveries, f"no alert reached the sink\n{srv.stderr_text()}"
        assert deliveries[0].body["latebind"]["version"] == 2
        wait_metric(srv.port, "latebind_alerts_pending", 0)
        assert srv.stop() == 0
        # With the server down the next one is owed, and sent when it is back.
        assert ingest("v3.ndjson", V1_ORDERS)["schema_status"] == "BREAKING"
        restarted = serve("--alert-webhook", sink.url, home=home)
        assert sink.wait_until(lambda ds: len(sink.successful()) == 2, timeout=10), (
            f"{sink.snapshot()}\n{restarted.stderr_text()}")
        assert sink.successful()[-1].body["latebind"]["version"] == 3
        assert restarted.stop() == 0
    # A server started without sinks unregisters them: the CLI's next version owes nothing.
    quiet = serve(home=home)
    without_customer = [{k: v for k, v in r.items() if k != "customer_id"} for r in V1_ORDERS]
    assert ingest("v4.ndjson", without_customer)["schema_status"] == "BREAKING"
    wait_metric(quiet.port, "latebind_alerts_pending", 0)


def test_two_sinks_one_down_one_hanging_the_healthy_one_gets_it_promptly(serve):
    with WebhookReceiver(default="hang") as hanging, WebhookReceiver() as healthy:
        down_url = f"http://127.0.0.1:{closed_port()}/hook"
        srv = serve("--alert-webhook", down_url, "--alert-webhook", hanging.url,
                    "--alert-webhook", healthy.url)
        acked = breaking_version(srv.port)
        assert healthy.wait_until(lambda ds: any(d.succeeded for d in ds), timeout=5), healthy.snapshot()
        got = healthy.snapshot()
        latency = got[0].at - acked
        print(f"alert latency with two failing sinks beside: {latency * 1000:.0f} ms")
        assert latency < ALERT_LATENCY_BUDGET_S
        assert hanging.wait_for(1, timeout=5), "the hanging sink was never tried"
        # Two deliveries still owed: the down sink's and the hanging one's.
        wait_metric(srv.port, "latebind_alerts_pending", 2)
        assert len(healthy.snapshot()) == 1
