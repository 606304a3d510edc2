"""Authentication of `latebind serve` (issue 4): hashed bearer tokens, each allowed a set of
sources; 401 without a valid token, 403 for another source; nothing stored for either; a
non-loopback address is refused without tokens."""
import hashlib
import http.client
import json
import socket
import subprocess

import pytest

from server_process import ServerProcess


def post(port, source, token=None, body=b'{"a": 1}\n'):
    headers = {"Content-Type": "application/x-ndjson"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", f"/v1/sources/{source}/payloads", body=body, headers=headers)
    res = conn.getresponse()
    data = res.read()
    conn.close()
    return res.status, res.getheader("WWW-Authenticate"), (json.loads(data) if data else None)


def get(port, path, token=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
    res = conn.getresponse()
    res.read()
    conn.close()
    return res.status


@pytest.fixture
def secured(latebind_bin, tmp_path):
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"tokens": [
        {"name": "bank-producer", "sha256": hashlib.sha256(b"bank-secret").hexdigest(),
         "sources": ["bank"]},
        {"name": "ops", "sha256": hashlib.sha256(b"ops-secret").hexdigest(), "sources": ["*"]},
    ]}))
    home = tmp_path / "home"
    server = ServerProcess(latebind_bin, home, "--auth-tokens", str(tokens))
    yield server.port, home
    assert server.stop() == 0, server.log()


def stored(home):
    """Files under home, less the schema registry and the lock that serve opens at startup."""
    return sorted(p for p in home.rglob("*") if p.is_file()
                  and not p.relative_to(home).as_posix().startswith(("registry.db", "locks/")))


def test_missing_and_wrong_tokens_are_401_and_store_nothing(secured):
    port, home = secured
    for token in (None, "nope", "Bank-secret", "bank-secret2", ""):
        status, challenge, body = post(port, "bank", token)
        assert status == 401, (token, body)
        assert challenge == "Bearer"
        assert body["error"]["code"] == "unauthorized"
    assert stored(home) == []


def test_token_for_another_source_is_403(secured):
    port, home = secured
    status, _, body = post(port, "cards", "bank-secret")
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert stored(home) == []


def test_allowed_tokens_land(secured):
    port, home = secured
    assert post(port, "bank", "bank-secret")[0] == 202
    assert post(port, "cards", "ops-secret")[0] == 202  # "*" allows every source
    assert len([p for p in stored(home) if p.name.endswith(".ndjson")]) == 2


def test_listing_needs_a_token_probes_do_not(secured):
    port, _ = secured
    assert get(port, "/v1/sources") == 401
    assert get(port, "/v1/sources", "bank-secret") == 200
    assert get(port, "/healthz") == 200
    assert get(port, "/metrics") == 200


def test_the_bearer_scheme_is_case_insensitive(secured):
    port, _ = secured
    for scheme in ("bearer", "BEARER", "BeArEr"):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/v1/sources/bank/payloads", body=b'{"a": 1}\n',
                     headers={"Authorization": f"{scheme} bank-secret"})
        res = conn.getresponse()
        res.read()
        conn.close()
        assert res.status == 202, scheme
    assert post(port, "bank", "BANK-SECRET")[0] == 401  # the token itself is not


def test_a_token_lists_only_the_sources_it_is_granted(secured):
    port, _ = secured
    assert post(port, "bank", "bank-secret")[0] == 202
    assert post(port, "cards", "ops-secret")[0] == 202
    import time
    deadline = time.monotonic() + 10

    def listed(token):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/v1/sources", headers={"Authorization": f"Bearer {token}"})
        res = conn.getresponse()
        data = json.loads(res.read())
        conn.close()
        assert res.status == 200
        return sorted(s["id"] for s in data["sources"])

    while listed("ops-secret") != ["bank", "cards"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert listed("ops-secret") == ["bank", "cards"]  # "*" sees every source
    assert listed("bank-secret") == ["bank"]


def test_non_loopback_needs_tokens(latebind_bin, tmp_path):
    proc = subprocess.run([str(latebind_bin), "--home", str(tmp_path), "serve", "--listen",
                           "0.0.0.0:0"], capture_output=True, text=True, timeout=10)
    assert proc.returncode == 2
    assert "--auth-tokens" in proc.stderr


@pytest.mark.parametrize("listen", ["127.0.0.1:8080x", "127.0.0.1:", "127.0.0.1:99999",
                                    "127.0.0.1:-1", "[::1]:"])
def test_a_bad_listen_port_is_refused(latebind_bin, tmp_path, listen):
    """Audit 2026-11-24: std::stoi took '8080x' as 8080 and the server started."""
    proc = subprocess.run([str(latebind_bin), "--home", str(tmp_path), "serve", "--listen",
                           listen], capture_output=True, text=True, timeout=10)
    assert proc.returncode == 2, proc.stderr
    assert f"bad port in --listen '{listen}'" in proc.stderr


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_an_ipv6_listen_address_is_written_in_brackets(latebind_bin, tmp_path):
    """[::1]:PORT listened nowhere: the brackets were kept and the address taken for a
    non-loopback one ("refusing to listen on non-loopback address [::1]")."""
    proc = subprocess.Popen([str(latebind_bin), "--home", str(tmp_path), "serve", "--listen",
                             "[::1]:0"], stderr=subprocess.PIPE, text=True)
    try:
        port = None
        for line in proc.stderr:
            entry = json.loads(line)
            if entry.get("msg") == "listening":
                port = int(entry["address"].rsplit(":", 1)[1])
                break
        assert port, "the server did not listen"
        conn = http.client.HTTPConnection("::1", port, timeout=5)
        conn.request("GET", "/healthz")
        assert conn.getresponse().status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("content", ["not json", '{"tokens": []}',
                                     '{"tokens": [{"sha256": "abc", "sources": ["a"]}]}'])
def test_bad_token_files_refuse_to_start(latebind_bin, tmp_path, content):
    tokens = tmp_path / "tokens.json"
    tokens.write_text(content)
    proc = subprocess.run([str(latebind_bin), "--home", str(tmp_path), "serve", "--listen",
                           "127.0.0.1:0", "--auth-tokens", str(tokens)],
                          capture_output=True, text=True, timeout=10)
    assert proc.returncode == 2 and str(tokens) in proc.stderr
