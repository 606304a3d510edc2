"""Storage faults under a running server (issue 4): an LD_PRELOAD shim (tests/faultfs)
makes writes to regular files fail with ENOSPC, or flushes fail with EIO, while a control
file exists. The server must answer 503 — never 2xx for bytes that are not durable —
keep everything it acknowledged, leave no partial or temporary file, and recover when the
fault clears."""
import hashlib
import http.client
import json
import subprocess
import threading
import time
from pathlib import Path

import pytest

from server_process import ServerProcess

REPO = Path(__file__).resolve().parents[2]
SHIM = REPO / "build" / "libfaultfs.so"


def post(port, body, source="s"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", f"/v1/sources/{source}/payloads", body=body,
                 headers={"Content-Type": "application/x-ndjson"})
    res = conn.getresponse()
    data = res.read()
    conn.close()
    return res.status, (json.loads(data) if data else None)


@pytest.fixture
def faulty_server(latebind_bin, tmp_path):
    if not SHIM.exists():
        pytest.fail(f"{SHIM} not built (cmake builds target faultfs)")
    home = tmp_path / "home"
    fault = tmp_path / "fault"
    server = ServerProcess(latebind_bin, home,
                           env={"LD_PRELOAD": str(SHIM), "LATEBIND_FAULT_FILE": str(fault)})
    yield server.port, home, fault
    assert server.stop() == 0, server.log()


def check_store(home, acknowledged):
    # A temporary file may exist while a write is in flight (dead-letter moves, the log's
    # materializer); it must be gone once the writes settle, and never hold a final name.
    deadline = time.monotonic() + 5
    while True:
        temps = [p.name for p in home.rglob("*") if p.is_file() and ".tmp-" in p.name]
        if not temps or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not temps, temps
    for receipt, body in acknowledged:
        path = home / receipt["object"]
        assert path.read_bytes() == body
        meta = json.loads(path.with_name(path.name.split(".")[0] + ".meta.json").read_text())
        assert meta["sha256"] == hashlib.sha256(body).hexdigest() == receipt["sha256"]


@pytest.mark.parametrize("fault", ["ENOSPC", "EIO"])
def test_storage_fault_is_503_and_nothing_acknowledged_is_lost(faulty_server, fault):
    port, home, fault_file = faulty_server
    acknowledged = []
    for i in range(5):
        body = f'{{"n": {i}}}\n'.encode()
        status, receipt = post(port, body)
        assert status == 202
        acknowledged.append((receipt, body))

    fault_file.write_text(fault)
    for i in range(5):
        status, reply = post(port, f'{{"during": {i}}}\n'.encode())
        assert status == 503, reply
        assert reply["error"]["code"] == "storage_unavailable"
        assert "/" not in reply["error"]["message"], "server paths leak to clients"
    check_store(home, acknowledged)
    # No payload of the failed requests is visible under a final name.
    assert not [p for p in home.rglob("*") if p.is_file() and b"during" in p.read_bytes()]

    fault_file.unlink()  # the disk recovers
    for i in range(5):
        body = f'{{"after": {i}}}\n'.encode()
        status, receipt = post(port, body)
        assert status == 202
        acknowledged.append((receipt, body))
    check_store(home, acknowledged)


def test_fault_while_many_clients_write(faulty_server):
    """Faults come and go while 8 clients write: every 202 is durable and intact, every
    failure is a 503, nothing else."""
    port, home, fault_file = faulty_server
    acknowledged, statuses = [], []
    lock = threading.Lock()

    def client(c):
        for i in range(30):
            body = f'{{"c": {c}, "i": {i}}}\n'.encode()
            status, receipt = post(port, body)
            with lock:
                statuses.append(status)
                if status == 202:
                    acknowledged.append((receipt, body))

    threads = [threading.Thread(target=client, args=(c,)) for c in range(8)]
    for t in threads:
        t.start()
    for _ in range(4):
        time.sleep(0.05)
        fault_file.write_text("EIO")
        time.sleep(0.05)
        fault_file.unlink()
    for t in threads:
        t.join(timeout=60)
    assert set(statuses) <= {202, 503}, statuses
    assert statuses.count(202) == len(acknowledged) > 0
    check_store(home, acknowledged)


def metric(port, name):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    return float(next(line.split()[1] for line in text.splitlines()
                      if line.startswith(name + " ")))


def test_raw_zone_down_past_the_wal_backlog_sheds_load_then_recovers(latebind_bin, tmp_path):
    """serve --wal acknowledges from the log while the raw zone is failing, up to
    --wal-backlog-mib; then, after --wal-backlog-wait, it answers 503 with Retry-After, at
    once for the requests that follow, and logs none of them. When the raw zone heals, every
    logged payload reaches it and 202s resume (ADR-046)."""
    home, fault_file = tmp_path / "home", tmp_path / "fault"
    server = ServerProcess(latebind_bin, home, "--wal", "--wal-backlog-mib", "1",
                           "--wal-backlog-wait", "1s",
                           env={"LD_PRELOAD": str(SHIM), "LATEBIND_FAULT_FILE": str(fault_file)})
    try:
        port = server.port
        acknowledged = []
        body = lambda tag, i: (f'{{"{tag}": {i}, "pad": "' + "x" * 100_000 + '"}\n').encode()
        for i in range(3):
            status, receipt = post(port, body("before", i))
            assert status == 202
            acknowledged.append((receipt, body("before", i)))

        fault_file.write_text("EIO /raw/")  # the raw zone fails; the log does not
        statuses, refusals = [], []
        for i in range(40):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            started = time.monotonic()
            conn.request("POST", "/v1/sources/s/payloads", body=body("during", i),
                         headers={"Content-Type": "application/x-ndjson"})
            res = conn.getresponse()
            reply = json.loads(res.read())
            conn.close()
            statuses.append(res.status)
            if res.status == 202:
                assert not refusals, "a 202 after the log was refused"
                acknowledged.append((reply, body("during", i)))
            else:
                assert res.status == 503, reply
                assert reply["error"]["code"] == "storage_unavailable"
                assert res.getheader("Retry-After") == "1"
                refusals.append(time.monotonic() - started)
        # ~1 MiB of 100 KB payloads was taken from the log, the rest refused; the first
        # refusal waited for room, those after it did not.
        assert 5 <= statuses.count(202) <= 15, statuses
        assert len(refusals) >= 25
        assert refusals[0] >= 1.0
        assert max(refusals[1:]) < 0.5, refusals
        assert metric(port, "latebind_unstored_bytes") >= 1 << 20

        fault_file.unlink()
        deadline = time.monotonic() + 20
        while metric(port, "latebind_unstored_bytes") > 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert metric(port, "latebind_unstored_bytes") == 0
        for i in range(3):
            status, receipt = post(port, body("after", i))
            assert status == 202
            acknowledged.append((receipt, body("after", i)))
        check_store(home, acknowledged)
        # No refused payload was logged or stored anywhere.
        refused = {f'"during": {i},'.encode() for i in range(40)} - {
            f'"during": {i},'.encode() for i, s in enumerate(statuses) if s == 202}
        for p in home.rglob("*"):
            if p.is_file():
                data = p.read_bytes()
                assert not [r for r in refused if r in data], p
    finally:
        assert server.stop() == 0, server.log()


@pytest.mark.parametrize("args, message", [
    (["--wal-backlog-wait", "2x"], "--wal-backlog-wait wants a duration"),
    (["--wal-backlog-wait", "0s"], "--wal-backlog-wait wants a duration"),
    (["--promote-every", "soon"], "--promote-every wants a duration such as 30s"),
    (["--promote-every", "-5m"], "--promote-every wants a duration such as 30s"),
    # Registry audit 2026-11-24: an overflowing duration busy-looped the scheduler.
    (["--promote-every", "9999999999999h"], "from 1ms to 8760h (a year)"),
    (["--promote-every", "9223372036854775807ms"], "from 1ms to 8760h (a year)"),
    (["--wal-backlog-mib", "0"], "--wal-backlog-mib: Value 0 not in range"),
    # A zero or negative timeout cut every request before its answer.
    (["--header-timeout", "-1"], "--header-timeout: Value -1 not in range"),
    (["--body-timeout", "0"], "--body-timeout: Value 0 not in range"),
    (["--max-body-bytes", "0"], "--max-body-bytes: Value 0 not in range"),
])
def test_bad_backlog_flags_are_usage_errors(latebind_bin, tmp_path, args, message):
    home = tmp_path / "home"
    res = subprocess.run([str(latebind_bin), "--home", str(home), "serve", "--wal", *args],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 2, res.stderr
    assert message in res.stderr
    assert not home.exists(), "a usage error touched the home"
