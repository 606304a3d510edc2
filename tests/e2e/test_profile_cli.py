"""End-to-end tests of `latebind profile`: inputs are generated in tmp_path, the binary is
run as a user would, and its exit code, stderr problem lines and --json output are checked.

Conventions (see conftest.py): `latebind.profile(...)` runs the binary with a 30 s timeout
and fails the test on a hang or a death by signal; `res.fields()` maps field path -> field
object of the first profile of the --json output.
"""
from __future__ import annotations

import gzip
import json
import random
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

# ----------------------------------------------------------------------------- helpers


def position(data: bytes, byte: int) -> tuple[int, int]:
    """1-based (line, byte column) of data[byte]."""
    line = data.count(b"\n", 0, byte) + 1
    line_start = data.rfind(b"\n", 0, byte) + 1
    return line, byte - line_start + 1


def line_span(data: bytes, lineno: int) -> tuple[int, int]:
    """[start, end) byte offsets of 1-based line `lineno`, excluding its '\\n'."""
    start = 0
    for _ in range(lineno - 1):
        start = data.index(b"\n", start) + 1
    end = data.find(b"\n", start)
    return start, len(data) if end < 0 else end


def assert_located(res, path: Path, *, warning: bool = False, line: int | None = None,
                   byte: int | None = None, contains: str | None = None, data: bytes | None = None,
                   require_col: bool = True):
    """Asserts stderr has a problem line `PATH:LINE:COL (byte N): [warning: ]message` with
    the given properties; with `data`, the column must agree with the byte offset."""
    candidates = [p for p in res.problems() if p.file == str(path) and p.warning == warning]
    assert candidates, f"no {'warning' if warning else 'error'} line for {path}\n{res.describe()}"
    for p in candidates:
        if p.line is None or (require_col and p.col is None):
            continue
        if line is not None and p.line != line:
            continue
        if byte is not None and p.byte != byte:
            continue
        if contains is not None and contains.lower() not in p.message.lower():
            continue
        if data is not None and p.col is not None:
            start, end = line_span(data, p.line)
            if not start <= p.byte <= end or p.byte != start + p.col - 1:
                continue
        return p
    want = f"line={line} byte={byte} contains={contains!r} (FILE:LINE{':COL' if require_col else ''} (byte N))"
    pytest.fail(f"no problem line matching {want}\n{res.describe()}")


def assert_bad_input(res):
    assert res.returncode == 2, res.describe()


def ndjson(records) -> str:
    return "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records)


# ----------------------------------------------------------------------- happy paths: JSON


def test_ndjson_nested_paths(latebind, write):
    recs = [
        {"id": 1, "a": {"b": {"c": 1}}, "tags": ["x", "y"], "items": [{"b": 1, "q": True}, {"b": 2}]},
        {"id": 2, "a": {"b": {"c": 2}}, "tags": [], "items": [{"b": 3}]},
        {"id": 3, "a": {"b": {"c": 3}, "d": "only-once"}, "tags": ["z"], "items": []},
    ]
    path = write("nested.ndjson", ndjson(recs))
    res = latebind.profile_json(path)
    prof = res.profile()
    assert prof["format"] == "ndjson"
    assert prof["compression"] == "none"
    assert prof["records"] == 3
    assert prof["bytes"] == path.stat().st_size
    assert prof["errors"] == 0 and prof["warnings"] == 0 and prof["problems"] == []
    f = res.fields()
    assert set(f) == {"id", "a", "a.b", "a.b.c", "a.d", "tags", "tags[]", "items", "items[]",
                      "items[].b", "items[].q"}
    assert f["a"]["type"] == "object" and f["a.b"]["type"] == "object"
    assert f["a.b.c"]["type"] == "int64" and f["a.b.c"]["present"] == 3
    assert (f["a.b.c"]["min"], f["a.b.c"]["max"]) == (1, 3)
    assert f["a.d"]["required"] is False and f["a.d"]["present"] == 1
    assert f["tags"]["type"] == "array" and f["tags"]["present"] == 3
    assert f["tags[]"]["type"] == "string" and f["tags[]"]["present"] == 3  # x, y, z
    assert f["items[]"]["type"] == "object" and f["items[]"]["present"] == 3
    assert f["items[].b"]["type"] == "int64" and f["items[].b"]["present"] == 3
    assert f["items[].b"]["required"] is True  # in every element object
    assert f["items[].q"]["type"] == "boolean" and f["items[].q"]["required"] is False
    # Parents come before their children.
    paths = [x["path"] for x in prof["fields"]]
    for p in paths:
        parent = re.sub(r"(\[\]|\.[^.\[\]]+)$", "", p)
        if parent != p and parent:
            assert paths.index(parent) < paths.index(p), paths


def test_json_array_of_objects(latebind, write):
    recs = [{"id": i, "name": f"n{i}", "score": i / 2} for i in range(50)]
    path = write("array.json", json.dumps(recs, indent=2))
    res = latebind.profile_json(path)
    prof = res.profile()
    assert prof["format"] == "json"
    assert prof["records"] == 50
    f = res.fields()
    assert f["id"]["type"] == "int64" and (f["id"]["min"], f["id"]["max"]) == (0, 49)
    assert f["name"]["type"] == "string" and f["name"]["present"] == 50
    assert f["score"]["type"] == "float64"
    assert (f["score"]["min"], f["score"]["max"]) == (0.0, 24.5)


def test_single_pretty_printed_object(latebind, write):
    doc = {"service": "api", "port": 8080, "limits": {"cpu": 1.5, "mem": "512Mi"}, "hosts": ["a", "b"]}
    path = write("config.json", json.dumps(doc, indent=4) + "\n")
    res = latebind.profile_json(path)
    prof = res.profile()
    assert prof["format"] == "json"
    assert prof["records"] == 1
    f = res.fields()
    assert set(f) == {"service", "port", "limits", "limits.cpu", "limits.mem", "hosts", "hosts[]"}
    assert f["port"]["type"] == "int64" and f["port"]["min"] == 8080
    assert f["limits.cpu"]["type"] == "float64"
    assert f["hosts[]"]["present"] == 2
    assert all(x["required"] for x in prof["fields"])


def test_concatenated_json_values(latebind, write):
    path = write("concat.json", '{"a": 1} {"a": 2}\n{\n  "a": 3\n}\n')
    res = latebind.profile_json(path)
    assert res.profile()["records"] == 3
    assert res.fields()["a"]["max"] == 3


def test_fields_listed_in_order_of_first_sight(latebind, write):
    # profile.h: fields are "parents before children, in order of first sight".
    recs = [{"zeta": 1, "alpha": 2, "mid": {"yy": 1, "bb": 2}}, {"zeta": 1, "new": 5, "alpha": 2}]
    res = latebind.profile_json(write("order.ndjson", ndjson(recs)))
    paths = [f["path"] for f in res.profile()["fields"]]
    assert paths == ["zeta", "alpha", "mid", "mid.yy", "mid.bb", "new"]


# ------------------------------------------------------------------------ happy paths: CSV


def test_csv_with_header(latebind, write):
    text = (
        "id,name,price,active,joined,seen_at,note\n"
        "1,alice,9.5,true,2024-01-05,2024-01-05T10:00:00Z,\n"
        "2,bob,10,false,2023-12-31,2024-01-06 11:30:00,hello\n"
        "3,carol,7.25,TRUE,2024-02-29,2024-02-29T23:59:59.999+01:00,\n"
    )
    path = write("people.csv", text)
    res = latebind.profile_json(path)
    prof = res.profile()
    assert prof["format"] == "csv"
    assert prof["records"] == 3
    assert prof["csv"] == {"delimiter": ",", "quote": '"', "escape": '"', "header": True, "bom": False,
                           "line_ending": "lf",
                           "columns": ["id", "name", "price", "active", "joined", "seen_at", "note"]}
    f = res.fields()
    assert [x["path"] for x in prof["fields"]] == prof["csv"]["columns"]
    assert f["id"]["type"] == "int64" and (f["id"]["min"], f["id"]["max"]) == (1, 3)
    assert f["name"]["type"] == "string" and (f["name"]["min"], f["name"]["max"]) == ("alice", "carol")
    assert f["price"]["type"] == "float64" and f["price"]["widened"] is True
    assert (f["price"]["min"], f["price"]["max"]) == (7.25, 10.0)
    assert f["active"]["type"] == "boolean"
    assert f["joined"]["type"] == "date"
    assert (f["joined"]["min"], f["joined"]["max"]) == ("2023-12-31", "2024-02-29")
    assert f["seen_at"]["type"] == "timestamp"
    assert f["note"]["type"] == "string" and f["note"]["nulls"] == 2 and f["note"]["present"] == 3


def test_csv_without_header(latebind, write):
    path = write("nohdr.csv", "1,alice,2024-01-05\n2,bob,2024-02-29\n3,carol,2023-12-31\n")
    res = latebind.profile_json(path)
    prof = res.profile()
    assert prof["records"] == 3  # the first row is data, not a header
    assert prof["csv"]["header"] is False
    assert prof["csv"]["columns"] == ["column0", "column1", "column2"]
    f = res.fields()
    assert f["column0"]["type"] == "int64" and f["column0"]["min"] == 1
    assert f["column1"]["type"] == "string"
    assert f["column2"]["type"] == "date"


@pytest.mark.parametrize(
    "delim,value_with_comma",
    [(";", "1,5"), ("\t", "Doe, Jane"), ("|", "a,b,c")],
    ids=["semicolon", "tab", "pipe"],
)
def test_csv_delimiters(latebind, write, delim, value_with_comma):
    rows = [["id", "label", "amount"]] + [[str(i), f"{value_with_comma}{i}", str(i * 10)] for i in range(1, 6)]
    path = write("d.csv", "".join(delim.join(r) + "\n" for r in rows))
    res = latebind.profile_json(path)
    prof = res.profile()
    assert prof["csv"]["delimiter"] == delim
    assert prof["csv"]["columns"] == ["id", "label", "amount"]
    assert prof["records"] == 5
    f = res.fields()
    assert f["id"]["type"] == "int64" and f["amount"]["type"] == "int64"
    assert (f["amount"]["min"], f["amount"]["max"]) == (10, 50)
    assert f["label"]["type"] == "string" and f["label"]["min"] == f"{value_with_comma}1"


@pytest.mark.parametrize("text, columns", [
    (",a,b\n0,1,2\n1,3,4\n", ["column0", "a", "b"]),  # pandas' to_csv(): its index
    ("a,b,\n1,2,\n3,4,\n", ["a", "b", "column2"]),   # a trailing comma
])
def test_csv_header_with_an_empty_name(latebind, write, text, columns):
    """CSV audit 2026-11-24: a header with an empty name was taken for a data row, and every
    column typed string with a conflict."""
    prof = latebind.profile_json(write("h.csv", text)).profile()
    assert prof["csv"]["header"] is True and prof["csv"]["columns"] == columns, prof["csv"]
    assert prof["records"] == 2 and prof["warnings"] == 0, prof
    assert [(f["path"], f["type"], f["conflict"]) for f in prof["fields"]] == [
        (c, "null" if c == "column2" else "int64", False) for c in columns]


def test_csv_quoted_newlines_and_doubled_quotes(latebind, write):
    text = (
        'id,text,n\n'
        '1,"line one\nline two",5\n'
        '2,"she said ""hi""",6\n'
        '3,"a,b",7\n'
        '4,"multi\n\nblank inside ""quoted""\n",8\n'
        '5,plain,9\n'
    )
    res = latebind.profile_json(write("q.csv", text))
    prof = res.profile()
    assert prof["records"] == 5
    assert prof["warnings"] == 0 and prof["errors"] == 0
    f = res.fields()
    assert f["n"]["type"] == "int64" and (f["n"]["min"], f["n"]["max"]) == (5, 9)
    expected = {"line one\nline two", 'she said "hi"', "a,b", 'multi\n\nblank inside "quoted"\n', "plain"}
    assert set(f["text"]["examples"]) == expected
    assert f["text"]["distinct_approx"] == 5


def test_csv_utf8_bom_and_crlf(latebind, write):
    path = write("bom.csv", b"\xef\xbb\xbfid,name,qty\r\n1,x,10\r\n2,y,20\r\n3,\"z\",30\r\n")
    res = latebind.profile_json(path)
    prof = res.profile()
    assert prof["csv"]["bom"] is True
    assert prof["csv"]["line_ending"] == "crlf"
    assert prof["csv"]["columns"] == ["id", "name", "qty"]  # no BOM in the first name
    assert prof["bytes"] == path.stat().st_size
    f = res.fields()
    # The last cell of each row must not keep the '\r'.
    assert f["qty"]["type"] == "int64" and (f["qty"]["min"], f["qty"]["max"]) == (10, 30)
    assert set(f["name"]["examples"]) == {"x", "y", "z"}


def test_ndjson_with_bom_offsets_count_the_bom(latebind, write):
    data = b'\xef\xbb\xbf{"a":1}\n{"a":2}\n{"a":}\n'
    path = write("bom.ndjson", data)
    res = latebind.profile_json(path, expect_rc=2)
    assert res.profile()["format"] == "ndjson"
    assert res.profile()["records"] == 2
    assert_located(res, path, line=3, data=data)


def test_a_number_beyond_float64_is_a_float_outside_the_range(latebind, write):
    """simdjson cannot hold 1e400, though JSON's grammar allows it: the payload was an
    error. It is a float64 now, outside min/max, with a note saying where promotion keeps it."""
    data = b'{"n":1}\n{"n":1e400}\n{"n":-2.5}\n'
    res = latebind.profile_json(write("huge.ndjson", data))
    p = res.profile()
    assert (p["records"], p["errors"]) == (3, 0)
    [n] = p["fields"]
    assert (n["type"], n["present"], n["min"], n["max"]) == ("float64", 3, -2.5, 1)
    assert any("1 number(s) beyond the float64 range" in note and "_rescued_data" in note
               for note in n["notes"]), n["notes"]


def test_nesting_too_deep_is_located_at_the_bracket_past_the_limit(latebind, write):
    """Audit 2026-11-24: the depth error pointed at the end of the line. 1,023 levels pass;
    the error is at the bracket that opens the 1,024th."""
    record = lambda n: '{"x":' * n + "1" + "}" * n + "\n"
    ok = latebind.profile_json(write("ok.ndjson", record(1023)))
    assert ok.profile()["records"] == 1 and ok.profile()["errors"] == 0
    data = ('{"a":1}\n' + record(1100)).encode()
    path = write("deep.ndjson", data)
    res = latebind.profile_json(path, expect_rc=2)
    assert_located(res, path, line=2, byte=8 + 5 * 1023, data=data, contains="deeper than 1023")


def test_blank_lines_are_not_records(latebind, write):
    nd = write("blank.ndjson", '\n{"a":1}\n\n   \n{"a":2}\n\t\n{"a":3}\n\n')
    res = latebind.profile_json(nd)
    assert res.profile()["records"] == 3
    assert res.fields()["a"]["present"] == 3
    csv = write("blank.csv", "a,b\n\n1,2\n\n\n3,4\n\n")
    res = latebind.profile_json(csv)
    assert res.profile()["records"] == 2
    assert res.profile()["warnings"] == 0


def test_mixed_line_endings_csv(latebind, write):
    path = write("mixed.csv", b"a,b\n1,2\r\n3,4\n5,6\r\n\r\n7,8\n9,10")
    res = latebind.profile_json(path)
    prof = res.profile()
    assert prof["records"] == 5
    assert prof["warnings"] == 0
    f = res.fields()
    assert f["b"]["type"] == "int64" and (f["b"]["min"], f["b"]["max"]) == (2, 10)
    assert f["a"]["present"] == 5


def test_mixed_line_endings_ndjson(latebind, write):
    data = b'{"a":1}\n{"a":2}\r\n\r\n{"a":3}\n\n{"a":4}\r\n{"a":5}'
    path = write("mixed.ndjson", data)
    res = latebind.profile_json(path)
    assert res.profile()["format"] == "ndjson"
    assert res.profile()["records"] == 5
    assert res.fields()["a"]["max"] == 5


# -------------------------------------------------------------------------------- gzip


def _gz_records(n: int) -> bytes:
    return "".join('{"id":%d,"s":"v%d"}\n' % (i, i % 100) for i in range(n)).encode()


@pytest.mark.parametrize("name", ["data.ndjson.gz", "data_no_extension", "data.csv"])
def test_gzip_detected_by_magic_bytes(latebind, write, name):
    raw = _gz_records(5000)
    path = write(name, gzip.compress(raw))
    res = latebind.profile_json(path)
    prof = res.profile()
    assert prof["compression"] == "gzip"
    assert prof["format"] == "ndjson"
    assert prof["records"] == 5000
    assert prof["bytes"] == len(raw)
    assert res.fields()["id"]["max"] == 4999


def test_gzip_csv_and_concatenated_members(latebind, write):
    part1 = b"id,name\n1,a\n2,b\n"
    part2 = b"3,c\n4,d\n"
    path = write("multi.csv.gz", gzip.compress(part1) + gzip.compress(part2))
    res = latebind.profile_json(path)
    prof = res.profile()
    assert prof["compression"] == "gzip" and prof["format"] == "csv"
    assert prof["records"] == 4
    assert res.fields()["id"]["max"] == 4


# ---------------------------------------------------------------- counting and statistics


def test_every_record_counted_100k(latebind, write):
    n = 100_000
    lines = []
    for i in range(n):
        rec = '{"id":%d,"v":%d' % (i, i % 1000)
        if i % 3 == 0:
            rec += ',"opt":"x%d"' % (i % 7)
        if i % 5 == 0:
            rec += ',"nul":null'
        elif i % 5 == 1:
            rec += ',"nul":%d' % i
        lines.append(rec + "}\n")
    res = latebind.profile_json(write("count.ndjson", "".join(lines)))
    prof = res.profile()
    assert prof["records"] == n
    f = res.fields()
    assert f["id"]["present"] == n and f["id"]["required"] is True
    assert (f["id"]["min"], f["id"]["max"]) == (0, n - 1)
    assert f["opt"]["present"] == len(range(0, n, 3)) and f["opt"]["required"] is False
    nul_nulls = len(range(0, n, 5))
    nul_ints = len(range(1, n, 5))
    assert f["nul"]["present"] == nul_nulls + nul_ints
    assert f["nul"]["nulls"] == nul_nulls
    assert f["nul"]["type"] == "int64"  # nulls do not decide the type
    assert f["nul"]["type_counts"] == {"null": nul_nulls, "int64": nul_ints}


def test_int_float_widening(latebind, write):
    res = latebind.profile_json(write("w.ndjson", ndjson([{"x": 1}, {"x": 2.5}, {"x": -3}, {"x": 10}])))
    x = res.fields()["x"]
    assert x["type"] == "float64"
    assert x["widened"] is True and x["conflict"] is False
    assert x["type_counts"] == {"int64": 3, "float64": 1}
    assert (x["min"], x["max"]) == (-3.0, 10.0)


def test_type_conflict_int_and_string(latebind, write):
    res = latebind.profile_json(write("c.ndjson", ndjson([{"x": 1}, {"x": "one"}, {"x": 2}, {"y": True}, {"y": 3}])))
    f = res.fields()
    assert f["x"]["type"] == "string" and f["x"]["conflict"] is True and f["x"]["widened"] is False
    assert f["x"]["type_counts"] == {"int64": 2, "string": 1}
    assert any("conflict" in n for n in f["x"]["notes"]), f["x"]["notes"]
    assert f["y"]["type"] == "string" and f["y"]["conflict"] is True
    # Text refinements are not conflicts: date + timestamp -> timestamp, + string -> string.
    res = latebind.profile_json(write("t.ndjson", ndjson(
        [{"d": "2024-01-01", "s": "2024-01-01"}, {"d": "2024-01-02T03:04:05Z", "s": "hello"}])))
    f = res.fields()
    assert f["d"]["type"] == "timestamp" and f["d"]["conflict"] is False
    assert f["s"]["type"] == "string" and f["s"]["conflict"] is False


def test_iso_dates_and_timestamps_in_json(latebind, write):
    recs = [
        {"d": "2024-01-05", "t": "2024-01-05T10:20:30Z", "u": "2024-01-05 10:20:30.123+02:00",
         "bad_day": "2023-02-29", "leap": "2024-02-29", "not_ts": "2024-01-05T25:00:00",
         "z": "2024-01-05T10:00:00+02:00"},
        {"d": "1999-12-31", "t": "2024-03-01T00:00:00.5-05:00", "u": "2024-01-06T11:00",
         "bad_day": "2024-13-01", "leap": "2000-02-29", "not_ts": "2024-01-05 10:61",
         "z": "2024-01-05 09:00"},
    ]
    res = latebind.profile_json(write("dates.ndjson", ndjson(recs)))
    f = res.fields()
    assert f["d"]["type"] == "date" and (f["d"]["min"], f["d"]["max"]) == ("1999-12-31", "2024-01-05")
    assert f["t"]["type"] == "timestamp"
    assert f["u"]["type"] == "timestamp"
    # The range is by instant, not text: 10:00+02:00 is 08:00 UTC, before 09:00 (UTC).
    assert (f["z"]["min"], f["z"]["max"]) == ("2024-01-05T10:00:00+02:00", "2024-01-05 09:00")
    assert f["leap"]["type"] == "date"
    assert f["bad_day"]["type"] == "string"  # not real calendar days
    assert f["not_ts"]["type"] == "string"


def test_iso_dates_and_timestamps_in_csv(latebind, write):
    text = "day,at,text\n2024-01-05,2024-01-05T10:20:30Z,x\n2024-02-29,2024-01-05 10:20,y\n2023-11-30,2024-01-05T10:20:30.5+01:00,2024-02-30\n"
    res = latebind.profile_json(write("dates.csv", text))
    f = res.fields()
    assert f["day"]["type"] == "date"
    assert f["at"]["type"] == "timestamp"
    # By instant, not text: 10:20:30.5+01:00 is 09:20:30.5 UTC, the earliest of the three.
    assert (f["at"]["min"], f["at"]["max"]) == ("2024-01-05T10:20:30.5+01:00", "2024-01-05T10:20:30Z")
    assert f["text"]["type"] == "string"


def test_required_optional_and_nulls(latebind, write):
    recs = [{"a": 1, "b": None, "c": {"x": 1}}, {"a": 2, "c": {"x": None, "y": 1}}, {"a": None, "b": None, "c": {"x": 3}}]
    res = latebind.profile_json(write("req.ndjson", ndjson(recs)))
    f = res.fields()
    assert f["a"]["required"] is True and f["a"]["nulls"] == 1 and f["a"]["present"] == 3
    assert f["a"]["type"] == "int64"
    assert f["b"]["required"] is False and f["b"]["present"] == 2 and f["b"]["nulls"] == 2
    assert f["b"]["type"] == "null"
    assert f["c.x"]["required"] is True and f["c.x"]["nulls"] == 1
    assert f["c.y"]["required"] is False and f["c.y"]["present"] == 1


def test_min_max_strings_and_numbers(latebind, write):
    recs = [{"s": "pear", "n": 5, "f": 0.5}, {"s": "apple", "n": -7, "f": -1.25}, {"s": "zebra", "n": 12, "f": 3e10}]
    f = latebind.profile_json(write("mm.ndjson", ndjson(recs))).fields()
    assert (f["s"]["min"], f["s"]["max"]) == ("apple", "zebra")
    assert (f["n"]["min"], f["n"]["max"]) == (-7, 12)
    assert (f["f"]["min"], f["f"]["max"]) == (-1.25, 3e10)


def test_examples_at_most_five_distinct_values(latebind, write):
    recs = [{"many": i % 1000, "few": ["red", "green", "blue"][i % 3], "one": "same"} for i in range(3000)]
    f = latebind.profile_json(write("ex.ndjson", ndjson(recs))).fields()
    many = f["many"]["examples"]
    assert len(many) == 5 and len(set(many)) == 5
    assert all(isinstance(v, int) and 0 <= v < 1000 for v in many)
    assert sorted(f["few"]["examples"]) == ["blue", "green", "red"]
    assert f["one"]["examples"] == ["same"]


def test_distinct_approx_within_10_percent(latebind, write):
    n_distinct = 50_000
    lines = "".join('{"i":%d,"s":"key-%d","f":%d.5,"low":%d}\n' % (i % n_distinct, i % n_distinct, i % n_distinct, i % 3)
                    for i in range(2 * n_distinct))
    f = latebind.profile_json(write("dist.ndjson", lines)).fields()
    for key in ("i", "s", "f"):
        est = f[key]["distinct_approx"]
        assert abs(est - n_distinct) <= 0.10 * n_distinct, (key, est)
    assert f["low"]["distinct_approx"] == 3


def test_int64_beyond_2_pow_53_stays_exact(latebind, write):
    big = 2**53 + 1
    recs = [{"n": big}, {"n": 2**63 - 1}, {"n": -(2**63)}, {"n": 7}]
    res = latebind.profile_json(write("i64.ndjson", ndjson(recs)))
    n = res.fields()["n"]
    assert n["type"] == "int64" and n["widened"] is False and n["notes"] == []
    assert n["min"] == -(2**63) and n["max"] == 2**63 - 1
    assert isinstance(n["min"], int) and isinstance(n["max"], int)
    # Four distinct values, so all are examples, and exact (not rounded through a double).
    assert sorted(n["examples"]) == sorted([big, 2**63 - 1, -(2**63), 7])
    csv = write("i64.csv", f"n\n{big}\n{2**63 - 1}\n{-(2**63)}\n7\n")
    n = latebind.profile_json(csv).fields()["n"]
    assert n["type"] == "int64"
    assert (n["min"], n["max"]) == (-(2**63), 2**63 - 1)
    assert sorted(n["examples"]) == sorted([big, 2**63 - 1, -(2**63), 7])


@pytest.mark.parametrize("literal", [
    "9223372036854775808",          # INT64_MAX + 1 (fits uint64)
    "18446744073709551615",         # UINT64_MAX
    "18446744073709551616",         # beyond 64 bits
    "100000000000000000000",
    "-9223372036854775809",         # INT64_MIN - 1 (19 digits)
    "-9999999999999999999",         # 19 digits, below INT64_MIN
    "-10000000000000000000",        # 20 digits
])
def test_integer_beyond_int64_becomes_float64_with_note(latebind, write, literal):
    path = write("huge.ndjson", '{"n":%s}\n{"n":1}\n' % literal)
    res = latebind.profile_json(path, expect_rc=None)
    assert res.returncode == 0, res.describe()
    prof = res.profile()
    assert prof["records"] == 2 and prof["errors"] == 0
    n = res.fields()["n"]
    assert n["type"] == "float64"
    assert n["type_counts"].get("float64") == 1
    assert any("int64" in note for note in n["notes"]), n["notes"]
    lo, hi = sorted([float(int(literal)), 1.0])
    assert n["min"] == pytest.approx(lo) and n["max"] == pytest.approx(hi)


def test_integer_beyond_int64_in_csv(latebind, write):
    path = write("huge.csv", "n\n1\n18446744073709551616\n-9223372036854775809\n")
    n = latebind.profile_json(path).fields()["n"]
    assert n["type"] == "float64"
    assert any("2 integer(s) beyond the int64 range" in note for note in n["notes"]), n["notes"]


def test_max_fields_limits_tracked_paths(latebind, write):
    res = latebind.profile_json("--max-fields", "2", write("mf.ndjson", ndjson([{"a": 1, "b": 2, "c": 3}] * 4)))
    prof = res.profile()
    assert [f["path"] for f in prof["fields"]] == ["a", "b"]
    assert prof["overflow_occurrences"] == 4
    assert prof["records"] == 4
    # Said as a warning too, so `ingest` shows it: those fields never reach the registry.
    assert prof["warnings"] == 1
    assert "4 value(s) of fields past the limit of 2 field paths were not profiled" in \
        prof["problems"][0]["message"]


# ---------------------------------------------------------- determinism and multi-block files


def _big_ndjson(n: int, bad_after: set[int]) -> bytes:
    r = random.Random(1234)
    out = []
    for i in range(n):
        rec = {
            "id": i,
            "name": f"user{r.randrange(40000)}",
            "score": r.randrange(1000) if r.random() < 0.9 else round(r.random(), 3),
            "tags": [f"t{r.randrange(20)}" for _ in range(r.randrange(4))],
            "geo": {"lat": round(r.uniform(-90, 90), 4), "lon": round(r.uniform(-180, 180), 4)},
            "when": "2024-%02d-%02dT%02d:00:00Z" % (r.randrange(1, 13), r.randrange(1, 29), r.randrange(24)),
        }
        if i % 7 == 0:
            rec["opt"] = None
        elif i % 5 == 0:
            rec["opt"] = {"deep": [{"k": i}]}
        out.append(json.dumps(rec, separators=(",", ":")) + "\n")
        if i in bad_after:
            out.append('{"broken": \n')
    return "".join(out).encode()


def _big_csv(n: int) -> bytes:
    r = random.Random(99)
    rows = ["id,text,amount,day"]
    for i in range(n):
        text = f'"multi\nline {i} ""q"""' if i % 3 == 0 else f"plain{i}"
        rows.append(f"{i},{text},{r.uniform(0, 1000):.2f},2024-01-{1 + i % 28:02d}")
    return ("\n".join(rows) + "\n").encode()


def _big_json_array(n: int, bad: int) -> bytes:
    parts = []
    for i in range(n):
        if i == bad:
            parts.append('  {"id": %d, "v": tru}' % i)
        else:
            parts.append('  {"id": %d, "name": "n%d", "nested": {"k": [%d, "s"]}}' % (i, i % 777, i))
    return ("[\n" + ",\n".join(parts) + "\n]\n").encode()


def test_threads_identical_output_ndjson_multi_block(latebind, write):
    bad = {30_000, 150_001}
    data = _big_ndjson(160_000, bad)  # ~20 MB: several 4 MiB blocks
    path = write("big.ndjson", data)
    one = latebind.profile_json("--threads", "1", path, expect_rc=2)
    four = latebind.profile_json("--threads", "4", path, expect_rc=2)
    assert one.stdout_bytes == four.stdout_bytes
    assert one.stderr_bytes == four.stderr_bytes
    prof = one.profile()
    assert prof["records"] == 160_000
    assert prof["errors"] == 2
    # Exact lines and offsets of the bad lines, which sit in different blocks.
    for b in sorted(bad):
        lineno = b + 2 + sorted(bad).index(b)
        start, end = line_span(data, lineno)
        assert data[start:end] == b'{"broken": '
        assert_located(one, path, line=lineno, data=data)
    f = one.fields()
    assert f["id"]["present"] == 160_000 and f["id"]["max"] == 159_999
    assert f["opt"]["nulls"] == len(range(0, 160_000, 7))


def test_threads_identical_output_csv_multi_block(latebind, write):
    data = _big_csv(400_000)  # ~16 MB, quoted newlines crossing block boundaries
    path = write("big.csv", data)
    one = latebind.profile_json("--threads", "1", path)
    four = latebind.profile_json("--threads", "4", path)
    assert one.stdout_bytes == four.stdout_bytes
    assert one.stderr_bytes == four.stderr_bytes
    prof = one.profile()
    assert prof["records"] == 400_000
    assert prof["warnings"] == 0 and prof["errors"] == 0
    f = one.fields()
    assert f["day"]["type"] == "date" and f["amount"]["type"] == "float64"
    assert f["id"]["max"] == 399_999


def test_threads_identical_output_json_array_multi_block(latebind, write):
    n, bad = 150_000, 123_456
    data = _big_json_array(n, bad)
    path = write("big.json", data)
    one = latebind.profile_json("--threads", "1", path, expect_rc=2)
    four = latebind.profile_json("--threads", "4", path, expect_rc=2)
    assert one.stdout_bytes == four.stdout_bytes
    assert one.stderr_bytes == four.stderr_bytes
    prof = one.profile()
    assert prof["records"] == n - 1
    assert prof["errors"] == 1
    p = assert_located(one, path, line=bad + 2, data=data)
    assert p.byte == data.index(b"tru}")


def test_json_output_is_stable_across_runs(latebind, write):
    path = write("stable.ndjson", _big_ndjson(20_000, {5_000}))
    first = latebind.profile_json(path, expect_rc=2)
    second = latebind.profile_json(path, expect_rc=2)
    assert first.stdout_bytes == second.stdout_bytes
    assert first.stderr_bytes == second.stderr_bytes


def test_ragged_rows_line_numbers_in_late_blocks(latebind, write):
    rows = ["id,text,n"]
    for i in range(300_000):
        if i % 3 == 0:
            rows.append(f'{i},"x\ny",{i}')
        elif i in (200_002, 280_001):  # not multiples of 3
            rows.append(f"{i},short")
        else:
            rows.append(f"{i},p,{i}")
    data = ("\n".join(rows) + "\n").encode()
    path = write("late.csv", data)
    res = latebind.profile_json("--threads", "4", path)
    assert res.profile()["records"] == 300_000
    assert res.profile()["warnings"] == 2
    for key in (b"\n200002,short\n", b"\n280001,short\n"):
        byte = data.index(key) + 1
        line, _ = position(data, byte)
        assert_located(res, path, warning=True, line=line, byte=byte, contains="ragged")


# -------------------------------------------------------------------------- text output


def test_text_table_is_aligned_and_lists_every_path(latebind, write):
    recs = [{"id": i, "name": f"n{i}", "price": i + 0.5 if i % 2 else i, "user": {"email": f"u{i}@x.org"},
             "flags": [True, False]} for i in range(1, 6)]
    path = write("table.ndjson", ndjson(recs))
    res = latebind.profile(path)
    assert res.returncode == 0, res.describe()
    assert res.stderr == ""
    lines = res.stdout.splitlines()
    assert lines[0].startswith(f"{path}: ndjson")
    assert "5 record(s)" in lines[0]
    header_idx = next(i for i, line in enumerate(lines) if line.lstrip().startswith("FIELD"))
    header = lines[header_idx]
    names = ["FIELD", "TYPE", "REQUIRED", "PRESENT", "NULLS", "DISTINCT~", "MIN", "MAX", "EXAMPLES"]
    assert header.split() == names
    starts = [header.index(name) for name in names]
    expected_paths = ["id", "name", "price", "user", "user.email", "flags", "flags[]"]
    rows = lines[header_idx + 1: header_idx + 1 + len(expected_paths)]
    assert sorted(r.split()[0] for r in rows) == sorted(expected_paths)
    for row in rows:
        cells = row.split()
        # Columns that always have a value line up under their header.
        for col in range(1, 6):
            s = starts[col]
            assert row[s - 1] == " " and row[s] != " ", (names[col], header, row)
        assert cells[2] in ("yes", "no")
    price = next(r for r in rows if r.split()[0] == "price")
    assert price.split()[1] == "float64*"  # widened


def test_text_table_for_csv_shows_dialect(latebind, write):
    res = latebind.profile(write("t.tsv", "a\tb\n1\tx\n2\ty\n"))
    assert res.returncode == 0
    assert "delimiter TAB" in res.stdout
    assert re.search(r"^\s+a\s+int64\s+yes\s+2\s", res.stdout, re.M), res.stdout
    assert re.search(r"^\s+b\s+string\s+yes\s+2\s", res.stdout, re.M), res.stdout


def test_multiple_files_one_json_document(latebind, write):
    good = write("good.ndjson", '{"a":1}\n')
    csv = write("good.csv", "x,y\n1,2\n")
    res = latebind.profile_json(good, csv)
    profs = res.json()["profiles"]
    assert [p["path"] for p in profs] == [str(good), str(csv)]
    assert [p["format"] for p in profs] == ["ndjson", "csv"]


# ----------------------------------------------------------------------- unhappy paths


def test_malformed_ndjson_line(latebind, write):
    good = [{"id": i, "v": f"s{i}"} for i in range(1, 10)]
    lines = [json.dumps(r) for r in good]
    lines.insert(4, '{"id": 99, "v": }')  # line 5
    data = ("\n".join(lines) + "\n").encode()
    path = write("bad.ndjson", data)
    res = latebind.profile_json(path, expect_rc=2)
    prof = res.profile()
    assert prof["format"] == "ndjson"
    assert prof["records"] == 9
    assert prof["errors"] == 1
    assert res.fields()["id"]["present"] == 9 and res.fields()["id"]["max"] == 9
    assert_located(res, path, line=5, data=data)
    assert prof["problems"][0]["line"] == 5 and prof["problems"][0]["severity"] == "error"


def test_malformed_first_line_with_explicit_ndjson_format(latebind, write):
    data = ('{"a": 1\n' + "".join('{"a":%d}\n' % i for i in range(100))).encode()
    path = write("first.ndjson", data)
    res = latebind.profile_json("--format", "ndjson", path, expect_rc=2)
    assert res.profile()["records"] == 100
    assert res.profile()["errors"] == 1
    assert_located(res, path, line=1)


@pytest.mark.parametrize("text,line", [
    ('[{"a":1},{"a":', 1),
    ('{\n  "a": 1,\n  "b": ', 3),
    ('[\n  {"a": 1},\n  {"a": 2}\n', None),   # the array is never closed
    ('[{"a":1},{"a":2},', None),              # cut after a comma
], ids=["array-mid-element", "pretty-object", "array-unclosed", "array-trailing-comma"])
def test_truncated_json(latebind, write, text, line):
    path = write("trunc.json", text)
    res = latebind.profile_json(path, expect_rc=None)
    assert_bad_input(res)
    assert res.profile()["errors"] >= 1
    assert_located(res, path, line=line)


@pytest.mark.parametrize("last", [
    '{"a":3', '{"a":3\n', '{"a":[1,2\n', "{\n", "[\n", '{"a":1}}\n', '{"a":"x', '{"a":1,}\n',
], ids=["unclosed-object", "unclosed-object-eol", "unclosed-array", "lone-brace", "lone-bracket",
        "extra-brace", "unclosed-string", "trailing-comma"])
def test_malformed_last_ndjson_line(latebind, write, last):
    data = ('{"a":1}\n{"a":2}\n' + last).encode()
    path = write("last.ndjson", data)
    res = latebind.profile_json(path, expect_rc=None)
    assert_bad_input(res)
    prof = res.profile()
    assert prof["format"] == "ndjson"
    assert prof["records"] == 2 and prof["errors"] == 1
    assert_located(res, path, line=3)


def test_malformed_line_ending_a_block_is_reported(latebind, write):
    # Fixed 64-byte lines: 4 MiB (the default block) ends exactly after line 65536, which
    # is an unclosed object ('}' missing). Whatever the block size, every bad line must be reported.
    good = '{"id":"%08d","pad":"' + "x" * 37 + '"}\n'
    assert len(good % 0) == 64
    bad_lines = {65536, 100_000}
    lines = []
    for n in range(1, 150_001):
        lines.append(('{"id":"%08d","pad":"' % n + "y" * 38 + '"\n') if n in bad_lines else good % n)
    assert all(len(line) == 64 for line in lines)
    data = "".join(lines).encode()
    path = write("boundary.ndjson", data)
    res = latebind.profile_json("--threads", "2", path, expect_rc=None)
    assert_bad_input(res)
    prof = res.profile()
    assert prof["records"] == 150_000 - len(bad_lines)
    assert prof["errors"] == len(bad_lines)
    for n in sorted(bad_lines):
        assert_located(res, path, line=n)


def _truncated_gzip(write):
    raw = _gz_records(20_000)
    comp = gzip.compress(raw)
    cut = comp[: len(comp) // 2]
    readable = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(cut)
    return write("trunc.ndjson.gz", cut), raw, readable


def test_truncated_gzip_is_an_error(latebind, write):
    path, _, _ = _truncated_gzip(write)
    res = latebind.profile_json(path, expect_rc=None)
    assert_bad_input(res)
    assert res.profile()["errors"] >= 1
    # A stream-level stop has no meaningful column: FILE:LINE (byte N) is accepted.
    assert_located(res, path, contains="truncated gzip", require_col=False)


def test_truncated_gzip_profiles_the_data_before_the_cut(latebind, write):
    path, _, readable = _truncated_gzip(write)
    complete_lines = readable.count(b"\n")
    assert complete_lines > 1000  # sanity: plenty of intact records before the cut
    res = latebind.profile_json(path, expect_rc=None)
    assert_bad_input(res)
    prof = res.profile()
    assert prof["records"] == complete_lines, (
        f"records {prof['records']}, but {complete_lines} complete records precede the truncation")
    p = assert_located(res, path, contains="truncated gzip", require_col=False)
    assert p.byte >= len(readable) - 100, f"stop reported at byte {p.byte}, data ends at {len(readable)}"


def test_invalid_utf8_in_ndjson(latebind, write):
    data = b'{"a":"ok"}\n{"a":"ok1"}\n{"a":"bad\xff\xfe"}\n{"a":"ok2"}\n'
    path = write("utf.ndjson", data)
    res = latebind.profile_json(path, expect_rc=2)
    assert res.profile()["records"] == 3
    assert_located(res, path, line=3, byte=data.index(b"\xff"), contains="UTF-8", data=data)


def test_invalid_utf8_in_json_array(latebind, write):
    data = b'[{"a":"ok"},\n {"a":"\xc3\x28"},\n {"a":"fine"}]'
    path = write("utf.json", data)
    res = latebind.profile_json(path, expect_rc=2)
    assert res.profile()["records"] == 2
    assert_located(res, path, line=2, byte=data.index(b"\xc3\x28"), contains="UTF-8", data=data)


def test_invalid_utf8_in_csv(latebind, write):
    data = b"a,b\nok,1\nbad\xff,2\nok2,3\n"
    path = write("utf.csv", data)
    res = latebind.profile_json(path, expect_rc=2)  # and --json output stays valid JSON
    assert res.profile()["format"] == "csv"
    assert_located(res, path, line=3, byte=data.index(b"\xff"), contains="UTF-8", data=data)
    text = latebind.profile(path)
    assert text.returncode == 2


@pytest.mark.parametrize("text", [
    "[" * 10_000 + "]" * 10_000,
    '{"a":' * 10_000 + "1" + "}" * 10_000,
    "[" * 10_000,
    '{"a":' * 10_000,
], ids=["arrays", "objects", "arrays-unclosed", "objects-unclosed"])
def test_deep_nesting_is_an_error_not_a_crash(latebind, write, text):
    path = write("deep.json", text)
    res = latebind.profile_json(path, expect_rc=None)
    assert_bad_input(res)
    assert res.profile()["records"] == 0
    assert_located(res, path, line=1)


def test_deep_nesting_in_one_ndjson_line(latebind, write):
    data = ('{"x":1}\n' + '{"a":' * 10_000 + "1" + "}" * 10_000 + '\n{"x":2}\n').encode()
    path = write("deep.ndjson", data)
    res = latebind.profile_json(path, expect_rc=2)
    assert res.profile()["records"] == 2
    assert_located(res, path, line=2)


def test_deep_nesting_within_the_limit_succeeds(latebind, write):
    res = latebind.profile_json(write("d.json", '{"a":' * 1000 + "1" + "}" * 1000))
    f = res.profile()["fields"]
    assert len(f) == 1000
    assert f[-1]["path"] == ".".join(["a"] * 1000) and f[-1]["type"] == "int64"


@pytest.mark.parametrize("first", [True, False], ids=["first-line", "second-line"])
def test_one_megabyte_string_value(latebind, write, first):
    big = "x" * (1 << 20)
    recs = [{"s": big, "n": 1}, {"s": "short", "n": 2}]
    if not first:
        recs.reverse()
    path = write("long.ndjson", ndjson(recs))
    res = latebind.profile_json(path)
    prof = res.profile()
    assert prof["records"] == 2
    if not first:
        assert prof["format"] == "ndjson"
    s = res.fields()["s"]
    assert s["type"] == "string" and s["present"] == 2
    assert s["min"] == "short"
    assert big.startswith(s["max"]) and 0 < len(s["max"]) <= 64
    long_examples = [e for e in s["examples"] if e != "short"]
    assert len(long_examples) == 1 and long_examples[0] == "x" * 100 + "..."
    assert len(res.stdout_bytes) < 64 * 1024  # the value is not echoed


@pytest.mark.parametrize("kind", ["json-line", "csv", "binary"])
def test_nul_bytes(latebind, write, kind):
    if kind == "json-line":
        data = b'{"a":1}\n{"a":2}\n{"a":"x\x00y"}\n{"a":4}\n'
    elif kind == "csv":
        data = b"a,b\n1,2\n3,x\x00y\n5,6\n"
    else:
        data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(5).randbytes(4000)
    path = write(f"nul.{kind}", data)
    res = latebind.profile_json(path, expect_rc=None)
    assert_bad_input(res)
    nul = data.index(b"\x00")
    line, _ = position(data, nul)
    p = assert_located(res, path, line=line, byte=nul, data=data)
    assert "nul" in p.message.lower() or "control character" in p.message.lower(), p.raw


@pytest.mark.parametrize("text,what", [
    ("42\n", "a number"),
    ('"str"\n', "a string"),
    ("true\n", "a boolean"),
    ("null\n", "null"),
    ("[1,2,3]\n", "an array"),
], ids=["int", "string", "bool", "null", "array"])
@pytest.mark.parametrize("format_args", [["--format", "json"], []], ids=["forced", "auto"])
def test_top_level_scalar_is_not_a_record(latebind, write, text, what, format_args):
    # Regression (issue 3): with --format auto a whole-file scalar was taken for a CSV.
    path = write("scalar.json", text)
    res = latebind.profile_json(*format_args, path, expect_rc=None)
    assert_bad_input(res)
    assert res.profile()["records"] == 0
    p = assert_located(res, path, line=1, contains="not a record")
    if text.startswith("["):
        assert "array element 1 is a number" in p.message, p.raw
    else:
        assert f"is {what}" in p.message, p.raw


def test_top_level_array_of_scalars_auto(latebind, write):
    path = write("scalars.json", "[1, 2, 3]\n")
    res = latebind.profile_json(path, expect_rc=2)
    prof = res.profile()
    assert prof["format"] == "json" and prof["records"] == 0 and prof["errors"] == 3
    for n, p in enumerate(res.errors(), start=1):
        assert f"element {n} is a number, not a record" in p.message, p.raw
        assert p.line == 1 and p.col is not None


def test_mixed_array_of_objects_and_scalars(latebind, write):
    path = write("mixed.json", '[{"a":1},\n 2,\n {"a":3}]')
    res = latebind.profile_json(path, expect_rc=2)
    assert res.profile()["records"] == 2
    assert_located(res, path, line=2, contains="element 2 is a number, not a record")


def test_ndjson_scalar_and_array_lines(latebind, write):
    data = b'{"a":1}\n42\n"x"\n[1]\n{"a":2}\n'
    path = write("lines.ndjson", data)
    res = latebind.profile_json(path, expect_rc=2)
    assert res.profile()["records"] == 2
    assert res.profile()["errors"] == 3
    for line in (2, 3, 4):
        assert_located(res, path, line=line, contains="not a record", data=data)


@pytest.mark.parametrize("content", ["", "   \n\n\t\n"], ids=["empty", "whitespace"])
def test_empty_file_is_a_warning(latebind, write, content):
    path = write("empty.json", content)
    res = latebind.profile_json(path)
    prof = res.profile()
    assert prof["records"] == 0 and prof["fields"] == []
    assert prof["errors"] == 0 and prof["warnings"] == 1
    assert res.warnings() and res.warnings()[0].file == str(path)


def test_header_only_csv_is_a_warning(latebind, write):
    res = latebind.profile_json(write("h.csv", "a,b,c\n"))
    prof = res.profile()
    assert prof["records"] == 0 and prof["warnings"] == 1
    assert prof["csv"]["columns"] == ["a", "b", "c"]


def test_nonexistent_file(latebind, tmp_path):
    missing = tmp_path / "does-not-exist.ndjson"
    res = latebind.profile(missing)
    assert_bad_input(res)
    assert str(missing) in res.stderr
    assert res.stdout == ""


def test_nonexistent_file_among_good_ones(latebind, write, tmp_path):
    good = write("g.ndjson", '{"a":1}\n')
    missing = tmp_path / "nope.ndjson"
    res = latebind.profile_json(good, missing, expect_rc=2)
    assert [p["path"] for p in res.json()["profiles"]] == [str(good)]
    assert str(missing) in res.stderr


def test_directory(latebind, tmp_path):
    d = tmp_path / "somedir"
    d.mkdir()
    res = latebind.profile(d)
    assert_bad_input(res)
    assert str(d) in res.stderr and "directory" in res.stderr


@pytest.mark.parametrize("args", [
    ["--format", "xml"],
    ["--format", ""],
    ["--threads", "-1"],
    ["--threads", "1000"],
    ["--max-fields", "0"],
], ids=["format-xml", "format-empty", "threads-negative", "threads-too-many", "max-fields-zero"])
def test_usage_errors(latebind, write, args):
    path = write("ok.ndjson", '{"a":1}\n')
    res = latebind.profile(*args, path)
    assert_bad_input(res)
    assert res.stderr.strip() != ""
    assert res.stdout == ""


def test_missing_file_argument(latebind):
    assert_bad_input(latebind.profile())


def test_ragged_csv_rows_are_warnings(latebind, write):
    text = 'a,b,c\n1,2,3\n4,5\n6,"multi\nline",8\n9,10,11,12\n13,14,15\n'
    data = text.encode()
    path = write("ragged.csv", data)
    res = latebind.profile_json(path)  # warnings only: exit 0
    prof = res.profile()
    assert prof["records"] == 5
    assert prof["warnings"] == 2 and prof["errors"] == 0
    assert_located(res, path, warning=True, line=3, byte=data.index(b"4,5"), contains="ragged row: 2 field(s), expected 3")
    assert_located(res, path, warning=True, line=6, byte=data.index(b"9,10"), contains="ragged row: 4 field(s), expected 3")
    assert [p["line"] for p in prof["problems"]] == [3, 6]


def test_unterminated_quote_in_csv(latebind, write):
    data = b'a,b\n"x,y",1\n"p,q",2\n3,"never closed\n4,5\n'
    path = write("unterm.csv", data)
    res = latebind.profile_json(path, expect_rc=None)
    assert_bad_input(res)
    assert res.profile()["records"] == 2
    # At the opening quote, not at its row's start (CSV audit 2026-11-24).
    p = assert_located(res, path, line=4, byte=data.index(b'"never'), contains="never closed",
                       data=data)
    assert p.col == 3, p


def test_one_unclosed_quote_keeps_the_csv_quote_char(latebind, write):
    """CSV audit 2026-11-24: one unclosed quote in the sniffed head made the sniffer drop `"`
    quoting for the whole file (`'` won, exit 0, quotes kept in the values). `"` stays the
    quote and the unclosed field is an error at its opening quote."""
    data = b'a,b\n"1",2\n"3","x\n4,5\n'
    path = write("unclosed.csv", data)
    res = latebind.profile_json(path, expect_rc=None)
    assert_bad_input(res)
    prof = res.profile()
    assert prof["csv"]["quote"] == '"' and prof["csv"]["columns"] == ["a", "b"], prof["csv"]
    assert prof["errors"] == 1, prof
    p = assert_located(res, path, line=3, byte=data.index(b'"x'), contains="never closed",
                       data=data)
    assert p.col == 5, p
    problem = prof["problems"][0]
    assert (problem["severity"], problem["line"], problem["byte"]) == (
        "error", 3, data.index(b'"x')), problem


def test_unclosed_quote_closed_by_a_later_row_keeps_the_csv_quote_char(latebind, write):
    """The audit's c5.csv: `999,"broken` before rows `i,"n, i"`. The next row's opening quote
    closes the field (as Python's csv reads it), folding two rows into one of three cells;
    that tied the counts, and `'`, splitting every `"n, i"` into three cells, won on columns."""
    rows = ["id,name"] + [f'{i},"n, {i}"' for i in range(50)]
    rows.insert(20, '999,"broken')
    data = ("\n".join(rows) + "\n").encode()
    path = write("c5.csv", data)
    res = latebind.profile_json(path)  # warnings only
    prof = res.profile()
    assert prof["csv"]["quote"] == '"' and prof["csv"]["columns"] == ["id", "name"], prof["csv"]
    assert sorted(res.fields()) == ["id", "name"]
    assert res.fields()["name"]["min"] == "broken\n19,n", res.fields()["name"]  # the folded row
    assert prof["records"] == 50 and prof["errors"] == 0 and prof["warnings"] == 2, prof
    assert_located(res, path, warning=True, line=21, byte=data.index(b"999,"), contains="ragged")
    assert_located(res, path, warning=True, line=22, byte=data.index(b'19"') + 2,
                   contains="kept as text", data=data)


def test_stray_quote_in_csv_is_text_with_a_warning_at_it(latebind, write):
    """CSV audit 2026-11-24: a quote inside an unquoted cell opened a quoted run that ran
    to the next quote, folding rows into one cell; it is text now, as Python's csv reads it."""
    data = b'a,b\n"x,y",1\n3,12" pipe\n4,"p,q"\n5,6" ruler\n'
    path = write("stray.csv", data)
    res = latebind.profile_json(path)
    prof = res.profile()
    assert prof["records"] == 4 and prof["errors"] == 0 and prof["warnings"] == 2, prof
    b = next(f for f in prof["fields"] if f["path"] == "b")
    assert set(map(str, b["examples"])) == {"1", '12" pipe', "p,q", '6" ruler'}, b
    for line, needle in ((3, b'12"'), (5, b'6"')):
        assert_located(res, path, warning=True, line=line, contains="kept as text", data=data,
                       byte=data.index(needle) + len(needle) - 1)


def _many_bad(write, n_bad=1000):
    lines = []
    for i in range(2 * n_bad):
        lines.append('{"a":%d}' % i if i % 2 == 0 else '{"a":')
    return write("many.ndjson", "\n".join(lines) + "\n")


@pytest.mark.parametrize("max_problems", [None, 0, 7, 100, 300])
def test_many_problems_are_capped(latebind, write, max_problems):
    path = _many_bad(write)
    args = [] if max_problems is None else ["--max-problems", str(max_problems)]
    shown = 20 if max_problems is None else max_problems
    res = latebind.profile_json(*args, path, expect_rc=2)
    prof = res.profile()
    assert prof["errors"] == 1000
    assert prof["records"] == 1000
    assert len(prof["problems"]) == shown
    errs = res.errors()
    assert len(errs) == shown
    assert [p.line for p in errs] == list(range(2, 2 * shown + 1, 2))
    summary = [l for l in res.stderr.splitlines() if "... and" in l]
    assert summary == [f"{path}: ... and {1000 - shown} more problem(s) (1000 error(s) in all)"]
    assert len(res.stderr.splitlines()) == shown + 1


# --------------------------------------------------------------------------- memory bound


RSS_WRAPPER = r"""
import json, resource, subprocess, sys
p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
print(json.dumps({"rc": p.returncode, "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "stdout": p.stdout.decode("utf-8", "replace"), "stderr": p.stderr.decode("utf-8", "replace")[-2000:]}))
"""


def test_memory_bound_on_300mb_ndjson(latebind_bin, tmp_path):
    path = tmp_path / "huge.ndjson"
    target = 300 * 1024 * 1024
    # A handful of distinct chunks, each a template line with varying numbers, cycled.
    chunks = []
    for c in range(8):
        base = c * 40_000
        chunks.append("".join(
            '{"id":%d,"user":{"name":"u%d","age":%d},"score":%d.5,"tags":["a","b%d"],"ts":"2024-01-01T00:00:%02dZ"}\n'
            % (base + j, (base + j) % 100_000, j % 90, j % 1000, j % 7, j % 60) for j in range(40_000)).encode())
    lines = 0
    written = 0
    try:
        with open(path, "wb") as f:
            i = 0
            while written < target:
                chunk = chunks[i % len(chunks)]
                f.write(chunk)
                written += len(chunk)
                lines += 40_000
                i += 1
        try:
            proc = subprocess.run([sys.executable, "-c", RSS_WRAPPER, str(latebind_bin), "profile", "--json", str(path)],
                                  capture_output=True, timeout=120)
        except subprocess.TimeoutExpired:
            pytest.fail("hang: profiling 300 MB took more than 120 s")
        report = json.loads(proc.stdout)
        assert report["rc"] == 0, report["stderr"]
        prof = json.loads(report["stdout"])["profiles"][0]
        assert prof["records"] == lines
        assert prof["bytes"] == written
        peak_mb = report["maxrss_kb"] / 1024
        assert peak_mb < 400, f"peak RSS {peak_mb:.0f} MB profiling {written / 2**20:.0f} MB"
    finally:
        path.unlink(missing_ok=True)


def test_keys_cannot_drive_the_terminal(latebind, write):
    """Audit 2026-11-24: table cells were cleaned of control characters, but the note lines
    printed a key as it was, so ESC (and C1 controls such as U+009B, CSI) from the data
    reached the terminal."""
    data = '{"\\u001b[31mRED\\u009b2J":1}\n{"\\u001b[31mRED\\u009b2J":"s"}\n'.encode()
    res = latebind.profile(write("esc.ndjson", data))
    assert res.returncode == 0, res.describe()
    assert "note:" in res.stdout and "RED" in res.stdout
    assert "\x1b" not in res.stdout and "\u009b" not in res.stdout, repr(res.stdout)


def test_keys_differing_in_a_control_character_print_apart(latebind, write):
    """Control characters in table cells were printed as spaces, then trimmed, so keys
    that differ only in one printed alike. They are written as JSON escapes now."""
    res = latebind.profile(write("ctl.ndjson", b'{"a\\u0001":1,"a\\u0002":2,"a\\n":3,"a\\u0085":4}\n'))
    assert res.returncode == 0, res.describe()
    names = [line.split()[0] for line in res.stdout.splitlines()[2:] if line.strip()]
    assert names == ["a\\u0001", "a\\u0002", "a\\n", "a\\u0085"], res.stdout


@pytest.mark.parametrize("name, fmt", [("e.csv", "csv"), ("e.json", "json"), ("e.ndjson", "ndjson"),
                                       ("e.csv.gz", "csv")])
def test_a_blank_file_takes_its_format_from_its_name(latebind, write, name, fmt):
    """Audit 2026-11-24: blank content cannot tell a format, and an empty .csv was reported
    as NDJSON. It is its name's format now, with no fields and a warning."""
    import gzip as _gzip
    data = _gzip.compress(b"\n") if name.endswith(".gz") else b"\n"
    res = latebind.profile_json(write(name, data))
    p = res.profile()
    assert (p["format"], p["records"], p["fields"], p["errors"]) == (fmt, 0, [], 0)
