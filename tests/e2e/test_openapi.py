"""docs/openapi.json against the running server (issue 5).

The document must be valid OpenAPI 3.1, and every answer `latebind serve` gives — good and
bad, with and without --auth-tokens — must be documented for its route: the status code
among the operation's responses (405 under the path's `x-other-methods`), the
Content-Type among the response's media types, documented headers present, and the JSON
body valid against the documented schema. Object schemas are checked strictly here
(every member the server sends must be documented), although the document lets clients
ignore members added later. Every documented (route, method, status) must be exercised,
except the few listed in NOT_EXERCISED with the reason; and paths the document does not
list must answer 404.
"""
from __future__ import annotations

import copy
import json
import re
import time
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from test_promotions_http import InFlight, registry_write_lock
from test_serve import RawConn, request

REPO = Path(__file__).resolve().parents[2]
DOC_PATH = REPO / "docs" / "openapi.json"
DOC = json.loads(DOC_PATH.read_text())
BASE_URI = "urn:latebind:openapi"
SHIM = REPO / "build" / "libfaultfs.so"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Documented answers no test here can provoke cheaply: 500 is a bug; a registry read fails
# with 503 only after the registry's 10 s busy timeout (or a corrupt registry file).
NOT_EXERCISED = {
    (path, method, status)
    for path, item in DOC["paths"].items()
    for method in METHODS if method in item
    for status in ("500", "503")
    if not (path == "/v1/sources/{id}/payloads" and status == "503" and SHIM.exists())
}


# ---------------------------------------------------------------------------------------------
# The document
# ---------------------------------------------------------------------------------------------


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _strict(schema) -> None:
    """Adds unevaluatedProperties: false to every object schema with `properties` (unless
    it says otherwise): a member the server sends but the document lacks fails the test."""
    if isinstance(schema, dict):
        if "properties" in schema and not ({"additionalProperties", "unevaluatedProperties"} & schema.keys()):
            schema["unevaluatedProperties"] = False
        for key in ("properties", "$defs"):
            for sub in schema.get(key, {}).values():
                _strict(sub)
        for key in ("items", "additionalProperties", "not"):
            if isinstance(schema.get(key), dict):
                _strict(schema[key])
        for key in ("allOf", "anyOf", "oneOf"):
            for sub in schema.get(key, []):
                _strict(sub)


def _strict_document() -> dict:
    doc = copy.deepcopy(DOC)
    # Only the named schemas: the per-response refinements (allOf [Error, {code enum}])
    # describe a part of the body and must stay open.
    for schema in doc["components"]["schemas"].values():
        _strict(schema)
    return doc


STRICT = _strict_document()
REGISTRY = Registry().with_resource(BASE_URI, DRAFT202012.create_resource(STRICT))


def _validator(pointer: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"{BASE_URI}#{pointer}"}, registry=REGISTRY)


def _resolve_response(ref_or_response: dict, pointer: str) -> tuple[dict, str]:
    """(the response object, its JSON pointer in the document)."""
    ref = ref_or_response.get("$ref")
    if ref is None:
        return ref_or_response, pointer
    assert ref.startswith("#/components/responses/"), ref
    name = ref.rsplit("/", 1)[1]
    return DOC["components"]["responses"][name], f"/components/responses/{_escape(name)}"


def _template_regex(template: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


TEMPLATES = [(t, _template_regex(t)) for t in DOC["paths"]]


def route_of(path: str) -> str | None:
    bare = path.split("?", 1)[0]
    found = [t for t, rx in TEMPLATES if rx.match(bare)]
    assert len(found) <= 1, f"{path} matches several documented paths: {found}"
    return found[0] if found else None


class Contract:
    """Checks answers against the document and records what was exercised."""

    def __init__(self):
        self.exercised: set[tuple[str, str, str]] = set()
        self.checked = 0

    def check(self, method: str, path: str, status: int, headers: dict, body: bytes,
              expect: int | None = None) -> object:
        """Validates one answer; returns its parsed JSON body (None for text)."""
        where = f"{method} {path} -> {status} {body[:300]!r}"
        if expect is not None:
            assert status == expect, where
        template = route_of(path)
        if template is None:
            assert status == 404, f"undocumented path answered: {where}"
            doc_json = json.loads(body)
            assert doc_json["error"]["code"] == "not_found", where
            _validator("/components/schemas/Error").validate(doc_json)
            self.checked += 1
            return doc_json
        item = DOC["paths"][template]
        m = method.lower()
        base = f"/paths/{_escape(template)}"
        if m == "head":
            # GET's answer (or the 405) without its body: the status and headers only.
            assert body == b"", f"a HEAD answer with a body: {where}"
            assert int(headers["content-length"]) > 0, where
            if "get" in item:
                assert str(status) in item["get"]["responses"], f"HEAD status not documented: {where}"
            else:
                assert status == 405 and headers.get("allow") == "POST", where
            self.checked += 1
            return None
        if m in item:
            responses = item[m]["responses"]
            assert str(status) in responses, f"status not documented for {m} {template}: {where}"
            response, pointer = _resolve_response(responses[str(status)],
                                                  f"{base}/{m}/responses/{status}")
            self.exercised.add((template, m, str(status)))
        else:
            assert status == 405, f"undocumented method answered: {where}"
            response, pointer = _resolve_response(item["x-other-methods"], f"{base}/x-other-methods")
            self.exercised.add((template, "x-other-methods", "405"))
        content_type = headers.get("content-type", "")
        content = response.get("content", {})
        parsed = None
        if content:
            media = next((k for k in content if k == content_type), None) or next(
                (k for k in content if k.split(";")[0].strip() == content_type.split(";")[0].strip()),
                None)
            assert media is not None, f"Content-Type {content_type!r} not documented ({list(content)}): {where}"
            if media.startswith("application/json"):
                parsed = json.loads(body)
                validator = _validator(f"{pointer}/content/{_escape(media)}/schema")
                errors = sorted(validator.iter_errors(parsed), key=lambda e: list(e.path))
                assert not errors, f"{where}\n" + "\n".join(
                    f"  at {list(e.path)}: {e.message}" for e in errors[:10])
        for name, spec in response.get("headers", {}).items():
            if name.lower() not in headers:
                assert not spec.get("required", False), f"required header {name} missing: {where}"
                continue
            Draft202012Validator(spec["schema"]).validate(headers[name.lower()])
        self.checked += 1
        return parsed

    def call(self, port: int, method: str, path: str, body=None, headers=None,
             expect: int | None = None):
        status, hdrs, data = request(port, method, path, body=body, headers=headers)
        return self.check(method, path, status, hdrs, data, expect)

    def raw(self, port: int, method: str, path: str, data: bytes, expect: int):
        with RawConn(port) as c:
            c.send(data)
            res = c.read_response()
        assert res is not None, f"no answer to raw {method} {path}"
        return self.check(method, path, res.status, res.headers, res.body, expect)


@pytest.fixture(scope="module")
def contract():
    c = Contract()
    yield c


def test_document_is_valid_openapi_3_1():
    assert DOC["openapi"].startswith("3.1")
    validate_openapi(DOC)
    # Every $ref resolves, every response has a description, every operation an id.
    ids = []
    for path, item in DOC["paths"].items():
        assert "x-other-methods" in item, path
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            ids.append(op["operationId"])
            for status, resp in op["responses"].items():
                resolved, _ = _resolve_response(resp, "")
                assert resolved["description"], (path, method, status)
    assert len(ids) == len(set(ids))
    for name in DOC["components"]["schemas"]:
        Draft202012Validator.check_schema(STRICT["components"]["schemas"][name])
        _validator(f"/components/schemas/{_escape(name)}")  # builds: its refs resolve
    # The documented error codes are the only ones the server has (http_errors.cc, and
    # the handlers in http_server.cc).
    codes = set(DOC["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"])
    src = (REPO / "src/latebind/ingest/http_server.cc").read_text() + (
        REPO / "src/latebind/ingest/http_errors.cc").read_text()
    in_source = set(re.findall(r'\b[1-5]\d\d,\s*"([a-z_]+)"', src))
    assert {"not_found", "bad_version", "header_too_large"} <= in_source, in_source  # the scan works
    assert in_source <= codes, f"error codes the document lacks: {in_source - codes}"


# ---------------------------------------------------------------------------------------------
# The server, without authentication
# ---------------------------------------------------------------------------------------------

V1 = b'{"transaction_id": 1, "transaction_date": "2024-01-02", "amount": 10.5, "customer_id": "c1"}\n'
RENAMED = b'{"transaction_id": 2, "txn_date": "2024-01-03", "amount": 3.25, "customer_id": "c2"}\n'


def wait_versions(port: int, source: str, n: int, timeout: float = 10) -> list[dict]:
    """Profiling is asynchronous: polls until the source has n versions."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        status, _, data = request(port, "GET", f"/v1/sources/{source}/versions")
        last = (status, data[:500])
        if status == 200 and len(json.loads(data)["versions"]) >= n:
            return json.loads(data)["versions"]
        time.sleep(0.05)
    pytest.fail(f"{source} did not reach {n} versions within {timeout} s: {last}")


def framing_and_limit_errors(contract: Contract, port: int, method: str, path: str) -> None:
    """400 (both framings, HTTP/1.1 without Host, HTTP/1.0 with Transfer-Encoding, a
    target of another scheme), 413 (Content-Length past the limit) and 431 (huge header):
    the session answers these before any handler, for every route."""
    m = method.upper()
    contract.raw(port, m, path,
                 f"{m} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                 f"Transfer-Encoding: chunked\r\n\r\n".encode(), expect=400)
    contract.raw(port, m, path, f"{m} {path} HTTP/1.1\r\nContent-Length: 0\r\n\r\n".encode(),
                 expect=400)
    contract.raw(port, m, path,
                 f"{m} {path} HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".encode(),
                 expect=400)
    contract.raw(port, m, path, f"{m} ftp://x{path} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
                 expect=400)
    contract.raw(port, m, path,
                 f"{m} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {1 << 40}\r\n\r\n".encode(),
                 expect=413)
    contract.raw(port, m, path,
                 f"{m} {path} HTTP/1.1\r\nHost: x\r\nX-Big: {'a' * 20000}\r\n\r\n".encode(),
                 expect=431)


def test_every_route_and_answer_without_auth(serve, contract):
    srv = serve("--header-timeout", "1")
    port = srv.port
    c = contract

    # Empty registry.
    assert c.call(port, "GET", "/v1/sources", expect=200) == {"sources": []}
    assert c.call(port, "GET", "/healthz", expect=200) == {"status": "ok"}
    c.call(port, "GET", "/healthz?probe=1", expect=200)  # query strings are ignored
    c.call(port, "GET", "/metrics", expect=200)
    c.call(port, "GET", "/v1/sources/orders/versions", expect=404)
    c.call(port, "GET", "/v1/sources/orders/versions/1", expect=404)

    # Payloads: every documented content type, gzip, an idempotent retry, chunked.
    import gzip as _gzip
    r1 = c.call(port, "POST", "/v1/sources/orders/payloads", V1,
                {"Content-Type": "application/x-ndjson"}, expect=202)
    c.call(port, "POST", "/v1/sources/csvs/payloads", b"a,b\n1,2\n", {"Content-Type": "text/csv"}, expect=202)
    c.call(port, "POST", "/v1/sources/jsons/payloads", b'[{"a": 1}]', {"Content-Type": "application/json"}, expect=202)
    c.call(port, "POST", "/v1/sources/sniffed/payloads", b'{"a": 1}', {}, expect=202)
    c.call(port, "POST", "/v1/sources/gz/payloads", _gzip.compress(b'{"a": 1}\n'),
           {"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"}, expect=202)
    k1 = c.call(port, "POST", "/v1/sources/idem/payloads", b'{"a": 1}\n', {"Idempotency-Key": "k-1"}, expect=202)
    k2 = c.call(port, "POST", "/v1/sources/idem/payloads", b'{"a": 1}\n', {"Idempotency-Key": "k-1"}, expect=202)
    assert k1 == k2
    c.call(port, "POST", "/v1/sources/idem/payloads", b'{"a": 2}\n', {"Idempotency-Key": "k-1"}, expect=409)
    c.raw(port, "POST", "/v1/sources/chunked/payloads",
          b"POST /v1/sources/chunked/payloads HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
          b"9\r\n{\"a\": 1}\n\r\n0\r\n\r\n", expect=202)
    # Bad payload requests.
    c.call(port, "POST", "/v1/sources/BAD/payloads", b"{}", expect=400)
    c.call(port, "POST", "/v1/sources/a.b/payloads", b"{}", expect=400)
    c.raw(port, "POST", "/v1/sources/orders/payloads",
          b"POST /v1/sources/orders/payloads HTTP/1.1\r\nHost: x\r\n\r\n", expect=411)
    for coding in ("br", "deflate", "gzip, identity"):
        c.call(port, "POST", "/v1/sources/orders/payloads", b'{"a": 1}\n',
               {"Content-Encoding": coding}, expect=415)
    c.call(port, "POST", "/v1/sources/plain/payloads", b'{"a": 1}\n',
           {"Content-Encoding": "identity"}, expect=202)
    c.raw(port, "POST", "/v1/sources/orders/payloads",
          b"POST /v1/sources/orders/payloads HTTP/1.1\r\nHost: x\r\n"
          b"Transfer-Encoding: gzip, chunked\r\n\r\n9\r\n{\"a\": 1}\n\r\n0\r\n\r\n", expect=501)

    versions = wait_versions(port, "orders", 1)
    assert [v["version"] for v in versions] == [1]
    c.call(port, "GET", "/v1/sources/orders/versions", expect=200)
    c.call(port, "POST", "/v1/sources/orders/payloads", RENAMED, {"Content-Type": "application/x-ndjson"}, expect=202)
    wait_versions(port, "orders", 2)
    # A source known only by its dead letter: listed, no versions.
    c.call(port, "POST", "/v1/sources/broken/payloads", b'{"x": oops}', {"Content-Type": "application/json"}, expect=202)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        listing = c.call(port, "GET", "/v1/sources", expect=200)
        if any(s["id"] == "broken" for s in listing["sources"]):
            break
        time.sleep(0.05)
    broken = next(s for s in listing["sources"] if s["id"] == "broken")
    assert broken["dead_letters"] == 1 and broken["latest_status"] is None and broken["last_payload_at"] == ""
    assert c.call(port, "GET", "/v1/sources/broken/versions", expect=200) == {"source_id": "broken", "versions": []}

    versions = c.call(port, "GET", "/v1/sources/orders/versions", expect=200)["versions"]
    assert [v["status"] for v in versions] == ["ACTIVE", "BREAKING"]
    assert "status_history" not in versions[0]
    detail = c.call(port, "GET", "/v1/sources/orders/versions/2", expect=200)
    assert detail["status_history"][0]["from"] is None
    c.call(port, "GET", "/v1/sources/orders/versions/02", expect=200)  # a decimal number
    for bad in ("0", "-1", "abc", "1.5", "9" * 19):
        c.call(port, "GET", f"/v1/sources/orders/versions/{bad}", expect=400)
    c.call(port, "GET", "/v1/sources/orders/versions/99", expect=404)
    c.call(port, "GET", "/v1/sources/nope/versions", expect=404)
    c.call(port, "GET", "/v1/sources/nope/versions/1", expect=404)
    c.call(port, "GET", "/v1/sources/NOPE/versions", expect=400)
    c.call(port, "GET", "/v1/sources/NOPE/versions/1", expect=400)

    # Status changes: bad bodies, unknown targets, then the resolution.
    status_path = "/v1/sources/orders/versions/2/status"
    json_ct = {"Content-Type": "application/json"}
    for body in (b"", b"not json", b"[]", b"{}", b'{"status": 1, "note": "n"}',
                 b'{"status": "BROKEN", "note": "n"}', b'{"status": "BREAKING", "note": "n"}',
                 b'{"status": "ACTIVE"}', b'{"status": "ACTIVE", "note": "n", "mappings": []}',
                 b'{"status": "ACTIVE", "note": "n", "mappings": {"txn_date": 1}}',
                 b'{"status": "ACTIVE", "note": "n", "mappings": {"nope": "transaction_date"}}'):
        c.call(port, "POST", status_path, body, json_ct, expect=400)
    c.call(port, "POST", "/v1/sources/orders/versions/x/status", b'{"status": "ACTIVE", "note": "n"}', json_ct, expect=400)
    c.call(port, "POST", "/v1/sources/BAD/versions/1/status", b'{"status": "ACTIVE", "note": "n"}', json_ct, expect=400)
    c.call(port, "POST", "/v1/sources/orders/versions/9/status", b'{"status": "ACTIVE", "note": "n"}', json_ct, expect=404)
    c.call(port, "POST", "/v1/sources/nope/versions/1/status", b'{"status": "ACTIVE", "note": "n"}', json_ct, expect=404)
    good = {"status": "ACTIVE", "note": "rename confirmed", "mappings": {"txn_date": "transaction_date"}}
    _validator("/components/schemas/StatusChangeRequest").validate(good)  # what we send is documented
    resolved = c.call(port, "POST", status_path, json.dumps(good).encode(), json_ct, expect=200)
    assert resolved["status"] == "ACTIVE" and resolved["mappings"] == {"txn_date": "transaction_date"}
    c.call(port, "POST", "/v1/sources/orders/versions/1/status",
           json.dumps({"status": "DEPRECATED", "note": "n"}).encode(), json_ct, expect=200)
    detail = c.call(port, "GET", "/v1/sources/orders/versions/2", expect=200)
    assert [h["to"] for h in detail["status_history"]] == ["BREAKING", "ACTIVE"]

    # Promotions: bad bodies, unknown sources, one at a time (the first held at its registry
    # commit by the test's write lock), then every source.
    promotions = "/v1/promotions"
    for body in (b"not json", b"[]", b'{"nope": 1}', b'{"sources": []}', b'{"sources": ["BAD"]}',
                 b'{"sources": [1]}', b'{"override_breaking": 1}', b'{"repromote_since_version": 0}'):
        c.call(port, "POST", promotions, body, json_ct, expect=400)
    c.call(port, "POST", promotions, b'{"sources": ["nope"]}', json_ct, expect=404)
    c.call(port, "POST", promotions, b'{"sources": ["broken"]}', json_ct, expect=404)
    wanted = {"sources": ["orders"], "override_breaking": False}
    _validator("/components/schemas/PromotionRequest").validate(wanted)  # what we send is documented
    with registry_write_lock(srv.home):
        first = InFlight(srv, wanted)
        first.started()
        c.call(port, "POST", promotions, b"", json_ct, expect=429)
    status, hdrs, doc = first.join()
    assert c.check("POST", promotions, status, hdrs, json.dumps(doc).encode(), expect=200) == doc
    assert [(e["source"], e["status"]) for e in doc["sources"]] == [("orders", "promoted")]
    report = c.call(port, "POST", promotions, b"", json_ct, expect=200)
    statuses = {e["source"]: e["status"] for e in report["sources"]}
    assert statuses["orders"] == "up_to_date" and statuses["csvs"] == "promoted", statuses
    assert "broken" not in statuses

    # Every route: framing and size limits, other methods, and no 404 for its own method.
    concrete = {
        "/v1/sources/{id}/payloads": "/v1/sources/orders/payloads",
        "/v1/sources": "/v1/sources",
        "/v1/sources/{id}/versions": "/v1/sources/orders/versions",
        "/v1/sources/{id}/versions/{n}": "/v1/sources/orders/versions/1",
        "/v1/sources/{id}/versions/{n}/status": "/v1/sources/orders/versions/1/status",
        "/v1/promotions": "/v1/promotions",
        "/healthz": "/healthz",
        "/metrics": "/metrics",
    }
    assert set(concrete) == set(DOC["paths"]), "a documented path this test does not exercise"
    for template, path in concrete.items():
        item = DOC["paths"][template]
        documented = [m for m in METHODS if m in item]
        for m in documented:
            framing_and_limit_errors(c, port, m, path)
        for m in ("get", "head", "post", "put", "delete", "patch"):
            if m not in documented and not (m == "head" and "get" in documented):
                c.call(port, m.upper(), path, b"{}" if m not in ("get", "head") else None, expect=405)
        if "get" in documented and "{" not in template:
            c.call(port, "HEAD", path, expect=200)

    # 408: a header cut short, on every documented route at once (each waits for
    # --header-timeout, 1 s here).
    stalled = []
    for template, path in concrete.items():
        for m in (m for m in METHODS if m in DOC["paths"][template]):
            conn = RawConn(port)
            conn.send(f"{m.upper()} {path} HTTP/1.1\r\nHost: x\r\nX-Cut-".encode())
            stalled.append((m.upper(), path, conn))
    for m, path, conn in stalled:
        with conn:
            res = conn.read_response(timeout=5)
        assert res is not None, f"no answer to a stalled {m} {path}"
        c.check(m, path, res.status, res.headers, res.body, expect=408)

    # Paths the document does not have answer 404.
    for method, path in (("GET", "/"), ("GET", "/v1"), ("GET", "/v1/sources/"), ("GET", "/v1/sources/orders"),
                         ("GET", "/v1/sources/orders/versions/"), ("GET", "/v1/sources/orders/versions/1/"),
                         ("POST", "/v1/sources/orders/versions/1/status/x"), ("POST", "/v1/promotions/x"),
                         ("POST", "/v1/promotions/"), ("POST", "/v1/promotion"),
                         ("GET", "/v2/sources"), ("GET", "/healthz/x"), ("GET", "/metrics/"),
                         ("GET", "/v1/sources/orders/schema")):
        assert route_of(path) is None, path
        c.call(port, method, path, b"{}" if method == "POST" else None, expect=404)


# ---------------------------------------------------------------------------------------------
# With --auth-tokens
# ---------------------------------------------------------------------------------------------


def test_every_route_and_answer_with_auth(serve, contract, operator_tokens):
    srv = serve("--auth-tokens", operator_tokens)
    port = srv.port
    c = contract
    producer = {"Authorization": "Bearer producer-secret"}
    operator = {"Authorization": "Bearer operator-secret"}
    wrong = {"Authorization": "Bearer nope"}
    json_ct = {"Content-Type": "application/json"}
    c.call(port, "POST", "/v1/sources/orders/payloads", V1, producer, expect=202)
    c.call(port, "POST", "/v1/sources/orders/payloads", RENAMED, producer, expect=202)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        status, _, data = request(port, "GET", "/v1/sources/orders/versions", headers=producer)
        if status == 200 and len(json.loads(data)["versions"]) == 2:
            break
        time.sleep(0.05)
    body = json.dumps({"status": "ACTIVE", "note": "ok", "mappings": {"txn_date": "transaction_date"}}).encode()
    calls = [
        ("POST", "/v1/sources/orders/payloads", V1),
        ("GET", "/v1/sources", None),
        ("GET", "/v1/sources/orders/versions", None),
        ("GET", "/v1/sources/orders/versions/2", None),
        ("POST", "/v1/sources/orders/versions/2/status", body),
        ("POST", "/v1/promotions", b""),
    ]
    for method, path, data in calls:
        for headers in ({}, wrong, {"Authorization": "Basic abc"}):
            c.call(port, method, path, data, {**headers, **json_ct}, expect=401)
    # Not granted the source; not an operator.
    c.call(port, "POST", "/v1/sources/cards/payloads", V1, producer, expect=403)
    c.call(port, "GET", "/v1/sources/cards/versions", None, producer, expect=403)
    c.call(port, "GET", "/v1/sources/cards/versions/1", None, producer, expect=403)
    c.call(port, "POST", "/v1/sources/orders/versions/2/status", body, {**producer, **json_ct}, expect=403)
    c.call(port, "POST", "/v1/promotions", b"", {**producer, **json_ct}, expect=403)
    # Granted.
    c.call(port, "GET", "/v1/sources", None, producer, expect=200)
    c.call(port, "GET", "/v1/sources/orders/versions", None, producer, expect=200)
    resolved = c.call(port, "POST", "/v1/sources/orders/versions/2/status", body, {**operator, **json_ct}, expect=200)
    assert resolved["status"] == "ACTIVE"
    detail = c.call(port, "GET", "/v1/sources/orders/versions/2", None, operator, expect=200)
    assert detail["status_history"][-1]["who"] == "oncall-alice"
    promoted = c.call(port, "POST", "/v1/promotions", b'{"sources": ["orders"]}', {**operator, **json_ct},
                      expect=200)
    assert promoted["sources"][0]["status"] == "promoted"
    # Probes stay open.
    c.call(port, "GET", "/healthz", expect=200)
    c.call(port, "GET", "/metrics", expect=200)


# ---------------------------------------------------------------------------------------------
# 503 from the payload route, under an injected storage fault
# ---------------------------------------------------------------------------------------------


def test_storage_fault_answer_is_documented(latebind_bin, tmp_path, contract):
    if not SHIM.exists():
        pytest.skip(f"{SHIM} not built (cmake builds target faultfs)")
    from server_process import ServerProcess

    fault = tmp_path / "fault"
    server = ServerProcess(latebind_bin, tmp_path / "home",
                           env={"LD_PRELOAD": str(SHIM), "LATEBIND_FAULT_FILE": str(fault)})
    try:
        fault.write_text("EIO")
        contract.call(server.port, "POST", "/v1/sources/s/payloads", b'{"a": 1}\n',
                      {"Content-Type": "application/x-ndjson"}, expect=503)
        fault.unlink()
    finally:
        assert server.stop() == 0, server.log()


def test_every_documented_answer_was_exercised(contract):
    """Runs last (file order): each documented (route, method, status) was seen."""
    if contract.checked == 0:
        pytest.skip("run with the rest of this file")
    documented = set()
    for path, item in DOC["paths"].items():
        documented.add((path, "x-other-methods", "405"))
        for method in METHODS:
            if method in item:
                documented |= {(path, method, s) for s in item[method]["responses"]}
    missing = sorted(documented - contract.exercised - NOT_EXERCISED)
    assert not missing, f"documented but never exercised: {missing}"
