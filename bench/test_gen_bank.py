"""Checks for bench/gen_bank.py: NDJSON and CSV hold the same rows, both parse, output is
deterministic and sized as asked. Run: .venv/bin/python -m pytest bench/test_gen_bank.py"""
import csv
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "gen_bank.py")
sys.path.insert(0, HERE)
import gen_bank  # noqa: E402


def run_gen(out, *args):
    subprocess.run([sys.executable, GEN, "--out-dir", str(out), *args], check=True,
                   capture_output=True)
    return out / "bank.ndjson", out / "bank.csv"


def flatten(o):
    acc, m, cp = o["account"], o["merchant"], o["counterparty"]
    memo = o.get("memo")

    def s(v):
        if v is None:
            return ""
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float):
            return None  # compared numerically below
        return str(v)

    return {
        "transaction_id": o["transaction_id"], "account_id": acc["id"], "account_iban": acc["iban"],
        "account_holder_name": acc["holder"]["name"], "account_holder_country": acc["holder"]["country"],
        "currency": o["currency"], "transaction_date": o["transaction_date"],
        "booked_at": o["booked_at"], "merchant_name": s(m and m["name"]),
        "merchant_category": s(m and m["category"]), "merchant_mcc": s(m and m["mcc"]),
        "tags": "|".join(o["tags"]), "memo": s(memo), "channel": o["channel"],
        "status": o["status"], "is_international": s(o["is_international"]),
        "counterparty_name": s(cp and cp["name"]), "counterparty_iban": s(cp and cp["iban"]),
    }


def test_rows_match(tmp_path):
    nd, cs = run_gen(tmp_path, "--rows", "6000", "--seed", "7")
    with open(nd, encoding="utf-8") as f:
        lines = f.read().split("\n")
    assert lines[-1] == ""
    objs = [json.loads(line) for line in lines[:-1]]
    with open(cs, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(objs) == len(rows) == 6000
    assert list(rows[0].keys()) == gen_bank.CSV_COLUMNS
    seen = {"memo_absent": 0, "memo_null": 0, "multiline": 0, "quote": 0, "comma": 0,
            "merchant_null": 0, "cp_null": 0, "bal_null": 0, "fx": 0}
    for o, r in zip(objs, rows):
        exp = flatten(o)
        for k, v in exp.items():
            assert r[k] == v, (k, o, r)
        assert isinstance(o["amount"], float) and float(r["amount"]) == o["amount"]
        if o["balance_after"] is None:
            seen["bal_null"] += 1
            assert r["balance_after"] == ""
        else:
            assert float(r["balance_after"]) == o["balance_after"]
        if "fx_rate" in o:
            seen["fx"] += 1
            assert float(r["fx_rate"]) == o["fx_rate"]
        else:
            assert r["fx_rate"] == ""
        assert isinstance(o["is_international"], bool)
        assert len(o["transaction_id"]) == 26
        memo = o.get("memo", "absent")
        if memo == "absent":
            seen["memo_absent"] += 1
        elif memo is None:
            seen["memo_null"] += 1
        else:
            seen["multiline"] += "\n" in memo
            seen["quote"] += '"' in memo
            seen["comma"] += "," in memo
        seen["merchant_null"] += o["merchant"] is None
        seen["cp_null"] += o["counterparty"] is None
    assert all(v > 0 for v in seen.values()), seen


def test_deterministic_and_sized(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    nd_a, cs_a = run_gen(a, "--mb", "1")
    nd_b, cs_b = run_gen(b, "--mb", "1", "--seed", "1")
    assert nd_a.read_bytes() == nd_b.read_bytes()
    assert cs_a.read_bytes() == cs_b.read_bytes()
    size = nd_a.stat().st_size
    assert 1_000_000 <= size < 1_000_000 + 2000
    meta = json.loads((a / "bank.meta.json").read_text())
    assert meta["ndjson_bytes"] == size and meta["csv_bytes"] == cs_a.stat().st_size
    c = tmp_path / "c"
    nd_c, _ = run_gen(c, "--mb", "1", "--seed", "2")
    assert nd_c.read_bytes() != nd_a.read_bytes()


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
