"""End to end: `latebind promote` and `latebind tables` (DESIGN.md §6, docs/promotion.md).

Every test drives the real binary on a fresh home: payloads are landed with
`latebind ingest` (profiled before it returns), promoted, and the curated tables are read
back twice, with pyarrow (the Parquet files `tables --json` lists) and with DuckDB (the
`sql` it prints). The expected cell of every column comes from the raw object itself, read
by pyarrow's JSON or CSV reader and passed through the binding table of
docs/promotion.md (promotion_helpers.Binder): a differential test, value for value.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from promotion_helpers import (CURATED_KEY_RE, LINEAGE, TS, Home, close, curated_parquet,
                               duckdb_count, duckdb_rows, expected_row, listing, parse_iso,
                               raw_date, read_curated_files, read_raw_csv, read_raw_json,
                               assert_schema)

SEED = 20261123


@pytest.fixture
def home(latebind, tmp_path) -> Home:
    return Home(latebind, tmp_path / "home")


def ndjson(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


# ---------------------------------------------------------------------------------------------
# The differential check: a curated table against its raw objects
# ---------------------------------------------------------------------------------------------


def check_table_against_raw(home: Home, table: str, expected_schemas: dict[str, list],
                            raw_reader, columns: dict[str, str] | None = None,
                            paths: dict[str, list[str]] | None = None,
                            csv_rules: bool = False) -> dict:
    """Reads every file of `table` with pyarrow and compares it, row for row and value for
    value, with its raw objects read by `raw_reader(path)`; then the same with DuckDB over
    the catalog's SQL. `expected_schemas` maps a curated key to its columns (name, type).
    Returns {"rows", "rescued": {(object, index): dict}} for further checks."""
    entry = home.tables()[table]
    files = read_curated_files(home.root, entry)
    assert [f.key for f in files] == sorted(expected_schemas), (entry["file_keys"], list(expected_schemas))
    assert entry["files"] == len(files)
    raw_cache: dict[str, list[dict]] = {}
    expected_by_key: dict[tuple[str, int], tuple[dict, dict]] = {}
    rescued_seen = {}
    total = 0
    for f in files:
        assert_schema(f.table.schema, expected_schemas[f.key])
        rows = f.table.to_pylist()
        total += len(rows)
        # Rows appear in raw-object order and, within an object, in record order.
        objects = [r["_source_object"] for r in rows]
        assert objects == sorted(objects), f"{f.key}: rows are not in raw-object order"
        position: dict[str, int] = {}
        for row in rows:
            obj = row["_source_object"]
            assert obj.startswith(f"raw/source={entry['source']}/"), obj
            assert raw_date(obj) == f.ingest_date, (obj, f.key)
            if obj not in raw_cache:
                raw_cache[obj] = raw_reader(home.root / obj)
            i = position.get(obj, 0)
            position[obj] = i + 1
            assert i < len(raw_cache[obj]), f"{obj}: more rows than raw records"
            record = raw_cache[obj][i]
            cells, rescued = expected_row(record, f.table.schema, columns or {}, csv=csv_rules,
                                          paths=paths)
            for col, want in cells.items():
                assert close(row[col], want), (
                    f"{f.key} {obj} record {i} column {col!r}: got {row[col]!r}, want {want!r}"
                    f"\nraw record: {record}")
            got_rescued = json.loads(row["_rescued_data"]) if row["_rescued_data"] is not None else {}
            if not rescued:
                assert row["_rescued_data"] is None, (obj, i, row["_rescued_data"])
            assert close(got_rescued, rescued), (
                f"{obj} record {i}: _rescued_data {got_rescued!r}, want {rescued!r}\nraw: {record}")
            meta = home.meta(obj)
            assert row["_ingested_at"] == parse_iso(meta["received_at"]), (row["_ingested_at"], meta)
            expected_by_key[(obj, i)] = (cells, rescued)
            if rescued:
                rescued_seen[(obj, i)] = rescued
        # Every record of every object in this file is there (no partial object).
        for obj, n in position.items():
            assert n == len(raw_cache[obj]), f"{obj}: {n} rows in {f.key}, {len(raw_cache[obj])} raw records"
    assert entry["rows"] == total == sum(len(v) for v in raw_cache.values())
    assert entry["bytes"] == sum((home.root / k).stat().st_size for k in entry["file_keys"])

    # DuckDB over the catalog's SQL: the same rows, the same values.
    db_rows = duckdb_rows(entry["sql"])
    assert len(db_rows) == total
    seen = {}
    for row in db_rows:
        obj = row["_source_object"]
        seen.setdefault(obj, []).append(row)
    for obj, rows in seen.items():
        assert len(rows) == len(raw_cache[obj]), obj
        # DuckDB gives no order guarantee across files; within an object, rows of one file
        # come in file order, which the pyarrow pass checked against record order.
        for i, row in enumerate(rows):
            cells, rescued = expected_by_key[(obj, i)]
            for col, want in cells.items():
                assert close(row[col], want), (f"duckdb {obj} record {i} column {col!r}: "
                                               f"got {row[col]!r}, want {want!r}")
            got_rescued = json.loads(row["_rescued_data"]) if row["_rescued_data"] is not None else {}
            assert close(got_rescued, rescued), (obj, i, got_rescued, rescued)
            assert str(row["ingest_date"]) == raw_date(obj)
    return {"rows": total, "rescued": rescued_seen}


# ---------------------------------------------------------------------------------------------
# JSON: nesting, optional fields, nulls, widening, bad values
# ---------------------------------------------------------------------------------------------

WHEN_FORMATS = [
    "2024-03-05T10:11:12Z", "2024-03-05T10:11:12.345678Z", "2024-03-05 10:11:12+02:00",
    "2024-03-05T10:11:12.5-05:30", "2024-03-05T10:11:12", "2024-03-05 23:59:59.000001Z",
]
NOTES = ["plain", "héllo ✓", 'with "quotes"', "back\\slash", "new\nline", "", "🦀 crab"]
CITIES = ["Oslo", "Lyon", "São Paulo", "Kyiv", "Austin"]

V1_COLUMNS = [
    ("id", pa.int64()), ("price", pa.float64()), ("qty", pa.int64()), ("when", TS),
    ("day", pa.date32()), ("flag", pa.bool_()), ("note", pa.string()),
    ("tags", pa.list_(pa.string())),
    ("user", pa.struct([("name", pa.string()), ("age", pa.int64()),
                        ("address", pa.struct([("city", pa.string()), ("zip", pa.string())]))])),
    ("items", pa.list_(pa.struct([("sku", pa.string()), ("n", pa.int64()), ("price", pa.float64())]))),
    ("nothing", pa.string()),
]
# Version 2: qty widened to float64, channel added (registry order: appended).
V2_COLUMNS = [(n, pa.float64() if n == "qty" else t) for n, t in V1_COLUMNS] + [("channel", pa.string())]


def shop_record(rng: random.Random, rid: int, phase: str, full: bool = False) -> dict:
    """One record of the `shop` source. phase "p1": the first schema; "p2": qty widened to
    fractions and `channel` added; "p3": bad values (price "N/A", a `when` that is no time,
    user.age "unknown", a new nested member and a new field `coupon`). `full` writes every
    field and member, so a payload's first record fixes the registry's field order."""
    def maybe(p: float) -> bool:
        return full or rng.random() >= p

    rec: dict = {"id": rid}
    if phase == "p3":
        rec["price"] = "N/A" if rng.random() < 0.6 or full else None
    else:
        r = rng.random()
        rec["price"] = (round(rng.uniform(1, 500), 2) if r < 0.6 or full
                        else rng.randint(1, 99) if r < 0.9 else None)
    if phase == "p2" and (full or rng.random() < 0.4):
        rec["qty"] = rng.randint(0, 20) + 0.5
    else:
        rec["qty"] = rng.randint(1, 20)
    rec["when"] = ("not a time" if phase == "p3" and rng.random() < 0.25
                   else rng.choice(WHEN_FORMATS).replace("05", f"{rng.randint(1, 28):02d}", 1))
    rec["day"] = (dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 365))).isoformat()
    rec["flag"] = rng.random() < 0.5 if maybe(0.1) else None
    if maybe(0.3):
        rec["note"] = rng.choice(NOTES) if maybe(0.15) else None
    rec["tags"] = (None if not maybe(0.1) else [] if not maybe(0.2)
                   else [rng.choice("abcdef") * rng.randint(1, 3) for _ in range(rng.randint(1, 3))])
    user = {"name": f"user{rng.randint(1, 50)}"}
    if maybe(0.25):
        # pyarrow.json refuses a field holding numbers and strings in one file: in p3 a
        # present age is always the bad value.
        user["age"] = "unknown" if phase == "p3" else rng.randint(18, 90)
    user["address"] = {"city": rng.choice(CITIES), "zip": f"{rng.randint(0, 99999):05d}"}
    if phase == "p3" and rng.random() < 0.3:
        user["nick"] = f"n{rid}"
    rec["user"] = user
    items = []
    for k in range(3 if full else rng.randint(0, 3)):
        item = {"sku": f"S-{rng.randint(100, 999)}", "n": rng.randint(1, 9)}
        if maybe(0.3):
            item["price"] = round(rng.uniform(0.5, 99), 2)
        items.append(item)
    rec["items"] = items
    rec["nothing"] = None
    if phase in ("p2", "p3") and maybe(0.4):
        rec["channel"] = rng.choice(["web", "app", "store"])
    if phase == "p3" and maybe(0.5):
        rec["coupon"] = f"C{rng.randint(1, 99)}"
    return rec


def shop_payload(rng: random.Random, first_id: int, n: int, phase: str) -> list[dict]:
    return [shop_record(rng, first_id + i, phase, full=(i == 0)) for i in range(n)]


def read_shop_raw(path: Path) -> list[dict]:
    return read_raw_json(path, string_fields=["when", "day"])


def test_json_fidelity_nesting_widening_and_rescued_values(home):
    """Nested objects become struct columns, arrays list columns (lists of structs too),
    optional and null values become nulls, an int64 → float64 widening gives an ACTIVE
    version whose later runs type the column double, and a BREAKING payload promoted with
    --override-breaking keeps every value that does not fit in _rescued_data under its
    path. pyarrow and DuckDB both read exactly the raw records, value for value, with the
    lineage columns right."""
    rng = random.Random(SEED)
    p1a, p1b = shop_payload(rng, 1, 180, "p1"), shop_payload(rng, 1000, 120, "p1")
    e1 = home.ingest("shop", "p1a.ndjson", ndjson(p1a))
    e2 = home.ingest("shop", "p1b.ndjson", ndjson(p1b))
    assert (e1["schema_version"], e1["schema_status"]) == (1, "ACTIVE")
    assert e2["schema_version"] == 1 and not e2["new_version"]

    _, out = home.promote()
    s = out["shop"]
    assert (s["status"], s["table"], s["version"], s["objects"], s["rows"]) == (
        "promoted", "shop", 1, 2, 300)
    assert s["rescued_rows"] == 0 and s["retired_files"] == [] and s["breaking_versions"] == []
    [f1] = s["files"]
    m = CURATED_KEY_RE.match(f1)
    assert m and m["table"] == "shop" and m["run"] == s["run_id"] and m["date"] == raw_date(e1["landed"])
    assert (home.root / f1).is_file()
    assert pq.ParquetFile(home.root / f1).metadata.row_group(0).column(0).compression == "ZSTD"

    # Widening: qty gets fractions, channel is added → version 2, ACTIVE.
    p2 = shop_payload(rng, 2000, 200, "p2")
    e3 = home.ingest("shop", "p2.ndjson", ndjson(p2))
    assert (e3["schema_version"], e3["schema_status"]) == (2, "ACTIVE")
    # The column types changed, so the run rewrites the table: every file of a table has
    # the same columns, which readers need to open it with no options.
    _, out = home.promote()
    s = out["shop"]
    assert (s["status"], s["version"], s["objects"], s["rows"]) == ("promoted", 2, 3, 500), s
    assert s["retired_files"] == [f1]
    assert not (home.root / f1).exists()
    [f2] = s["files"]

    # Bad values: a BREAKING version blocks the source until overridden.
    p3 = shop_payload(rng, 3000, 200, "p3")
    e4 = home.ingest("shop", "p3.ndjson", ndjson(p3))
    assert (e4["schema_version"], e4["schema_status"]) == (3, "BREAKING")
    before = listing(home.root)
    res, out = home.promote(expect_rc=3)
    assert out["shop"]["status"] == "blocked" and out["shop"]["breaking_versions"] == [3], out
    assert out["shop"].get("files", []) == []
    assert listing(home.root) == before, "a blocked promotion wrote files"

    _, out = home.promote("--override-breaking")
    s = out["shop"]
    assert (s["status"], s["version"], s["objects"], s["rows"]) == ("promoted", 2, 1, 200), s
    [f3] = s["files"]

    result = check_table_against_raw(home, "shop", {f2: V2_COLUMNS, f3: V2_COLUMNS}, read_shop_raw)
    assert result["rows"] == 700
    # The override run counted its rescued rows, and every kind of bad value is rescued.
    rescued = [v for (obj, _), v in result["rescued"].items() if obj == e4["landed"]]
    assert s["rescued_rows"] == len(rescued) > 0
    assert all(obj == e4["landed"] for obj, _ in result["rescued"]), "clean payloads rescued values"
    kinds = {k for r in rescued for k in r}
    assert {"price", "when", "user.age", "user.nick", "coupon"} <= kinds, kinds
    assert all(r.get("price", "N/A") == "N/A" for r in rescued)

    # The registry records the promotion on the bound versions.
    for v in (1, 2):
        shown = home.ok("schema", "show", "shop", "--version", str(v), "--json").json()
        assert shown["promoted_at"], shown
    assert not home.ok("schema", "show", "shop", "--version", "3", "--json").json().get("promoted_at")


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------

CSV_HEADER = ["id", "reading", "count", "ok", "day", "at", "label"]
CSV_COLUMNS = [("id", pa.int64()), ("reading", pa.float64()), ("count", pa.int64()),
               ("ok", pa.bool_()), ("day", pa.date32()), ("at", TS), ("label", pa.string())]


def csv_text(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_HEADER)
    w.writerows(rows)
    return buf.getvalue()


def csv_rows(rng: random.Random, first_id: int, n: int, bad: bool = False) -> list[list[str]]:
    """Flat rows; empty cells here and there (never in the first row, which fixes types);
    `bad` puts text into `reading` and `ok` in some rows."""
    out = []
    for i in range(n):
        def cell(value: str, p: float = 0.12) -> str:
            return "" if i > 0 and rng.random() < p else value
        reading = rng.choice([f"{rng.uniform(-50, 50):.3f}", str(rng.randint(-9, 9)), "1e3"])
        ok = rng.choice(["true", "false", "True", "FALSE", "TRUE", "False"])
        if bad and i > 0 and rng.random() < 0.3:
            reading = rng.choice(["oops", "n/a"])
        if bad and i > 0 and rng.random() < 0.2:
            ok = "maybe"
        out.append([
            str(first_id + i), cell(reading), cell(str(rng.randint(-1000, 10**12))), cell(ok),
            cell((dt.date(2023, 6, 1) + dt.timedelta(days=rng.randint(0, 500))).isoformat()),
            cell(rng.choice(["2024-02-03T04:05:06Z", "2024-02-03 04:05:06.25+01:00", "2024-02-03T04:05:06"])),
            cell(rng.choice(["plain", "a,b", 'say "hi"', "ünïcode", "  padded  "])),
        ])
    return out


def test_csv_fidelity_and_rescued_text(home):
    """CSV rows with ints, floats, booleans in any case, dates, timestamps, strings that
    need quoting and empty cells bind to typed columns (empty → null); after a clean
    first payload fixes the types, a payload with text in a number or boolean column is
    BREAKING, and with --override-breaking its values land in _rescued_data as JSON
    strings. Both readers agree with the raw CSV, and pyarrow.csv's own type inference on
    the clean payload agrees with the typed columns."""
    rng = random.Random(SEED + 1)
    c1 = home.ingest("meters", "c1.csv", csv_text(csv_rows(rng, 1, 60)))
    c2 = home.ingest("meters", "c2.csv", csv_text(csv_rows(rng, 100, 40)))
    assert c1["schema_version"] == c2["schema_version"] == 1
    _, out = home.promote("--source", "meters")
    assert (out["meters"]["status"], out["meters"]["rows"]) == ("promoted", 100)
    [f1] = out["meters"]["files"]

    c3 = home.ingest("meters", "c3.csv", csv_text(csv_rows(rng, 200, 50, bad=True)))
    assert c3["schema_status"] == "BREAKING"
    _, out = home.promote("--source", "meters", expect_rc=3)
    assert out["meters"]["status"] == "blocked"
    _, out = home.promote("--source", "meters", "--override-breaking")
    assert (out["meters"]["status"], out["meters"]["version"], out["meters"]["rows"]) == ("promoted", 1, 50)
    [f2] = out["meters"]["files"]

    result = check_table_against_raw(home, "meters", {f1: CSV_COLUMNS, f2: CSV_COLUMNS},
                                     read_raw_csv, csv_rules=True)
    rescued = list(result["rescued"].values())
    assert out["meters"]["rescued_rows"] == len(rescued) > 0
    assert all(isinstance(v, str) for r in rescued for v in r.values()), rescued
    assert {k for r in rescued for k in r} == {"reading", "ok"}

    # pyarrow.csv's own inference on the clean payload types these columns the same way.
    inferred = pacsv.read_csv(home.root / c1["landed"]).to_pylist()
    curated = [r for r in pq.read_table(home.root / f1).to_pylist()
               if r["_source_object"] == c1["landed"]]
    assert len(inferred) == len(curated) == 60
    for raw, row in zip(inferred, curated):
        for col in ("id", "reading", "count", "ok", "day"):
            want = raw[col]
            if isinstance(want, dt.datetime):
                want = want.date()
            assert close(row[col], want), (col, raw, row)


# ---------------------------------------------------------------------------------------------
# BREAKING, override, rename, re-promotion
# ---------------------------------------------------------------------------------------------


def test_breaking_blocks_only_its_source(home):
    """A BREAKING version in a source's window skips that source only: the other source
    of the same run is promoted, the run exits 3 and reports `blocked` with the breaking
    versions; nothing of the blocked source is written. --override-breaking promotes it
    bound to its ACTIVE version. Resolving afterwards changes the bound columns (amount
    becomes a string), so the next run rewrites the table: "N/A" is a value, not rescued."""
    home.ingest("alpha", "a1.ndjson", '{"id": 1, "v": 1.5}\n{"id": 2, "v": 2.5}\n')
    home.ingest("beta", "b1.ndjson", '{"id": 1, "amount": 10.5}\n')
    _, out = home.promote()
    assert {s: e["status"] for s, e in out.items()} == {"alpha": "promoted", "beta": "promoted"}

    home.ingest("alpha", "a2.ndjson", '{"id": 3, "v": 3.5}\n')
    bad = home.ingest("beta", "b2.ndjson", '{"id": 2, "amount": "N/A"}\n{"id": 3, "amount": 7.25}\n')
    assert (bad["schema_version"], bad["schema_status"]) == (2, "BREAKING")
    beta_files = home.tables()["beta"]["file_keys"]
    beta_listing = listing(home.root / "curated" / "beta")

    res, out = home.promote(expect_rc=3)
    assert out["alpha"]["status"] == "promoted" and out["alpha"]["rows"] == 1
    assert out["beta"]["status"] == "blocked" and out["beta"]["breaking_versions"] == [2]
    tables = home.tables()
    assert tables["alpha"]["rows"] == 3
    assert tables["beta"]["rows"] == 1 and tables["beta"]["file_keys"] == beta_files
    assert listing(home.root / "curated" / "beta") == beta_listing

    # Still blocked on the next run, alpha now up to date; --source alpha alone exits 0.
    _, out = home.promote(expect_rc=3)
    assert (out["alpha"]["status"], out["beta"]["status"]) == ("up_to_date", "blocked")
    _, out = home.promote("--source", "alpha")
    assert list(out) == ["alpha"] and out["alpha"]["status"] == "up_to_date"

    _, out = home.promote("--source", "beta", "--override-breaking")
    assert (out["beta"]["status"], out["beta"]["version"], out["beta"]["rows"]) == ("promoted", 1, 2)
    assert out["beta"]["rescued_rows"] == 1
    rows = duckdb_rows(home.tables()["beta"]["sql"] + " ORDER BY id")
    assert [(r["id"], r["amount"], json.loads(r["_rescued_data"]) if r["_rescued_data"] else None)
            for r in rows] == [(1, 10.5, None), (2, None, {"amount": "N/A"}), (3, 7.25, None)]

    home.resolve("beta", 2)
    _, out = home.promote()
    assert (out["alpha"]["status"], out["beta"]["status"], out["beta"]["rows"]) == (
        "up_to_date", "promoted", 3)
    rows = duckdb_rows(home.tables()["beta"]["sql"] + " ORDER BY id")
    assert [(r["id"], r["amount"], r["_rescued_data"]) for r in rows] == [
        (1, "10.5", None), (2, "N/A", None), (3, "7.25", None)]
    _, out = home.promote()
    assert {s: e["status"] for s, e in out.items()} == {"alpha": "up_to_date", "beta": "up_to_date"}


RENAME_V1 = [{"id": i, "transaction_date": f"2024-01-{i:02d}", "amount": i * 1.5} for i in range(1, 6)]
RENAME_V2 = [{"id": i, "txn_date": f"2024-02-{i - 5:02d}", "amount": i * 1.5} for i in range(6, 10)]


def test_confirmed_rename_keeps_the_old_column_filled(home):
    """After `schema resolve --map txn_date=transaction_date`, records carrying the new
    name fill the OLD column; there is no column under the new name and nothing is
    rescued for it."""
    home.ingest("orders", "v1.ndjson", ndjson(RENAME_V1))
    _, out = home.promote()
    assert out["orders"]["status"] == "promoted"
    renamed = home.ingest("orders", "v2.ndjson", ndjson(RENAME_V2))
    assert renamed["schema_status"] == "BREAKING"
    _, out = home.promote(expect_rc=3)
    assert out["orders"]["status"] == "blocked"

    home.resolve("orders", 2, "txn_date=transaction_date", note="rename confirmed with the producer")
    _, out = home.promote()
    assert (out["orders"]["status"], out["orders"]["version"], out["orders"]["rows"]) == ("promoted", 2, 4)
    assert out["orders"]["rescued_rows"] == 0
    # A later payload under the confirmed schema fills it too (no new version).
    later = home.ingest("orders", "v2b.ndjson", '{"id": 10, "txn_date": "2024-03-01", "amount": 15.0}\n')
    assert later["schema_version"] == 2 and not later["new_version"]
    _, out = home.promote()
    assert out["orders"]["rows"] == 1 and len(out["orders"]["files"]) == 1

    entry = home.tables()["orders"]
    for key in entry["file_keys"]:
        names = pq.read_schema(home.root / key).names
        assert names == ["id", "transaction_date", "amount", *LINEAGE], (key, names)
    rows = duckdb_rows(entry["sql"] + " ORDER BY id")
    assert [(r["id"], str(r["transaction_date"])) for r in rows] == (
        [(r["id"], r["transaction_date"]) for r in RENAME_V1]
        + [(r["id"], r["txn_date"]) for r in RENAME_V2] + [(10, "2024-03-01")])
    assert all(r["_rescued_data"] is None for r in rows)
    columns = [("id", pa.int64()), ("transaction_date", pa.date32()), ("amount", pa.float64())]
    read = lambda p: read_raw_json(p, string_fields=["transaction_date", "txn_date"])  # noqa: E731
    either = {"transaction_date": ["transaction_date", "txn_date"]}
    check_table_against_raw(home, "orders", {k: columns for k in entry["file_keys"]}, read,
                            paths=either)

    # Re-binding the records that carry the OLD name under the resolved version fills the
    # same column from them.
    _, out = home.promote("--repromote", "--since-version", "1")
    assert (out["orders"]["status"], out["orders"]["rows"], out["orders"]["rescued_rows"]) == (
        "promoted", 10, 0)
    entry = home.tables()["orders"]
    assert entry["rows"] == 10
    result = check_table_against_raw(home, "orders", {k: columns for k in entry["file_keys"]},
                                     read, paths=either)
    assert result["rescued"] == {}
    rows = duckdb_rows(entry["sql"] + " ORDER BY id")
    assert all(r["transaction_date"] is not None for r in rows) and len(rows) == 10


def test_resolving_an_older_breaking_version_keeps_the_newer_active_one(home):
    """Audit bug A: v2 BREAKING, then v3 ACTIVE (+extra) built on it; resolving v2 ACTIVE
    deprecated v3, and promotion rewrote the table under v2: column extra gone, every
    extra rescued for good. Now v2 is accepted (BREAKING → DEPRECATED, saying why), v3
    stays ACTIVE and bound, and the table keeps extra."""
    home.ingest("w", "w1.ndjson", '{"id": 1, "amt": 10}\n')
    home.promote()
    assert home.ingest("w", "w2.ndjson", '{"id": 2, "amt": "ten"}\n')["schema_status"] == "BREAKING"
    v3 = home.ingest("w", "w3.ndjson", '{"id": 3, "amt": "x", "extra": 1}\n')
    assert (v3["schema_version"], v3["schema_status"]) == (3, "ACTIVE")
    _, out = home.promote(expect_rc=3)
    assert out["w"]["status"] == "blocked" and out["w"]["breaking_versions"] == [2]

    res = home.resolve("w", 2, note="ok")
    assert re.search(r"^w version 2: BREAKING → DEPRECATED by \S+$", res.stdout, re.M), res.stdout
    assert "version 3 is newer, built on version 2" in res.stdout, res.stdout
    assert "stays ACTIVE" in res.stdout, res.stdout
    assert "version 3: ACTIVE → DEPRECATED" not in res.stdout, res.stdout
    history = home.ok("schema", "history", "w", "--json").json()
    assert [v["status"] for v in history["versions"]] == ["DEPRECATED", "DEPRECATED", "ACTIVE"]
    last = history["status_history"][-1]
    assert (last["version"], last["from"], last["to"]) == (2, "BREAKING", "DEPRECATED"), last
    assert last["note"].startswith("ok") and "version 3, newer and built on it, stays ACTIVE" in last["note"]

    _, out = home.promote()
    assert (out["w"]["status"], out["w"]["version"]) == ("promoted", 3)
    later = home.ingest("w", "w4.ndjson", '{"id": 4, "amt": "y", "extra": 2}\n')
    assert later["schema_version"] == 3 and not later["new_version"]
    _, out = home.promote()
    assert (out["w"]["version"], out["w"]["rescued_rows"]) == (3, 0)
    entry = home.tables()["w"]
    for key in entry["file_keys"]:
        names = pq.read_schema(home.root / key).names
        assert names == ["id", "amt", "extra", *LINEAGE], (key, names)
    rows = duckdb_rows(entry["sql"] + " ORDER BY id")
    assert [(r["id"], r["amt"], r["extra"], r["_rescued_data"]) for r in rows] == [
        (1, "10", None, None), (2, "ten", None, None), (3, "x", 1, None), (4, "y", 2, None)]


def test_mappings_of_an_older_breaking_version_reach_the_newer_active_one(home):
    """Audit bug A, with a rename: the mapping confirmed on v2 is confirmed on v3 (ACTIVE,
    built on v2, created before the mapping), which promotion binds: transaction_date keeps
    being filled from txn_date. `--json` reports the statuses reached."""
    home.ingest("orders", "v1.ndjson", ndjson(RENAME_V1))
    home.promote()
    assert home.ingest("orders", "v2.ndjson", ndjson(RENAME_V2))["schema_status"] == "BREAKING"
    more = [{"id": 20, "txn_date": "2024-03-02", "amount": 1.0, "extra": "e"}]
    assert home.ingest("orders", "v3.ndjson", ndjson(more))["schema_status"] == "ACTIVE"
    res = home.ok("schema", "resolve", "orders", "--version", "2", "--status", "ACTIVE",
                  "--note", "rename confirmed", "--map", "txn_date=transaction_date", "--json")
    doc = res.json()
    assert doc["resolved"]["status"] == "DEPRECATED", doc
    assert doc["resolved"]["mappings"] == {"txn_date": "transaction_date"}, doc
    assert doc["changed"] == [{"version": 2, "from": "BREAKING", "to": "DEPRECATED"}], doc
    assert doc["active_version"] == 3 and doc["mappings_also_on"] == [3], doc
    v3 = home.ok("schema", "show", "orders", "--version", "3", "--json").json()
    assert (v3["status"], v3["mappings"]) == ("ACTIVE", {"txn_date": "transaction_date"})

    _, out = home.promote()
    assert (out["orders"]["version"], out["orders"]["rescued_rows"]) == (3, 0)
    entry = home.tables()["orders"]
    for key in entry["file_keys"]:
        names = pq.read_schema(home.root / key).names
        assert names == ["id", "transaction_date", "amount", "extra", *LINEAGE], (key, names)
    rows = duckdb_rows(entry["sql"] + " ORDER BY id")
    assert [(r["id"], str(r["transaction_date"])) for r in rows] == (
        [(r["id"], r["transaction_date"]) for r in RENAME_V1]
        + [(r["id"], r["txn_date"]) for r in RENAME_V2] + [(20, "2024-03-02")])
    assert all(r["_rescued_data"] is None for r in rows)


CHAIN = {
    "a": [{"id": i, "a": f"2024-01-{i:02d}", "amount": i * 1.5} for i in range(1, 5)],
    "b": [{"id": i, "b": f"2024-02-{i:02d}", "amount": i * 1.5} for i in range(5, 9)],
    "c": [{"id": i, "c": f"2024-03-{i:02d}", "amount": i * 1.5} for i in range(9, 13)],
}


def check_chain_table(home: Home) -> None:
    """Every value of a, b and c is in the one column a, of every file, read with pyarrow
    and with DuckDB; no column b or c, nothing rescued."""
    want = [(r["id"], r[name], None) for name in "abc" for r in CHAIN[name]]
    entry = home.tables()["chain"]
    assert entry["rows"] == len(want)
    files = read_curated_files(home.root, entry)
    for f in files:
        assert f.table.schema.names == ["id", "a", "amount", *LINEAGE], (f.key, f.table.schema)
        assert f.table.schema.field("a").type == pa.date32(), f.key
    read = [r for f in files for r in f.table.select(["id", "a", "_rescued_data"]).to_pylist()]
    assert sorted((r["id"], r["a"].isoformat(), r["_rescued_data"]) for r in read) == want
    rows = duckdb_rows(entry["sql"] + " ORDER BY id")
    assert set(rows[0]) == {"id", "a", "amount", *LINEAGE, "ingest_date"}, rows[0]
    assert [(r["id"], r["a"].isoformat(), r["_rescued_data"]) for r in rows] == want


@pytest.mark.parametrize("order", ["each_as_it_comes", "oldest_first", "newest_first"])
def test_chained_renames_fill_one_column(home, order):
    """Regression (ADR-087, chained renames kept both columns): `a` renamed `b` (confirmed
    `--map b=a`), then `b` renamed `c` (confirmed `--map c=b`). Promotion bound two columns,
    a (from a and b) and b (from c). Now a, b and c fill the one column a, the column the
    chain started from, whether each rename is resolved as it comes or both after the fact
    (newest first too: confirming b=a once version 3 had removed b was refused); `schema
    show`, `resolve` and both exports say so, and a re-promotion gives the same table."""
    home.ingest("chain", "a.ndjson", ndjson(CHAIN["a"]))
    home.promote()
    resolved = {}
    if order == "each_as_it_comes":
        assert home.ingest("chain", "b.ndjson", ndjson(CHAIN["b"]))["schema_status"] == "BREAKING"
        resolved[2] = home.resolve("chain", 2, "b=a", note="a is now b")
        assert home.ingest("chain", "c.ndjson", ndjson(CHAIN["c"]))["schema_status"] == "BREAKING"
        resolved[3] = home.resolve("chain", 3, "c=b", note="b is now c")
    else:
        for name in "bc":
            assert home.ingest("chain", f"{name}.ndjson", ndjson(CHAIN[name]))["schema_status"] == "BREAKING"
        steps = [(2, "b=a"), (3, "c=b")]
        for version, mapping in steps if order == "oldest_first" else steps[::-1]:
            resolved[version] = home.resolve("chain", version, mapping, note="renamed")
    _, out = home.promote()
    s = out["chain"]
    assert (s["status"], s["version"], s["rescued_rows"]) == ("promoted", 3, 0), s
    check_chain_table(home)

    if order != "newest_first":
        assert "mapping: c → column a (through b)" in resolved[3].stdout, resolved[3].stdout
    doc = home.ok("schema", "show", "chain", "--json").json()
    assert (doc["version"], doc["status"]) == (3, "ACTIVE")
    assert doc["mappings"] == {"b": "a", "c": "b"}, doc["mappings"]
    assert "b → a, c → b → a" in home.ok("schema", "show", "chain").stdout
    arrow = home.ok("schema", "export", "chain", "--format", "arrow").stdout.splitlines()
    assert arrow[:3] == ["id: int64", "a: date32[day]", "amount: double"], arrow
    assert not [line for line in arrow if line.startswith(("b:", "c:"))], arrow
    spark = home.ok("schema", "export", "chain", "--format", "spark").json()
    assert [f["name"] for f in spark["fields"]] == ["id", "a", "amount"], spark

    _, out = home.promote("--repromote", "--since-version", "1")
    s = out["chain"]
    assert (s["status"], s["rows"], s["rescued_rows"]) == ("promoted", 12, 0), s
    check_chain_table(home)
    _, out = home.promote()
    assert out["chain"]["status"] == "up_to_date"


def test_a_chain_fills_its_column_from_one_live_field_and_a_rename_undone_binds_once(home):
    """ADR-087's guards, through the CLI: after b=a, `a` comes back beside b (both live),
    then c arrives without b. c=b would make a and c, both live, fill column a: refused
    (exit 2), nothing changed. a=b (the rename undone, a cycle) is accepted: a and b fill
    column a once (the record that held both keeps b's value rescued), c is a column of its
    own."""
    home.ingest("loop", "1.ndjson", '{"id": 1, "a": "2024-01-01"}\n')
    assert home.ingest("loop", "2.ndjson", '{"id": 2, "b": "2024-01-02"}\n')["schema_status"] == "BREAKING"
    home.resolve("loop", 2, "b=a", note="a is now b")
    both = home.ingest("loop", "3.ndjson", '{"id": 3, "a": "2024-01-03", "b": "2024-01-05"}\n')
    assert (both["schema_version"], both["schema_status"]) == (3, "ACTIVE")
    back = home.ingest("loop", "4.ndjson", '{"id": 4, "a": "2024-01-06", "c": "2024-01-04"}\n')
    assert (back["schema_version"], back["schema_status"]) == (4, "BREAKING")
    res = home.run("schema", "resolve", "loop", "--version", "4", "--status", "ACTIVE",
                   "--note", "x", "--map", "c=b")
    assert res.returncode == 2, res.describe()
    assert "c → b → a would fill column a from 2 live fields, a and c" in res.stderr, res.stderr
    doc = home.ok("schema", "show", "loop", "--json").json()
    assert (doc["status"], doc["mappings"]) == ("BREAKING", {"b": "a"})

    home.resolve("loop", 4, "a=b", note="b was a again")
    arrow = home.ok("schema", "export", "loop", "--format", "arrow").stdout.splitlines()
    assert arrow[:3] == ["id: int64", "a: date32[day]", "c: date32[day]"], arrow
    _, out = home.promote()
    assert (out["loop"]["status"], out["loop"]["rescued_rows"]) == ("promoted", 1)
    entry = home.tables()["loop"]
    for f in read_curated_files(home.root, entry):
        assert f.table.schema.names == ["id", "a", "c", *LINEAGE], f.key
    rows = duckdb_rows(entry["sql"] + " ORDER BY id")
    assert [(r["id"], str(r["a"]), r["c"] and str(r["c"]), r["_rescued_data"]) for r in rows] == [
        (1, "2024-01-01", None, None), (2, "2024-01-02", None, None),
        (3, "2024-01-03", None, '{"b":"2024-01-05"}'), (4, "2024-01-06", "2024-01-04", None)]


def test_a_rename_confirmed_on_a_version_with_files_rewrites_them(home):
    """Concurrency audit 2026-11-24: v2 resolved without a mapping and promoted (columns
    transaction_date and txn_date), then the rename confirmed on v2: the table's files were
    judged by v2's bound schema as it is now, looked current, and kept txn_date's values out
    of transaction_date, next to newer files without that column. A file records the
    columns it was written with (ADR-117), so the next run rewrites the table."""
    home.ingest("m", "a.ndjson", '{"uid": "a1", "transaction_date": "2024-01-01"}\n')
    home.promote()
    assert home.ingest("m", "b.ndjson", '{"uid": "b1", "txn_date": "2024-02-01"}\n')["schema_status"] == "BREAKING"
    home.resolve("m", 2)
    home.promote()
    home.resolve("m", 2, "txn_date=transaction_date")
    home.ingest("m", "c.ndjson", '{"uid": "c1", "txn_date": "2024-03-01"}\n')
    _, out = home.promote()
    assert out["m"]["retired_files"], out
    entry = home.tables()["m"]
    for f in read_curated_files(home.root, entry):
        assert "txn_date" not in f.table.schema.names, f.key
    rows = duckdb_rows(entry["sql"] + " ORDER BY uid")
    assert [(r["uid"], str(r["transaction_date"])) for r in rows] == [
        ("a1", "2024-01-01"), ("b1", "2024-02-01"), ("c1", "2024-03-01")]


def test_tables_says_when_a_committed_run_is_not_published(home):
    """Concurrency audit 2026-11-24: after a crash (or a storage failure) between a run's
    commit and its publication, `tables` listed the run's files as the table's while readers
    saw it short, until some later promotion. It says so now, and the next promote finishes
    the run (ADR-120)."""
    home.ingest("s", "a.ndjson", '{"a": 1}\n{"a": 2}\n')
    (home.root / "curated").mkdir()
    (home.root / "curated" / "s").write_text("a file where the table's folder goes")
    res, out = home.promote(expect_rc=1)
    assert out["s"]["status"] == "failed", out
    listed = home.ok("tables", "--json")
    [run] = listed.json()["tables"][0]["unpublished_runs"]
    assert f"run {run} committed but was not published" in listed.stderr, listed.stderr
    (home.root / "curated" / "s").unlink()
    _, out = home.promote()
    assert out["s"]["status"] == "up_to_date", out
    listed = home.ok("tables", "--json")
    assert listed.json()["tables"][0]["unpublished_runs"] == [] and not listed.stderr
    rows = duckdb_rows(home.tables()["s"]["sql"] + " ORDER BY a")
    assert [r["a"] for r in rows] == [1, 2]


def test_a_confirmed_rename_seen_from_the_other_side_is_not_breaking(home):
    """Registry audit 2026-11-24: after txn_date=transaction_date was confirmed, a producer
    still on the old name raised a BREAKING version and an alert calling it a rename back.
    The confirmed mapping says they are one field (ADR-111): one ACTIVE version, both
    shapes fill the one column."""
    home.ingest("r", "1.ndjson", '{"id": 1, "transaction_date": "2024-01-01"}\n')
    assert home.ingest("r", "2.ndjson", '{"id": 2, "txn_date": "2024-01-02"}\n')["schema_status"] == "BREAKING"
    home.resolve("r", 2, "txn_date=transaction_date")
    old = home.ingest("r", "3.ndjson", '{"id": 3, "transaction_date": "2024-01-03"}\n')
    assert (old["schema_version"], old["schema_status"]) == (3, "ACTIVE")
    assert home.ingest("r", "4.ndjson", '{"id": 4, "txn_date": "2024-01-04"}\n')["schema_version"] == 3
    _, out = home.promote()
    assert (out["r"]["status"], out["r"]["rescued_rows"]) == ("promoted", 0)
    rows = duckdb_rows(home.tables()["r"]["sql"] + " ORDER BY id")
    assert [(r["id"], str(r["transaction_date"])) for r in rows] == [
        (1, "2024-01-01"), (2, "2024-01-02"), (3, "2024-01-03"), (4, "2024-01-04")]


def test_resolved_removal_keeps_the_column_and_its_history(home):
    """Audit bug B: resolving a BREAKING removal rewrote the table without the column and
    moved every old row's value into _rescued_data. A removed field stays a column (typed
    as it was, at its place): nothing is rewritten, old rows keep their values, new rows
    hold null."""
    home.ingest("v", "v1.ndjson", '{"id": 1, "x": "keep", "n": 1}\n{"id": 2, "x": "me", "n": 2}\n')
    home.promote()
    first = home.tables()["v"]["file_keys"]
    assert home.ingest("v", "v2.ndjson", '{"id": 3, "n": 3}\n')["schema_status"] == "BREAKING"
    home.resolve("v", 2, note="x is gone upstream")
    _, out = home.promote()
    assert (out["v"]["status"], out["v"]["version"]) == ("promoted", 2)
    assert out["v"]["retired_files"] == [] and out["v"]["rescued_rows"] == 0
    entry = home.tables()["v"]
    assert set(first) <= set(entry["file_keys"]) and len(entry["file_keys"]) == 2
    for key in entry["file_keys"]:
        assert_schema(pq.read_schema(home.root / key),
                      [("id", pa.int64()), ("x", pa.string()), ("n", pa.int64())])
    rows = duckdb_rows(entry["sql"] + " ORDER BY id")
    assert [(r["id"], r["x"], r["n"], r["_rescued_data"]) for r in rows] == [
        (1, "keep", 1, None), (2, "me", 2, None), (3, None, 3, None)]
    # The export says the same: x kept, at its place, nullable and no longer required.
    arrow = home.ok("schema", "export", "v", "--format", "arrow").stdout
    assert arrow.splitlines()[:3] == ["id: int64", "x: string", "n: int64"], arrow
    js = home.ok("schema", "export", "v", "--format", "jsonschema").json()
    assert "x" in js["properties"] and "x" not in js.get("required", []), js


def test_repromote_since_version_rebinds_without_duplicates(home):
    """An override run rescues "N/A" prices. Once the version is resolved (price becomes a
    string) the bound columns changed, so the next run rewrites the whole table though
    nothing new arrived (it said "up to date" and left price double in the old file, string
    in later ones), retiring the old files in the same commit. `--repromote --since-version
    2` then re-binds every object bound under v2, each row exactly once."""
    clean = [{"id": i, "price": round(i * 1.25, 2), "sku": f"S{i}"} for i in range(1, 41)]
    bad = [{"id": i, "price": "N/A" if i % 2 else 99.5, "sku": f"S{i}"} for i in range(41, 61)]
    home.ingest("bank", "a.ndjson", ndjson(clean[:20]))
    home.ingest("bank", "b.ndjson", ndjson(clean[20:]))
    _, out = home.promote()
    [f_clean] = out["bank"]["files"]
    assert home.ingest("bank", "bad.ndjson", ndjson(bad))["schema_status"] == "BREAKING"
    _, out = home.promote("--override-breaking")
    [f_override] = out["bank"]["files"]
    assert out["bank"]["rescued_rows"] == 10
    assert home.tables()["bank"]["rows"] == 60

    def check_prices(files):
        entry = home.tables()["bank"]
        assert sorted(entry["file_keys"]) == sorted(files) and entry["rows"] == 60
        assert curated_parquet(home.root) == set(files)
        for key in files:
            assert pq.read_schema(home.root / key).field("price").type == pa.string(), key
        rows = duckdb_rows(entry["sql"])
        assert sorted(r["id"] for r in rows) == list(range(1, 61)), "duplicates or losses"
        by_id = {r["id"]: r for r in rows}
        for r in clean + bad:
            want = r["price"] if isinstance(r["price"], str) else json.dumps(r["price"])
            assert by_id[r["id"]]["price"] == want and by_id[r["id"]]["_rescued_data"] is None

    home.resolve("bank", 2, note="price may be N/A")
    _, out = home.promote()
    s = out["bank"]
    assert (s["status"], s["version"], s["rows"], s["objects"]) == ("promoted", 2, 60, 3), s
    assert sorted(s["retired_files"]) == sorted([f_clean, f_override])
    check_prices(s["files"])
    _, out = home.promote()
    assert out["bank"]["status"] == "up_to_date"

    before = s["files"]
    _, out = home.promote("--repromote", "--since-version", "2")
    s = out["bank"]
    assert (s["status"], s["rows"], s["objects"]) == ("promoted", 60, 3), s
    assert sorted(s["retired_files"]) == sorted(before) and set(s["files"]).isdisjoint(before)
    check_prices(s["files"])
    staging = home.root / "staging"
    assert not staging.exists() or not any(staging.rglob("*")), list(staging.rglob("*"))


def test_repromote_since_a_later_version_still_rewrites_a_table_whose_columns_changed(home):
    """Audit 2026-11-24: after a widening (amt int64 → float64, an ACTIVE version),
    `promote --repromote --since-version 2` rewrote only v2's objects. The table then held
    amt int64 in one file and double in the other: DuckDB read 2.5 as 2, pyarrow refused it,
    and later runs said "nothing new". The run rewrites every file whose columns differ."""
    home.ingest("y", "y1.ndjson", '{"id":1,"amt":10}\n')
    home.promote()
    assert home.ingest("y", "y2.ndjson", '{"id":2,"amt":2.5}\n')["schema_status"] == "ACTIVE"
    _, out = home.promote("--repromote", "--since-version", "2")
    s = out["y"]
    assert (s["status"], s["rows"], s["objects"], len(s["retired_files"])) == (
        "promoted", 2, 2, 1), s
    entry = home.tables()["y"]
    for key in entry["file_keys"]:
        assert pq.read_schema(home.root / key).field("amt").type == pa.float64(), key
    files = sorted(str(home.root / k) for k in entry["file_keys"])
    assert duckdb_rows(f"SELECT id, amt FROM read_parquet({files!r}) ORDER BY id") == [
        {"id": 1, "amt": 10.0}, {"id": 2, "amt": 2.5}]
    rows = ds.dataset(entry["path"], format="parquet").to_table(columns=["id", "amt"]).to_pylist()
    assert sorted((r["id"], r["amt"]) for r in rows) == [(1, 10.0), (2, 2.5)]
    _, out = home.promote()
    assert out["y"]["status"] == "up_to_date"


# ---------------------------------------------------------------------------------------------
# Column names and lineage
# ---------------------------------------------------------------------------------------------


def test_column_names_normalised_collisions_resolved_and_stable(home):
    """Names are lowercased, characters (not bytes: "Größe" → "gr__e") outside
    [a-z0-9_] become `_`, a leading digit gets
    a `_` prefix, an empty name becomes `_`; collisions among siblings (and with the
    lineage columns, which keep their names) get _2, _3 in registry order, after a key
    that is a normal name already took its own (ADR-108); struct members likewise within
    their struct. A later version adding another colliding name gets the
    next suffix while every earlier column keeps its name."""
    rec = {"Amount": 1, "amount": 2.5, "amount ": "x", "user-id": "u1", "user_id": "u2",
           "9lives": True, "": "empty", "_source_object": "mine", "_ingested_at": "also mine",
           "Größe": 40, "User Info": {"First-Name": "a", "first_name": "b", "Zip Code": "0150"}}
    landed = home.ingest("norm", "n1.ndjson", ndjson([rec, {**rec, "Amount": 3}]))["landed"]
    _, out = home.promote()
    [f1] = out["norm"]["files"]
    schema = pq.read_schema(home.root / f1)
    expected = ["amount_2", "amount", "amount_", "user_id_2", "user_id", "_9lives", "_",
                "_source_object_2", "_ingested_at_2", "gr__e", "user_info", *LINEAGE]
    assert schema.names == expected
    assert [f.name for f in schema.field("user_info").type] == ["first_name_2", "first_name", "zip_code"]
    [row, _] = pq.read_table(home.root / f1).to_pylist()
    assert (row["amount_2"], row["amount"], row["amount_"], row["user_id_2"], row["user_id"]) == (
        1, 2.5, "x", "u1", "u2")
    assert (row["_9lives"], row["_"], row["_source_object_2"], row["_ingested_at_2"]) == (
        True, "empty", "mine", "also mine")
    assert row["gr__e"] == 40  # one `_` per character, not per UTF-8 byte
    assert row["user_info"] == {"first_name_2": "a", "first_name": "b", "zip_code": "0150"}
    assert row["_source_object"] == landed
    assert row["_rescued_data"] is None

    # A new version adds "AMOUNT": the next suffix; the earlier names never change. The
    # new column rewrites the table, so the first payload's rows get it too (as nulls).
    e = home.ingest("norm", "n2.ndjson", ndjson([{**rec, "AMOUNT": 9}]))
    assert (e["schema_version"], e["schema_status"]) == (2, "ACTIVE")
    _, out = home.promote()
    [f2] = out["norm"]["files"]
    assert out["norm"]["retired_files"] == [f1]
    names2 = pq.read_schema(home.root / f2).names
    assert names2 == expected[:-3] + ["amount_3", *LINEAGE]
    rows2 = pq.read_table(home.root / f2).to_pylist()
    assert [(r["amount_2"], r["amount_3"]) for r in rows2] == [(1, None), (3, None), (1, 9)]
    db = duckdb_rows(home.tables()["norm"]["sql"])
    assert len(db) == 3 and sorted(r["amount_3"] is None for r in db) == [False, True, True]


def test_lineage_columns(home):
    """_source_object is the raw key each row came from and _ingested_at its .meta.json
    received_at, for every object of a multi-object run; ingest_date is the raw object's
    date folder."""
    keys = [home.ingest("lin", f"p{i}.ndjson", ndjson([{"k": i, "j": n} for n in range(3)]))["landed"]
            for i in range(4)]
    _, out = home.promote()
    assert out["lin"]["objects"] == 4 and out["lin"]["rows"] == 12
    rows = []
    for key in sorted(home.tables()["lin"]["file_keys"]):
        rows += pq.read_table(home.root / key).to_pylist()
    assert [r["_source_object"] for r in rows] == [k for k in sorted(keys) for _ in range(3)]
    assert [(r["k"], r["j"]) for r in rows] == [(i, n) for i in range(4) for n in range(3)]
    for r in rows:
        assert r["_ingested_at"] == parse_iso(home.meta(r["_source_object"])["received_at"])
        assert r["_ingested_at"].tzinfo is not None
    for r in duckdb_rows(home.tables()["lin"]["sql"]):
        assert str(r["ingest_date"]) == raw_date(r["_source_object"])


def test_dead_letters_are_never_promoted(home):
    """A dead-lettered payload of a source adds no row; the good one is promoted."""
    home.ingest("dl", "good.ndjson", '{"a": 1}\n{"a": 2}\n')
    path = home.inputs / "bad.ndjson"
    path.write_text('{"a": 3}\n{"a": \n')
    assert home.run("ingest", "--source", "dl", path).returncode == 2
    _, out = home.promote()
    assert (out["dl"]["status"], out["dl"]["objects"], out["dl"]["rows"]) == ("promoted", 1, 2)
    assert duckdb_count(home.tables()["dl"]["sql"]) == 2


# ---------------------------------------------------------------------------------------------
# Idempotence, the catalog, usage
# ---------------------------------------------------------------------------------------------


def test_second_promote_is_up_to_date_and_changes_nothing(home):
    """With nothing new, `promote` reports up_to_date for every source, exits 0 and
    changes no file of the home (sizes and mtimes, registry aside); `tables` is unchanged."""
    home.ingest("one", "a.ndjson", '{"x": 1}\n')
    home.ingest("two", "b.ndjson", '{"y": "z"}\n')
    home.promote()
    tables = home.tables()
    before = listing(home.root)
    _, out = home.promote()
    assert {s: e["status"] for s, e in out.items()} == {"one": "up_to_date", "two": "up_to_date"}
    assert all(e.get("files", []) == [] for e in out.values())
    assert listing(home.root) == before
    assert home.tables() == tables


def test_payloads_without_records_are_not_pending_forever(home):
    """Audit 2026-11-24: an empty file, a header-only CSV or `[]` wrote no row, so it
    never reached the ledger: every run "promoted" it again (a new run in the registry, the
    table's updated_at bumped) and never said up_to_date; a source of only such payloads got
    a `tables` entry of no files whose SQL DuckDB refused."""
    home.ingest("s", "c1.csv", "a,b\n1,2\n")
    home.ingest("s", "c2.csv", "a,b\n")
    home.ingest("s", "c3.json", "[]")
    home.ingest("s", "c4.ndjson", "")
    home.ingest("empty", "e.csv", "a,b\n")
    _, out = home.promote()
    assert (out["s"]["status"], out["s"]["objects"], out["s"]["rows"]) == ("promoted", 1, 1)
    assert out["empty"]["status"] == "up_to_date"
    tables = home.tables()
    assert set(tables) == {"s"} and tables["s"]["rows"] == 1
    before = listing(home.root)
    _, out = home.promote()
    assert {s: e["status"] for s, e in out.items()} == {"s": "up_to_date", "empty": "up_to_date"}
    assert listing(home.root) == before and home.tables() == tables


def test_tables_lists_sql_that_duckdb_runs(home):
    """`tables --json` gives each table's source, version, files, rows, bytes, folder and
    a DuckDB query that returns its row count; the human listing names every table with
    its row count and the same query; on an empty home it lists nothing."""
    home.root.mkdir()  # a home that does not exist is refused (no home is created by a read)
    assert home.ok("tables", "--json").json() == {"tables": []}
    home.ingest("t1", "a.ndjson", ndjson([{"i": i} for i in range(7)]))
    home.ingest("t2", "b.csv", "a,b\n1,x\n2,y\n3,\n")
    home.promote()
    home.ingest("t1", "c.ndjson", ndjson([{"i": i} for i in range(7, 10)]))
    home.promote()
    tables = home.tables()
    assert sorted(tables) == ["t1", "t2"]
    for name, rows in (("t1", 10), ("t2", 3)):
        t = tables[name]
        assert t["source"] == name and t["version"] == 1
        assert t["rows"] == rows and t["files"] == len(t["file_keys"])
        assert Path(t["path"]) == home.root.resolve() / "curated" / name or Path(t["path"]) == home.root / "curated" / name
        assert t["bytes"] == sum((home.root / k).stat().st_size for k in t["file_keys"])
        assert "read_parquet(" in t["sql"] and "hive_partitioning" in t["sql"]
        assert duckdb_count(t["sql"]) == rows
        assert ds.dataset(t["path"], format="parquet").count_rows() == rows  # pyarrow, no options
        assert set(t["file_keys"]) == {k for k in curated_parquet(home.root) if k.startswith(f"curated/{name}/")}
    assert tables["t1"]["files"] == 2

    text = home.ok("tables").stdout
    for name, rows in (("t1", 10), ("t2", 3)):
        [line] = [ln for ln in text.splitlines() if ln.split()[:1] == [name]]
        assert str(rows) in line.split(), line
        assert tables[name]["sql"] in text, "the human listing does not give the query"


@pytest.mark.parametrize("args, word", [
    (["--since-version", "2"], "--repromote"),
    (["--repromote"], "--since-version"),
])
def test_repromote_flags_go_together(home, args, word):
    """--since-version without --repromote, or --repromote without --since-version, is
    bad usage: exit 2 with a message naming the missing flag, and nothing written."""
    home.ingest("u", "a.ndjson", '{"x": 1}\n')
    before = listing(home.root)
    res = home.run("promote", *args)
    assert res.returncode == 2, res.describe()
    assert word in res.stderr, res.describe()
    assert listing(home.root) == before


def test_unknown_source_is_named(home):
    """`promote --source nosuch` says clearly that the source is unknown: exit 2, or a
    `failed` entry (exit 1); either way the message names it and nothing is written."""
    home.ingest("known", "a.ndjson", '{"x": 1}\n')
    before = listing(home.root)
    res = home.run("promote", "--json", "--source", "nosuch")
    assert res.returncode in (1, 2), res.describe()
    assert "nosuch" in res.stderr + res.stdout, res.describe()
    if res.returncode == 1 and res.stdout.strip():
        [entry] = res.json()["sources"]
        assert entry["status"] == "failed" and "nosuch" in json.dumps(entry)
    assert listing(home.root) == before


def test_empty_objects_and_arrays_bind_as_json_text(home):
    """An object never seen with a member is a string column holding the value's JSON
    text; a field only ever null is a string column of nulls. An array never seen with an
    element is typed as `schema export --format arrow` types it (docs/promotion.md says
    columns are typed by the export, which gives list<string>, while its binding table
    says string): an empty list there, "[]" if it is a string column."""
    home.ingest("shapes", "s.ndjson", ndjson([{"id": 1, "meta": {}, "list": [], "nil": None},
                                              {"id": 2, "meta": {}, "list": [], "nil": None}]))
    exported = home.ok("schema", "export", "shapes", "--format", "arrow").stdout
    list_type = re.search(r"^list: (.*)$", exported, re.M).group(1)
    _, out = home.promote()
    [key] = out["shapes"]["files"]
    table = pq.read_table(home.root / key)
    types = {f.name: f.type for f in table.schema}
    assert [(n, str(types[n])) for n in ("id", "meta", "nil")] == [
        ("id", "int64"), ("meta", "string"), ("nil", "string")]
    empty = "[]" if list_type == "string" else []
    assert (list_type == "string") == pa.types.is_string(types["list"]), (list_type, types["list"])
    assert [(r["meta"], r["list"], r["nil"], r["_rescued_data"]) for r in table.to_pylist()] == [
        ("{}", empty, None, None)] * 2


def test_row_groups_and_files_follow_the_size_options(home):
    """--row-group-mib bounds the in-memory Arrow data of a row group (about: a group may
    overshoot by the batch that crossed the limit) and --file-mib starts a new file once
    a file passes that many MiB of Parquet: ~14 MiB of Arrow data and several MiB of
    Parquet with both set to 1 give several row groups and several files, rows still in
    raw-object and record order and each row once."""
    rng = random.Random(SEED + 2)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    keys = []
    for o in range(4):
        recs = [{"o": o, "i": i, "s": "".join(rng.choices(alphabet, k=40)), "x": rng.random()}
                for i in range(25_000)]
        keys.append(home.ingest("sized", f"o{o}.ndjson", ndjson(recs))["landed"])
    _, out = home.promote("--row-group-mib", "1", "--file-mib", "1")
    s = out["sized"]
    assert s["rows"] == 100_000
    files = sorted(s["files"], key=lambda k: int(CURATED_KEY_RE.match(k)["n"]))
    sizes = [(home.root / k).stat().st_size for k in files]
    groups = []
    for key in files:
        meta = pq.ParquetFile(home.root / key).metadata
        groups += [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert sum(sizes) > 3 << 20, sizes  # enough Parquet for the file limit to matter
    assert len(groups) >= 8, f"--row-group-mib 1 gave row groups of {groups} rows"
    assert len(files) >= 3, f"--file-mib 1 gave {len(files)} file(s) of {sizes} bytes"
    assert all(size < 3 << 20 for size in sizes), sizes
    seen = []
    for key in files:
        seen += [(r["_source_object"], r["i"]) for r in
                 pq.read_table(home.root / key, columns=["_source_object", "i"]).to_pylist()]
    assert seen == [(k, i) for k in sorted(keys) for i in range(25_000)]


def test_a_source_being_promoted_is_reported_busy(home):
    """While another process holds a source's promotion lock (the file for it under
    <home>/locks/, held here with both flock and POSIX locks), `promote` reports that
    source `busy`, exits 3, writes nothing for it and promotes the other sources; once
    the lock is released the source is promoted."""
    import fcntl

    home.ingest("held", "a.ndjson", '{"x": 1}\n')
    home.ingest("free", "b.ndjson", '{"y": 1}\n')
    home.promote()
    home.ingest("held", "c.ndjson", '{"x": 2}\n')
    home.ingest("free", "d.ndjson", '{"y": 2}\n')
    [lock] = [p for p in (home.root / "locks").iterdir() if "held" in p.name]
    with open(lock, "r+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        before = listing(home.root / "curated" / "held")
        _, out = home.promote(expect_rc=3)
        assert (out["held"]["status"], out["free"]["status"]) == ("busy", "promoted"), out
        assert listing(home.root / "curated" / "held") == before
    _, out = home.promote()
    assert (out["held"]["status"], out["held"]["rows"]) == ("promoted", 1)
    assert home.tables()["held"]["rows"] == 2


def test_widened_table_reads_with_pyarrow_dataset_and_no_options(home):
    """DESIGN.md §6: curated tables are readable by pyarrow with no options. After an
    int64 → float64 widening (an ACTIVE version) the table holds a file of the old run
    (qty int64) and one of the new (qty double); pyarrow.dataset over the table folder,
    with no schema given, still reads every row, qty as the widened type."""
    home.ingest("wide", "a.ndjson", '{"id": 1, "qty": 2}\n{"id": 2, "qty": 3}\n')
    home.promote()
    assert home.ingest("wide", "b.ndjson", '{"id": 3, "qty": 2.5}\n')["schema_status"] == "ACTIVE"
    home.promote()
    entry = home.tables()["wide"]
    assert duckdb_count(entry["sql"]) == 3
    rows = ds.dataset(entry["path"], format="parquet").to_table(columns=["id", "qty"]).to_pylist()
    assert sorted((r["id"], r["qty"]) for r in rows) == [(1, 2.0), (2, 3.0), (3, 2.5)]


def test_duplicate_keys_and_extra_csv_cells_are_rescued(home):
    """A second value for a field already filled in the same record (a duplicate key) is
    rescued under its path, the first one is the column's; a third and later one under
    path#3, path#4…, so `_rescued_data` never holds a key twice (audit 2026-11-24: JSON
    readers kept one of them). A CSV cell beyond the header's columns is rescued as
    column<N> (its 0-based position), as a JSON string."""
    home.ingest("dup", "d.ndjson", '{"a": 1, "b": "x", "l": [{"p": 1}]}\n'
                                   '{"a": 2, "a": 3, "b": "y", "a": 4, "l": []}\n'
                                   '{"a": 5, "b": "z", "l": [{"p": 1}, {"p": 2, "p": 3, "p": 4}]}\n')
    home.ingest("wide-csv", "w.csv", "a,b\n1,x\n2,y,extra\n3,z\n")
    _, out = home.promote()
    assert out["dup"]["rescued_rows"] == 2 and out["wide-csv"]["rescued_rows"] == 1

    def unique_keys(pairs):
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), f"a key twice: {pairs}"
        return dict(pairs)

    rows = [r for k in home.tables()["dup"]["file_keys"] for r in pq.read_table(home.root / k).to_pylist()]
    assert [(r["a"], r["b"], r["_rescued_data"] and
             json.loads(r["_rescued_data"], object_pairs_hook=unique_keys)) for r in rows] == [
        (1, "x", None), (2, "y", {"a": 3, "a#2": 4}),
        (5, "z", {"l[1].p": 3, "l[1].p#2": 4})]
    rows = [r for k in home.tables()["wide-csv"]["file_keys"]
            for r in pq.read_table(home.root / k).to_pylist()]
    assert [(r["a"], r["b"], r["_rescued_data"] and json.loads(r["_rescued_data"])) for r in rows] == [
        (1, "x", None), (2, "y", {"column2": "extra"}), (3, "z", None)]


@pytest.mark.parametrize("recorded", [True, False], ids=["recorded-layout", "registry-from-before"])
def test_promotion_reads_each_payload_as_the_profiler_did(home, recorded):
    """A payload is bound with the format and CSV dialect its profile recorded (ADR-044),
    not re-decided from its content: a `.csv` object whose lines look like NDJSON was
    profiled as one-column CSV (its header is `{"a":1}`), and promotion gives that one
    row, not two NDJSON records. A registry from before layouts were recorded (the column
    NULL) falls back to what the profiler did then: the key's extension, then content."""
    entry = home.ingest("looks-like-json", "x.csv", '{"a":1}\n{"a":2}\n')
    assert entry["records"] == 1
    semi = home.ingest("semicolons", "s.csv", "id;memo\r\n1;'a; b'\r\n2;'c'\r\n")
    assert semi["records"] == 2
    with sqlite3.connect(home.root / "registry.db") as db:
        layouts = dict(db.execute("SELECT object, layout FROM payloads"))
        assert json.loads(layouts[entry["landed"]])["format"] == "csv"
        assert json.loads(layouts[semi["landed"]])["csv"]["delimiter"] == ";"
        if not recorded:
            db.execute("UPDATE payloads SET layout = NULL")
    db.close()

    _, out = home.promote()
    assert out["looks-like-json"]["rows"] == 1 and out["semicolons"]["rows"] == 2
    [row] = [r for k in home.tables()["looks-like-json"]["file_keys"]
             for r in pq.read_table(home.root / k).to_pylist()]
    data = [v for k, v in row.items() if k not in LINEAGE]
    # Its quotes are text: a quote opens quoting only at a cell's start (CSV audit 2026-11-24).
    assert data == ['{"a":2}'] and row["_rescued_data"] is None, row
    rows = [r for k in home.tables()["semicolons"]["file_keys"]
            for r in pq.read_table(home.root / k).to_pylist()]
    assert [(r["id"], r["memo"]) for r in rows] == [(1, "a; b"), (2, "c")]
