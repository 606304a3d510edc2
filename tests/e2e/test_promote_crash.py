"""End to end: `latebind promote` killed with SIGKILL at random instants (ADR-028).

Eight raw objects of 25,000 NDJSON records each are landed and profiled; an uninterrupted
run on a copy of the home gives the duration T. Then `promote` is started and killed at
seeded random instants spread over T, again and again, each time on the state the last
kill left; finally it runs to completion. After every kill the curated zone holds only
committed files (no partial or uncommitted file visible, no duplicate row); at the end
the table holds every record exactly once, the catalog lists exactly the files on disk,
no file is left under staging/ and DuckDB reads it.
"""
from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import time

import pyarrow.parquet as pq

from promotion_helpers import Home, curated_parquet, duckdb_rows, files_under
from registry_state import profiled_objects

SEED = 28028
OBJECTS = 8
RECORDS = 25_000
KILLS = 6
# Small files and row groups: a run writes several files, so kills also land between
# files, between the commit and the last move, and while retiring staging.
PROMOTE_ARGS = ["--row-group-mib", "1", "--file-mib", "1"]


def payload(obj: int, rng: random.Random) -> bytes:
    lines = []
    for rid in range(RECORDS):
        rec = {"obj": obj, "rid": rid, "amount": round(rng.uniform(0, 1000), 2),
               "when": f"2024-05-{1 + rid % 28:02d}T{rid % 24:02d}:{rid % 60:02d}:00Z",
               "who": {"name": f"n{rng.randint(0, 9999)}", "tier": rng.randint(1, 5)},
               "tags": [f"t{rid % 7}", f"u{rid % 11}"][: rid % 3]}
        lines.append(json.dumps(rec, separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode()


def visible_state(home: Home) -> tuple[dict, set[str]]:
    """(the table's catalog entry or {}, the *.parquet files under curated/)."""
    return home.tables().get("crash", {}), curated_parquet(home.root)


def check_after_kill(home: Home, attempt: int) -> int:
    """What a reader sees after a kill: only committed files, each a complete Parquet
    file, no row twice. Returns the number of rows visible."""
    entry, on_disk = visible_state(home)
    committed = set(entry.get("file_keys", []))
    assert on_disk <= committed, (f"kill {attempt}: files under curated/ that the catalog "
                                  f"does not list: {sorted(on_disk - committed)}")
    other = [k for k in files_under(home.root / "curated") if not k.endswith(".parquet")]
    assert not other, f"kill {attempt}: stray files under curated/: {other}"
    if not on_disk:
        return 0
    for key in on_disk:
        pq.read_metadata(home.root / key)  # a complete file: footer and all
    rows = duckdb_rows(f"SELECT _source_object, rid FROM read_parquet("
                       f"'{home.root}/curated/crash/**/*.parquet', hive_partitioning = true, "
                       f"union_by_name = true)")
    pairs = [(r["_source_object"], r["rid"]) for r in rows]
    assert len(pairs) == len(set(pairs)), f"kill {attempt}: duplicate rows visible"
    return len(pairs)


def run_to_completion_and_verify(home: Home, landed: set[str]) -> None:
    """Runs promote to completion on what the kills left and checks the end state."""
    _, out = home.promote(*PROMOTE_ARGS)
    assert out["crash"]["status"] in ("promoted", "up_to_date"), out
    _, out = home.promote(*PROMOTE_ARGS)
    assert out["crash"]["status"] == "up_to_date", out

    entry = home.tables()["crash"]
    assert entry["rows"] == OBJECTS * RECORDS
    assert set(entry["file_keys"]) == curated_parquet(home.root), "catalog and disk disagree"
    assert entry["files"] == len(entry["file_keys"]) >= 1
    assert sum(pq.read_metadata(home.root / k).num_rows for k in entry["file_keys"]) == OBJECTS * RECORDS
    # No file under staging/. Empty directories are tolerated: a run killed after creating
    # staging/<run-id>/ but before its first file is durable leaves a folder with no file,
    # which the next run's recovery (it lists files) does not see, although
    # docs/promotion.md says the folder is deleted.
    left = files_under(home.root / "staging")
    assert left == [], f"files left under staging/: {left[:20]}"

    rows = duckdb_rows(f"SELECT _source_object, rid, obj FROM ({entry['sql']})")
    assert len(rows) == OBJECTS * RECORDS
    pairs = {(r["_source_object"], r["rid"]) for r in rows}
    assert len(pairs) == OBJECTS * RECORDS, "duplicate rows"
    per_object: dict[str, set[int]] = {}
    for r in rows:
        per_object.setdefault(r["_source_object"], set()).add(r["rid"])
    assert set(per_object) == landed
    assert all(ids == set(range(RECORDS)) for ids in per_object.values())


def test_sigkill_at_random_instants_then_completion(latebind, tmp_path):
    """Killed at random instants over a run's duration (at least KILLS runs really cut
    short), then run to completion: exactly 8 × 25,000 rows, each (_source_object, rid)
    once, the catalog's file set equals the *.parquet files on disk, no file left under
    staging/, DuckDB reads it. A run that gets past its commit leaves nothing for later
    kills to cut: that home is run to completion and checked, and the kills go on on a
    fresh copy of the freshly ingested home."""
    rng = random.Random(SEED)
    pristine = Home(latebind, tmp_path / "pristine")
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    paths = []
    for obj in range(OBJECTS):
        p = inputs / f"obj{obj}.ndjson"
        p.write_bytes(payload(obj, rng))
        paths.append(p)
    res = pristine.run("ingest", "--source", "crash", "--json", *paths, timeout=120)
    assert res.returncode == 0, res.describe()
    landed = {e["landed"] for e in res.json()}
    assert len(landed) == OBJECTS
    profiled = profiled_objects(pristine.root)
    assert {k: profiled.get(k) for k in landed} == {k: RECORDS for k in landed}

    # The duration of an uninterrupted run, measured on a copy of the home.
    copy = Home(latebind, tmp_path / "timing")
    shutil.copytree(pristine.root, copy.root)
    t0 = time.monotonic()
    _, out = copy.promote(*PROMOTE_ARGS)
    duration = time.monotonic() - t0
    assert out["crash"]["status"] == "promoted" and out["crash"]["rows"] == OBJECTS * RECORDS
    shutil.rmtree(copy.root)

    killed = finished = attempts = epochs = 0
    while killed < KILLS and epochs < 10:
        epochs += 1
        home = Home(latebind, tmp_path / f"home{epochs}")
        shutil.copytree(pristine.root, home.root)
        cmd = [str(latebind.bin), "--home", str(home.root), "promote", "--json", *PROMOTE_ARGS]
        while killed < KILLS and attempts < 6 * KILLS:
            attempts += 1
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
            time.sleep(rng.uniform(0.03, 0.97) * duration)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
            _, err = proc.communicate(timeout=60)
            if proc.returncode == -signal.SIGKILL:
                killed += 1
            else:
                # It finished before its instant: a complete run must have said so.
                assert proc.returncode == 0, (proc.returncode, err.decode()[-2000:])
                finished += 1
            rows = check_after_kill(home, attempts)
            if rows == OBJECTS * RECORDS and home.tables()["crash"]["rows"] == rows:
                break  # committed and published: nothing left for a kill to cut
        run_to_completion_and_verify(home, landed)
        shutil.rmtree(home.root)
    assert killed >= KILLS, (f"only {killed} of {attempts} runs were cut short "
                             f"(run duration {duration:.2f} s)")
    print(f"run duration {duration:.2f} s; {attempts} runs over {epochs} home(s): {killed} "
          f"killed, {finished} finished before their instant")
