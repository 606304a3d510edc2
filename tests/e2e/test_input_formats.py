"""End to end: input formats the profiler must read as what they are, or refuse by name.

Regressions from the input-format audit of 2026-11-23:
- CR-only line endings (classic Mac OS text) were read as one record whose cells ran across
  every line: ingest accepted the payload with 0 records and nothing was ever promoted.
- A truncated .gz was dead-lettered for the JSON error of the record the truncation cut
  short ("unclosed string"), not for the truncation.

And from the CSV audit of 2026-11-24:
- A quote inside an unquoted cell (`12" pipe`) opened a quoted run, in the tokenizer and in
  the block splitter's quote parity: the rows up to the next quote were folded into one
  cell (2,998 records of 3,000, with only warnings), and promoted so.
- A CR-only CSV with an LF inside a quoted cell (old Mac Excel exports) was sniffed as LF,
  since any LF in the head decided: the file was one header row of fields like `b\r1`,
  0 records with only "the payload is empty", and garbage promoted.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import sqlite3
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from promotion_helpers import Home, curated_parquet, duckdb_rows


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


def test_zero_padded_gzip_lands_and_parses(latebind, tmp_path):
    """Audit 2026-11-24: zero padding after the gzip member (tape and block writers leave
    it; gzip and Python's gzip skip it) dead-lettered the payload as corrupt."""
    home = Home(latebind, tmp_path / "home")
    body = b'{"id": 1}\n{"id": 2}\n'
    entry = home.ingest("gz", "padded.ndjson.gz", gzip.compress(body) + bytes(1024))
    assert entry["records"] == 2 and entry["landed"].endswith(".ndjson.gz")


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
    # Defect 2026-11-24: the reason named the payload's raw/ key, gone once it moved. Like
    # every reason it names no object (the entry's `object` does), nor the file path.
    assert message.startswith("truncated gzip stream (ends at compressed byte "), message
    assert "raw/" not in message and str(home.root) not in message, message
    assert dead["object"].startswith("dead-letter/source=gz/"), dead
    assert (home.root / dead["object"]).is_file() and not list((home.root / "raw").rglob("*.gz"))
    # `ingest --json` gives the same reason, in the same dead-letter object (ADR-116).
    assert entry["object"] == dead["object"], entry
    assert entry["reason"] == dead["reason"], entry
    meta = json.loads((home.root / (dead["object"].split(".", 1)[0] + ".meta.json")).read_text())
    assert meta["reason"] == dead["reason"] and meta["object"] == dead["object"], meta
    assert all("unclosed string" not in p["message"] for p in dead.get("problems", [])), dead
    # The listing for people: the object on one line, then where and why.
    text = home.ok("deadletter", "list").stdout
    assert dead["object"] in text and f"): {message}" in text, text


def test_a_raw_gzip_cut_after_profiling_fails_promotion_naming_its_key(latebind, tmp_path):
    """Byte sources name no object in their data errors (ADR-080): the promotion that reads
    a raw object damaged after it was profiled names it by its key, never by its file."""
    home = Home(latebind, tmp_path / "home")
    body = "".join(json.dumps({"id": i, "name": f"name-{i}" * 20}) + "\n" for i in range(2000))
    entry = home.ingest("gz", "whole.ndjson.gz", gzip.compress(body.encode()))
    raw = home.root / entry["landed"]
    raw.write_bytes(raw.read_bytes()[: raw.stat().st_size // 2])

    res, by_source = home.promote(expect_rc=1)
    failed = by_source["gz"]
    assert failed["status"] == "failed", failed
    error = json.dumps(failed["error"])
    assert f'{entry["landed"]}: truncated gzip stream' in error, failed
    assert str(home.root) not in error, failed


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


# Profiler blocks are 2 MiB less a page (PipelineOptions::block_bytes) and promotion items
# 4 MiB (table_stager.cc kItemBytes): rows this long put 3,000 of them in four blocks.
CSV_PAD = 2700


def test_cr_only_csv_with_lf_in_a_quoted_cell_is_read_by_its_crs(latebind, tmp_path):
    content = b'a,b\r1,"x\ny"\r2,z\r3,w\r'
    # Python's csv (and DuckDB's sniffer) read three records; the LF is the cell's text.
    assert list(csv.reader(io.StringIO(content.decode(), newline=""))) == [
        ["a", "b"], ["1", "x\ny"], ["2", "z"], ["3", "w"]]
    home = Home(latebind, tmp_path / "home")
    entry = home.ingest("mac", "cr-lf.csv", content)
    assert entry["records"] == 3 and not entry["warnings"], entry
    assert payload_records(home.root, entry["landed"]) == (3, "profiled")
    layout = json.loads(sqlite3.connect(home.root / "registry.db").execute(
        "SELECT layout FROM payloads WHERE object = ?", (entry["landed"],)).fetchone()[0])
    assert layout["csv"]["line_ending"] == "cr" and layout["csv"]["columns"] == ["a", "b"]

    home.promote()
    table = home.tables()["mac"]
    assert table["rows"] == 3, table
    [key] = sorted(curated_parquet(home.root))
    expected = [{"a": 1, "b": "x\ny"}, {"a": 2, "b": "z"}, {"a": 3, "b": "w"}]
    assert pq.read_table(home.root / key).select(["a", "b"]).to_pylist() == expected
    assert duckdb_rows(f"SELECT a, b FROM ({table['sql']}) ORDER BY a") == expected


def test_large_cr_only_csv_with_lf_in_quoted_cells_promotes_every_row(latebind, tmp_path):
    # Several profiler blocks and promotion items: every cut is at a CR outside quotes.
    lines = ["id,memo,note"]
    for i in range(1, 3001):
        memo = f'"line {i}\nnext\r\n""q"""' if i % 3 else f"plain {i}"
        lines.append(f"{i},{memo},n{i}-{'x' * CSV_PAD}")
    content = "\r".join(lines) + "\r"
    assert len(content) > 3 * (2 << 20)
    expected = list(csv.reader(io.StringIO(content, newline="")))[1:]
    assert len(expected) == 3000 and expected[0][1] == 'line 1\nnext\r\n"q"'

    home = Home(latebind, tmp_path / "home")
    entry = home.ingest("mac", "big-cr.csv", content)
    assert entry["records"] == 3000 and not entry["warnings"], entry
    home.promote()
    table = home.tables()["mac"]
    assert table["rows"] == 3000, table
    rows = []
    for key in sorted(curated_parquet(home.root)):
        rows += pq.read_table(home.root / key).select(["id", "memo", "note"]).to_pylist()
    assert [[str(r["id"]), r["memo"], r["note"]] for r in rows] == expected
    assert duckdb_rows(f"SELECT count(*) AS n FROM ({table['sql']}) "
                       "WHERE memo LIKE 'line %' || chr(10) || 'next%'") == [{"n": 2000}]


def stray_quote_csv(strays: dict[int, str]) -> str:
    lines = ["id,name,size,note"]
    for i in range(1, 3001):
        size = strays.get(i, "small")
        name = "plain" if i in strays else f'"Doe, {i}"'
        lines.append(f"{i},{name},{size},n{i}-{'x' * CSV_PAD}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("strays", [{2001: '12" pipe', 2003: '6" ruler'}, {2001: '12" pipe'}],
                         ids=["two-stray-quotes", "one-never-closed"])
def test_quote_inside_an_unquoted_csv_cell_is_text(latebind, tmp_path, strays):
    content = stray_quote_csv(strays)
    assert len(content) > 3 * (2 << 20)
    expected = list(csv.reader(content.splitlines(keepends=True)))[1:]
    assert len(expected) == 3000 and [expected[i - 1][2] for i in strays] == list(strays.values())

    home = Home(latebind, tmp_path / "home")
    entry = home.ingest("inches", "stray.csv", content)
    assert entry["records"] == 3000, entry
    assert payload_records(home.root, entry["landed"]) == (3000, "profiled")
    # One warning per stray quote, at the quote itself.
    lines = content.splitlines()
    assert [(w["line"], w["column"]) for w in entry["warnings"]] == [
        (i + 1, lines[i].index('"') + 1) for i in strays], entry["warnings"]
    assert all("kept as text" in w["message"] for w in entry["warnings"])

    home.promote()
    table = home.tables()["inches"]
    assert table["rows"] == 3000, table
    rows = []
    for key in sorted(curated_parquet(home.root)):
        rows += pq.read_table(home.root / key).select(["id", "name", "size", "note"]).to_pylist()
    assert [[str(r["id"]), r["name"], r["size"], r["note"]] for r in rows] == expected
    by_duckdb = duckdb_rows(f"SELECT id, size FROM ({table['sql']}) WHERE size <> 'small' "
                            "ORDER BY id")
    assert by_duckdb == [{"id": i, "size": size} for i, size in strays.items()]


@pytest.mark.parametrize("text, message", [
    ('[{"a":1},{"a":2},]', "a trailing comma"),
    ('[{"a":1} {"a":2}]', "missing ',' between elements 1 and 2"),
    ('[{"a":1},,{"a":2}]', "a ',' where element 2 of the top-level array should begin"),
])
def test_a_top_level_array_with_bad_commas_is_dead_lettered_not_left_to_block_promotion(
        latebind, tmp_path, text, message):
    """Profiler audit 2026-11-24: the splitter skipped any commas between a top-level
    array's elements, so [{"a":1},] was profiled and registered; promotion, parsing the
    whole array, failed on it at every run and no later payload of the source was promoted.
    It is an error of the payload now: dead-lettered, named where the comma is wrong."""
    home = Home(latebind, tmp_path / "home")
    (tmp_path / "bad.json").write_text(text)
    res = home.run("ingest", "--source", "arr", "--json", tmp_path / "bad.json")
    assert res.returncode == 2, res.describe()
    [bad] = res.json()
    assert bad["dead_lettered"] and message in bad["reason"]["message"], bad
    good = home.ingest("arr", "good.json", '[{"a":3},{"a":4}]')
    assert not good["dead_lettered"], good
    home.promote()
    [key] = sorted(curated_parquet(home.root))
    assert pq.read_table(home.root / key).select(["a"]).to_pylist() == [{"a": 3}, {"a": 4}]


@pytest.mark.parametrize("name, data, what", [
    ("u16.json", '{"a":1}\n'.encode("utf-16"), "UTF-16LE text (byte order mark FF FE)"),
    ("u16.csv", "a,b\n1,2\n".encode("utf-16-be"), "text that looks like UTF-16BE"),
    ("twice.json.gz", gzip.compress(gzip.compress(b'{"a":1}\n')), "compressed twice"),
])
def test_other_encodings_are_dead_lettered_with_a_reason_that_names_them(
        latebind, tmp_path, name, data, what):
    """Profiler audit 2026-11-24: UTF-16 text and double gzip were dead-lettered as
    "invalid UTF-8" and "NUL byte: binary data", which does not say what to do."""
    home = Home(latebind, tmp_path / "home")
    (tmp_path / name).write_bytes(data)
    res = home.run("ingest", "--source", "enc", "--json", tmp_path / name)
    assert res.returncode == 2, res.describe()
    [entry] = res.json()
    reason = entry["reason"]["message"]
    assert entry["dead_lettered"] and what in reason, entry
    assert "NUL byte" not in reason and "invalid UTF-8" not in reason, entry


def test_one_single_quoted_cell_does_not_fold_rows_at_apostrophes(latebind, tmp_path):
    """Profiler audit 2026-11-24: one 'quoted' cell made ' the quote char; "it's" further on
    then closed a cell opened at '80s, folding three rows into one, silently. Python's csv
    and DuckDB read six rows; so does latebind, the quotes kept as text."""
    home = Home(latebind, tmp_path / "home")
    text = ("id,name,note\n1,O'Brien,'quoted'\n2,x,y\n3,'80s hits,z\n4,rock,pop\n"
            "5,it's,ok\n6,a,b\n")
    assert home.ingest("q", "q.csv", text)["records"] == 6
    home.promote()
    [key] = sorted(curated_parquet(home.root))
    rows = pq.read_table(home.root / key).select(["id", "name", "note"]).to_pylist()
    expected = list(csv.DictReader(text.splitlines()))
    assert [(str(r["id"]), r["name"], r["note"]) for r in rows] == [
        (e["id"], e["name"], e["note"]) for e in expected]
