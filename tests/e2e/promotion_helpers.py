"""Helpers for the end-to-end tests of `latebind promote` and `latebind tables`.

docs/promotion.md is the contract these helpers read the binary against. Nothing here
imitates the engine: raw objects are read back with pyarrow's own JSON and CSV readers,
curated tables with pyarrow (the files `tables --json` lists) and with DuckDB (the `sql`
it prints), and the expected cell of every column is derived from the raw value by the
binding table of the doc (`bind`), so a test compares two independent readings.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from test_serve import meta_key

LINEAGE = ["_rescued_data", "_source_object", "_ingested_at"]
TS = pa.timestamp("us", tz="UTC")
UTC = dt.timezone.utc
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
INT_TEXT_RE = re.compile(r"^[+-]?\d+$")
CURATED_KEY_RE = re.compile(
    r"^curated/(?P<table>[^/]+)/ingest_date=(?P<date>\d{4}-\d{2}-\d{2})/"
    r"part-(?P<run>[0-9A-Za-z]+)-(?P<n>\d+)\.parquet$")


# ---------------------------------------------------------------------------------------------
# Driving the binary
# ---------------------------------------------------------------------------------------------


class Home:
    """A latebind home driven through the real binary (`LatebindCLI` from conftest.py)."""

    def __init__(self, latebind, root: Path, inputs: Path | None = None):
        self.cli = latebind
        self.root = Path(root)
        self.inputs = Path(inputs) if inputs is not None else self.root.parent / "inputs"
        self._n = 0

    def run(self, *args, timeout: float = 60):
        return self.cli.run("--home", self.root, *args, timeout=timeout)

    def ok(self, *args, timeout: float = 60):
        res = self.run(*args, timeout=timeout)
        assert res.returncode == 0, res.describe()
        return res

    def ingest(self, source: str, name: str, content: str | bytes, expect_rc: int = 0) -> dict:
        """Lands one file as a payload of `source` (profiled before `ingest` returns) and
        returns its entry of `ingest --json` (landed key, schema_version, schema_status)."""
        self.inputs.mkdir(parents=True, exist_ok=True)
        self._n += 1
        path = self.inputs / f"{self._n:04d}-{name}"
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        res = self.run("ingest", "--source", source, "--json", path)
        assert res.returncode == expect_rc, res.describe()
        [entry] = res.json()
        assert not entry["dead_lettered"], entry
        return entry

    def promote(self, *args, expect_rc: int | None = 0, timeout: float = 120):
        """`promote --json ARGS`: (the Result, {source: its entry}); checks the exit code
        unless expect_rc is None."""
        res = self.run("promote", "--json", *args, timeout=timeout)
        if expect_rc is not None:
            assert res.returncode == expect_rc, res.describe()
        doc = res.json()
        assert set(doc) >= {"sources"}, doc
        by_source = {}
        for entry in doc["sources"]:
            assert entry["source"] not in by_source, f"source reported twice: {doc}"
            by_source[entry["source"]] = entry
        return res, by_source

    def tables(self) -> dict[str, dict]:
        """`tables --json`, by table name."""
        doc = self.ok("tables", "--json").json()
        assert set(doc) >= {"tables"}, doc
        return {t["table"]: t for t in doc["tables"]}

    def resolve(self, source: str, version: int, *maps: str, note: str = "confirmed by a person"):
        args = ["schema", "resolve", source, "--version", str(version), "--status", "ACTIVE",
                "--note", note]
        for m in maps:
            args += ["--map", m]
        return self.ok(*args)

    def meta(self, raw_key: str) -> dict:
        return json.loads((self.root / meta_key(raw_key)).read_text())


def raw_date(key: str) -> str:
    m = re.search(r"/date=(\d{4}-\d{2}-\d{2})/", key)
    assert m, key
    return m.group(1)


def parse_iso(text: str) -> dt.datetime:
    """An ISO-8601 timestamp (T or space, optional fraction, Z/offset; no offset = UTC)."""
    t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC)


def is_iso_timestamp(text: str) -> bool:
    if not re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text):
        return False
    try:
        parse_iso(text)
    except ValueError:
        return False
    return True


def listing(root: Path) -> dict[str, tuple[int, int]]:
    """{relative path: (size, mtime_ns)} of every file and directory under root, less the
    registry (registry.db and its -wal/-shm/-journal), which a read-only run may touch."""
    out = {}
    for p in sorted(Path(root).rglob("*")):
        rel = p.relative_to(root).as_posix()
        if rel.startswith("registry.db"):
            continue
        st = p.stat()
        out[rel + ("/" if p.is_dir() else "")] = (st.st_size if p.is_file() else 0, st.st_mtime_ns)
    return out


def files_under(root: Path) -> list[str]:
    root = Path(root)
    if not root.exists():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def curated_parquet(home: Path) -> set[str]:
    """Every *.parquet file under <home>/curated, as home-relative keys."""
    return {f"curated/{k}" for k in files_under(Path(home) / "curated") if k.endswith(".parquet")}


# ---------------------------------------------------------------------------------------------
# Reading raw objects with pyarrow's readers
# ---------------------------------------------------------------------------------------------


def read_raw_json(path: Path, string_fields: list[str] = ()) -> list[dict]:
    """The records of an NDJSON raw object, read by pyarrow.json. `string_fields` are read
    as text (pyarrow would otherwise infer ISO dates as timestamps of its own)."""
    opts = pajson.ParseOptions(
        explicit_schema=pa.schema([(f, pa.string()) for f in string_fields]),
        unexpected_field_behavior="infer") if string_fields else None
    return pajson.read_json(path, parse_options=opts).to_pylist()


def read_raw_csv(path: Path) -> list[dict]:
    """The rows of a CSV raw object, read by pyarrow.csv with every column as text and an
    empty cell as null (the binding rules decide what the text means)."""
    header = pacsv.read_csv(path).column_names
    table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types={c: pa.string() for c in header}, strings_can_be_null=True,
        null_values=[""], quoted_strings_can_be_null=True))
    return table.to_pylist()


# ---------------------------------------------------------------------------------------------
# Reading curated tables
# ---------------------------------------------------------------------------------------------


@dataclass
class CuratedFile:
    key: str
    ingest_date: str
    table: pa.Table


def read_curated_files(home: Path, entry: dict) -> list[CuratedFile]:
    """Each file `tables --json` lists for a table, read by pyarrow.parquet, in key order."""
    out = []
    for key in sorted(entry["file_keys"]):
        m = CURATED_KEY_RE.match(key)
        assert m and m["table"] == entry["table"], key
        out.append(CuratedFile(key, m["date"], pq.read_table(Path(home) / key)))
    return out


def duckdb_rows(sql: str) -> list[dict]:
    import duckdb

    con = duckdb.connect()
    try:
        return con.execute(sql).to_arrow_table().to_pylist()
    finally:
        con.close()


def duckdb_count(sql: str) -> int:
    import duckdb

    con = duckdb.connect()
    try:
        return con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]
    finally:
        con.close()


def shape(t: pa.DataType):
    """A type with list item names dropped (Parquet calls them `element`, Arrow `item`)."""
    if pa.types.is_struct(t):
        return ("struct", tuple((t.field(i).name, shape(t.field(i).type)) for i in range(t.num_fields)))
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return ("list", shape(t.value_type))
    return str(t)


def all_nullable(t: pa.DataType) -> bool:
    if pa.types.is_struct(t):
        return all(t.field(i).nullable and all_nullable(t.field(i).type) for i in range(t.num_fields))
    if pa.types.is_list(t):
        return t.value_field.nullable and all_nullable(t.value_type)
    return True


def assert_schema(schema: pa.Schema, expected: list[tuple[str, pa.DataType]]) -> None:
    """The file's columns are exactly `expected` plus the lineage columns, in order, each
    nullable (members and list items too)."""
    want = [(n, shape(t)) for n, t in expected] + [
        ("_rescued_data", "string"), ("_source_object", "string"), ("_ingested_at", shape(TS))]
    got = [(f.name, shape(f.type)) for f in schema]
    assert got == want, f"columns differ:\n got {got}\nwant {want}"
    for f in schema:
        assert f.nullable and all_nullable(f.type), f"{f} is not nullable throughout"


# ---------------------------------------------------------------------------------------------
# The binding table of docs/promotion.md, applied to raw values
# ---------------------------------------------------------------------------------------------

_MISSING = object()


class Binder:
    """bind(value, type, path) -> the cell expected in the curated table; every value that
    does not fit is collected in `rescued` under its path, as it was in the raw record.

    `csv` switches to the CSV rules (values are text; rescued as JSON strings). JSON values
    come from pyarrow.json, which reads a field holding both integers and fractions as
    doubles: an int64 column therefore takes a double with no fraction as the integer it
    was (the tests never write integral fractions such as 2.0 into an int64 field).
    """

    def __init__(self, csv: bool = False):
        self.csv = csv
        self.rescued: dict[str, object] = {}

    def _rescue(self, path: str, value):
        self.rescued[path] = value
        return None

    def bind(self, value, t: pa.DataType, path: str):
        if value is None:
            return None
        if self.csv:
            return self._bind_csv(value, t, path)
        if pa.types.is_boolean(t):
            return value if isinstance(value, bool) else self._rescue(path, value)
        if pa.types.is_int64(t):
            if isinstance(value, bool):
                return self._rescue(path, value)
            if isinstance(value, int):
                return value
            if isinstance(value, float) and value.is_integer():
                return int(value)
            return self._rescue(path, value)
        if pa.types.is_float64(t):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
            return self._rescue(path, value)
        if pa.types.is_string(t):
            if isinstance(value, str):
                return value
            if isinstance(value, (bool, int, float)):
                return json.dumps(value)
            if isinstance(value, (dict, list)):
                return json.dumps(value, separators=(",", ":"))
            return self._rescue(path, value)
        if pa.types.is_date32(t):
            if isinstance(value, str) and DATE_RE.match(value):
                try:
                    return dt.date.fromisoformat(value)
                except ValueError:
                    pass
            return self._rescue(path, value)
        if pa.types.is_timestamp(t):
            if isinstance(value, str) and is_iso_timestamp(value):
                return parse_iso(value)
            return self._rescue(path, value)
        if pa.types.is_struct(t):
            if not isinstance(value, dict):
                return self._rescue(path, value)
            out = {}
            known = set()
            for i in range(t.num_fields):
                f = t.field(i)
                known.add(f.name)
                out[f.name] = self.bind(value.get(f.name), f.type, f"{path}.{f.name}")
            for k, v in value.items():
                if k not in known and v is not None:
                    self._rescue(f"{path}.{k}", v)
            return out
        if pa.types.is_list(t):
            if not isinstance(value, list):
                return self._rescue(path, value)
            return [self.bind(v, t.value_type, f"{path}[{i}]") for i, v in enumerate(value)]
        raise AssertionError(f"no binding rule for {t}")

    def _bind_csv(self, text: str, t: pa.DataType, path: str):
        if pa.types.is_string(t):
            return text
        if pa.types.is_boolean(t):
            low = text.lower()
            return {"true": True, "false": False}[low] if low in ("true", "false") else self._rescue(path, text)
        if pa.types.is_int64(t):
            return int(text) if INT_TEXT_RE.match(text) else self._rescue(path, text)
        if pa.types.is_float64(t):
            try:
                return float(text)
            except ValueError:
                return self._rescue(path, text)
        if pa.types.is_date32(t):
            if DATE_RE.match(text):
                try:
                    return dt.date.fromisoformat(text)
                except ValueError:
                    pass
            return self._rescue(path, text)
        if pa.types.is_timestamp(t):
            return parse_iso(text) if is_iso_timestamp(text) else self._rescue(path, text)
        raise AssertionError(f"no CSV binding rule for {t}")


def expected_row(record: dict, schema: pa.Schema, columns: dict[str, str], csv: bool = False,
                 paths: dict[str, list[str]] | None = None) -> tuple[dict, dict]:
    """(expected cells by column, expected _rescued_data as a dict) for one raw record.

    `columns` maps a raw top-level field name to its column name (identity when absent);
    `paths` maps a column to the raw names that fill it (a confirmed rename), first found
    wins. A raw field with no column is rescued under its name."""
    binder = Binder(csv=csv)
    inverse = {}
    for raw_name, col in columns.items():
        inverse.setdefault(col, []).append(raw_name)
    if paths:
        inverse.update(paths)
    cells = {}
    used = set()
    for f in schema:
        if f.name in LINEAGE:
            continue
        names = inverse.get(f.name, [f.name])
        raw_name = next((n for n in names if record.get(n) is not None), names[0])
        used.update(names)
        cells[f.name] = binder.bind(record.get(raw_name), f.type, raw_name)
    for k, v in record.items():
        if k not in used and v is not None:
            binder.rescued[k] = v
    return cells, binder.rescued


def close(a, b) -> bool:
    """Equality, with NaN-free floats compared exactly and nested containers recursively."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b
