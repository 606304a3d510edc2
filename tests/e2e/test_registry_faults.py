"""The registry file under stress: corrupt, foreign or locked (issue 5).

A registry that cannot be used is a clear error naming the file, never a lost payload and
never a changed file: latebind refuses to start (serve) or to land anything (ingest); a lock
held by another process delays schema updates and they complete once it is released.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time

from test_serve import post


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_under(root) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_corrupt_registry_refuses_ingest_and_serve_and_is_left_as_it_was(latebind, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    db = home / "registry.db"
    db.write_bytes(b"this is not a database, " * 200)
    before = sha(db)
    data = tmp_path / "a.ndjson"
    data.write_text('{"a": 1}\n')

    r = latebind.run("--home", str(home), "ingest", "--source", "s", str(data))
    assert r.returncode == 1, r.stderr
    assert "corrupt" in r.stderr and str(db) in r.stderr, r.stderr
    assert sha(db) == before
    assert files_under(home) == {"registry.db"}  # nothing landed that could be lost

    r = latebind.run("--home", str(home), "sources")
    assert r.returncode == 1 and "corrupt" in r.stderr, r.stderr

    r = latebind.run("--home", str(home), "serve", "--listen", "127.0.0.1:0")
    assert r.returncode == 1 and "corrupt" in r.stderr, r.stderr
    assert sha(db) == before


def test_foreign_sqlite_file_is_refused_untouched(latebind, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    db = home / "registry.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE customers (id INTEGER)")
    con.commit()
    con.close()
    before = sha(db)
    data = tmp_path / "a.ndjson"
    data.write_text('{"a": 1}\n')
    r = latebind.run("--home", str(home), "ingest", "--source", "s", str(data))
    assert r.returncode == 1
    assert "not a latebind registry" in r.stderr, r.stderr
    assert sha(db) == before


def test_locked_registry_delays_schema_updates_and_loses_nothing(serve, tmp_path):
    home = tmp_path / "home"
    srv = serve(home=home)
    assert post(srv.port, "locked", b'{"a": 1}\n')[0] == 202
    db = home / "registry.db"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        con = sqlite3.connect(db)
        if con.execute("SELECT COUNT(*) FROM payloads").fetchone()[0] == 1:
            break
        time.sleep(0.05)
    # Another process holds the write lock for 2 s: payloads are still acknowledged (landing
    # does not need the registry) and their schema updates wait for the lock.
    holder = sqlite3.connect(db, timeout=5, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    released = threading.Event()

    def release():
        time.sleep(2)
        holder.execute("ROLLBACK")
        released.set()

    threading.Thread(target=release, daemon=True).start()
    objects = []
    for i in range(5):
        status, _, body = post(srv.port, "locked", json.dumps({"a": i, "b": "x"}).encode() + b"\n")
        assert status == 202
        objects.append(json.loads(body)["object"])
    released.wait(10)
    deadline = time.monotonic() + 20
    seen = set()
    while time.monotonic() < deadline:
        con = sqlite3.connect(db)
        seen = {r[0] for r in con.execute("SELECT object FROM payloads")}
        if set(objects) <= seen:
            break
        time.sleep(0.1)
    assert set(objects) <= seen
    versions = sqlite3.connect(db).execute(
        "SELECT version, status FROM schema_versions WHERE source_id = 'locked' ORDER BY version").fetchall()
    assert versions == [(1, "DEPRECATED"), (2, "ACTIVE")]  # b was added: FULL, ACTIVE
