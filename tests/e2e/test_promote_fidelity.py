"""End to end: promotion keeps every value as the profiler judged it (docs/promotion.md,
"Binding a value"). Each test is a regression test for a fidelity bug found by an audit:
a value the registry judged to fit its column is bound, one it judged not to fit is
rescued (never silently reshaped), numbers keep their JSON text where the table holds
text, and the curated layout and its SQL stay readable whatever the data and the home.
"""
from __future__ import annotations

import datetime as dt
import json

import pyarrow.dataset as ds
import pytest

from promotion_helpers import Home, duckdb_count, duckdb_rows

UTC = dt.timezone.utc


@pytest.fixture
def home(latebind, tmp_path) -> Home:
    return Home(latebind, tmp_path / "home")


def table_rows(home: Home, table: str, columns: list[str]) -> list[tuple]:
    """The table's rows, read with DuckDB through the SQL `tables --json` prints (one file
    here, read in order: raw-object order, then record order)."""
    rows = duckdb_rows(home.tables()[table]["sql"])
    return [tuple(r[c] for c in columns) for r in rows]


def rescued(text: str | None):
    return None if text is None else json.loads(text)


def test_integers_beyond_64_bits_do_not_block_the_source(home):
    """Audit bug 1: an integer literal beyond 64 bits (simdjson rejects it) is profiled as
    float64; promotion used to fail the whole source on it, on every run. It binds as the
    profiler read it: a double in a float64 column, with its exact text rescued (ADR-100),
    its digits in a string column."""
    home.ingest("s", "bigint.ndjson", '{"a":1}\n{"a":123456789012345678901234567890}\n')
    home.ingest("s", "good.ndjson", '{"a":2}\n')
    home.ingest("t", "mixed.ndjson",
                '{"s":"x"}\n{"s":-123456789012345678901234567890}\n{"s":18446744073709551616}\n')
    _, out = home.promote()
    assert out["s"]["status"] == "promoted" and out["s"]["rows"] == 3
    assert table_rows(home, "s", ["a", "_rescued_data"]) == [
        (1.0, None), (1.2345678901234568e29, '{"a":123456789012345678901234567890}'),
        (2.0, None)]
    assert table_rows(home, "t", ["s", "_rescued_data"]) == [
        ("x", None), ("-123456789012345678901234567890", None), ("18446744073709551616", None)]


def test_numbers_beyond_float64_are_rescued_with_their_text(home):
    """A JSON number beyond float64 (1e400, which simdjson rejects) dead-lettered the whole
    payload. It is accepted now: a float64 column rescues it digit for digit, a string
    column holds its text, and the records around it bind as usual."""
    home.ingest("s", "huge.ndjson",
                '{"a":1.5,"s":"x"}\n{"a":1e400,"s":-1E+999}\n{"a":2,"s":"y"}\n')
    _, out = home.promote()
    assert out["s"]["status"] == "promoted" and out["s"]["rows"] == 3
    rows = table_rows(home, "s", ["a", "s", "_rescued_data"])
    assert [(a, s, rescued(r)) for a, s, r in rows] == [
        (1.5, "x", None), (None, "-1E+999", {"a": float("inf")}), (2.0, "y", None)]
    [text] = [r for _, _, r in rows if r]
    assert text == '{"a":1e400}'  # the text itself, not a reshaped number


def test_csv_text_the_registry_judged_not_to_fit_is_rescued(home):
    """Audit bug 2: text casts were more lenient than the profiler, so values the registry
    judged not to fit (a BREAKING version, deprecated) were silently changed: "007" → 7,
    "0x1F" → 31, "inf"/"1e400"/"NaN" → inf/nan, "1"/"0" → true/false. They are rescued;
    "+5", an integer to the profiler, binds."""
    home.ingest("s", "dep1.csv", "acct,amt,ok\n100,1.5,true\n+5,2,FALSE\n")
    entry = home.ingest("s", "dep2.csv", "acct,amt,ok\n007,inf,1\n0x1F,1e400,0\n12,NaN,true\n")
    assert entry["schema_version"] == 2 and entry["schema_status"] == "BREAKING"
    home.ok("schema", "resolve", "s", "--version", "2", "--status", "DEPRECATED", "--note", "x")
    _, out = home.promote()
    assert out["s"]["rescued_rows"] == 3
    rows = table_rows(home, "s", ["acct", "amt", "ok", "_rescued_data"])
    assert [r[:3] + (rescued(r[3]),) for r in rows] == [
        (100, 1.5, True, None),
        (5, 2.0, False, None),
        (None, None, None, {"acct": "007", "amt": "inf", "ok": "1"}),
        (None, None, None, {"acct": "0x1F", "amt": "1e400", "ok": "0"}),
        (12, None, True, {"amt": "NaN"}),
    ]


def test_timestamps_the_profiler_takes_bind_and_lose_nothing(home):
    """Audit bug 2, the other way: texts the profiler types timestamp that Arrow's parser
    refused were rescued and left null. They bind; a fraction finer than microseconds is
    truncated and a leap second is the next minute's first, with the exact text rescued
    too, so nothing is lost. A text the profiler does not type timestamp is rescued."""
    values = ["2024-01-01T00:00:00.123456789Z", "2016-12-31T23:59:60Z", "2024-01-01t10:00:00z",
              "2024-01-01T00:00:00,5Z", "2024-01-01T00:00:00.250000000Z"]
    home.ingest("ts", "t.ndjson", "".join(json.dumps({"t": v}) + "\n" for v in values))
    home.ingest("ts-csv", "t.csv", "t\n" + "\n".join(values) + "\n")
    _, out = home.promote()
    expected = [
        (dt.datetime(2024, 1, 1, 0, 0, 0, 123456, UTC), {"t": values[0]}),
        (dt.datetime(2017, 1, 1, tzinfo=UTC), {"t": values[1]}),
        (dt.datetime(2024, 1, 1, 10, tzinfo=UTC), None),
        (dt.datetime(2024, 1, 1, 0, 0, 0, 500000, UTC), None),
        (dt.datetime(2024, 1, 1, 0, 0, 0, 250000, UTC), None),
    ]
    for table in ("ts", "ts-csv"):
        assert out[table]["rows"] == 5 and out[table]["rescued_rows"] == 2
        rows = table_rows(home, table, ["t", "_rescued_data"])
        assert [(t.astimezone(UTC), rescued(r)) for t, r in rows] == expected, table


def test_numbers_in_string_columns_keep_their_json_text(home):
    """Audit bug 5: a number in a string column, or rescued, is its JSON text as written,
    not the text of the double it parses to (1.10 stayed 1.1, 1E5 became 100000.0)."""
    home.ingest("n", "n.ndjson",
                '{"s":"a","b":true}\n{"s":1.10}\n{"s":12345678901234567.89}\n{"s":1E5}\n'
                '{"s":-0}\n')
    assert home.ingest("n", "m.ndjson", '{"s":"b","b":2.50}\n{"s":"c","b":-0}\n')["schema_status"] == "BREAKING"
    home.promote("--override-breaking")
    rows = table_rows(home, "n", ["s", "_rescued_data"])
    # JSON's -0 is an integer the parser holds as 0: its sign is only in the text.
    assert [s for s, _ in rows] == ["a", "1.10", "12345678901234567.89", "1E5", "-0", "b", "c"]
    assert [r for _, r in rows[-2:]] == ['{"b":2.50}', '{"b":-0}']


def test_a_field_named_ingest_date_is_renamed_not_shadowed(home):
    """Audit bug 3: readers add the hive partition key `ingest_date=` of the curated
    layout as a column, so a field of that name lost its values (DuckDB returned the
    partition's, pyarrow failed to merge). The field is renamed like a lineage column
    (`ingest_date_2`) and its values survive in DuckDB and pyarrow."""
    home.ingest("d", "d.ndjson",
                '{"ingest_date":"2020-01-01","v":1}\n{"ingest_date":"2020-02-02","v":2}\n')
    _, out = home.promote()
    [key] = out["d"]["files"]
    arrived = dt.date.fromisoformat(key.split("ingest_date=")[1][:10])
    entry = home.tables()["d"]
    rows = duckdb_rows(entry["sql"] + " ORDER BY v")
    assert [(r["v"], r["ingest_date_2"], r["ingest_date"]) for r in rows] == [
        (1, dt.date(2020, 1, 1), arrived), (2, dt.date(2020, 2, 2), arrived)]
    table = ds.dataset(entry["path"], format="parquet", partitioning="hive").to_table()
    assert sorted(table.column("ingest_date_2").to_pylist()) == [dt.date(2020, 1, 1),
                                                                  dt.date(2020, 2, 2)]


def test_tables_sql_quotes_a_home_with_a_quote(latebind, tmp_path):
    """Audit bug 4: the SQL `tables` prints broke when the home path held a single quote;
    the path is an SQL string literal with the quote doubled."""
    home = Home(latebind, tmp_path / "o'brien's home")
    home.ingest("q", "q.ndjson", '{"x":1}\n{"x":2}\n')
    home.promote()
    entry = home.tables()["q"]
    assert "o''brien''s home" in entry["sql"]
    assert duckdb_count(entry["sql"]) == 2


def test_keys_holding_dots_or_brackets_are_fields_of_their_own(home):
    """A JSON key or a CSV header holding '.', '[', ']' or '\\' ("price.usd", "tags[]") is
    one field, its path escaped ("price\\.usd", DESIGN §4's paths extended by ADR-061).
    It used to read as a nested path: the key "a.b" and the member b of an object a were
    one registry field listed twice, "price.usd" of a CSV became a column "price" of nulls,
    and every such value was rescued instead of bound."""
    home.ingest("j", "j.ndjson",
                '{"a.b":1,"a":{"b":2},"c[]":"x","k\\\\":true}\n'
                '{"a.b":3,"a":{"b":4},"c[]":"y","k\\\\":false}\n')
    home.ingest("c", "c.csv", "id,price.usd,tags[]\n1,2.5,a\n2,3.5,b\n")
    paths = {s: [f["path"] for f in home.ok("schema", "show", s, "--json").json()["fields"]]
             for s in ("j", "c")}
    assert paths == {"j": ["a\\.b", "a", "a.b", "c\\[\\]", "k\\\\"],
                     "c": ["id", "price\\.usd", "tags\\[\\]"]}
    _, out = home.promote()
    assert out["j"]["rescued_rows"] == 0 and out["c"]["rescued_rows"] == 0
    assert table_rows(home, "j", ["a_b", "a", "c__", "k_", "_rescued_data"]) == [
        (1, {"b": 2}, "x", True, None), (3, {"b": 4}, "y", False, None)]
    assert table_rows(home, "c", ["id", "price_usd", "tags__", "_rescued_data"]) == [
        (1, 2.5, "a", None), (2, 3.5, "b", None)]

    # A value that does not fit is rescued under the key's escaped path.
    assert home.ingest("j", "k.ndjson", '{"a.b":"N/A","a":{"b":5}}\n')["schema_status"] == \
        "BREAKING"
    _, out = home.promote("--override-breaking")
    rows = table_rows(home, "j", ["a_b", "a", "_rescued_data"])
    assert rows[-1][:2] == (None, {"b": 5}) and rescued(rows[-1][2]) == {"a\\.b": "N/A"}


def test_ids_past_2_pow_53_keep_their_exact_text_when_their_field_widens(home):
    """Profiler audit 2026-11-24: an int64 field widened to float64 (one record held 1.5)
    rewrote the table, and ids past 2^53 promoted exactly before came back rounded
    (9007199254740993 → 9007199254740992.0), nothing in _rescued_data. The column holds the
    nearest double and the exact text is rescued too (ADR-099); pyarrow and DuckDB agree."""
    home.ingest("ids", "a.ndjson", '{"id":9007199254740993}\n{"id":42}\n')
    home.promote()
    assert [i for i, _ in table_rows(home, "ids", ["id", "_rescued_data"])] == [
        9007199254740993, 42]
    assert home.ingest("ids", "b.ndjson", '{"id":1.5}\n')["schema_status"] == "ACTIVE"
    home.promote()
    rows = table_rows(home, "ids", ["id", "_rescued_data"])
    assert [(i, rescued(r)) for i, r in rows] == [
        (9007199254740992.0, {"id": 9007199254740993}), (42.0, None), (1.5, None)]
    text = duckdb_rows(f"SELECT _rescued_data FROM read_parquet('{home.root}/curated/ids/**/*.parquet') "
                       "WHERE _rescued_data IS NOT NULL")
    assert [json.loads(r["_rescued_data"]) for r in text] == [{"id": 9007199254740993}]


def test_integers_beyond_64_bits_keep_their_exact_text(home):
    """ADR-100: an integer beyond 64 bits is a float64 to the profiler; its column held the
    nearest double and nothing else, in JSON and CSV alike. Its exact text is rescued too
    (see also test_integers_beyond_64_bits_do_not_block_the_source), unless the double is
    exact (2^70)."""
    big = 123456789012345678901234
    home.ingest("big", "a.ndjson", f'{{"id":{2**70}}}\n{{"id":1.5}}\n')
    home.ingest("bigcsv", "a.csv", f"id,n\n{big},1\n{-2**70},2\n7,3\n")
    home.promote()
    assert table_rows(home, "big", ["id", "_rescued_data"]) == [(float(2**70), None), (1.5, None)]
    assert [(i, rescued(r)) for i, r in table_rows(home, "bigcsv", ["id", "_rescued_data"])] == [
        (float(big), {"id": str(big)}), (float(-2**70), None), (7.0, None)]


def test_the_empty_top_level_key_is_a_column_of_its_own(home):
    """Promotion audit 2026-11-24: the empty top-level key's path was "", the record's own,
    so its member x became a phantom top-level column x, the real top-level x was rescued
    and the struct nested itself 16 levels deep. Its path is "." now (ADR-103)."""
    home.ingest("ek", "a.ndjson", '{"":{"x":1},"x":"s"}\n{"":{"x":2},"x":"t"}\n')
    home.promote()
    table = ds.dataset(str(home.root / "curated" / "ek"), format="parquet",
                       partitioning="hive").to_table()
    assert str(table.schema.field("_").type) == "struct<x: int64>"
    assert [(r["_"], r["x"], r["_rescued_data"]) for r in table.to_pylist()] == [
        ({"x": 1}, "s", None), ({"x": 2}, "t", None)]


def test_a_repeated_csv_header_never_takes_another_columns_name(home):
    """Promotion audit 2026-11-24: in `a,a,a_1` the repeated a was named a_1 and the real
    a_1 became a_1_1, so the column a_1 mixed two fields across files. A suffix skips the
    names the header gives (ADR-104)."""
    home.ingest("d", "d6.csv", "a,a_1\n1,100\n")
    home.ingest("d", "d7.csv", "a,a,a_1\n2,999,200\n")
    home.promote()
    assert table_rows(home, "d", ["a", "a_1", "a_2"]) == [(1, 100, None), (2, 200, 999)]


def test_a_rename_continued_by_a_narrower_type_keeps_the_wider_column(home):
    """Promotion audit 2026-11-24: after cost=price (int64 continuing float64) the table was
    rewritten with price int64, and the promoted 2.5 left its column for _rescued_data. The
    column keeps the widest type of the fields filling it (ADR-106)."""
    home.ingest("nr", "a.ndjson", '{"id":1,"price":2.5}\n')
    home.promote()
    home.ingest("nr", "b.ndjson", '{"id":2,"cost":3}\n')
    home.resolve("nr", 2, "cost=price")
    home.promote()
    assert table_rows(home, "nr", ["id", "price", "_rescued_data"]) == [
        (1, 2.5, None), (2, 3.0, None)]


def test_a_removed_field_back_with_an_incompatible_type_is_breaking(home):
    """Promotion audit 2026-11-24: b removed, resolved, then back as an object was only
    "added" (ACTIVE, FULL), and the next promotion rewrote column b as a struct, moving the
    promoted b=2 into _rescued_data. It is a type change now (ADR-107): BREAKING blocks it."""
    home.ingest("rm", "a.ndjson", '{"a":1,"b":2}\n')
    home.ingest("rm", "b.ndjson", '{"a":3}\n')
    home.resolve("rm", 2)
    home.promote()
    assert home.ingest("rm", "c.ndjson", '{"a":4,"b":{"k":1}}\n')["schema_status"] == "BREAKING"
    _, out = home.promote(expect_rc=3)
    assert out["rm"]["status"] == "blocked" and out["rm"]["breaking_versions"] == [3], out
    assert table_rows(home, "rm", ["a", "b"]) == [(1, 2), (3, None)]


def test_values_nested_past_the_column_limit_are_json_text_every_reader_reads(home):
    """Profiler audit 2026-11-24: one additive payload nested ~120 levels made pyarrow
    refuse the whole table, earlier rows included ("current limit is 100"), and DuckDB
    crawled on deep lists. Columns nest at most 16 levels; deeper values are JSON text."""
    def nest(depth: int, leaf):
        for _ in range(depth):
            leaf = {"k": leaf}
        return leaf

    home.ingest("deep", "a.ndjson", '{"id":1}\n')
    home.promote()
    records = [{"id": 2, "x": nest(119, 5), "l": nest(0, [[[[[[[[[[[[[[[[[[[[7]]]]]]]]]]]]]]]]]]]])}]
    home.ingest("deep", "b.ndjson", "".join(json.dumps(r) + "\n" for r in records))
    home.promote()
    table = ds.dataset(str(home.root / "curated" / "deep"), format="parquet",
                       partitioning="hive").to_table()
    rows = table.to_pylist()
    assert [r["id"] for r in rows] == [1, 2] and all(r["_rescued_data"] is None for r in rows)
    x = rows[1]["x"]
    for _ in range(15):  # 16 levels of structs, the 16th holding its child's JSON text
        x = x["k"]
    assert json.loads(x["k"]) == nest(103, 5)
    assert duckdb_count(f"SELECT * FROM read_parquet('{home.root}/curated/deep/**/*.parquet')") == 2


def test_numbers_too_small_for_float64_keep_their_exact_text(home):
    """Profiler audit 2026-11-24: JSON 1e-400 became 0.0 silently (the parser underflows to
    zero). 0.0 is its nearest double; its exact text is rescued too (ADR-099)."""
    home.ingest("tiny", "t.ndjson", '{"x":1.5}\n{"x":1e-400}\n{"x":0.0}\n')
    home.promote()
    rows = table_rows(home, "tiny", ["x", "_rescued_data"])
    assert [x for x, _ in rows] == [1.5, 0.0, 0.0], rows
    assert [r for _, r in rows] == [None, '{"x":1e-400}', None], rows
