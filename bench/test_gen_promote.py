"""Checks for bench/gen_promote.py: the NDJSON and CSV parts hold the same rows, the
checksums in promote.meta.json are right, output is deterministic and split as asked.
Run: .venv/bin/python -m pytest bench/test_gen_promote.py"""
import csv
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "gen_promote.py")
sys.path.insert(0, HERE)
import gen_promote  # noqa: E402


def run_gen(out, *args):
    subprocess.run([sys.executable, GEN, "--out-dir", str(out), *args], check=True,
                   capture_output=True)
    with open(out / gen_promote.META) as f:
        return json.load(f)


def test_parts_match(tmp_path):
    meta = run_gen(tmp_path, "--rows", "5000", "--files", "3", "--seed", "7")
    assert meta["rows"] == 5000 and len(meta["files"]) == 3
    objs, rows = [], []
    for part in meta["files"]:
        nd = tmp_path / part["ndjson"]
        cs = tmp_path / part["csv"]
        assert os.path.getsize(nd) == part["ndjson_bytes"]
        assert os.path.getsize(cs) == part["csv_bytes"]
        with open(nd, encoding="utf-8") as f:
            po = [json.loads(line) for line in f]
        with open(cs, encoding="utf-8", newline="") as f:
            pr = list(csv.DictReader(f))
        assert len(po) == len(pr) == part["rows"]
        assert list(pr[0].keys()) == gen_promote.CSV_COLUMNS
        objs += po
        rows += pr
    assert [o["seq"] for o in objs] == list(range(1, 5001))
    cents = tags = items = 0
    with_items = 0
    for o, r in zip(objs, rows):
        cents += round(o["amount"] * 100)
        tags += len(o["tags"])
        items += len(o["line_items"])
        with_items += bool(o["line_items"])
        assert r["transaction_id"] == o["transaction_id"] and int(r["seq"]) == o["seq"]
        assert float(r["amount"]) == o["amount"]
        assert r["account_holder_name"] == o["account"]["holder"]["name"]
        assert json.loads(r["tags"]) == o["tags"]
        assert json.loads(r["line_items"]) == o["line_items"]
        assert r["memo"] == (o.get("memo") or "")
        assert r["merchant_mcc"] == (str(o["merchant"]["mcc"]) if o["merchant"] else "")
        assert r["is_international"] == ("true" if o["is_international"] else "false")
        for it in o["line_items"]:
            assert isinstance(it["qty"], int) and isinstance(it["unit_price"], float)
            assert isinstance(it["refunded"], bool)
    assert meta["checks"] == {"amount_cents": cents, "tags": tags, "line_items": items}
    assert 0.1 < with_items / len(objs) < 0.5


def test_deterministic_and_sized(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    ma = run_gen(a, "--mb", "2", "--files", "4", "--seed", "3")
    mb = run_gen(b, "--mb", "2", "--files", "4", "--seed", "3")
    assert ma["files"] == mb["files"]
    for part in ma["files"]:
        for k in ("ndjson", "csv"):
            assert (a / part[k]).read_bytes() == (b / part[k]).read_bytes()
        assert 0.45e6 <= part["ndjson_bytes"] <= 0.52e6
    assert ma["ndjson_bytes"] >= 2e6
