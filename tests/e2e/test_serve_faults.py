"""Storage faults under a running server (issue 4): an LD_PRELOAD shim (tests/faultfs)
makes writes to regular files fail with ENOSPC, or flushes fail with EIO, while a control
file exists. The server must answer 503 — never 2xx for bytes that are not durable —
keep everything it acknowledged, leave no partial or temporary file, and recover when the
fault clears."""
import hashlib
import http.client
import json
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
