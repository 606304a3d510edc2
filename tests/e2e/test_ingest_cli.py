"""End to end: `latebind ingest` lands files durably, profiles them, dead-letters bad ones.

Issue 4 (durable ingest), the local-file path: the same lander and arrival processor the
HTTP server uses.
"""
import gzip
import hashlib
import json
import sqlite3
import os
import pty
import select
import shutil
import signal
import subprocess
import tempfile
import time
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


def test_gzip_is_known_by_its_bytes_not_its_name(latebind_bin, tmp_path):
    """Audit 2026-11-24: gzip bytes named x.json landed as .json with no content encoding,
    and text named x.csv.gz as .csv.gz "gzip": readers going by the raw key or the meta
    misread both."""
    home = tmp_path / "home"
    hidden = tmp_path / "hidden.json"
    hidden.write_bytes(gzip.compress(b'{"a":1}\n'))
    plain = tmp_path / "plain.csv.gz"
    plain.write_bytes(b"x,y\n1,2\n")
    proc = run(latebind_bin, "ingest", "--source", "s1", "--json", hidden, plain, home=home)
    assert proc.returncode == 0, proc.stderr
    first, second = json.loads(proc.stdout)
    assert first["landed"].endswith(".json.gz") and first["records"] == 1
    assert second["landed"].endswith(".csv") and second["records"] == 1
    metas = [json.loads((home / (e["landed"].split(".")[0] + ".meta.json")).read_text())
             for e in (first, second)]
    assert [m["content_encoding"] for m in metas] == ["gzip", ""]
    assert (home / first["landed"]).read_bytes() == hidden.read_bytes()


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
    # Defect 2026-11-24: located in the raw/ key the payload had left. The reason is the
    # meta's and `deadletter list --json`'s (ADR-116); the entry's object locates it.
    assert (home / entry["object"]).read_bytes() == body  # kept, unmodified
    meta = json.loads((home / entry["object"].replace(".ndjson", ".meta.json")).read_text())
    assert meta["reason"] == {"line": 2, "column": 8, "byte": 15,
                              "message": meta["reason"]["message"]}
    assert entry["reason"] == meta["reason"], entry
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


def test_beside_a_running_server_ingest_leaves_its_arrivals_to_it(latebind_bin, tmp_path, serve):
    """Audit 2026-11-24: beside `serve`, ingest's recovery took over arrivals the server was
    still profiling; both profiled one payload, and ingest failed on the server's moves. A
    server recovers its own arrivals, so ingest recovers only when none runs."""
    home = tmp_path / "home"
    a = tmp_path / "a.json"
    a.write_text('{"a":1}')
    assert run(latebind_bin, "ingest", "--source", "s", a, home=home).returncode == 0
    srv = serve(home=home)
    db = sqlite3.connect(home / "registry.db", timeout=10)
    db.execute("DELETE FROM payloads")  # a.json unprofiled, as if in the server's hands
    db.commit()
    db.close()
    b = tmp_path / "b.json"
    b.write_text('{"a":2}')
    proc = run(latebind_bin, "ingest", "--source", "s", "--json", b, home=home)
    assert proc.returncode == 0, proc.stderr
    assert [e.get("recovered") for e in json.loads(proc.stdout)] == [None]
    srv.stop()
    proc = run(latebind_bin, "ingest", "--source", "s", "--json", b, home=home)
    assert proc.returncode == 0, proc.stderr
    assert [e.get("recovered") for e in json.loads(proc.stdout)] == [True, None]


def test_beside_another_ingest_ingest_leaves_its_arrivals_to_it(latebind_bin, tmp_path):
    """Docs audit 2026-11-24: concurrent ingests "recovered" each other's arrivals in flight,
    and the owner then reported none of what its own file did (a BREAKING version). An
    ingest holds the home's ingest lock shared; one that finds it held recovers nothing."""
    import fcntl
    home = tmp_path / "home"
    a = tmp_path / "a.json"
    a.write_text('{"a":1}')
    assert run(latebind_bin, "ingest", "--source", "s", a, home=home).returncode == 0
    db = sqlite3.connect(home / "registry.db")
    db.execute("DELETE FROM payloads")  # a.json unprofiled, as if in another ingest's hands
    db.commit()
    db.close()
    b = tmp_path / "b.json"
    b.write_text('{"a":2}')
    with open(home / "locks" / "ingest.lock", "a+") as other:
        fcntl.flock(other, fcntl.LOCK_SH)  # what a running ingest holds
        proc = run(latebind_bin, "ingest", "--source", "s", "--json", b, home=home)
        assert proc.returncode == 0, proc.stderr
        assert [e.get("recovered") for e in json.loads(proc.stdout)] == [None]
    proc = run(latebind_bin, "ingest", "--source", "s", "--json", b, home=home)
    assert proc.returncode == 0, proc.stderr
    assert [e.get("recovered") for e in json.loads(proc.stdout)] == [True, None]
    # Six at once, each adding a field: every one reports its own file, none another's.
    procs = []
    for i in range(6):
        f = tmp_path / f"c{i}.json"
        f.write_text(json.dumps({"a": i, f"f{i}": i}))
        procs.append(subprocess.Popen([str(latebind_bin), "--home", str(home), "ingest",
                                       "--source", "c", "--json", str(f)],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        entries = json.loads(out)
        assert [e.get("recovered") for e in entries] == [None], entries
    assert profiled(home) == 3 + 6


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


def run_on_terminal(cmd: list[str], timeout: float = 120) -> tuple[int, str]:
    """Runs `cmd` with stdout and stderr on one pseudo-terminal, as a person at a terminal
    sees it; returns the exit code and everything written there, in order."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    os.close(slave)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                proc.kill()
                pytest.fail(f"hang: {cmd[:6]} did not finish within {timeout} s")
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(master)
    return proc.wait(timeout=timeout), b"".join(chunks).decode("utf-8", errors="replace")


def screen_lines(transcript: str) -> list[str]:
    """The lines a terminal shows: each carriage return goes back to the start of its line,
    where the progress bar's ESC[K erases what was there."""
    lines = transcript.replace("\r\n", "\n").split("\n")
    return [line.split("\r")[-1].replace("\x1b[K", "") for line in lines]


def test_progress_bar_stays_off_the_file_lines_on_a_terminal(latebind_bin, tmp_path):
    """Audit (ingest UX) bug 1: on a terminal the progress bar (stderr) and the line printed
    for each file (stdout) shared one line: `ingesting 3 file(s) [###  ] 33% 83 MB/sbig...`.
    The bar is erased before anything is printed and redrawn after."""
    home = tmp_path / "home"
    big = tmp_path / "big.ndjson"
    big.write_bytes(b'{"a":1}\n' * (3 << 20))  # 24 MiB: three of them pass the bar's 64 MiB
    rc, transcript = run_on_terminal(
        [str(latebind_bin), "--home", str(home), "ingest", "--source", "big", big, big, big])
    assert rc == 0, transcript
    assert "ingesting 3 file(s) [" in transcript  # the bar was drawn: the test means something
    shown = screen_lines(transcript)
    file_lines = [line for line in shown if " -> " in line]
    assert len(file_lines) == 3, shown
    assert all(line.startswith(f"{big} -> raw/source=big/") for line in file_lines), shown
    assert not any(line.strip() for line in shown if " -> " not in line), shown  # bar erased


def test_profile_clears_its_bar_before_printing_on_a_terminal(latebind_bin, tmp_path):
    """`profile`'s bar went on showing while the file's problems and table were printed."""
    big = tmp_path / "big.ndjson"
    big.write_bytes(b'{"a":1}\n' * (9 << 20) + b'{"a":\n')  # 72 MiB, then one bad record
    rc, transcript = run_on_terminal([str(latebind_bin), "profile", big])
    assert rc == 2, transcript
    assert "profiling " in transcript and "[" in transcript  # the bar was drawn
    shown = [line for line in screen_lines(transcript) if line.strip()]
    assert shown[0].startswith(f"{big}:"), shown[:3]  # the problem, on a line of its own
    assert not any("profiling " in line for line in shown), shown[:5]


def start_interruptible_ingest(latebind_bin, tmp_path, count: int, *extra):
    """Starts `ingest` of `count` small files, stdout and stderr into files; returns the
    process, the files in order and the home, once at least 20 have landed."""
    home = tmp_path / "home"
    inputs = tmp_path / "in"
    inputs.mkdir()
    files = []
    for i in range(count):
        f = inputs / f"f{i:05d}.ndjson"
        f.write_text(f'{{"id": {i}}}\n')
        files.append(f)
    out, err = (tmp_path / "stdout").open("wb"), (tmp_path / "stderr").open("wb")
    proc = subprocess.Popen([str(latebind_bin), "--home", str(home), "ingest", "--source", "s",
                             *extra, *map(str, files)], stdin=subprocess.DEVNULL, stdout=out,
                            stderr=err)
    out.close()
    err.close()
    deadline = time.monotonic() + 60
    while len(list((home / "raw").rglob("*.meta.json"))) < 20:
        assert proc.poll() is None, "ingest finished before it could be interrupted"
        assert time.monotonic() < deadline, "no 20 files landed within 60 s"
        time.sleep(0.01)
    return proc, files, home


@pytest.mark.parametrize("json_output", [False, True], ids=["text", "json"])
def test_sigint_reports_every_landed_file_and_exits_130(latebind_bin, tmp_path, json_output):
    """Audit (ingest UX) bug 2: Ctrl-C while ingesting many files lost the stdout lines of
    files already landed (not flushed; with --json nothing at all), and said nothing. Now it
    stops after the file in progress, reports exactly what landed, names the first file not
    ingested and exits 130."""
    count = 4000
    proc, files, home = start_interruptible_ingest(latebind_bin, tmp_path, count,
                                                   *(["--json"] if json_output else []))
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    stdout = (tmp_path / "stdout").read_text()
    stderr = (tmp_path / "stderr").read_text()
    if json_output:
        reported = [(e["file"], e["object"]) for e in json.loads(stdout)]
    else:
        reported = [tuple(line.split(" (")[0].split(" -> ")) for line in stdout.splitlines()]
    landed = sorted(str(p.relative_to(home)) for p in (home / "raw").rglob("*.ndjson"))
    assert sorted(obj for _, obj in reported) == landed
    n = len(reported)
    assert 20 <= n < count
    assert [f for f, _ in reported] == [str(f) for f in files[:n]]
    assert (f"interrupted after {n} of {count} file(s): the rest, from {files[n]} on, were not "
            "ingested; rerun with the remaining files") in stderr, stderr
    assert profiled(home) == n  # each landed file was profiled too
    assert not any(".tmp-" in f for f in files_under(home))


def test_sigterm_stops_the_same_way_with_143(latebind_bin, tmp_path):
    proc, files, home = start_interruptible_ingest(latebind_bin, tmp_path, 4000, "--json")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 143
    entries = json.loads((tmp_path / "stdout").read_text())
    assert len(entries) == len(list((home / "raw").rglob("*.ndjson")))
    assert f"from {files[len(entries)]} on" in (tmp_path / "stderr").read_text()


def test_exit_codes_of_an_interruption_are_documented(latebind_bin, tmp_path):
    help_text = " ".join(run(latebind_bin, "ingest", "--help", home=tmp_path / "home").stdout.split())
    assert "130 when interrupted by SIGINT (Ctrl-C) and 143 by SIGTERM" in help_text


def test_profiler_warnings_are_reported_with_exit_0(latebind_bin, tmp_path):
    """Audit (ingest UX) bug 3: a ragged CSV row or an empty payload was ingested with exit 0
    and nothing said, where `latebind profile` warns. Ingest prints the same warnings and
    lists them in --json, and still exits 0."""
    home = tmp_path / "home"
    ragged = tmp_path / "ragged.csv"
    data = b"a,b,c\n1,2,3\n4,5\n6,7,8\n"
    ragged.write_bytes(data)
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    proc = run(latebind_bin, "ingest", "--source", "s", "--json", ragged, empty, home=home)
    assert proc.returncode == 0, proc.stderr
    expected = run(latebind_bin, "profile", ragged, empty, home=home).stderr.splitlines()
    assert [line for line in expected if "warning: " in line] == expected  # profile's lines
    assert len(expected) == 2 and f"{ragged}:3:1 (byte {data.index(b'4,5')}): warning: ragged row" \
        in expected[0]
    assert [line for line in proc.stderr.splitlines() if "warning: " in line] == expected
    first, second = json.loads(proc.stdout)
    assert first["warnings"] == [{"line": 3, "column": 1, "byte": data.index(b"4,5"),
                                  "message": "ragged row: 2 field(s), expected 3"}]
    assert len(second["warnings"]) == 1 and second["warnings"][0]["byte"] == 0
    assert not first["dead_lettered"] and not second["dead_lettered"]
    text = run(latebind_bin, "ingest", "--source", "s", ragged, home=home)
    assert text.returncode == 0 and expected[0] in text.stderr.splitlines()


def test_format_overrides_the_extension(latebind_bin, tmp_path):
    """Docs audit 2026-11-24: NDJSON named .csv was read as CSV (fields like `{"id": 1`) with
    no way to say otherwise. --format auto judges by the content, --format FMT says it."""
    home = tmp_path / "home"
    f = tmp_path / "events.csv"
    f.write_text('{"id":1,"a":"x"}\n{"id":2,"a":"y"}\n')
    for fmt in ("auto", "ndjson"):
        proc = run(latebind_bin, "ingest", "--source", f"s-{fmt}", "--format", fmt, "--json", f,
                   home=home)
        assert proc.returncode == 0, proc.stderr
        [entry] = json.loads(proc.stdout)
        assert entry["landed"].endswith(".ndjson") and entry["records"] == 2, entry
    proc = run(latebind_bin, "ingest", "--source", "s-csv", "--format", "csv", "--json",
               tmp_path / "events.csv", home=home)
    [entry] = json.loads(proc.stdout)
    assert entry["landed"].endswith(".csv"), entry
    proc = run(latebind_bin, "ingest", "--source", "s", "--format", "xml", f, home=home)
    assert proc.returncode == 2 and "--format" in proc.stderr, proc.stderr
