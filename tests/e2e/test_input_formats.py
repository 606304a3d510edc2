"""End to end: input formats the profiler must read as what they are, or refuse by name.

Regressions from the input-format audit of 2026-11-23:
- CR-only line endings (classic Mac OS text) were read as one record whose cells ran across
  every line: ingest accepted the payload with 0 records and nothing was ever promoted.
- A truncated .gz was dead-lettered for the JSON error of the record the truncation cut
  short ("unclosed string"), not for the truncation.
"""
from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import pyarrow.parquet as pq

from promotion_helpers import Home, curated_parquet


def payload_records(home: Path, key: str) -> tuple[int, str]:
    db = sqlite3.connect(home / "registry.db")
    try:
        return db.execute("SELECT records, outcome FROM payloads WHERE object = ?",
                          (key,)).fetchone()
    finally:
        db.close()


def test_cr_only_csv_is_profiled_and_promoted_row_by_row(latebind, tmp_path):
    home = Home(latebind, tmp_path / "home")
    entry = home.ingest("mac", "cr.csv", b"a,b\r1,x\r2,y\r")
    assert payload_records(home.root, entry["landed"]) == (2, "profiled")

    layout = json.loads(sqlite3.connect(home.root / "registry.db").execute(
        "SELECT layout FROM payloads WHERE object = ?", (entry["landed"],)).fetchone()[0])
    assert layout["csv"]["line_ending"] == "cr" and layout["csv"]["columns"] == ["a", "b"]

    home.promote()
    [key] = sorted(curated_parquet(home.root))
    rows = pq.read_table(home.root / key).select(["a", "b"]).to_pylist()
    assert rows == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]


def test_cr_only_csv_profile_reports_cr_line_ending(latebind, write):
    # Quoted cells may hold a CR of their own; the last line needs no terminator.
    path = write("cr.csv", b'id,memo\r1,"two\rlines"\r2,plain')
    prof = latebind.profile_json(path).profile()
    assert prof["records"] == 2 and prof["errors"] == 0 and prof["warnings"] == 0, prof
    assert prof["csv"]["line_ending"] == "cr"
    assert [f["path"] for f in prof["fields"]] == ["id", "memo"]
    memo = next(f for f in prof["fields"] if f["path"] == "memo")
    assert sorted(memo["examples"]) == ["plain", "two\rlines"]


def test_truncated_gzip_is_dead_lettered_as_truncated(latebind_bin, latebind, tmp_path):
    home = Home(latebind, tmp_path / "home")
    body = "".join(json.dumps({"id": i, "name": f"name-{i}" * 20}) + "\n" for i in range(2000))
    whole = gzip.compress(body.encode())
    src = tmp_path / "cut.ndjson.gz"
    src.write_bytes(whole[: len(whole) // 2])

    res = home.run("ingest", "--source", "gz", "--json", src)
    assert res.returncode == 2, res.describe()
    [entry] = res.json()
    assert entry["dead_lettered"], entry

    [dead] = home.ok("deadletter", "list", "--json").json()
    message = dead["reason"]["message"]
    assert "truncated gzip stream" in message and "compressed byte" in message, dead
    assert all("unclosed string" not in p["message"] for p in dead.get("problems", [])), dead


def test_gzip_with_bad_crc_is_dead_lettered_as_corrupt(latebind, tmp_path):
    home = Home(latebind, tmp_path / "home")
    whole = bytearray(gzip.compress(b'{"id": 1}\n{"id": 2}\n'))
    whole[-8] ^= 0xFF  # the CRC-32 of the trailer
    src = tmp_path / "crc.ndjson.gz"
    src.write_bytes(bytes(whole))

    res = home.run("ingest", "--source", "gz", "--json", src)
    assert res.returncode == 2, res.describe()
    [dead] = home.ok("deadletter", "list", "--json").json()
    assert "gzip" in dead["reason"]["message"], dead
