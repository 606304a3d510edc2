"""End to end: `latebind ingest` lands files durably, profiles them, dead-letters bad ones.

Issue 4 (durable ingest), the local-file path: the same lander and arrival processor the
HTTP server uses.
"""
import gzip
import hashlib
import json
import sqlite3
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


def run(latebind_bin, *args, home):
    proc = subprocess.run([str(latebind_bin), "--home", str(home), *map(str, args)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode in (0, 1, 2, 3), f"crashed: {proc.returncode}\n{proc.stderr}"
    return proc


def files_under(root: Path):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())



def profiled(home) -> int:
    """How many payloads the registry records as profiled."""
    db = sqlite3.connect(home / "registry.db")
    try:
        return db.execute("SELECT COUNT(*) FROM payloads WHERE outcome = 'profiled'").fetchone()[0]
    finally:
        db.close()

def test_lands_unmodified_with_meta_and_profile(latebind_bin, tmp_path):
    home = tmp_path / "home"
    src = tmp_path / "in.ndjson"
    body = b'{"id": 1, "amount": 2.5}\n{"id": 2, "amount": 3}\n'
    src.write_bytes(body)
    proc = run(latebind_bin, "ingest", "--source", "bank", "--json", src, home=home)
    assert proc.returncode == 0, proc.stderr
    [entry] = json.loads(proc.stdout)
    key = entry["landed"]
    assert key.startswith("raw/source=bank/date=") and key.endswith(".ndjson")
    assert (home / key).read_bytes() == body
    meta = json.loads((home / key.replace(".ndjson", ".meta.json")).read_text())
    assert meta["sha256"] == hashlib.sha256(body).hexdigest() == entry["sha256"]
    assert meta["bytes"] == len(body)
    # Profiled: applied to the source's schema, which the registry records per object.
    db = sqlite3.connect(home / "registry.db")
    assert db.execute("SELECT records, outcome FROM payloads WHERE object = ?", (key,)).fetchone() == (2, "profiled")
    [fields] = db.execute("SELECT fields FROM schema_versions WHERE source_id = 'bank'").fetchone()
    assert {f["path"]: f["type"] for f in json.loads(fields)} == {"id": "int64", "amount": "float64"}
    assert not any(".tmp-" in f for f in files_under(home))


def test_gzip_kept_as_received_and_csv_by_extension(latebind_bin, tmp_path):
    home = tmp_path / "home"
    gz = tmp_path / "a.ndjson.gz"
    gz.write_bytes(gzip.compress(b'{"a":1}\n'))
    csv = tmp_path / "b.csv"
    csv.write_bytes(b"x;y\n1;2\n")
    proc = run(latebind_bin, "ingest", "--source", "s1", "--json", gz, csv, home=home)
    assert proc.returncode == 0, proc.stderr
    first, second = json.loads(proc.stdout)
    assert first["landed"].endswith(".ndjson.gz")
    assert (home / first["landed"]).read_bytes() == gz.read_bytes()
    assert first["records"] == 1
    assert second["landed"].endswith(".csv") and second["records"] == 1


def test_malformed_file_is_dead_lettered_with_reason(latebind_bin, tmp_path):
    home = tmp_path / "home"
    bad = tmp_path / "bad.ndjson"
    body = b'{"a":1}\n{"a":1 "b":2}\n'
    bad.write_bytes(body)
    proc = run(latebind_bin, "ingest", "--source", "bank", "--json", bad, home=home)
    assert proc.returncode == 2
    assert f"{bad}:2:8 (byte 15)" in proc.stderr
    [entry] = json.loads(proc.stdout)
    assert entry["dead_lettered"] and entry["object"].startswith("dead-letter/source=bank/")
    assert (home / entry["object"]).read_bytes() == body  # kept, unmodified
    meta = json.loads((home / entry["object"].replace(".ndjson", ".meta.json")).read_text())
    assert meta["reason"] == {"line": 2, "column": 8, "byte": 15,
                              "message": meta["reason"]["message"]}
    assert not list((home / "raw").rglob("*.ndjson"))


@pytest.mark.parametrize("source", ["../etc", "UPPER", "a/b", "x" * 80, "%2e%2e", "-x", ""])
def test_bad_source_ids_touch_nothing(latebind_bin, tmp_path, source):
    home = tmp_path / "home"
    home.mkdir()
    f = tmp_path / "in.json"
    f.write_text('{"a":1}')
    proc = run(latebind_bin, "ingest", "--source", source, f, home=home)
    assert proc.returncode == 2
    assert "invalid source id" in proc.stderr or "source" in proc.stderr
    assert files_under(home) == []


def test_missing_file_and_others_still_land(latebind_bin, tmp_path):
    home = tmp_path / "home"
    good = tmp_path / "good.json"
    good.write_text('{"a":1}')
    proc = run(latebind_bin, "ingest", "--source", "s", good, tmp_path / "nope.json", home=home)
    assert proc.returncode == 2
    assert "nope.json" in proc.stderr
    assert len(list((home / "raw").rglob("*.json"))) == 2  # payload, meta
    assert profiled(home) == 1


def test_unprofiled_arrivals_are_profiled_on_next_run(latebind_bin, tmp_path):
    """A crash between landing and profiling leaves a raw payload the registry has no record
    of; the next run profiles it first."""
    home = tmp_path / "home"
    f = tmp_path / "a.json"
    f.write_text('{"a":1}')
    assert run(latebind_bin, "ingest", "--source", "s", f, home=home).returncode == 0
    db = sqlite3.connect(home / "registry.db")
    db.execute("DELETE FROM payloads")  # as if the process died right after landing
    db.commit()
    db.close()
    proc = run(latebind_bin, "ingest", "--source", "s", "--json", f, home=home)
    assert proc.returncode == 0, proc.stderr
    entries = json.loads(proc.stdout)
    assert entries[0].get("recovered") is True and entries[0]["records"] == 1
    assert profiled(home) == 2


def test_max_bytes(latebind_bin, tmp_path):
    home = tmp_path / "home"
    f = tmp_path / "big.ndjson"
    f.write_bytes(b'{"a":1}\n' * 1000)
    proc = run(latebind_bin, "ingest", "--source", "s", "--max-bytes", 100, f, home=home)
    assert proc.returncode == 2 and "--max-bytes" in proc.stderr
    assert not (home / "raw").exists() or files_under(home / "raw") == []


def test_deadletter_list_and_replay(latebind_bin, tmp_path):
    home = tmp_path / "home"
    pretty = tmp_path / "pretty.ndjson"  # claims NDJSON, is one pretty-printed object
    body = b'{\n  "a": 1\n}\n'
    pretty.write_bytes(body)
    assert run(latebind_bin, "ingest", "--source", "s", pretty, home=home).returncode == 2

    listed = run(latebind_bin, "deadletter", "list", "--json", home=home)
    assert listed.returncode == 0
    [entry] = json.loads(listed.stdout)
    assert entry["object"].startswith("dead-letter/source=s/")
    assert entry["reason"]["line"] == 1 and "invalid JSON" in entry["reason"]["message"]
    text = run(latebind_bin, "deadletter", "list", "--source", "s", home=home)
    assert "line 1, column 2 (byte 1)" in text.stdout
    assert "no dead-letter objects" in run(latebind_bin, "deadletter", "list", "--source", "t",
                                           home=home).stdout

    # Read the same way, it still fails: stays, exit 3 (partial).
    same = run(latebind_bin, "deadletter", "replay", entry["object"], home=home)
    assert same.returncode == 3 and "still cannot be parsed" in same.stdout
    assert (home / entry["object"]).exists()

    # Read as JSON (the fix), it returns to raw with its meta, named .json, and is profiled.
    fixed = run(latebind_bin, "deadletter", "replay", "--source", "s", "--format", "json",
                "--json", home=home)
    assert fixed.returncode == 0, fixed.stderr
    [r] = json.loads(fixed.stdout)
    assert r["restored"] and r["now"].startswith("raw/source=s/") and r["now"].endswith(".json")
    assert (home / r["now"]).read_bytes() == body
    assert sqlite3.connect(home / "registry.db").execute(
        "SELECT outcome FROM payloads WHERE object = ?", (r["now"],)).fetchone() == ("profiled",)
    assert not list((home / "dead-letter").rglob("*.ndjson"))


def test_deadletter_replay_usage_errors(latebind_bin, tmp_path):
    home = tmp_path / "home"
    assert run(latebind_bin, "deadletter", "replay", home=home).returncode == 2
    home.mkdir()
    proc = run(latebind_bin, "deadletter", "replay", "raw/source=s/x.ndjson", home=home)
    assert proc.returncode == 2 and "not a dead-letter payload" in proc.stderr


def unprivileged() -> list[str]:
    """A prefix that runs a command as nobody: a chmod 000 file does not stop root."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("root without setpriv: a chmod 000 file stays readable")
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture
def shared_dir():
    """A directory nobody may use too (tmp_path lies under a directory only its owner enters)."""
    d = Path(tempfile.mkdtemp(prefix="latebind-e2e-"))
    d.chmod(0o777)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_unreadable_file_exits_2_for_ingest_and_profile(latebind_bin, shared_dir):
    """Audit bug 2: a file there but unreadable (permission denied) exited 1, a storage
    failure; `ingest --help` and `profile --help` say 2 for a file that could not be read.
    The other files still land, and the home's own failures stay 1."""
    good = shared_dir / "good.json"
    good.write_text('{"a":1}')
    good.chmod(0o644)
    locked = shared_dir / "locked.json"
    locked.write_text('{"a":1}')
    locked.chmod(0)
    home = shared_dir / "home"
    as_nobody = [*unprivileged(), str(latebind_bin), "--home", str(home)]
    proc = subprocess.run([*as_nobody, "ingest", "--source", "s", "--json", str(good), str(locked)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "locked.json: cannot open: Permission denied" in proc.stderr
    landed, failed = json.loads(proc.stdout)
    assert landed["file"] == str(good) and landed["records"] == 1 and "error" not in landed
    assert failed["file"] == str(locked) and failed["error"]["code"] == "bad_input"
    assert "Permission denied" in failed["error"]["message"]

    proc = subprocess.run([*as_nobody, "profile", str(locked)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2 and "Permission denied" in proc.stderr, proc.stderr

    # A home that cannot be written is storage failing: still 1.
    read_only = shared_dir / "read-only-home"
    read_only.mkdir()
    read_only.chmod(0o555)
    proc = subprocess.run([*unprivileged(), str(latebind_bin), "--home", str(read_only), "ingest",
                           "--source", "s", str(good)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr


def test_json_has_an_entry_per_file_with_its_error(latebind_bin, tmp_path):
    """Audit bug 6: `ingest --json` left out the files it could not read, so a script could
    not tell which input failed. Every file has an entry, in order; a failed one an error."""
    home = tmp_path / "home"
    good = tmp_path / "good.json"
    good.write_text('{"a":1}')
    missing = tmp_path / "nope.json"
    directory = tmp_path / "dir.json"
    directory.mkdir()
    proc = run(latebind_bin, "ingest", "--source", "s", "--json", good, missing, directory,
               home=home)
    assert proc.returncode == 2, proc.stderr
    entries = json.loads(proc.stdout)
    assert [e["file"] for e in entries] == [str(good), str(missing), str(directory)]
    assert entries[0]["records"] == 1 and "error" not in entries[0]
    assert entries[1]["error"]["code"] == "not_found"
    assert str(missing) in entries[1]["error"]["message"]
    assert entries[2]["error"] == {"code": "bad_input",
                                   "message": f"{directory}: not a regular file"}
    assert '"error": {"code", "message"}' in run(latebind_bin, "ingest", "--help", home=home).stdout


# Audit bug 3: with a mistyped --home, `deadletter list` created it and listed nothing, and
# `deadletter replay --source` created it and a registry, silently.
@pytest.mark.parametrize("args", [
    ["deadletter", "list"], ["deadletter", "list", "--json"], ["deadletter", "list", "--source", "s"],
    ["deadletter", "replay", "--source", "s"],
    ["deadletter", "replay", "dead-letter/source=s/date=2024-01-01/x.ndjson"],
])
def test_deadletter_refuses_a_missing_home_and_creates_nothing(latebind_bin, tmp_path, args):
    home = tmp_path / "nonexist"
    proc = run(latebind_bin, *args, home=home)
    assert proc.returncode == 2, proc.stderr
    assert f"no latebind home at {home}" in proc.stderr
    assert not home.exists()


def test_deadletter_replay_of_nothing_says_so(latebind_bin, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    proc = run(latebind_bin, "deadletter", "replay", "--source", "s", home=home)
    assert proc.returncode == 0 and "no dead-letter objects for s" in proc.stdout


# Audit bug 4: `deadletter list --source ../raw` answered "no dead-letter objects for ../raw".
@pytest.mark.parametrize("args", [
    ["deadletter", "list", "--source", "../raw"], ["deadletter", "list", "--source", "UPPER"],
    ["deadletter", "replay", "--source", "../raw"],
])
def test_deadletter_bad_source_ids_are_usage_errors(latebind_bin, tmp_path, args):
    home = tmp_path / "home"
    home.mkdir()
    proc = run(latebind_bin, *args, home=home)
    assert proc.returncode == 2 and "invalid source id" in proc.stderr, proc.stderr
    assert files_under(home) == []
