"""Reading the registry (<home>/registry.db) from the e2e tests.

The registry is the record of which raw payloads were profiled (ADR-026, see
src/latebind/ingest/arrivals.h): a raw payload is profiled iff `payloads` holds a row with
its object key and outcome 'profiled'; a dead-lettered one has a row keyed by its
dead-letter/ key with outcome 'dead_letter'. The database is opened read-only, so a test
never changes what the server sees; functions named `poll_*` / `wait_*` tolerate the file
not existing yet and a busy or half-created database, the others raise.
"""
from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest


def registry_path(home: Path) -> Path:
    return Path(home) / "registry.db"


def connect_ro(home: Path) -> sqlite3.Connection:
    """A read-only connection; raises FileNotFoundError when there is no registry yet."""
    path = registry_path(home)
    if not path.is_file():
        raise FileNotFoundError(path)
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)


@dataclass(frozen=True)
class PayloadRow:
    object: str
    source_id: str
    version: int | None
    records: int
    outcome: str  # 'profiled' | 'dead_letter' | 'replayed'
    reason: str | None


def payload_rows(home: Path) -> dict[str, PayloadRow]:
    """Every row of `payloads`, by object key."""
    with closing(connect_ro(home)) as db:
        rows = db.execute("SELECT object, source_id, version, records, outcome, reason "
                          "FROM payloads").fetchall()
    return {r[0]: PayloadRow(*r) for r in rows}


def profiled_objects(home: Path) -> dict[str, int]:
    """{object: records} for every payload the registry records as profiled."""
    return {k: r.records for k, r in payload_rows(home).items() if r.outcome == "profiled"}


def live_fields(home: Path, source_id: str, version: int) -> set[str]:
    """The paths of the fields of a schema version that are not removed."""
    with closing(connect_ro(home)) as db:
        row = db.execute("SELECT fields FROM schema_versions WHERE source_id = ? AND version = ?",
                         (source_id, version)).fetchone()
    assert row is not None, f"no schema version {version} of source {source_id!r}"
    return {f["path"] for f in json.loads(row[0]) if not f.get("removed", False)}


def _tolerant(fn, *args):
    """fn(*args), or None while the registry does not exist yet or cannot be read."""
    try:
        return fn(*args)
    except (FileNotFoundError, sqlite3.OperationalError):
        return None


def poll_profiled_objects(home: Path) -> dict[str, int]:
    """profiled_objects, or {} while the registry cannot be read yet (for wait loops)."""
    return _tolerant(profiled_objects, home) or {}


def poll_payload_rows(home: Path) -> dict[str, PayloadRow]:
    """payload_rows, or {} while the registry cannot be read yet (for wait loops)."""
    return _tolerant(payload_rows, home) or {}


def wait_row(home: Path, object_key: str, outcome: str, timeout: float = 10) -> PayloadRow:
    """Waits until `payloads` has a row for `object_key` with `outcome`; fails the test if not."""
    deadline = time.monotonic() + timeout
    last = None
    for _ in range(int(timeout / 0.05) + 2):
        last = poll_payload_rows(home).get(object_key)
        if last is not None and last.outcome == outcome:
            return last
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout} s waiting for {object_key} to be recorded as "
                f"{outcome!r} in {registry_path(home)} (last row: {last})")


def wait_profiled(home: Path, object_key: str, timeout: float = 10) -> dict:
    """Waits until the registry records `object_key` as profiled; returns {"records": n,
    "fields": the live field paths of the schema version it was applied to}."""
    row = wait_row(home, object_key, "profiled", timeout)
    assert row.version is not None, row
    return {"records": row.records, "fields": live_fields(home, row.source_id, row.version)}


def forget_payload(home: Path, object_key: str) -> None:
    """Deletes the row of `object_key` from `payloads` (the server must be stopped): the
    payload is then "landed but never profiled". The source's counters in `sources` are not
    adjusted."""
    with closing(sqlite3.connect(registry_path(home), timeout=5)) as db:
        with db:
            n = db.execute("DELETE FROM payloads WHERE object = ?", (object_key,)).rowcount
    assert n == 1, f"{object_key}: {n} rows deleted from payloads"
