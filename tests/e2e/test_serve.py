"""End to end: `latebind serve`, the HTTP ingest API.

Every server listens on 127.0.0.1 and a kernel-chosen port (the `serve` fixture in
conftest.py). Requests go through http.client where it sends them as written, and through
raw sockets where it would normalise or refuse them (framing errors, odd targets, huge
headers, pipelining, stalled clients). Every wait is bounded in count and in time.
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from registry_state import (forget_payload, payload_rows, poll_profiled_objects, profiled_objects,
                            wait_profiled, wait_row)

HOST = "127.0.0.1"
IO_TIMEOUT_S = 10
ULID_RE = r"[0-9A-HJKMNP-TV-Z]{26}"


# ---------------------------------------------------------------------------------------------
# HTTP helpers
# ---------------------------------------------------------------------------------------------


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def request(port, method, path, body=None, headers=None, timeout=IO_TIMEOUT_S):
    """One request on a fresh connection: (status, headers {lower: value}, body bytes)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        res = conn.getresponse()
        data = res.read()
        return res.status, {k.lower(): v for k, v in res.getheaders()}, data
    finally:
        conn.close()


def post(port, source, body, content_type="application/x-ndjson", headers=None):
    hdrs = dict(headers or {})
    if content_type is not None:
        hdrs["Content-Type"] = content_type
    return request(port, "POST", f"/v1/sources/{source}/payloads", body=body, headers=hdrs)


def post_ok(port, source, body, content_type="application/x-ndjson", headers=None) -> dict:
    status, _, data = post(port, source, body, content_type, headers)
    assert status == 202, (status, data)
    return json.loads(data)


class RawResponse:
    def __init__(self, status: int, reason: str, headers: dict[str, str], body: bytes):
        self.status, self.reason, self.headers, self.body = status, reason, headers, body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.status} {self.reason} {self.headers} {self.body[:300]!r}>"


class RawConn:
    """A plain TCP connection that sends bytes as given and parses responses by hand."""

    def __init__(self, port: int, timeout: float = 5):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.buf = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data: bytes) -> bool:
        """Sends everything; False when the server already closed/reset the connection."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def _fill(self, deadline: float) -> bool:
        """Reads more into the buffer; False on EOF. Raises TimeoutError past `deadline`."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no response from the server in time")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout as e:
            raise TimeoutError("no response from the server in time") from e
        if not chunk:
            return False
        self.buf += chunk
        return True

    def _read_until(self, marker: bytes, deadline: float) -> bytes | None:
        for _ in range(100_000):
            at = self.buf.find(marker)
            if at >= 0:
                out, self.buf = self.buf[: at + len(marker)], self.buf[at + len(marker):]
                return out
            if not self._fill(deadline):
                return None
        raise AssertionError("unbounded read")  # pragma: no cover

    def _read_exact(self, n: int, deadline: float) -> bytes | None:
        for _ in range(100_000):
            if len(self.buf) >= n:
                out, self.buf = self.buf[:n], self.buf[n:]
                return out
            if not self._fill(deadline):
                return None
        raise AssertionError("unbounded read")  # pragma: no cover

    def read_response(self, timeout: float = IO_TIMEOUT_S, to_head: bool = False) -> RawResponse | None:
        """The next response (an interim 1xx too), or None when the connection was closed
        (or reset) before a complete response arrived. `to_head`: the answer to a HEAD request,
        whose Content-Length describes a body that is not sent."""
        deadline = time.monotonic() + timeout
        try:
            head = self._read_until(b"\r\n\r\n", deadline)
            if head is None:
                return None
            lines = head[:-4].decode("latin-1").split("\r\n")
            m = re.fullmatch(r"HTTP/1\.[01] (\d{3}) ?(.*)", lines[0])
            assert m, f"bad status line {lines[0]!r}"
            status = int(m.group(1))
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if 100 <= status < 200 or status in (204, 304) or to_head:
                return RawResponse(status, m.group(2), headers, b"")
            if headers.get("transfer-encoding", "").lower() == "chunked":
                body = b""
                for _ in range(10_000):
                    size_line = self._read_until(b"\r\n", deadline)
                    if size_line is None:
                        return None
                    size = int(size_line.split(b";")[0], 16)
                    if size == 0:
                        self._read_until(b"\r\n", deadline)
                        break
                    chunk = self._read_exact(size + 2, deadline)
                    if chunk is None:
                        return None
                    body += chunk[:-2]
                return RawResponse(status, m.group(2), headers, body)
            length = int(headers.get("content-length", "0"))
            body = self._read_exact(length, deadline)
            if body is None:
                return None
            return RawResponse(status, m.group(2), headers, body)
        except ConnectionResetError:
            return None

    def closed_by_peer(self, timeout: float = 5) -> bool:
        """True when the server closes (FIN or RST) within `timeout` with nothing more sent."""
        deadline = time.monotonic() + timeout
        try:
            for _ in range(1000):
                if not self._fill(deadline):
                    return True
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False
        return False


def raw_request(port: int, data: bytes, timeout: float = IO_TIMEOUT_S) -> RawResponse | None:
    with RawConn(port) as c:
        c.send(data)
        return c.read_response(timeout)


def post_head(source_path: str, extra: str = "", length: int | None = None) -> bytes:
    """Request line and header for a POST to the raw (undecoded) target `source_path`."""
    head = f"POST {source_path} HTTP/1.1\r\nHost: {HOST}\r\n"
    if length is not None:
        head += f"Content-Length: {length}\r\n"
    return (head + extra + "\r\n").encode("latin-1")


def metrics(port) -> dict[str, float]:
    status, _, data = request(port, "GET", "/metrics")
    assert status == 200
    out = {}
    for line in data.decode().splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        out[name] = float(value)
    return out


# ---------------------------------------------------------------------------------------------
# Storage helpers
# ---------------------------------------------------------------------------------------------


def snapshot(root: Path) -> list[str]:
    """Every entry (files and directories) under root, relative, less the schema registry
    (registry.db and its -wal/-shm) and locks/ (the server's lock): serve opens them at
    startup, no request creates them."""
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) + ("/" if p.is_dir() else "") for p in root.rglob("*")
                  if not p.relative_to(root).as_posix().startswith(("registry.db", "locks")))


def files_under(root: Path) -> list[str]:
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def stem_of(key: str) -> str:
    """raw/source=a/date=d/ULID.ndjson.gz -> raw/source=a/date=d/ULID"""
    d, _, name = key.rpartition("/")
    return f"{d}/{name.split('.', 1)[0]}"


def meta_key(key: str) -> str:
    return stem_of(key) + ".meta.json"


def is_payload(name: str) -> bool:
    """Whether a file in a zone is a payload (not its meta). Whether it was profiled is in
    the registry (registry_state.py), not in a file beside it."""
    return not name.endswith(".meta.json")


def wait_for(predicate, timeout: float = 10, interval: float = 0.05, what: str = "condition",
             describe=None):
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / interval) + 2):
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            break
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout} s waiting for {what}" + (f": {describe()}" if describe else ""))


def wait_for_file(path: Path, timeout: float = 10) -> Path:
    return wait_for(lambda: path if path.is_file() else None, timeout, what=str(path))


def check_receipt(home: Path, receipt: dict, body: bytes, source: str, ext: str,
                  content_type: str, encoding: str = "", idempotency_key: str = "") -> dict:
    key = receipt["object"]
    assert set(receipt) == {"object", "bytes", "sha256", "received_at"}, receipt
    m = re.fullmatch(rf"raw/source={re.escape(source)}/date=(\d{{4}}-\d{{2}}-\d{{2}})/({ULID_RE})\.{re.escape(ext)}",
                     key)
    assert m, key
    assert receipt["received_at"].startswith(m.group(1)), receipt
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", receipt["received_at"]), receipt
    assert receipt["bytes"] == len(body)
    assert receipt["sha256"] == sha256(body)
    assert (home / key).read_bytes() == body
    meta = json.loads((home / meta_key(key)).read_text())
    assert meta["source"] == source
    assert meta["received_at"] == receipt["received_at"]
    assert meta["bytes"] == len(body)
    assert meta["sha256"] == sha256(body)
    assert meta["content_type"] == content_type
    assert meta["content_encoding"] == encoding
    assert meta["idempotency_key"] == idempotency_key
    return meta


NDJSON = b'{"id": 1, "name": "ann", "amount": 2.5}\n{"id": 2, "name": "bob", "amount": 3}\n' \
         b'{"id": 3, "name": null, "amount": 4.25}\n'


# ---------------------------------------------------------------------------------------------
# 1-4: landing, profiling, dead-letter
# ---------------------------------------------------------------------------------------------


def test_ndjson_lands_byte_identical_with_meta_and_profile(serve):
    srv = serve()
    status, headers, data = post(srv.port, "bank", NDJSON, headers={"Idempotency-Key": "k-123"})
    assert status == 202, data
    assert headers["content-type"] == "application/json"
    receipt = json.loads(data)
    check_receipt(srv.home, receipt, NDJSON, "bank", "ndjson", "application/x-ndjson",
                  idempotency_key="k-123")
    profile = wait_profiled(srv.home, receipt["object"])
    assert profile["records"] == 3
    assert profile["fields"] == {"id", "name", "amount"}
    assert not (srv.home / "dead-letter").exists()


def test_gzip_body_stored_as_received_and_profiled_decoded(serve):
    srv = serve()
    plain = b"".join(b'{"n": %d, "tag": "t%d"}\n' % (i, i % 3) for i in range(50))
    body = gzip.compress(plain)
    receipt = post_ok(srv.port, "gz-src", body, headers={"Content-Encoding": "gzip"})
    meta = check_receipt(srv.home, receipt, body, "gz-src", "ndjson.gz", "application/x-ndjson",
                         encoding="gzip")
    assert meta["sha256"] != sha256(plain)
    profile = wait_profiled(srv.home, receipt["object"])
    assert profile["records"] == 50
    assert profile["fields"] == {"n", "tag"}


def test_content_encoding_token_is_case_insensitive(serve):
    # RFC 9110 8.4.1: "All content codings are case-insensitive". A gzip body declared as
    # "GZIP" must be named .gz and recorded as gzip, like "gzip".
    srv = serve()
    body = gzip.compress(NDJSON)
    receipt = post_ok(srv.port, "enc", body, headers={"Content-Encoding": "GZIP"})
    check_receipt(srv.home, receipt, body, "enc", "ndjson.gz", "application/x-ndjson", encoding="gzip")


def test_csv_and_sniffed_extensions(serve):
    srv = serve()
    csv = b"a,b,c\n1,x,2.5\n2,y,3.5\n3,z,4.5\n"
    r_csv = post_ok(srv.port, "csv-src", csv, content_type="text/csv; charset=utf-8")
    check_receipt(srv.home, r_csv, csv, "csv-src", "csv", "text/csv; charset=utf-8")

    # No Content-Type at all: the extension comes from the content.
    r_nd = post_ok(srv.port, "sniff", NDJSON, content_type=None)
    check_receipt(srv.home, r_nd, NDJSON, "sniff", "ndjson", "")
    arr = b'[{"a": 1}, {"a": 2}]'
    r_json = post_ok(srv.port, "sniff", arr, content_type=None)
    check_receipt(srv.home, r_json, arr, "sniff", "json", "")
    r_csv2 = post_ok(srv.port, "sniff", csv, content_type=None)
    check_receipt(srv.home, r_csv2, csv, "sniff", "csv", "")
    # An unusable Content-Type is treated like none; gzip is sniffed from the decoded bytes.
    gz = gzip.compress(NDJSON)
    r_gz = post_ok(srv.port, "sniff", gz, content_type="application/octet-stream",
                   headers={"Content-Encoding": "gzip"})
    check_receipt(srv.home, r_gz, gz, "sniff", "ndjson.gz", "application/octet-stream", encoding="gzip")

    for receipt, records in ((r_csv, 3), (r_nd, 3), (r_json, 2), (r_csv2, 3), (r_gz, 3)):
        profile = wait_profiled(srv.home, receipt["object"])
        assert profile["records"] == records, (receipt["object"], profile)


def test_malformed_payload_is_acknowledged_then_dead_lettered(serve):
    srv = serve()
    body = b'{"a": 1}\n{"a": 2}\n{"a": tru\n{"a": 4}\n'
    receipt = post_ok(srv.port, "broken", body)
    key = receipt["object"]
    dl_key = "dead-letter/" + key[len("raw/"):]
    dl_meta_path = srv.home / meta_key(dl_key)
    wait_for(lambda: dl_meta_path.is_file() and not (srv.home / key).exists(), what="dead-letter")
    assert (srv.home / dl_key).read_bytes() == body
    meta = json.loads(dl_meta_path.read_text())
    assert meta["sha256"] == sha256(body) and meta["source"] == "broken"
    assert meta["raw_object"] == key and meta["object"] == dl_key
    reason = meta["reason"]
    assert set(reason) >= {"line", "column", "byte", "message"}, reason
    assert reason["line"] == 3, reason
    line3 = body.index(b'{"a": tru')
    assert line3 <= reason["byte"] <= line3 + len(b'{"a": tru\n'), reason
    assert reason["message"]
    # Nothing of it stays in raw/ (payload or meta), and the registry records it as a dead
    # letter under its dead-letter/ key, with the reason, never as profiled.
    stem = stem_of(key)
    assert not [f for f in files_under(srv.home / "raw") if ("raw/" + f).startswith(stem)]
    row = wait_row(srv.home, dl_key, "dead_letter")
    assert row.source_id == "broken" and row.records == 0, row
    assert json.loads(row.reason) == reason, row
    rows = payload_rows(srv.home)
    assert key not in rows, rows[key]
    failures = 'latebind_profiling_failures_total{source="broken"}'
    m = wait_for(lambda: (lambda mm: mm if failures in mm else None)(metrics(srv.port)),
                 what="the profiling failure metric")
    assert m[failures] == 1
    assert m['latebind_http_requests_total{source="broken",code="202"}'] == 1


def test_a_truncated_gzip_dead_letter_reason_names_no_former_key(serve):
    """Defect 2026-11-24: the reason of a truncated gzip named the payload's raw/ key, which
    is gone once the payload moved. Like every reason it names no object now (the meta's
    `object` does), and keeps the compressed byte offset."""
    srv = serve()
    whole = gzip.compress(b"".join(b'{"id": %d, "name": "n-%d"}\n' % (i, i * 7919) for i in range(3000)))
    body = whole[: len(whole) // 2]
    receipt = post_ok(srv.port, "cutgz", body, headers={"Content-Encoding": "gzip"})
    key = receipt["object"]
    assert key.endswith(".ndjson.gz"), key
    dl_key = "dead-letter/" + key[len("raw/"):]
    dl_meta_path = srv.home / meta_key(dl_key)
    wait_for(lambda: dl_meta_path.is_file() and not (srv.home / key).exists(), what="dead-letter")
    meta = json.loads(dl_meta_path.read_text())
    assert meta["object"] == dl_key and meta["raw_object"] == key, meta
    reason = meta["reason"]
    assert reason["message"].startswith("truncated gzip stream (ends at compressed byte "), reason
    assert "raw/" not in reason["message"] and str(srv.home) not in reason["message"], reason
    assert json.loads(wait_row(srv.home, dl_key, "dead_letter").reason) == reason
    logged = wait_for(lambda: [e for e in srv.logs()
                               if e.get("msg") == "payload cannot be parsed: kept in dead-letter"],
                      what="the dead-letter log line")
    assert logged[0]["object"] == dl_key and logged[0]["reason"] == reason["message"], logged


def test_idempotency_key_retry_gets_the_same_receipt_also_after_a_crash(serve, tmp_path):
    home = tmp_path / "home"
    srv = serve(home=home)
    body = b'{"order": 42}\n'
    status, headers, data = post(srv.port, "orders", body, headers={"Idempotency-Key": "order-42"})
    assert status == 202 and "idempotent-replayed" not in headers
    first = json.loads(data)
    # The retry says it is a replay (Stripe's header), and its bytes were not landed again:
    # the byte counter counts the payload once.
    status, headers, data = post(srv.port, "orders", body, headers={"Idempotency-Key": "order-42"})
    assert status == 202 and headers["idempotent-replayed"] == "true"
    assert json.loads(data) == first
    assert metrics(srv.port)['latebind_ingested_bytes_total{source="orders"}'] == len(body)
    other = post_ok(srv.port, "refunds", body, headers={"Idempotency-Key": "order-42"})
    assert other["object"].startswith("raw/source=refunds/")  # keys are per source
    srv.kill()  # SIGKILL: the receipt must have been durable with the payload
    srv = serve(home=home)
    assert post_ok(srv.port, "orders", body, headers={"Idempotency-Key": "order-42"}) == first
    payloads = [f for f in files_under(home / "raw" / "source=orders") if is_payload(f)]
    assert len(payloads) == 1, payloads
    assert (home / first["object"]).read_bytes() == body


# ---------------------------------------------------------------------------------------------
# 5-6: refusals before storage
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [[], ["--wal"]], ids=["raw-file-commit", "write-ahead-log"])
def test_an_idempotency_key_reused_for_other_content_is_409(serve, tmp_path, mode):
    """The first receipt answers a retry of the same bytes only: a 202 for other bytes under
    the same key would tell the client they landed."""
    home = tmp_path / "home"
    srv = serve(*mode, home=home)
    key = {"Idempotency-Key": "batch-7"}
    first = post_ok(srv.port, "idem", NDJSON, headers=key)
    status, _, data = post(srv.port, "idem", NDJSON + b'{"id": 3}\n', headers=key)
    assert status == 409, data
    message = json.loads(data)["error"]["message"]
    assert "batch-7" in message and first["object"] in message
    assert post_ok(srv.port, "idem", NDJSON, headers=key) == first  # the same bytes: a retry
    assert srv.stop() == 0
    srv = serve(*mode, home=home)
    assert post(srv.port, "idem", b'{"x": 1}\n', headers=key)[0] == 409
    wait_profiled(home, first["object"])
    assert [k for k in files_under(home / "raw") if is_payload("raw/" + k)] == \
        [first["object"][len("raw/"):]]


@pytest.mark.parametrize(
    "source",
    ["../etc", "UPPER", "a/b", "a" * 80, "%2e%2e", "%00", "..", "-lead", "_lead", "a.b", ""],
)
def test_bad_source_id_is_refused_and_touches_nothing(serve, source):
    srv = serve()
    before = snapshot(srv.home)
    body = b'{"a": 1}\n'
    with RawConn(srv.port) as c:
        c.send(post_head(f"/v1/sources/{source}/payloads", "Content-Type: application/x-ndjson\r\n",
                         len(body)) + body)
        res = c.read_response()
        assert res is not None, "no response"
        assert res.status == 400, res
        assert res.json()["error"]["code"] == "bad_source_id", res
        assert res.headers.get("connection", "").lower() == "close", res
        assert c.closed_by_peer(5)
    status, _, data = request(srv.port, "GET", "/v1/sources")
    assert status == 200 and json.loads(data) == {"sources": []}
    assert snapshot(srv.home) == before


def test_source_id_boundaries(serve):
    srv = serve()
    for ok in ("a", "0", "a" * 64, "a-b_c-9", "9_"):
        receipt = post_ok(srv.port, ok, b'{"a": 1}\n')
        assert receipt["object"].startswith(f"raw/source={ok}/date="), receipt
    wait_for(lambda: metrics(srv.port)['latebind_queue_depth{stage="profiling"}'] == 0
             and len(poll_profiled_objects(srv.home)) == 5,
             what="profiles")
    before = snapshot(srv.home)
    for bad in ("a" * 65, "a%61", "a+b", "a;b", "a.b", "\u00e9t\u00e9".encode().decode("latin-1")):
        with RawConn(srv.port) as c:
            c.send(post_head(f"/v1/sources/{bad}/payloads", "", 1) + b"x")
            res = c.read_response()
            assert res is not None and res.status == 400, (bad, res)
            assert res.json()["error"]["code"] == "bad_source_id"
            assert c.closed_by_peer(5), bad
    assert snapshot(srv.home) == before
    # The query string is not part of the id.
    receipt = post_ok(srv.port, "q", b'{"a": 1}\n')
    status, _, data = request(srv.port, "POST", "/v1/sources/q/payloads?x=1&y=%2F", body=b'{"a": 1}\n',
                              headers={"Content-Type": "application/x-ndjson"})
    assert status == 202 and json.loads(data)["object"].startswith("raw/source=q/date="), data


def test_nul_byte_in_path_is_refused_and_touches_nothing(serve):
    srv = serve()
    before = snapshot(srv.home)
    body = b'{"a": 1}\n'
    for target in (b"/v1/sources/a\x00b/payloads", b"/v1/sources/\x00/payloads",
                   b"/v1/sources/ok/payloads\x00/../x/payloads"):
        with RawConn(srv.port) as c:
            c.send(b"POST " + target + b" HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            res = c.read_response(5)
            # Either a 400, or the connection is closed without an answer; never a 2xx.
            assert res is None or res.status == 400, (target, res)
    assert request(srv.port, "GET", "/healthz")[0] == 200
    assert snapshot(srv.home) == before


def test_length_required(serve):
    srv = serve()
    with RawConn(srv.port) as c:
        c.send(post_head("/v1/sources/abc/payloads", "Content-Type: application/x-ndjson\r\n"))
        res = c.read_response()
        assert res is not None and res.status == 411, res
        assert res.json()["error"]["code"] == "length_required"
        assert c.closed_by_peer(5)
    assert snapshot(srv.home) == []


def test_too_large_by_content_length_answered_without_the_body(serve):
    # A Content-Length over --max-body-bytes is refused with 413 from the header alone; the
    # client must get the answer although it never sends the body.
    srv = serve("--max-body-bytes", "1024")
    with RawConn(srv.port) as c:
        # The body is never sent: the answer must come from the header alone.
        c.send(post_head("/v1/sources/abc/payloads", "", 1025))
        res = c.read_response(5)
        assert res is not None and res.status == 413, res
        assert res.json()["error"]["code"] == "payload_too_large"
        assert c.closed_by_peer(5)
    # The default limit (64 MiB) too, with an absurd length.
    srv2 = serve(home=srv.home.parent / "home2")
    with RawConn(srv2.port) as c:
        c.send(post_head("/v1/sources/abc/payloads", "", 100 << 30))
        res = c.read_response(5)
        assert res is not None and res.status == 413, res
    # Exactly the limit is fine.
    receipt = post_ok(srv.port, "abc", b"x" * 1024, content_type="text/csv")
    assert receipt["bytes"] == 1024
    assert [f for f in files_under(srv.home) if f.endswith(".csv")] == [receipt["object"]]


def test_a_refused_body_sent_anyway_does_not_reset_the_connection(serve):
    """A client that sends its body without waiting (no Expect) keeps writing after the 413.
    The server reads and drops the rest before closing: closing with unread bytes would reset
    the connection, and the reset can beat the answer to the client."""
    srv = serve("--max-body-bytes", "1024")
    body = b"x" * (4 << 20)
    with RawConn(srv.port, timeout=10) as c:
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sent = threading.Event()
        ok = []
        def send():
            ok.append(c.send(post_head("/v1/sources/abc/payloads", "", len(body)) + body))
            sent.set()
        threading.Thread(target=send, daemon=True).start()
        assert sent.wait(10), "the server stopped reading: the client could not finish sending"
        assert ok == [True], "the connection was reset while the client was sending"
        res = c.read_response(5)
        assert res is not None and res.status == 413, res
        assert c.closed_by_peer(5)
    assert snapshot(srv.home) == []


def test_too_large_chunked(serve):
    srv = serve("--max-body-bytes", "1024")
    before = snapshot(srv.home)
    with RawConn(srv.port) as c:
        chunk = b"x" * 800
        data = post_head("/v1/sources/abc/payloads", "Transfer-Encoding: chunked\r\n")
        data += b"%x\r\n%s\r\n" % (len(chunk), chunk) * 2  # 1600 bytes > 1024; no last chunk
        c.send(data)
        res = c.read_response(5)
        assert res is not None and res.status == 413, res
        assert res.json()["error"]["code"] == "payload_too_large"
        assert c.closed_by_peer(5)
    assert snapshot(srv.home) == before


def test_content_length_and_transfer_encoding_together(serve):
    # Both framings at once (the request-smuggling shape) is refused with a 400 answer, then
    # the connection is closed; a silent close is not the documented behaviour.
    srv = serve()
    before = snapshot(srv.home)
    with RawConn(srv.port) as c:
        c.send(post_head("/v1/sources/abc/payloads", "Transfer-Encoding: chunked\r\n", 5)
               + b"5\r\nhello\r\n0\r\n\r\n")
        res = c.read_response(5)
        assert res is not None, "connection closed without an answer (expected 400)"
        assert res.status == 400, res
        assert c.closed_by_peer(5)
    assert snapshot(srv.home) == before


def test_header_too_large(serve):
    srv = serve()
    with RawConn(srv.port) as c:
        c.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (17 << 10) + b"\r\n\r\n")
        res = c.read_response(5)
        assert res is not None and res.status == 431, res
        assert c.closed_by_peer(5)
    # A header just under the limit is fine.
    with RawConn(srv.port) as c:
        c.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (15 << 10) + b"\r\n\r\n")
        res = c.read_response(5)
        assert res is not None and res.status == 200, res


def test_not_found_and_method_not_allowed(serve):
    srv = serve()
    for method, path, want in (
        ("GET", "/nope", 404),
        ("GET", "/v1/sources/abc", 404),
        ("GET", "/v1/sources/abc/payloads/x", 404),
        ("GET", "/v1/sources/abc/payloads", 405),
        ("PUT", "/v1/sources/abc/payloads", 405),
        ("POST", "/healthz", 405),
        ("DELETE", "/v1/sources", 405),
        ("POST", "/metrics", 405),
    ):
        status, _, data = request(srv.port, method, path, body=b"" if method in ("POST", "PUT") else None)
        assert status == want, (method, path, status, data)
        code = json.loads(data)["error"]["code"]
        assert code == ("not_found" if want == 404 else "method_not_allowed")
    assert snapshot(srv.home) == []


def test_head_answers_like_get_without_a_body_and_the_connection_stays_usable(serve):
    srv = serve()
    get_healthz = f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()
    with RawConn(srv.port) as c:
        # Pipelined: a body after the HEAD answer would be read as the next status line.
        c.send(f"HEAD /healthz HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode() + get_healthz
               + f"HEAD /v1/sources/abc/payloads HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()
               + get_healthz)
        head = c.read_response(to_head=True)
        assert head is not None and head.status == 200, head
        get = c.read_response()
        assert get is not None and get.status == 200 and get.json() == {"status": "ok"}, get
        assert int(head.headers["content-length"]) == len(get.body)
        refused = c.read_response(to_head=True)
        assert refused is not None and refused.status == 405, refused
        assert refused.headers["allow"] == "POST"
        again = c.read_response()
        assert again is not None and again.status == 200 and again.json() == {"status": "ok"}, again
    status, headers, _ = request(srv.port, "PUT", "/metrics", body=b"")
    assert status == 405 and headers["allow"] == "GET, HEAD"


def test_client_chosen_text_never_becomes_a_metric_label(serve):
    """Only a validated source id is a label: a 404 or 405 under /v1/sources/{x}/... carries
    whatever the client wrote (quotes, backslashes, 15 KB), and every label is a series the
    server keeps for its lifetime."""
    srv = serve()
    for method, path in (("DELETE", '/v1/sources/A"B/payloads'), ("GET", "/v1/sources/Bad\\Id/zzz"),
                         ("GET", "/v1/sources/" + "x" * 15000 + "/payloads"),
                         ("GET", "/v1/sources/okid/versions/1/nope"), ("PUT", "/v1/sources/okid/payloads"),
                         ("GET", "/v1/sources/unknown/versions")):
        res = raw_request(srv.port, f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
        assert res is not None and res.status in (404, 405, 431), (path[:60], res)
    status, _, data = request(srv.port, "GET", "/metrics")
    assert status == 200
    sample = re.compile(r'^[a-z_]+(\{([a-z_]+="[A-Za-z0-9_.+-]*")(,[a-z_]+="[A-Za-z0-9_.+-]*")*\})? [0-9.e+-]+$')
    for line in data.decode().splitlines():
        assert line.startswith("#") or sample.match(line), line
    assert 'source=""' in data.decode()
    for fragment in ('A"B', "Bad", "xxxx", "okid", "unknown"):
        assert fragment not in data.decode(), fragment


@pytest.mark.parametrize("garbage", [
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    b"GET /healthz\r\n\r\n",
    b"POST /v1/sources/abc/payloads HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
    b"GET /healthz HTTP/1.1\r\nBad Header Line\r\n\r\n",
], ids=["http2-preface", "no-version", "bad-chunk-size", "bad-header-line"])
def test_a_request_that_does_not_parse_gets_400_and_stores_nothing(serve, garbage):
    srv = serve()
    with RawConn(srv.port) as c:
        c.send(garbage)
        res = c.read_response()
        assert res is not None and res.status == 400, res
        assert res.json()["error"]["code"] == "bad_request"
        assert res.headers.get("connection", "").lower() == "close"
        assert c.closed_by_peer()
    assert snapshot(srv.home) == []


@pytest.mark.parametrize("coding", ["br", "deflate", "gzip, gzip", "gzip, identity"])
def test_an_unsupported_content_encoding_is_415_before_the_body(serve, coding):
    """The raw zone keeps bytes as received and only gzip can be decoded for profiling: any
    other coding would be stored under a wrong extension and dead-lettered as bad UTF-8."""
    srv = serve()
    with RawConn(srv.port) as c:
        c.send(post_head("/v1/sources/enc/payloads",
                         f"Content-Encoding: {coding}\r\nExpect: 100-continue\r\n", 10))
        res = c.read_response()
        assert res is not None and res.status == 415, res  # not 100: the body is not wanted
        assert res.json()["error"]["code"] == "unsupported_encoding"
        assert coding in res.json()["error"]["message"]
    assert snapshot(srv.home) == []


def test_a_second_content_encoding_field_is_part_of_the_list(serve):
    """Audit 2026-11-24: only the first Content-Encoding field was read, so `identity` then
    `br` got 202 and a brotli body was stored as plain text and dead-lettered."""
    srv = serve()
    with RawConn(srv.port) as c:
        c.send(post_head("/v1/sources/enc/payloads",
                         "Content-Encoding: identity\r\nContent-Encoding: br\r\n", 2) + b"{}")
        res = c.read_response()
        assert res is not None and res.status == 415, res
        assert "identity, br" in res.json()["error"]["message"]
    assert snapshot(srv.home) == []


def test_a_content_type_is_read_in_any_case(serve):
    """Audit 2026-11-24: `Text/CSV` was not recognised, so a CSV whose content sniffs as
    JSON-ish (`[a],[b]`) was stored as .json and dead-lettered."""
    srv = serve()
    csv = b"[a],[b]\n1,2\n"
    receipt = post_ok(srv.port, "ct", csv, content_type="Text/CSV ;charset=UTF-8")
    check_receipt(srv.home, receipt, csv, "ct", "csv", "Text/CSV ;charset=UTF-8")
    assert wait_profiled(srv.home, receipt["object"])["records"] == 1


def test_a_transfer_coding_other_than_chunked_is_501(serve):
    srv = serve()
    body = b'{"a": 1}\n'
    res = raw_request(srv.port, post_head("/v1/sources/te/payloads", "Transfer-Encoding: gzip, chunked\r\n")
                      + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
    assert res is not None and res.status == 501, res
    assert res.json()["error"]["code"] == "not_implemented"
    assert snapshot(srv.home) == []


def assert_refused_400(c: RawConn, says: str) -> RawResponse:
    """The answer on `c` is 400 bad_request saying `says`, and the server closes."""
    res = c.read_response(5)
    assert res is not None, "connection closed without an answer (expected 400)"
    assert res.status == 400, res
    assert res.headers["content-type"] == "application/json", res
    assert set(res.json()) == {"error"} and set(res.json()["error"]) == {"code", "message"}, res
    assert res.json()["error"]["code"] == "bad_request", res
    assert says in res.json()["error"]["message"], res
    assert c.closed_by_peer(5)
    return res


def test_an_http_1_1_request_without_exactly_one_host_is_400(serve):
    """Defect 2026-11-24: an HTTP/1.1 request without Host was served. RFC 9112 §3.2: 400
    for one that lacks Host, and for any request with more than one or an invalid one."""
    srv = serve()
    before = snapshot(srv.home)
    body = b'{"a": 1}\n'
    for head, says in (
        (b"GET /healthz HTTP/1.1\r\n", "needs a Host header field"),
        (b"POST /v1/sources/nohost/payloads HTTP/1.1\r\nContent-Length: %d\r\n" % len(body),
         "needs a Host header field"),
        (b"POST /v1/sources/twohosts/payloads HTTP/1.1\r\nHost: a\r\nHost: b\r\n"
         b"Content-Length: %d\r\n" % len(body), "2 Host header fields"),
        (b"POST /v1/sources/twohosts/payloads HTTP/1.0\r\nHost: a\r\nHost: a\r\n"
         b"Content-Length: %d\r\n" % len(body), "2 Host header fields"),
        (b"POST /v1/sources/badhost/payloads HTTP/1.1\r\nHost: user@h\r\n"
         b"Content-Length: %d\r\n" % len(body), "invalid Host header field"),
    ):
        with RawConn(srv.port) as c:
            c.send(head + b"\r\n" + (body if head.startswith(b"POST") else b""))
            assert_refused_400(c, says)
    # A HEAD gets the same answer without its body, and a pipelined request after the
    # refused one is never served.
    with RawConn(srv.port) as c:
        c.send(b"HEAD /healthz HTTP/1.1\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        res = c.read_response(5, to_head=True)
        assert res is not None and res.status == 400 and int(res.headers["content-length"]) > 0, res
        assert c.closed_by_peer(5) and c.buf == b"", c.buf
    assert snapshot(srv.home) == before
    assert metrics(srv.port)['latebind_http_requests_total{source="",code="400"}'] == 6
    # HTTP/1.0 may leave Host out; an empty Host is valid.
    with RawConn(srv.port) as c:
        c.send(b"POST /v1/sources/old/payloads HTTP/1.0\r\nContent-Length: %d\r\n\r\n" % len(body)
               + body)
        res = c.read_response(5)
        assert res is not None and res.status == 202, res
        check_receipt(srv.home, res.json(), body, "old", "ndjson", "")
    res = raw_request(srv.port, b"GET /healthz HTTP/1.1\r\nHost:\r\n\r\n")
    assert res is not None and res.status == 200, res


@pytest.mark.parametrize("extra, says", [
    ("Transfer-Encoding: chunked\r\n", "Transfer-Encoding in an HTTP/1.0 request"),
    ("Transfer-Encoding: gzip, chunked\r\n", "Transfer-Encoding in an HTTP/1.0 request"),
    # Beast may refuse the pair itself, as it does in HTTP/1.1.
    ("Content-Length: 13\r\nTransfer-Encoding: chunked\r\n", "Transfer-Encoding"),
], ids=["chunked", "gzip-chunked", "with-content-length"])
def test_transfer_encoding_in_http_1_0_is_400_and_closes(serve, extra, says):
    """Defect 2026-11-24: a chunked HTTP/1.0 request was read as chunked and stored. RFC 9112
    §6.1: its framing is faulty: 400, then close, before any of the body is read."""
    srv = serve()
    before = snapshot(srv.home)
    body = b'{"a": 1}\n'
    with RawConn(srv.port) as c:
        c.send(f"POST /v1/sources/old/payloads HTTP/1.0\r\nHost: {HOST}\r\n{extra}\r\n".encode()
               + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        assert_refused_400(c, says)
    assert snapshot(srv.home) == before
    # The same request with HTTP/1.1 is a chunked body.
    res = raw_request(srv.port, post_head("/v1/sources/old/payloads", "Transfer-Encoding: chunked\r\n")
                      + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
    assert res is not None and res.status == 202, res


def test_an_absolute_form_target_is_routed_by_its_path_and_query(serve):
    """Defect 2026-11-24: `POST http://host/v1/sources/x/payloads` got 404. RFC 9112 §3.2.2:
    a server MUST accept the absolute-form; it routes as its path and query would."""
    srv = serve()
    body = b'{"a": 1}\n{"a": 2}\n'
    origin = f"http://{HOST}:{srv.port}"
    objects = []
    with RawConn(srv.port) as c:  # keep-alive: the connection serves the next one too
        for target in (f"{origin}/v1/sources/abs/payloads",
                       "https://example.com/v1/sources/abs/payloads?x=1&y=%2F"):
            c.send(post_head(target, "Content-Type: application/x-ndjson\r\n", len(body)) + body)
            res = c.read_response()
            assert res is not None and res.status == 202, (target, res)
            check_receipt(srv.home, res.json(), body, "abs", "ndjson", "application/x-ndjson")
            objects.append(res.json()["object"])
        c.send(f"GET HTTP://{HOST}/healthz HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
        res = c.read_response()
        assert res is not None and res.status == 200 and res.json() == {"status": "ok"}, res
    for key in objects:
        assert wait_profiled(srv.home, key)["records"] == 2
    for method, target, status, code in (
        ("GET", f"{origin}/v1/sources", 200, None),
        ("GET", f"{origin}/v1/sources/abs/versions", 200, None),
        ("GET", f"{origin}", 404, "not_found"),
        ("GET", f"{origin}/nope?q=1", 404, "not_found"),
        ("PUT", f"{origin}/v1/sources/abs/payloads", 405, "method_not_allowed"),
    ):
        res = raw_request(srv.port, f"{method} {target} HTTP/1.1\r\nHost: {HOST}\r\n"
                                    f"Content-Length: 0\r\n\r\n".encode())
        assert res is not None and res.status == status, (target, res)
        if code:
            assert res.json()["error"]["code"] == code, res
    # 405 names the path, not the whole URI.
    assert res.json()["error"]["message"] == "PUT /v1/sources/abs/payloads is not allowed: use POST"
    before = snapshot(srv.home)
    # The id in an absolute-form path is checked as in origin-form: undecoded.
    with RawConn(srv.port) as c:
        c.send(post_head(f"{origin}/v1/sources/%2e%2e/payloads", "", len(body)) + body)
        res = c.read_response()
        assert res is not None and res.status == 400, res
        assert res.json()["error"]["code"] == "bad_source_id", res
    for target, says in (("ftp://h/v1/sources/abs/payloads", "scheme 'ftp' is not supported"),
                         ("http:///v1/sources/abs/payloads", "needs a host and no user info"),
                         ("http://u@h/v1/sources/abs/payloads", "needs a host and no user info"),
                         ("http://h/v1/sources/abs/payloads#f", "malformed request target")):
        with RawConn(srv.port) as c:
            c.send(post_head(target, "", len(body)) + body)
            assert_refused_400(c, says)
    assert snapshot(srv.home) == before


# ---------------------------------------------------------------------------------------------
# 7: chunked, Expect: 100-continue, keep-alive, pipelining
# ---------------------------------------------------------------------------------------------


def test_chunked_body_is_accepted(serve):
    srv = serve()
    parts = [b'{"a": 1}\n', b'{"a": 2}\n{"a"', b': 3}\n']
    data = post_head("/v1/sources/chunky/payloads",
                     "Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n")
    data += b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
    res = raw_request(srv.port, data)
    assert res is not None and res.status == 202, res
    body = b"".join(parts)
    receipt = res.json()
    check_receipt(srv.home, receipt, body, "chunky", "ndjson", "application/x-ndjson")
    profile = wait_profiled(srv.home, receipt["object"])
    assert profile["records"] == 3


def test_expect_100_continue(serve):
    srv = serve()
    body = b'{"a": 1}\n{"a": 2}\n'
    with RawConn(srv.port) as c:
        c.send(post_head("/v1/sources/cont/payloads",
                         "Content-Type: application/x-ndjson\r\nExpect: 100-continue\r\n", len(body)))
        interim = c.read_response(5)
        assert interim is not None and interim.status == 100, interim
        assert (srv.home / "raw").exists() is False
        c.send(body)
        res = c.read_response()
        assert res is not None and res.status == 202, res
    check_receipt(srv.home, res.json(), body, "cont", "ndjson", "application/x-ndjson")


def test_expect_100_continue_on_other_routes_and_not_for_http_1_0(serve):
    srv = serve()
    body = b'{"sources": ["nothing-here"]}'
    with RawConn(srv.port) as c:
        c.send(f"POST /v1/promotions HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n".encode())
        interim = c.read_response(5)
        assert interim is not None and interim.status == 100, interim
        c.send(body)
        res = c.read_response(30)
        assert res is not None and res.status == 404, res  # the body was read: no such source
        assert "nothing-here" in res.json()["error"]["message"]
    payload = b'{"a": 1}\n'
    with RawConn(srv.port) as c:  # HTTP/1.0 has no interim answers: the body is read anyway
        c.send(f"POST /v1/sources/old/payloads HTTP/1.0\r\nContent-Length: {len(payload)}\r\n"
               f"Expect: 100-continue\r\n\r\n".encode() + payload)
        res = c.read_response(5)
        assert res is not None and res.status == 202, res


def test_keep_alive_three_requests_on_one_connection(serve):
    srv = serve()
    conn = http.client.HTTPConnection(HOST, srv.port, timeout=IO_TIMEOUT_S)
    try:
        conn.connect()
        sock = conn.sock
        conn.request("GET", "/healthz")
        r1 = conn.getresponse()
        assert r1.status == 200 and json.loads(r1.read()) == {"status": "ok"}
        conn.request("POST", "/v1/sources/ka/payloads", body=NDJSON,
                     headers={"Content-Type": "application/x-ndjson"})
        r2 = conn.getresponse()
        receipt = json.loads(r2.read())
        assert r2.status == 202, receipt
        conn.request("GET", "/v1/sources")
        r3 = conn.getresponse()
        assert r3.status == 200
        # The listing comes from the registry, which profiling fills after the 202.
        assert isinstance(json.loads(r3.read())["sources"], list)
        assert conn.sock is sock, "the connection was not kept alive"
    finally:
        conn.close()
    wait_for(lambda: [s["id"] for s in json.loads(request(srv.port, "GET", "/v1/sources")[2])["sources"]] == ["ka"],
             what="source ka in the listing")
    check_receipt(srv.home, receipt, NDJSON, "ka", "ndjson", "application/x-ndjson")


def test_pipelined_posts_answered_in_order(serve):
    srv = serve()
    b1 = b'{"first": 1}\n'
    b2 = b'{"second": 2}\n{"second": 3}\n'
    data = b""
    for body in (b1, b2):
        data += post_head("/v1/sources/pipe/payloads", "Content-Type: application/x-ndjson\r\n", len(body)) + body
    data += b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    with RawConn(srv.port) as c:
        c.send(data)  # one write
        responses = [c.read_response() for _ in range(3)]
    assert all(r is not None for r in responses), responses
    assert [r.status for r in responses] == [202, 202, 200], responses
    r1, r2 = responses[0].json(), responses[1].json()
    assert r1["sha256"] == sha256(b1) and r2["sha256"] == sha256(b2)
    assert r1["object"] != r2["object"]
    check_receipt(srv.home, r1, b1, "pipe", "ndjson", "application/x-ndjson")
    check_receipt(srv.home, r2, b2, "pipe", "ndjson", "application/x-ndjson")


# ---------------------------------------------------------------------------------------------
# 8: slow client
# ---------------------------------------------------------------------------------------------


def assert_timed_out(c: RawConn, start: float, part: str):
    """The server answers 408 (RFC 9110 §15.5.9) after about a second, then closes."""
    res = c.read_response(timeout=3.5)
    elapsed = time.monotonic() - start
    assert res is not None and res.status == 408, res
    assert res.json()["error"]["code"] == "request_timeout"
    assert f"request {part} did not arrive within 1 s" in res.json()["error"]["message"]
    assert res.headers["connection"] == "close"
    assert 0.5 <= elapsed < 3.5, f"answered after {elapsed:.2f} s with --{part}-timeout 1"
    assert c.closed_by_peer(3), "the connection stayed open after the 408"


def test_stalled_header_is_answered_408_and_disconnected(serve):
    srv = serve("--header-timeout", "1")
    with RawConn(srv.port) as c:
        c.send(b"POST /v1/sources/slow/payloads HTTP/1.1\r\nHost: x\r\nContent-Le")
        assert_timed_out(c, time.monotonic(), "header")
    # An idle connection, one that sent nothing, is closed at the timeout without an answer
    # (an unasked-for 408 could be read as the answer to a request being sent just then).
    with RawConn(srv.port) as c:
        start = time.monotonic()
        assert c.closed_by_peer(3.5), "an idle connection was not closed within 3.5 s"
        assert c.buf == b"" and time.monotonic() - start >= 0.5
    # So is a keep-alive connection idle after its first answer.
    with RawConn(srv.port) as c:
        c.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert c.read_response().status == 200
        assert c.closed_by_peer(3.5) and c.buf == b""
    m = metrics(srv.port)
    assert m['latebind_http_requests_total{source="",code="408"}'] == 1
    assert snapshot(srv.home) == []


def test_trickled_header_is_disconnected(serve):
    # One byte every 0.2 s never completes a header: the timeout covers the whole header,
    # not the gap between bytes.
    srv = serve("--header-timeout", "1")
    header = b"POST /v1/sources/slow/payloads HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 200
    with RawConn(srv.port) as c:
        start = time.monotonic()
        closed = False
        for i in range(len(header)):
            if time.monotonic() - start > 3.5:
                break
            if not c.send(header[i:i + 1]):
                closed = True
                break
            c.sock.settimeout(0.2)
            try:
                chunk = c.sock.recv(1024)
                c.buf += chunk
                if chunk == b"":
                    closed = True
                    break
            except socket.timeout:
                pass
            except ConnectionResetError:
                closed = True
                break
        elapsed = time.monotonic() - start
        assert closed, f"a trickled header kept the connection open for {elapsed:.1f} s"
        assert elapsed < 3.5
        assert c.buf.startswith(b"HTTP/1.1 408 "), c.buf[:100]
    assert snapshot(srv.home) == []


def test_stalled_body_is_answered_408_and_not_stored(serve):
    srv = serve("--body-timeout", "1")
    with RawConn(srv.port) as c:
        c.send(post_head("/v1/sources/slow/payloads", "Content-Type: application/x-ndjson\r\n", 100)
               + b'{"a": 1}\n')
        assert_timed_out(c, time.monotonic(), "body")
    assert request(srv.port, "GET", "/healthz")[0] == 200
    assert not (srv.home / "raw").exists() or files_under(srv.home / "raw") == []


# ---------------------------------------------------------------------------------------------
# 9: SIGTERM under load
# ---------------------------------------------------------------------------------------------


def _client_loop(port, source, tag, stop: threading.Event, deadline: float, max_requests: int):
    """Posts unique ndjson payloads on one keep-alive connection until an error, `stop`, the
    deadline or `max_requests`. Returns [(receipt, body)] for every 202 and the error seen."""
    acked = []
    error = None
    conn = http.client.HTTPConnection(HOST, port, timeout=IO_TIMEOUT_S)
    try:
        for i in range(max_requests):
            if stop.is_set() or time.monotonic() > deadline:
                break
            body = (json.dumps({"client": tag, "seq": i, "nonce": os.urandom(8).hex()}) + "\n"
                    + json.dumps({"client": tag, "seq": i, "second": True}) + "\n").encode()
            try:
                conn.request("POST", f"/v1/sources/{source}/payloads", body=body,
                             headers={"Content-Type": "application/x-ndjson"})
                res = conn.getresponse()
                data = res.read()
            except (OSError, http.client.HTTPException) as e:
                error = repr(e)
                break
            if res.status == 202:
                acked.append((json.loads(data), body))
            else:
                error = f"status {res.status}: {data[:200]!r}"
                break
            if res.getheader("Connection", "").lower() == "close":
                conn.close()  # http.client reconnects on the next request
    finally:
        conn.close()
    return acked, error


def test_sigterm_under_load_exits_zero_and_keeps_every_acknowledged_payload(serve):
    srv = serve()
    stop = threading.Event()
    deadline = time.monotonic() + 15
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(_client_loop, srv.port, "load", t, stop, deadline, 5000) for t in range(8)]
        # Let every client get going before the signal.
        wait_for(lambda: (srv.home / "raw").exists() and len(files_under(srv.home / "raw")) >= 16,
                 timeout=10, what="load to start")
        time.sleep(0.2)
        srv.proc.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        try:
            rc = srv.proc.wait(10)
        except subprocess.TimeoutExpired:
            rc = None
            srv.kill()  # hung: no point in the fixture's SIGTERM
        elapsed = time.monotonic() - t0
        stop.set()
        results = [f.result(timeout=30) for f in futures]
    assert rc == 0, f"exit status {rc} (None: still running 10 s after SIGTERM)"
    assert elapsed < 10
    acked = [a for r in results for a in r[0]]
    assert len(acked) >= 16
    for receipt, body in acked:
        assert receipt["sha256"] == sha256(body)
        assert (srv.home / receipt["object"]).read_bytes() == body, receipt["object"]
        meta = json.loads((srv.home / meta_key(receipt["object"])).read_text())
        assert meta["sha256"] == receipt["sha256"]
    assert not [f for f in files_under(srv.home) if ".tmp-" in f]
    assert any(e.get("msg") == "stopped" for e in srv.logs())


def test_sigterm_closes_idle_connections_and_answers_requests_in_flight(serve):
    srv = serve()
    idle = http.client.HTTPConnection(HOST, srv.port, timeout=IO_TIMEOUT_S)
    idle.request("GET", "/healthz")
    assert idle.getresponse().read() == b'{"status":"ok"}\n'
    body = b'{"in": "flight"}\n' * 10
    with RawConn(srv.port) as busy:
        busy.send(post_head("/v1/sources/drain/payloads", "Content-Type: application/x-ndjson\r\n",
                            len(body)) + body[:50])
        time.sleep(0.2)  # the header is read; the request is in flight
        srv.proc.send_signal(signal.SIGTERM)
        # The idle keep-alive connection is closed at once; the busy one is not.
        idle_sock = RawConn.__new__(RawConn)
        idle_sock.sock, idle_sock.buf = idle.sock, b""
        assert idle_sock.closed_by_peer(3), "an idle keep-alive connection was not closed on SIGTERM"
        time.sleep(0.3)
        assert srv.alive(), "the server exited while a request was still in flight"
        # No new connections while draining.
        with pytest.raises(OSError):
            socket.create_connection((HOST, srv.port), timeout=2).close()
        busy.send(body[50:])
        res = busy.read_response()
        assert res is not None and res.status == 202, res
        assert res.headers.get("connection", "").lower() == "close", res
        assert busy.closed_by_peer(3)
    idle.close()
    try:
        rc = srv.proc.wait(10)
    except subprocess.TimeoutExpired:
        rc = None
        srv.kill()  # hung: no point in the fixture's SIGTERM
    assert rc == 0, f"exit status {rc} (None: still running 10 s after SIGTERM)"
    check_receipt(srv.home, res.json(), body, "drain", "ndjson", "application/x-ndjson")
    assert not [f for f in files_under(srv.home) if ".tmp-" in f]


def test_sigterm_with_idle_keep_alive_connections_exits_promptly(serve, tmp_path):
    # Repeated because the failure it guards against is a race: draining must close every
    # idle connection and exit, whatever the order in which the sessions go away.
    for round_ in range(10):
        srv = serve("--io-threads", "4", home=tmp_path / f"home{round_}")
        conns = []
        try:
            for _ in range(32):
                c = http.client.HTTPConnection(HOST, srv.port, timeout=IO_TIMEOUT_S)
                c.request("GET", "/healthz")
                assert c.getresponse().read() == b'{"status":"ok"}\n'
                conns.append(c)
            srv.proc.send_signal(signal.SIGTERM)
            try:
                rc = srv.proc.wait(5)
            except subprocess.TimeoutExpired:
                rc = None
                srv.kill()  # hung: no point in the fixture's SIGTERM
        finally:
            for c in conns:
                c.close()
        assert rc == 0, (f"round {round_}: the server did not exit within 5 s of SIGTERM with "
                         f"{len(conns)} idle keep-alive connections (exit status {rc})")


def test_sigint_drains_like_sigterm(serve):
    srv = serve()
    receipt = post_ok(srv.port, "intr", NDJSON)
    srv.proc.send_signal(signal.SIGINT)
    try:
        rc = srv.proc.wait(10)
    except subprocess.TimeoutExpired:
        rc = None
    assert rc == 0
    assert (srv.home / receipt["object"]).read_bytes() == NDJSON


def test_restart_sweeps_temporaries_and_profiles_what_was_left(serve, tmp_path):
    home = tmp_path / "home"
    srv = serve(home=home)
    receipt = post_ok(srv.port, "left", NDJSON)
    wait_profiled(home, receipt["object"])
    assert srv.stop() == 0
    # What a crash leaves: temporaries beside objects, and a landed payload never profiled
    # (no row in the registry; the source's counters are then off by one, which is fine).
    day = home / receipt["object"].rsplit("/", 1)[0]
    temps = [day / ".tmp-01ABC.ndjson-123-0", home / ".tmp-x", home / "raw" / ".tmp-y-1-2"]
    for t in temps:
        t.write_bytes(b"partial")
    forget_payload(home, receipt["object"])
    assert receipt["object"] not in payload_rows(home)
    srv = serve(home=home)
    assert not [t for t in temps if t.exists()], "temporaries survived a restart"
    profile = wait_profiled(home, receipt["object"])
    assert profile["records"] == 3
    assert profile["fields"] == {"id", "name", "amount"}
    assert any(e.get("msg") == "recovering unprofiled arrivals" and e.get("count") == 1 for e in srv.logs())
    assert srv.stop() == 0
    assert not [f for f in files_under(home) if ".tmp-" in f]


@pytest.mark.parametrize("mode", [[], ["--wal"]], ids=["raw-file-commit", "write-ahead-log"])
def test_a_second_server_on_the_same_home_is_refused_and_touches_nothing(serve, latebind_bin,
                                                                         tmp_path, mode):
    """A second server would profile the first one's arrivals again and, with --wal, replay
    and delete the log segment the first appends to (acknowledged payloads then live only in
    a deleted file). It must exit before touching anything; the first goes on serving."""
    home = tmp_path / "home"
    srv = serve(*mode, home=home)
    first = post_ok(srv.port, "one", NDJSON)
    before = {f: (home / f).read_bytes() for f in files_under(home)
              if not f.startswith(("registry.db", "locks/"))}
    second = subprocess.run([str(latebind_bin), "--home", str(home), "serve", "--listen",
                             "127.0.0.1:0", *mode], capture_output=True, text=True, timeout=30)
    assert second.returncode == 1, second.stderr
    assert "another latebind serve is running" in second.stderr, second.stderr
    assert f"pid {srv.proc.pid}" in second.stderr, second.stderr
    after = {f: (home / f).read_bytes() for f in files_under(home)
             if not f.startswith(("registry.db", "locks/"))}
    for f, data in before.items():  # the log segment and the landed payload are all there
        if f.startswith("wal/"):
            assert after.get(f, b"").startswith(data), f
        else:
            assert after.get(f) == data, f
    second_receipt = post_ok(srv.port, "one", NDJSON + b'{"id": 9}\n')
    assert srv.stop() == 0
    # The lock went with the first server: a new one starts and has every payload.
    srv = serve(*mode, home=home)
    for r in (first, second_receipt):
        assert wait_profiled(home, r["object"])["records"] >= 3
    assert srv.stop() == 0


def test_a_clean_stop_with_wal_leaves_no_log_to_replay(serve, tmp_path):
    home = tmp_path / "home"
    srv = serve("--wal", home=home)
    receipts = [post_ok(srv.port, "clean", NDJSON + b'{"id": %d}\n' % i) for i in range(20)]
    assert srv.stop() == 0
    assert sorted(p.name for p in (home / "wal").iterdir()) == ["LOCK"]  # every segment retired
    for r in receipts:
        assert (home / r["object"]).read_bytes().startswith(NDJSON)
    srv = serve("--wal", home=home)
    assert post_ok(srv.port, "clean", NDJSON)
    assert srv.stop() == 0
    assert not [e for e in srv.logs() if e.get("msg") == "replayed the write-ahead log"]


# ---------------------------------------------------------------------------------------------
# 10: kill -9 under load, restart, repeat
# ---------------------------------------------------------------------------------------------


def _raw_state(home: Path, poll: bool = False):
    """(payload keys and meta keys under raw/, {object: records} of the payloads the registry
    records as profiled). With `poll`, a registry not readable yet counts as empty."""
    keys = ["raw/" + f for f in files_under(home / "raw")]
    payloads = {k for k in keys if is_payload(k) and ".tmp-" not in k}
    metas = {k for k in keys if k.endswith(".meta.json")}
    profiled = poll_profiled_objects(home) if poll else profiled_objects(home)
    return payloads, metas, profiled


def _drained(home: Path, port: int) -> bool:
    """Every raw payload profiled and both queues of the server empty."""
    payloads, _, profiled = _raw_state(home, poll=True)
    m = metrics(port)
    return (all(k in profiled for k in payloads)
            and m.get('latebind_queue_depth{stage="landing"}') == 0
            and m.get('latebind_queue_depth{stage="profiling"}') == 0)


@pytest.mark.parametrize("mode", [[], ["--wal"]], ids=["raw-file-commit", "write-ahead-log"])
def test_kill_9_under_load_loses_no_acknowledged_payload(serve, tmp_path, mode):
    """Both acknowledgement paths: the raw file durable before the 202, or the write-ahead
    log (the payload reaches raw/ later, and a restart replays the log before serving)."""
    home = tmp_path / "home"
    rng = random.Random(int.from_bytes(os.urandom(4), "little"))
    acked: list[tuple[dict, bytes]] = []
    errors: list[str] = []
    test_deadline = time.monotonic() + 60
    cycles = 5
    leftovers: list[Path] = []
    for cycle in range(cycles):
        assert time.monotonic() < test_deadline, "crash test ran out of time"
        srv = serve("--io-threads", "4", "--profile-workers", "4", *mode, home=home)
        # The start swept the temporaries the previous crash left behind.
        assert not [p for p in leftovers if p.exists()], "temporaries from a crash survived a restart"
        stop = threading.Event()
        kill_at = rng.uniform(0.3, 1.5)
        with ThreadPoolExecutor(16) as pool:
            futures = [pool.submit(_client_loop, srv.port, "crash", f"{cycle}-{t}", stop,
                                   time.monotonic() + 10, 5000) for t in range(16)]
            time.sleep(kill_at)
            srv.kill()  # SIGKILL
            assert srv.proc.returncode == -signal.SIGKILL
            stop.set()
            for f in futures:
                got, err = f.result(timeout=30)
                acked.extend(got)
                if err:
                    errors.append(err)
        leftovers = [home / f for f in files_under(home) if ".tmp-" in Path(f).name]
    srv = serve("--profile-workers", "4", *mode, home=home)
    assert not [p for p in leftovers if p.exists()], "temporaries from a crash survived a restart"

    # Drain: every raw payload profiled and both queues empty.
    def drained():
        return _drained(home, srv.port)

    def backlog():
        payloads, _, profiled = _raw_state(home, poll=True)
        m = metrics(srv.port)
        landing = m.get('latebind_queue_depth{stage="landing"}')
        profiling = m.get('latebind_queue_depth{stage="profiling"}')
        unprofiled = sum(k not in profiled for k in payloads)
        return (f"{unprofiled} of {len(payloads)} raw payloads unprofiled; queue depth "
                f"{landing} landing, {profiling} profiling")

    wait_for(drained, timeout=20, interval=0.1, what="the final drain", describe=backlog)
    assert srv.stop() == 0
    print(f"{len(acked)} acknowledged over {cycles} crashes; client errors: {len(errors)}")
    assert len(acked) > 0, f"no request was acknowledged at all: {errors[:5]}"

    payloads, metas, profiled = _raw_state(home)
    orphans = [k for k in payloads if meta_key(k) not in metas]
    print(f"{len(orphans)} unacknowledged payloads without meta (a crash between the renames)")
    acked_keys = {r["object"] for r, _ in acked}
    problems = [f"{k}: acknowledged, but its meta is missing" for k in orphans if k in acked_keys]
    for receipt, body in acked:
        key = receipt["object"]
        if receipt["sha256"] != sha256(body):
            problems.append(f"{key}: receipt sha256 is not the body's")
        path = home / key
        if not path.is_file():
            problems.append(f"{key}: acknowledged but missing")
            continue
        if sha256(path.read_bytes()) != receipt["sha256"]:
            problems.append(f"{key}: stored bytes differ from the acknowledged ones")
        if meta_key(key) not in metas:
            problems.append(f"{key}: acknowledged but its meta is missing")
        if key not in profiled:
            problems.append(f"{key}: never profiled")
        elif profiled[key] != 2:
            problems.append(f"{key}: the registry records {profiled[key]} records, not 2")
    for key in sorted(payloads):
        mk = meta_key(key)
        if mk in metas:
            meta = json.loads((home / mk).read_text())
            if meta["sha256"] != sha256((home / key).read_bytes()) or meta["bytes"] != (home / key).stat().st_size:
                problems.append(f"{key}: partial or altered (sha256/bytes differ from its meta)")
        if key not in profiled:
            problems.append(f"{key}: never profiled")
    for mk in sorted(metas):
        if not any(stem_of(k) == stem_of(mk) for k in payloads):
            problems.append(f"{mk}: a meta without its payload")
    problems += [f"{k}: recorded as profiled, but not in raw/" for k in sorted(profiled) if k not in payloads]
    all_files = files_under(home)
    problems += [f"{f}: temporary left after a clean stop" for f in all_files if ".tmp-" in f]
    if (home / "dead-letter").exists():
        problems += [f"{f}: dead-lettered although valid" for f in files_under(home / "dead-letter")]
    assert not problems, "\n".join(problems[:50]) + f"\n({len(problems)} problems, {len(acked)} acknowledged)"


def test_kill_9_while_dead_lettering_keeps_every_acknowledged_payload_in_one_zone(serve, tmp_path):
    """Half the payloads cannot be parsed: crashes now also hit the dead-letter moves. Every
    acknowledged payload must end up in exactly one zone: raw/ (parsed, with meta and profile)
    or dead-letter/ (with meta and reason), byte-identical."""
    home = tmp_path / "home"
    rng = random.Random(int.from_bytes(os.urandom(4), "little"))
    acked: list[tuple[dict, bytes]] = []

    def client(port, tag, stop, deadline):
        out = []
        conn = http.client.HTTPConnection(HOST, port, timeout=IO_TIMEOUT_S)
        try:
            for i in range(2000):
                if stop.is_set() or time.monotonic() > deadline:
                    break
                good = (i + len(tag)) % 2 == 0
                body = (json.dumps({"t": tag, "i": i, "n": os.urandom(6).hex()}) + "\n").encode()
                if not good:
                    body += b'{"broken": \n'
                try:
                    conn.request("POST", "/v1/sources/mixed/payloads", body=body,
                                 headers={"Content-Type": "application/x-ndjson"})
                    res = conn.getresponse()
                    data = res.read()
                except (OSError, http.client.HTTPException):
                    break
                if res.status != 202:
                    break
                out.append((json.loads(data), body, good))
        finally:
            conn.close()
        return out

    for cycle in range(3):
        srv = serve("--io-threads", "4", "--profile-workers", "4", home=home)
        stop = threading.Event()
        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(client, srv.port, f"{cycle}-{t}", stop, time.monotonic() + 10)
                       for t in range(8)]
            time.sleep(rng.uniform(0.3, 1.2))
            srv.kill()
            stop.set()
            for f in futures:
                acked.extend(f.result(timeout=30))
    srv = serve("--profile-workers", "4", home=home)

    def drained():
        return _drained(home, srv.port)

    wait_for(drained, timeout=20, interval=0.1, what="the final drain")
    assert srv.stop() == 0
    assert acked, "nothing was acknowledged"
    payloads, metas, profiled = _raw_state(home)
    rows = payload_rows(home)
    problems = []
    for receipt, body, good in acked:
        key = receipt["object"]
        dl = "dead-letter/" + key[len("raw/"):]
        in_raw, in_dl = (home / key).is_file(), (home / dl).is_file()
        if good:
            if not in_raw or in_dl:
                problems.append(f"{key}: valid payload not (only) in raw/ (raw={in_raw}, dead-letter={in_dl})")
                continue
            if (home / key).read_bytes() != body:
                problems.append(f"{key}: bytes differ")
            if meta_key(key) not in metas or key not in profiled:
                problems.append(f"{key}: meta or profile missing")
            elif profiled[key] != 1:
                problems.append(f"{key}: the registry records {profiled[key]} records, not 1")
        else:
            if in_raw or not in_dl:
                problems.append(f"{key}: malformed payload not (only) in dead-letter/ (raw={in_raw}, dead-letter={in_dl})")
                continue
            if (home / dl).read_bytes() != body:
                problems.append(f"{dl}: bytes differ")
            mp = home / meta_key(dl)
            if not mp.is_file():
                problems.append(f"{dl}: dead-letter meta missing")
            else:
                meta = json.loads(mp.read_text())
                if meta.get("sha256") != sha256(body) or not meta.get("reason"):
                    problems.append(f"{dl}: dead-letter meta wrong: {meta}")
            if (home / meta_key(key)).exists() or key in rows:
                problems.append(f"{key}: raw meta or registry row left behind by the dead-letter move"
                                f" ({rows.get(key)})")
            row = rows.get(dl)
            if row is None or row.outcome != "dead_letter" or not row.reason:
                problems.append(f"{dl}: not recorded as a dead letter with a reason: {row}")
    for mk in sorted(metas):
        if not any(stem_of(k) == stem_of(mk) for k in payloads):
            problems.append(f"{mk}: a raw meta without its payload")
    problems += [f"{k}: recorded as profiled, but not in raw/" for k in sorted(profiled) if k not in payloads]
    problems += [f"{f}: temporary left after a clean stop" for f in files_under(home) if ".tmp-" in f]
    assert not problems, "\n".join(problems[:50]) + f"\n({len(problems)} problems, {len(acked)} acknowledged)"


# ---------------------------------------------------------------------------------------------
# 11: healthz, sources, metrics
# ---------------------------------------------------------------------------------------------


def test_healthz_sources_and_metrics(serve):
    srv = serve()
    status, headers, data = request(srv.port, "GET", "/healthz")
    assert status == 200 and json.loads(data) == {"status": "ok"}
    assert headers["content-type"] == "application/json"
    assert json.loads(request(srv.port, "GET", "/v1/sources")[2]) == {"sources": []}

    a1 = post_ok(srv.port, "alpha", b'{"x": 1}\n')
    a2 = post_ok(srv.port, "alpha", b'{"x": 2}\n')
    b1 = post_ok(srv.port, "beta", b'{"x": oops}\n')
    assert raw_request(srv.port, post_head("/v1/sources/BAD/payloads", "", 1) + b"x").status == 400
    assert request(srv.port, "GET", "/nope")[0] == 404
    wait_profiled(srv.home, a1["object"])
    wait_profiled(srv.home, a2["object"])
    wait_for_file(srv.home / meta_key("dead-letter/" + b1["object"][len("raw/"):]))
    wait_for(lambda: not (srv.home / b1["object"]).exists(), what="beta leaving raw/")

    # The listing comes from the registry (issue 5), filled by profiling after the 202s.
    def listed():
        status, _, data = request(srv.port, "GET", "/v1/sources")
        assert status == 200
        sources = json.loads(data)["sources"]
        return {s["id"]: (s["source_id"], s["payloads"], s["records"], s["dead_letters"], s["versions"])
                for s in sources}
    wait_for(lambda: listed() == {"alpha": ("alpha", 2, 2, 0, 1), "beta": ("beta", 0, 0, 1, 0)},
             what="alpha and beta in the registry", describe=lambda: str(listed()))

    status, headers, data = request(srv.port, "GET", "/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    text = data.decode()
    for family, kind in (("latebind_http_requests_total", "counter"),
                         ("latebind_profiling_failures_total", "counter"),
                         ("latebind_commits_total", "counter"),
                         ("latebind_queue_depth", "gauge"),
                         ("latebind_http_request_duration_seconds", "histogram"),
                         ("latebind_commit_duration_seconds", "histogram")):
        assert f"# TYPE {family} {kind}\n" in text, family
    # The worker counts a payload once it is done with it, which is just after the registry
    # and the dead-letter zone show it.
    wait_for(lambda: metrics(srv.port).get('latebind_profiling_failures_total{source="beta"}') == 1,
             what="beta's profiling failure counted")
    m = metrics(srv.port)
    assert m['latebind_http_requests_total{source="alpha",code="202"}'] == 2
    assert m['latebind_http_requests_total{source="beta",code="202"}'] == 1
    assert m['latebind_http_requests_total{source="",code="400"}'] == 1  # never the client's id
    assert not any("BAD" in k for k in m)
    assert m['latebind_profiling_failures_total{source="beta"}'] == 1
    assert 'latebind_profiling_failures_total{source="alpha"}' not in m
    assert m['latebind_ingested_bytes_total{source="alpha"}'] == 18
    assert 1 <= m["latebind_commits_total"] <= 3
    assert m["latebind_committed_payloads_total"] == 3
    assert m['latebind_queue_depth{stage="landing"}'] == 0
    assert m['latebind_queue_depth{stage="profiling"}'] == 0
    count = m["latebind_http_request_duration_seconds_count"]
    assert count >= 7  # 3 POST 202, the 400, the 404, healthz, sources, metrics...
    assert m['latebind_http_request_duration_seconds_bucket{le="+Inf"}'] == count
    buckets = [(k, v) for k, v in m.items() if k.startswith("latebind_http_request_duration_seconds_bucket")]
    assert [v for _, v in buckets] == sorted(v for _, v in buckets), "buckets are not cumulative"
    assert m["latebind_commit_duration_seconds_count"] == m["latebind_commits_total"]
