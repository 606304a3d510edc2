"""End to end: `latebind sources` and `latebind schema history|show|diff|resolve|export`.

Issue 5 (Interfaces — CLI). The registry states are built the way users build them, with
`latebind ingest` on real files: the seed's story of a bank source whose
`transaction_date` is renamed `txn_date`, caught as BREAKING, then resolved by a person.
"""
from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

ANSI = re.compile(r"\x1b\[[0-9;]*m")

V1 = (
    '{"transaction_id":"T1","transaction_date":"2024-01-02","amount":12.5,"customer_id":"C1"}\n'
    '{"transaction_id":"T2","transaction_date":"2024-01-03","amount":3.25,"customer_id":"C2"}\n'
)
# An additive field, present in some records only: optional by nature.
V2 = (
    '{"transaction_id":"T3","transaction_date":"2024-01-04","amount":1.5,"customer_id":"C3",'
    '"channel":"web"}\n'
    '{"transaction_id":"T4","transaction_date":"2024-01-05","amount":2.0,"customer_id":"C4"}\n'
)
# The optional field missing from a whole payload: normal, no new version.
V2_NO_CHANNEL = (
    '{"transaction_id":"T5","transaction_date":"2024-01-06","amount":7.0,"customer_id":"C5"}\n'
)
# transaction_date renamed txn_date by the producer.
V3 = (
    '{"transaction_id":"T6","txn_date":"2024-01-07","amount":4.5,"customer_id":"C6",'
    '"channel":"app"}\n'
    '{"transaction_id":"T7","txn_date":"2024-01-08","amount":9.75,"customer_id":"C7"}\n'
)
MALFORMED = '{"transaction_id": "T8", "amount": \n'

COLUMNS = ["transaction_id", "transaction_date", "amount", "customer_id", "channel"]


class Home:
    """A latebind home driven through the real binary."""

    def __init__(self, latebind, root: Path):
        self.cli = latebind
        self.root = root

    def run(self, *args):
        return self.cli.run("--home", self.root, *args)

    def ok(self, *args):
        res = self.run(*args)
        assert res.returncode == 0, res.describe()
        return res

    def json(self, *args):
        return self.ok(*args).json()

    def ingest(self, source: str, name: str, content: str, expect_rc: int = 0):
        path = self.root.parent / name
        path.write_text(content)
        res = self.run("ingest", "--source", source, "--json", path)
        assert res.returncode == expect_rc, res.describe()
        return res.json()[0]


@pytest.fixture
def home(latebind, tmp_path) -> Home:
    return Home(latebind, tmp_path / "home")


@pytest.fixture
def story(home) -> Home:
    """orders: v1 DEPRECATED, v2 ACTIVE (+channel), v3 BREAKING (the rename); one payload
    without the optional channel (no version) and one malformed payload (dead-lettered)."""
    assert home.ingest("orders", "v1.ndjson", V1)["schema_version"] == 1
    assert home.ingest("orders", "v2.ndjson", V2)["schema_version"] == 2
    entry = home.ingest("orders", "v2b.ndjson", V2_NO_CHANNEL)
    assert entry["schema_version"] == 2 and not entry["new_version"]
    entry = home.ingest("orders", "v3.ndjson", V3)
    assert entry["schema_version"] == 3 and entry["schema_status"] == "BREAKING"
    assert home.ingest("orders", "bad.ndjson", MALFORMED, expect_rc=2)["dead_lettered"]
    return home


def resolve_rename(story: Home):
    return story.ok("schema", "resolve", "orders", "--version", "3", "--status", "ACTIVE",
                    "--note", "rename confirmed", "--map", "txn_date=transaction_date")


# --- sources -------------------------------------------------------------------------------


def test_sources_lists_counts_and_dead_letters(story):
    [src] = story.json("sources", "--json")
    assert src["source_id"] == "orders"
    assert src["versions"] == 3
    assert (src["latest_version"], src["latest_status"], src["active_version"]) == (3, "BREAKING", 2)
    assert src["breaking_versions"] == [3]
    assert src["payloads"] == 4 and src["records"] == 7
    assert src["dead_letters"] == 1
    assert src["created_at"] and src["last_payload_at"]

    plain = story.ok("sources").stdout
    assert not ANSI.search(plain), "piped output must be plain"
    [header, row] = plain.splitlines()
    assert header.split()[:5] == ["SOURCE", "VERSIONS", "LATEST", "ACTIVE", "BREAKING"]
    assert row.split()[:6] == ["orders", "3", "3", "BREAKING", "2", "3"]
    colored = story.ok("sources", "--color", "always").stdout
    assert "\x1b[1;31m3 BREAKING\x1b[0m" in colored  # highlighted on a terminal


def test_an_unresolved_breaking_version_stays_listed_behind_a_newer_active_one(story):
    """An additive payload after the BREAKING v3 makes v4 ACTIVE; v3 is still unresolved and
    still blocks promotion, so `sources` must not hide it behind "4 ACTIVE"."""
    entry = story.ingest("orders", "v4.ndjson", V3.replace('"customer_id"', '"region":"eu","customer_id"'))
    assert (entry["schema_version"], entry["schema_status"]) == (4, "ACTIVE")
    [src] = story.json("sources", "--json")
    assert (src["latest_version"], src["latest_status"], src["active_version"]) == (4, "ACTIVE", 4)
    assert src["breaking_versions"] == [3]
    [_, row] = story.ok("sources").stdout.splitlines()
    assert row.split()[:6] == ["orders", "4", "4", "ACTIVE", "4", "3"]
    assert story.run("promote").returncode == 3  # still blocked by v3
    resolve_rename(story)
    [src] = story.json("sources", "--json")
    assert src["breaking_versions"] == []
    [_, row] = story.ok("sources").stdout.splitlines()
    assert row.split()[5] == "-"


def test_sources_on_an_empty_home_lists_nothing(home):
    home.root.mkdir()
    assert home.json("sources", "--json") == []
    assert "no sources yet" in home.ok("sources").stdout
    assert list(home.root.iterdir()) == []


# Audit bug 3: a mistyped --home answered "no sources" (and `deadletter` created it): the
# commands that only read a home refuse one that does not exist, naming it, and create nothing.
@pytest.mark.parametrize("args", [
    ["sources"], ["sources", "--json"], ["tables"], ["tables", "--json"],
    ["schema", "history", "orders"], ["schema", "show", "orders"],
    ["schema", "diff", "orders", "1", "2"], ["schema", "export", "orders", "--format", "arrow"],
    ["schema", "resolve", "orders", "--version", "1", "--status", "ACTIVE", "--note", "x"],
])
def test_read_commands_refuse_a_missing_home_and_create_nothing(home, args):
    res = home.run(*args)
    assert res.returncode == 2, res.describe()
    assert f"no latebind home at {home.root}" in res.stderr, res.stderr
    if "--json" in args:  # the error on stdout too (ADR-114)
        assert res.json()["error"]["code"] == "bad_input", res.stdout
    else:
        assert res.stdout == ""
    assert not home.root.exists()


# --- history and show -----------------------------------------------------------------------


def test_history_versions_and_status_changes(story):
    doc = story.json("schema", "history", "orders", "--json")
    versions = doc["versions"]
    assert [(v["version"], v["status"], v["compatibility"]) for v in versions] == [
        (1, "DEPRECATED", "FULL"), (2, "ACTIVE", "FULL"), (3, "BREAKING", "BACKWARD")]
    assert versions[1]["field_diff"]["added"] == ["channel"]
    assert versions[1]["payloads"] == 2  # the payload without channel added no version
    renamed = versions[2]["field_diff"]["renamed"]
    assert list(renamed) == ["transaction_date"]
    assert renamed["transaction_date"]["to"] == "txn_date"
    assert 0 < renamed["transaction_date"]["confidence"] <= 1
    changes = [(c["version"], c["from"], c["to"]) for c in doc["status_history"]]
    assert (1, "ACTIVE", "DEPRECATED") in changes
    assert (3, None, "BREAKING") in changes
    assert all(c["who"] and c["at"] for c in doc["status_history"])

    text = story.ok("schema", "history", "orders").stdout
    assert not ANSI.search(text)
    lines = text.splitlines()
    row = {ln.split()[0]: ln for ln in lines if re.match(r"^\s+\d+\s", ln)}
    assert "DEPRECATED" in row["1"] and "first version" in row["1"]
    assert "ACTIVE" in row["2"] and "+1 added" in row["2"]
    assert "BREAKING" in row["3"] and "BACKWARD" in row["3"] and "~1 renamed" in row["3"]
    assert "status changes:" in text
    assert "ACTIVE → DEPRECATED" in text and "superseded by version 2" in text


def test_show_latest_and_a_given_version(story):
    text = story.ok("schema", "show", "orders").stdout
    header = dict(re.findall(r"^(\w+)\s{2,}(.*)$", text, re.M))
    assert header["source"] == "orders"
    assert header["version"] == "3 of 3"
    assert header["status"] == "BREAKING"
    assert header["compatibility"].startswith("BACKWARD")
    assert re.fullmatch(r"[0-9a-f]{32}", header["fingerprint"])
    assert header["promoted_at"] == "never"
    fields = {ln.split()[0]: ln.split() for ln in text.splitlines()
              if ln.startswith("  ") and not ln.strip().startswith("FIELD")}
    assert fields["transaction_date"][1:3] == ["date", "removed"]
    assert fields["txn_date"][1:3] == ["date", "required"]
    assert fields["channel"][1:3] == ["string", "optional"]
    assert fields["amount"][1] == "float64"

    v1 = story.json("schema", "show", "orders", "--version", "1", "--json")
    assert v1["version"] == 1 and v1["status"] == "DEPRECATED"
    assert [f["path"] for f in v1["fields"]] == ["transaction_id", "transaction_date", "amount",
                                                 "customer_id"]
    assert {f["path"]: f["type"] for f in v1["fields"]}["transaction_date"] == "date"


def test_show_indents_nested_fields(home):
    home.ingest("nest", "n.json",
                '[{"id":1,"user":{"name":"a","tags":["x"]},"items":[{"sku":"s","qty":2}]}]')
    text = home.ok("schema", "show", "nest").stdout
    assert re.search(r"^  user\s", text, re.M)
    assert re.search(r"^    user\.name\s", text, re.M)
    assert re.search(r"^      user\.tags\[\]\s", text, re.M)
    assert re.search(r"^      items\[\]\.sku\s", text, re.M)


def ids_payload(first: int, n: int) -> str:
    """n records with unique ids first … first+n-1 and a status of three values."""
    statuses = ("new", "paid", "void")
    return "".join(f'{{"id":"ord-{i}","status":"{statuses[i % 3]}"}}\n'
                   for i in range(first, first + n))


def shown_distinct(home: Home, source: str) -> dict[str, int]:
    """DISTINCT~ of each field, as `schema show` prints it (and as --json has it)."""
    v = home.json("schema", "show", source, "--json")
    from_json = {f["path"]: f["distinct_approx"] for f in v["fields"]}
    text = home.ok("schema", "show", source).stdout
    lines = text.splitlines()
    header = next(ln for ln in lines if ln.strip().startswith("FIELD"))
    column = header.split().index("DISTINCT~")
    from_table = {ln.split()[0]: int(ln.split()[column]) for ln in lines[lines.index(header) + 1:]
                  if ln.startswith("  ") and ln.split()[0] in from_json}
    assert from_table == from_json
    # The sketches behind the counts are the registry's own, not part of the JSON form.
    assert not any("distinct_sketch" in f or "distinct_payload_max" in f for f in v["fields"])
    return from_json


def test_distinct_count_is_over_all_payloads_of_the_version(home):
    """DISTINCT~ was the largest single payload's estimate: five payloads of 1,000 unique
    ids each showed ~1,000. It is the union now, and a payload seen again adds nothing."""
    for p in range(5):
        home.ingest("orders", f"part-{p}.ndjson", ids_payload(p * 1000, 1000))
    home.ingest("orders", "again.ndjson", ids_payload(2000, 1000))
    assert home.json("schema", "show", "orders", "--json")["payloads"] == 6
    distinct = shown_distinct(home, "orders")
    assert abs(distinct["id"] - 5000) <= 0.13 * 5000, distinct  # 4 standard errors
    assert distinct["status"] == 3


def test_a_registry_from_before_sketches_keeps_its_distinct_counts(home):
    """A registry written by an earlier latebind has counts but no sketches: the counts
    stay (never drop to the new payload's), and the union takes over from there."""
    home.ingest("orders", "part-0.ndjson", ids_payload(0, 3000))
    before = shown_distinct(home, "orders")
    with sqlite3.connect(home.root / "registry.db") as db:
        db.execute("UPDATE schema_versions SET fields = (SELECT json_group_array(json("
                   "json_remove(value, '$.distinct_sketch', '$.distinct_payload_max'))) "
                   "FROM json_each(fields))")
    db.close()
    home.ingest("orders", "part-1.ndjson", ids_payload(10000, 100))
    assert shown_distinct(home, "orders") == before
    for p in range(2, 6):
        home.ingest("orders", f"part-{p}.ndjson", ids_payload(p * 10000, 1000))
    assert abs(shown_distinct(home, "orders")["id"] - 4100) <= 0.13 * 4100


# --- diff -----------------------------------------------------------------------------------


def test_diff_shows_the_rename_plain_when_piped(story, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    confidence = story.json("schema", "show", "orders", "--json")["field_diff"]["renamed"][
        "transaction_date"]["confidence"]
    text = story.ok("schema", "diff", "orders", "2", "3").stdout
    assert not ANSI.search(text)
    assert "BREAKING" in text and "BACKWARD" in text
    [rename] = [ln for ln in text.splitlines() if ln.startswith("R ")]
    assert "transaction_date → txn_date" in rename
    assert f"confidence {confidence:.2f}" in rename and "not confirmed" in rename
    assert not any(ln.startswith(("+ ", "- ")) for ln in text.splitlines())

    colored = story.ok("schema", "diff", "orders", "2", "3", "--color", "always").stdout
    assert "\x1b[" in colored
    assert ANSI.sub("", colored) == text
    monkeypatch.setenv("NO_COLOR", "1")
    assert not ANSI.search(story.ok("schema", "diff", "orders", "1", "3").stdout)
    assert "\x1b[" in story.ok("schema", "diff", "orders", "1", "3", "--color", "always").stdout


def test_diff_across_versions_and_backwards(story):
    text = story.ok("schema", "diff", "orders", "1", "3").stdout
    assert re.search(r"^\+ channel\s+string, optional$", text, re.M)
    assert "transaction_date → txn_date" in text
    assert "versions since v1: v2 ACTIVE FULL, v3 BREAKING BACKWARD" in text  # v3 a step too

    doc = story.json("schema", "diff", "orders", "1", "3", "--json")
    assert (doc["from"], doc["to"], doc["status"], doc["compatibility"]) == (1, 3, "BREAKING",
                                                                             "BACKWARD")
    assert doc["added"] == [{"path": "channel", "type": "string", "required": False}]
    assert doc["removed"] == []
    [r] = doc["renamed"]
    assert (r["from"], r["to"], r["version"], r["confirmed"]) == ("transaction_date", "txn_date",
                                                                  3, False)
    assert [v["version"] for v in doc["versions"]] == [2, 3]

    back = story.json("schema", "diff", "orders", "3", "1", "--json")
    assert back["removed"] == [{"path": "channel", "type": "string", "required": False}]
    assert (back["renamed"][0]["from"], back["renamed"][0]["to"]) == ("txn_date", "transaction_date")

    same = story.ok("schema", "diff", "orders", "2", "2").stdout
    assert "no field changes" in same


def test_diff_type_and_required_changes(home):
    home.ingest("scores", "a.ndjson", '{"id":1,"score":1}\n{"id":2,"score":5}\n')
    home.ingest("scores", "b.ndjson", '{"id":3,"score":"high","extra":true}\n{"score":"low"}\n')
    doc = home.json("schema", "diff", "scores", "1", "2", "--json")
    assert doc["type_changed"] == [{"path": "score", "from": "int64", "to": "string"}]
    assert doc["required_changed"] == [{"path": "id", "from": "required", "to": "optional"}]
    assert doc["added"] == [{"path": "extra", "type": "boolean", "required": False}]
    assert doc["compatibility"] == "NONE" and doc["status"] == "BREAKING"
    text = home.ok("schema", "diff", "scores", "1", "2").stdout
    assert re.search(r"^~ score\s+type int64 → string$", text, re.M)
    assert re.search(r"^~ id\s+required → optional$", text, re.M)
    colored = home.ok("schema", "diff", "scores", "1", "2", "--color", "always").stdout
    assert "\x1b[33m~ score" in colored  # yellow, as git colors changes
    assert "\x1b[32m+ extra" in colored  # green


def test_producers_on_two_shapes_raise_one_breaking_version_not_one_per_switch(home):
    """Audit 2026-11-24: a field back after being removed was required again, so producers
    on two shapes (a rolling deploy) alternating payloads raised a BREAKING version and an
    alert at every switch. Once back, the field is optional: one BREAKING, then quiet."""
    old, new = '{"id":1}\n', '{"id":2,"coupon":"X"}\n'
    statuses = [home.ingest("shop", f"p{i}.ndjson", new if i % 2 else old)
                for i in range(8)]
    created = [(e["schema_version"], e["schema_status"]) for e in statuses if e["new_version"]]
    assert created == [(1, "ACTIVE"), (2, "ACTIVE"), (3, "BREAKING"), (4, "ACTIVE")]
    shown = home.json("schema", "show", "shop", "--json")
    coupon = next(f for f in shown["fields"] if f["path"] == "coupon")
    assert coupon["required"] is False and not coupon.get("removed")


# --- resolve --------------------------------------------------------------------------------


def test_resolve_confirms_the_rename(story, monkeypatch):
    monkeypatch.setenv("USER", "alice")
    out = resolve_rename(story).stdout
    assert "orders version 3: BREAKING → ACTIVE by alice" in out
    assert "txn_date → column transaction_date" in out
    assert "version 2: ACTIVE → DEPRECATED" in out

    v3 = story.json("schema", "show", "orders", "--version", "3", "--json")
    assert v3["status"] == "ACTIVE" and v3["note"] == "rename confirmed"
    assert v3["mappings"] == {"txn_date": "transaction_date"}
    assert story.json("schema", "show", "orders", "--version", "2", "--json")["status"] == "DEPRECATED"
    history = story.json("schema", "history", "orders", "--json")["status_history"]
    last = {c["version"]: c for c in history[-2:]}
    assert (last[3]["from"], last[3]["to"], last[3]["who"], last[3]["note"]) == (
        "BREAKING", "ACTIVE", "alice", "rename confirmed")
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", last[3]["at"])
    assert (last[2]["from"], last[2]["to"]) == ("ACTIVE", "DEPRECATED")
    [src] = story.json("sources", "--json")
    assert (src["latest_status"], src["active_version"]) == ("ACTIVE", 3)
    diff = story.json("schema", "diff", "orders", "2", "3", "--json")
    assert diff["renamed"][0]["confirmed"] is True


def test_resolve_json_and_deprecate(story):
    doc = story.json("schema", "resolve", "orders", "--version", "1", "--status", "deprecated",
                     "--note", "old", "--json")
    assert doc["resolved"]["version"] == 1 and doc["resolved"]["status"] == "DEPRECATED"
    assert doc["changed"] == []  # it was DEPRECATED already: history grows, statuses stay
    doc = story.json("schema", "resolve", "orders", "--version", "3", "--status", "ACTIVE",
                     "--note", "ok", "--map", "txn_date=transaction_date", "--json")
    assert doc["resolved"]["mappings"] == {"txn_date": "transaction_date"}
    assert sorted((c["version"], c["from"], c["to"]) for c in doc["changed"]) == [
        (2, "ACTIVE", "DEPRECATED"), (3, "BREAKING", "ACTIVE")]


@pytest.mark.parametrize("args, message", [
    (["--status", "FOO", "--note", "x"], "--status 'FOO': want ACTIVE or DEPRECATED"),
    (["--status", "BREAKING", "--note", "x"], "BREAKING is only ever found"),
    (["--status", "ACTIVE", "--note", ""], "needs a note"),
    (["--status", "ACTIVE", "--note", "x", "--map", "nope=transaction_date"],
     "nope is not a live field of orders version 3"),
    (["--status", "ACTIVE", "--note", "x", "--map", "txn_date=nope"],
     "nope is not a field of orders version 3"),
    (["--status", "ACTIVE", "--note", "x", "--map", "txn_date"], "want NEW=OLD"),
    # Audit bug 1: a mapping onto a live column replaced it; two onto one column dropped one.
    (["--status", "ACTIVE", "--note", "x", "--map", "txn_date=amount"],
     "amount is a live field of orders version 3"),
    (["--status", "ACTIVE", "--note", "x", "--map", "txn_date=transaction_date",
      "--map", "channel=transaction_date"], "column transaction_date is already filled by"),
    (["--status", "ACTIVE", "--note", "x", "--map", "amount=transaction_date"],
     "amount is float64 and cannot fill transaction_date's date column"),
    (["--status", "ACTIVE", "--note", "x", "--map", "txn_date=transaction_date",
      "--map", "txn_date=customer_id"], "mapped twice"),
    (["--status", "ACTIVE", "--note", "x", "--map", "=transaction_date"], "want NEW=OLD"),
])
def test_resolve_refuses_bad_input_and_changes_nothing(story, args, message):
    res = story.run("schema", "resolve", "orders", "--version", "3", *args)
    assert res.returncode == 2, res.describe()
    assert message in res.stderr, res.stderr
    v3 = story.json("schema", "show", "orders", "--json")
    assert v3["status"] == "BREAKING" and v3["mappings"] == {}


# --- export ---------------------------------------------------------------------------------


def test_export_arrow_binds_the_confirmed_rename(story):
    # Before resolution the default is the latest ACTIVE version, v2.
    before = story.ok("schema", "export", "orders", "--format", "arrow").stdout
    assert before.splitlines() == ["transaction_id: string", "transaction_date: date32[day]",
                                   "amount: double", "customer_id: string", "channel: string"]
    # v3 unresolved: transaction_date is removed but keeps its column (typed as it was, at
    # its place: a removal never drops a curated column, audit bug B), and txn_date,
    # unconfirmed, is a column of its own after it.
    v3 = story.ok("schema", "export", "orders", "--version", "3", "--format", "arrow").stdout
    assert v3.splitlines() == before.splitlines() + ["txn_date: date32[day]"]

    resolve_rename(story)
    after = story.ok("schema", "export", "orders", "--format", "arrow").stdout
    assert after == before  # the curated column keeps its name, typed from txn_date
    assert "txn_date" not in after


def test_resolve_refuses_to_overwrite_a_live_column(home):
    """Audit bug 1 as found: `--map txn_date=id` exited 0 and the export typed id as a date
    (the int64 id column gone); `--map extra=transaction_date` beside the rename dropped
    extra. Both are refused with exit 2, and the confirmed rename still works."""
    home.ingest("orders", "a.ndjson", '{"id":1,"transaction_date":"2024-01-02","amount":1.5}\n')
    home.ingest("orders", "b.ndjson",
                '{"id":2,"transaction_date":"2024-01-03","amount":2.5,"extra":"x"}\n')
    assert home.ingest("orders", "c.ndjson",
                       '{"id":3,"txn_date":"2024-01-04","amount":3.5,"extra":"y"}\n'
                       )["schema_status"] == "BREAKING"
    resolve = ["schema", "resolve", "orders", "--version", "3", "--status", "ACTIVE", "--note", "ok"]
    for maps in (["txn_date=id"], ["txn_date=transaction_date", "extra=transaction_date"]):
        res = home.run(*resolve, *[a for m in maps for a in ("--map", m)])
        assert res.returncode == 2, res.describe()
        assert home.json("schema", "show", "orders", "--json")["status"] == "BREAKING"
    home.ok(*resolve, "--map", "txn_date=transaction_date")
    arrow = home.ok("schema", "export", "orders", "--format", "arrow").stdout
    assert re.search(r"^id: int64$", arrow, re.M), arrow
    assert re.search(r"^transaction_date: date32\[day\]$", arrow, re.M), arrow
    assert re.search(r"^extra: string$", arrow, re.M), arrow
    assert not re.search(r"^txn_date:", arrow, re.M), arrow


def test_resolve_maps_keys_holding_equals_signs_and_dots(home):
    """--map split at its first `=`, so a key holding `=` could not be mapped. A key's own
    `=` is written `\\=` there; its `.` keeps the path escape `\\.`."""
    home.ingest("m", "a.ndjson", '{"id":1,"k=v.old":"2024-01-02"}\n')
    home.ingest("m", "b.ndjson", '{"id":2,"k=v.old":"2024-01-03","x":1}\n')
    assert home.ingest("m", "c.ndjson", '{"id":3,"k=v.new":"2024-01-04","x":2}\n'
                       )["schema_status"] == "BREAKING"
    resolve = ["schema", "resolve", "m", "--version", "3", "--status", "ACTIVE", "--note", "ok"]
    for bad in ("k=v\\.new=k=v\\.old", "k\\=v\\.new"):
        res = home.run(*resolve, "--map", bad)
        assert res.returncode == 2 and "want NEW=OLD" in res.stderr, res.describe()
    doc = home.json(*resolve, "--map", "k\\=v\\.new=k\\=v\\.old", "--json")
    assert doc["resolved"]["mappings"] == {"k=v\\.new": "k=v\\.old"}
    arrow = home.ok("schema", "export", "m", "--format", "arrow").stdout
    assert re.search(r"^k=v\.old: date32\[day\]$", arrow, re.M), arrow
    assert "k=v.new" not in arrow


def test_export_spark_struct_type(story):
    resolve_rename(story)
    doc = story.json("schema", "export", "orders", "--format", "spark")
    assert doc["type"] == "struct"
    assert [f["name"] for f in doc["fields"]] == COLUMNS
    types = {f["name"]: f["type"] for f in doc["fields"]}
    assert types == {"transaction_id": "string", "transaction_date": "date", "amount": "double",
                     "customer_id": "string", "channel": "string"}
    assert all(f["nullable"] is True and f["metadata"] == {} for f in doc["fields"])
    try:
        from pyspark.sql.types import StructType  # optional: not a test dependency
    except ImportError:
        return
    assert StructType.fromJson(doc).fieldNames() == COLUMNS


def test_export_jsonschema_validates_a_record(story):
    resolve_rename(story)
    doc = story.json("schema", "export", "orders", "--format", "jsonschema")
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["type"] == "object"
    props = doc["properties"]
    # The raw record's keys: the confirmed rename binds txn_date to the curated column
    # transaction_date, but producers send both keys, the old one before v3, the new after.
    assert list(props) == COLUMNS + ["txn_date"]
    assert props["transaction_date"] == {"type": ["string", "null"], "format": "date"}
    assert props["txn_date"] == {"type": ["string", "null"], "format": "date"}
    assert props["amount"]["type"] == ["number", "null"]
    # transaction_date is removed in v3 and txn_date came with it: neither is in every record.
    assert set(doc["required"]) == {"transaction_id", "amount", "customer_id"}
    try:
        import jsonschema  # optional: not a test dependency
    except ImportError:
        return
    jsonschema.Draft202012Validator.check_schema(doc)
    for line in (V1 + V2 + V2_NO_CHANNEL + V3).splitlines():
        jsonschema.validate(json.loads(line), doc, cls=jsonschema.Draft202012Validator)
    record = {"transaction_id": "T9", "transaction_date": "2024-02-01", "amount": 1.5,
              "customer_id": "C9", "channel": None}
    jsonschema.validate(record, doc, cls=jsonschema.Draft202012Validator)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**record, "amount": "a lot"}, doc, cls=jsonschema.Draft202012Validator)
    with pytest.raises(jsonschema.ValidationError):
        missing = {k: v for k, v in record.items() if k != "customer_id"}
        jsonschema.validate(missing, doc, cls=jsonschema.Draft202012Validator)


def test_export_nested_types(home):
    home.ingest("nest", "n.json",
                '[{"id":1,"user":{"name":"a","tags":["x"]},"items":[{"sku":"s","qty":2}],'
                '"at":"2024-01-01T10:00:00Z","nothing":null}]')
    arrow = home.ok("schema", "export", "nest", "--format", "arrow").stdout.splitlines()
    assert arrow == ["id: int64", "user: struct<name: string, tags: list<item: string>>",
                     "items: list<item: struct<sku: string, qty: int64>>",
                     "at: timestamp[us, tz=UTC]", "nothing: string"]
    spark = {f["name"]: f["type"] for f in
             home.json("schema", "export", "nest", "--format", "spark")["fields"]}
    assert spark["items"] == {"type": "array", "containsNull": True, "elementType": {
        "type": "struct", "fields": [
            {"name": "sku", "type": "string", "nullable": True, "metadata": {}},
            {"name": "qty", "type": "long", "nullable": True, "metadata": {}}]}}
    assert spark["user"]["fields"][1]["type"] == {"type": "array", "elementType": "string",
                                                  "containsNull": True}
    assert spark["at"] == "timestamp"
    js = home.json("schema", "export", "nest", "--format", "jsonschema")["properties"]
    assert js["items"]["items"]["properties"]["qty"] == {"type": ["integer", "null"]}
    # The profiler's timestamps are wider than RFC 3339 (no seconds, a space, +0530): a
    # pattern of exactly its grammar, no `format: date-time` (audit).
    assert js["at"]["type"] == ["string", "null"] and "format" not in js["at"]
    assert re.search(js["at"]["pattern"], "2024-01-01T10:00:00Z")


# Audit: `schema export --format jsonschema` rejected the records the schema was learned
# from. Payloads that make versions: v1 with an object and an array never seen with a key or
# element, a field mixing ints and strings, timestamps without seconds, with a space and a
# +0530 offset; v2 adds a field and nested members (FULL, additive); v3 types n as a string
# (BREAKING, resolved) and puts a date in the timestamp field.
RAW_V1 = [
    {"id": 1, "name": "a", "o": {}, "tags": [], "code": 1, "n": 1, "at": "2026-01-01 10:00",
     "meta": {"k": 1}, "items": [{"sku": "s1"}], "day": "2026-01-01"},
    {"id": 2, "name": None, "o": {}, "tags": [], "code": "x", "n": 2,
     "at": "2026-01-01T10:00:00+0530", "meta": {"k": 2}, "items": [], "day": "2024-02-29"},
]
RAW_V2 = [
    {"id": 3, "name": "c", "o": {}, "tags": [], "code": 2, "n": 3, "at": "2026-01-02t10:00Z",
     "meta": {"k": 3, "added": "m"}, "items": [{"sku": "s2", "qty": 2}], "day": "2026-01-02",
     "extra": True},
]
RAW_V3 = [
    {"id": 4, "name": "d", "o": {}, "tags": [], "code": "y", "n": "four", "at": "2026-01-03",
     "meta": {"k": 4, "added": "n"}, "items": [{"sku": "s3", "qty": 1}], "day": "2026-01-03",
     "extra": False},
]


def ndjson(records):
    return "".join(json.dumps(r) + "\n" for r in records)


def validator_of(doc):
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(doc)
    return jsonschema.Draft202012Validator(
        doc, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_export_jsonschema_accepts_every_ingested_record(home):
    assert home.ingest("raw", "v1.ndjson", ndjson(RAW_V1))["schema_version"] == 1
    entry = home.ingest("raw", "v2.ndjson", ndjson(RAW_V2))
    assert entry["schema_version"] == 2 and entry["schema_status"] == "ACTIVE"
    entry = home.ingest("raw", "v3.ndjson", ndjson(RAW_V3))
    assert entry["schema_version"] == 3 and entry["schema_status"] == "BREAKING"
    home.ok("schema", "resolve", "raw", "--version", "3", "--status", "ACTIVE", "--note", "ok")

    doc = home.json("schema", "export", "raw", "--format", "jsonschema")
    props = doc["properties"]
    # Only what every record since version 1 carries is required: not extra (v2).
    assert set(doc["required"]) == {"id", "name", "o", "tags", "code", "n", "at", "meta",
                                    "items", "day"}
    # Nested: meta.added appeared with v2, items[].qty with v2, after their objects.
    assert props["meta"]["required"] == ["k"]
    assert props["items"]["items"]["required"] == ["sku"]
    # The raw values, not the bound columns: no type for mixed values, an object or array
    # never seen with a key or element is one, a timestamp matched by pattern, not format.
    assert props["code"] == {"description": "values of more than one JSON type seen"}
    assert props["n"] == {"description": "values of more than one JSON type seen"}
    assert props["o"]["type"] == ["object", "null"] and "properties" not in props["o"]
    assert props["tags"]["type"] == ["array", "null"] and "items" not in props["tags"]
    assert "format" not in props["at"] and "pattern" in props["at"]
    assert props["day"] == {"type": ["string", "null"], "format": "date"}

    validator = validator_of(doc)
    for record in RAW_V1 + RAW_V2 + RAW_V3:
        errors = [e.message for e in validator.iter_errors(record)]
        assert not errors, (record, errors)
    # Real constraints still hold.
    record = RAW_V3[0]
    for bad in ({**record, "id": "seven"}, {k: v for k, v in record.items() if k != "id"},
                {**record, "meta": {"added": "x"}}, {**record, "items": [{"qty": 1}]},
                {**record, "at": "yesterday"}, {**record, "at": "2026-02-29 10:00"},
                {**record, "day": "2026-02-30"}, {**record, "extra": "yes"},
                {**record, "o": 5}, {**record, "tags": {}}):
        assert not validator.is_valid(bad), bad
    # Each version describes its own records: v1 requires nothing v2 added either.
    v1 = validator_of(home.json("schema", "export", "raw", "--version", "1",
                                "--format", "jsonschema"))
    assert all(v1.is_valid(r) for r in RAW_V1)


# The exported pattern accepts exactly what the profiler types timestamp or date.
TIMESTAMP_CANDIDATES = [
    "2026-01-01", "2026-01-01 10:00", "2026-01-01T10:00:00", "2026-01-01t10:00:00.5z",
    "2026-01-01T10:00:00,123456789Z", "2026-01-01T10:00:00.1234567890Z", "2026-01-01T10:00+05",
    "2026-01-01T10:00+0530", "2026-01-01T10:00-05:30", "2026-01-01T10:00:60Z",
    "2026-01-01T10:00:61Z", "2026-01-01T24:00", "2026-01-01T23:60", "2026-01-01T10:00+24",
    "2026-01-01T10:00+05:60", "2026-01-01T10:00+5", "2026-01-01T10:00+05:3",
    "2026-01-01T10:00:5", "2026-01-01T10:00.5", "2026-01-01T10", "2026-01-01Z",
    "2026-01-01_10:00", "2024-02-29T00:00", "2023-02-29T00:00", "2000-02-29 00:00",
    "1900-02-29 00:00", "0000-02-29 00:00", "2026-04-31 00:00", "2026-13-01 00:00",
    "2026-00-10 00:00", "2026-1-01 00:00", "20260101T1000", "2026-01-01T10:00:00Z ",
    "\u0662026-01-01T10:00", "2026-01-01T10:00:00.Z", "2026-12-31T23:59:59.999999999-23:59",
]


def test_timestamp_pattern_matches_what_the_profiler_types_timestamp(home, write, latebind):
    record = {f"f{i}": s for i, s in enumerate(TIMESTAMP_CANDIDATES)}
    home.ingest("ts", "ts.ndjson", json.dumps(record) + "\n")
    pattern = home.json("schema", "export", "ts", "--format", "jsonschema")["properties"]
    pattern = next(p["pattern"] for p in pattern.values() if "pattern" in p)
    typed = {f["path"]: f["type"] for f in home.json("schema", "show", "ts", "--json")["fields"]}
    for i, s in enumerate(TIMESTAMP_CANDIDATES):
        calendar = typed[f"f{i}"] in ("timestamp", "date")
        assert bool(re.search(pattern, s)) == calendar, (s, typed[f"f{i}"])


# --- errors and help ------------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["schema", "history", "nope"],
    ["schema", "show", "nope"],
    ["schema", "diff", "nope", "1", "2"],
    ["schema", "export", "nope", "--format", "arrow"],
    ["schema", "resolve", "nope", "--version", "1", "--status", "ACTIVE", "--note", "x"],
])
def test_unknown_source_exits_2_naming_it(story, args):
    res = story.run(*args)
    assert res.returncode == 2, res.describe()
    assert "unknown source 'nope'" in res.stderr
    assert res.stdout == ""


@pytest.mark.parametrize("args", [
    ["schema", "show", "orders", "--version", "9"],
    ["schema", "diff", "orders", "1", "9"],
    ["schema", "export", "orders", "--version", "9", "--format", "spark"],
    ["schema", "resolve", "orders", "--version", "9", "--status", "ACTIVE", "--note", "x"],
])
def test_unknown_version_exits_2_naming_it(story, args):
    res = story.run(*args)
    assert res.returncode == 2, res.describe()
    assert "source 'orders' has no version 9 (it has versions 1 to 3)" in res.stderr


@pytest.mark.parametrize("args", [
    ["schema", "show", "orders", "--version", "0"],
    ["schema", "diff", "orders", "1", "x"],
    ["schema", "export", "orders", "--format", "avro"],
    ["schema", "diff", "orders", "1", "2", "--color", "sometimes"],
    ["schema", "resolve", "orders", "--version", "3", "--status", "ACTIVE"],  # no --note
])
def test_usage_errors_exit_2(story, args):
    res = story.run(*args)
    assert res.returncode == 2, res.describe()


def test_unknown_source_without_a_registry(home):
    home.root.mkdir()
    res = home.run("schema", "show", "orders")
    assert res.returncode == 2
    assert "unknown source 'orders'" in res.stderr and "no registry" in res.stderr
    assert list(home.root.iterdir()) == []


def test_a_source_with_only_dead_letters_has_no_schema(home):
    home.ingest("broken", "bad.ndjson", MALFORMED, expect_rc=2)
    [src] = home.json("sources", "--json")
    assert (src["source_id"], src["versions"], src["dead_letters"]) == ("broken", 0, 1)
    assert src["latest_status"] is None
    res = home.run("schema", "show", "broken")
    assert res.returncode == 2 and "has no schema version yet" in res.stderr


@pytest.mark.parametrize("sub", ["history", "show", "diff", "resolve", "export"])
def test_help_explains_with_an_example(latebind, sub):
    res = latebind.run("schema", sub, "--help")
    assert res.returncode == 0
    assert "Example" in res.stdout and f"latebind schema {sub}" in res.stdout


def test_sources_help(latebind):
    res = latebind.run("sources", "--help")
    assert res.returncode == 0 and "Example" in res.stdout


# Audit bug 4: source ids are checked as ingest checks them, by every command that takes one.
@pytest.mark.parametrize("args", [
    ["schema", "history", "../raw"], ["schema", "show", "Orders"],
    ["schema", "diff", "a/b", "1", "2"], ["schema", "export", "../x", "--format", "arrow"],
    ["schema", "resolve", "..", "--version", "1", "--status", "ACTIVE", "--note", "x"],
])
def test_bad_source_ids_are_usage_errors(story, args):
    res = story.run(*args)
    assert res.returncode == 2, res.describe()
    assert "invalid source id" in res.stderr, res.stderr


# Audit bug 5: `latebind bogus` said only "A subcommand is required".
@pytest.mark.parametrize("args, prefix, word, commands", [
    (["bogus"], "latebind", "bogus", ["profile", "ingest", "serve", "sources", "schema"]),
    (["schema", "bogus", "orders"], "latebind schema", "bogus",
     ["history", "show", "diff", "resolve", "export"]),
    (["deadletter", "bogus"], "latebind deadletter", "bogus", ["list", "replay"]),
])
def test_unknown_commands_are_named_with_the_valid_ones(latebind, args, prefix, word, commands):
    res = latebind.run(*args)
    assert res.returncode == 2, res.describe()
    assert f"{prefix}: unknown command '{word}'" in res.stderr, res.stderr
    assert all(c in res.stderr for c in commands), res.stderr
    assert "A subcommand is required" not in res.stderr


@pytest.mark.parametrize("args, prefix", [([], "latebind"), (["schema"], "latebind schema")])
def test_a_missing_command_lists_the_valid_ones(latebind, args, prefix):
    res = latebind.run(*args)
    assert res.returncode == 2, res.describe()
    assert f"{prefix}: a command is required; the commands are:" in res.stderr, res.stderr


@pytest.mark.parametrize("args", [["sources", "--version"],
                                  ["schema", "history", "orders", "--version", "2"]])
def test_version_after_a_command_without_it_is_a_usage_error(home, args):
    """Audit 2026-11-24: a command's unknown --version fell through to the program's and
    printed `latebind 0.1.0` with exit 0, so a mistyped filter silently did nothing."""
    res = home.run(*args)
    assert res.returncode == 2, res.describe()
    assert "--version is not an option of this command" in res.stderr
    assert "latebind 0.1.0" not in res.stdout
    assert home.run("--version").stdout.strip() == "latebind 0.1.0"
