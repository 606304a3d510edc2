#!/usr/bin/env python3
"""Benchmark of `latebind promote` (raw NDJSON/CSV -> zstd Parquet) against DuckDB and pyarrow.

Usage:
  promote_bench.py --latebind build/latebind --data-dir DIR [--mb 200] [--files 16]
      [--runs 3] [--threads 2] [--seed 1] [--formats ndjson,csv]
      [--tools latebind,duckdb,duckdb-1file,pyarrow] [--big] [--tmp-dir DIR] [--timeout 900]
      [--json-out FILE] [--check] [--keep]

Data: DIR/promote-<MB>mb/part-NN.ndjson and part-NN.csv from gen_promote.py (--files
objects of about --mb / --files MB each; the same rows nested and flattened, the lists
JSON-encoded in the CSV); generated first when missing or when promote.meta.json records
another size, seed or file count. Input MB = the raw bytes of all parts, MB = 1e6 bytes.

Every tool converts all parts of one format to zstd Parquet, in its own process, so peak
RSS is measured the same way for all (`/usr/bin/time -f %M`, the process's ru_maxrss; a
Python child includes its interpreter and imports, ~60-150 MiB), pinned with
`taskset -c 0-(T-1)` to --threads T cores and told to use T threads where it can:
  latebind  a fresh home per run; `latebind --home H ingest --source S --json PART...`
            lands (and profiles) the parts first, NOT timed; then
            `latebind --home H promote --source S --json` [--threads T if it has the flag]
            is timed: wall time of the whole process. Output = every *.parquet under
            H/curated/ (the table includes the three lineage columns).
  duckdb    `SET threads=T; COPY (SELECT * FROM read_json_auto([PART...])) TO 'x.parquet'
            (FORMAT PARQUET, COMPRESSION ZSTD)` (read_csv_auto for CSV); the statement is
            timed inside the process (start-up and import not timed).
  duckdb-1file  the same over DIR/promote-<MB>mb/all.ndjson (all.csv): the parts in one
            file, made once. DuckDB pays a lot per file (~1.5-2x the time over 16 parts
            here), so the targets are judged against the faster of the two.
  pyarrow   pa.set_cpu_count(T), pa.set_io_thread_count(T); pyarrow.json.read_json (or
            pyarrow.csv.read_csv, newlines_in_values) per part, concat_tables(permissive),
            pq.write_table(compression="zstd"); timed inside the process like DuckDB.
CPU s is user + system time of the conversion (latebind: the whole process; DuckDB and
pyarrow: getrusage around the timed part); the ratios of CPU time per input byte are
shown as well (not judged), being less sensitive to a shared machine than wall time.
Each tool gets one warm-up run (page cache; its output is checked: row count, sum of
amount, and for NDJSON the total number of tags and line items must match the generator's
checksums) and then --runs timed runs, interleaved; medians are reported, and the row
count is checked on every run. Timing DuckDB and pyarrow in-process while latebind pays
its process start-up only makes the comparison harder for latebind.

Targets (per format): latebind >= 2x the MB/s of the faster DuckDB variant (FAIL below
1.5x, MISS between); latebind's output <= 1.10x the smaller DuckDB output; latebind's
peak RSS <= 1 GiB, judged only on an input of at least 2 GiB (--big). The ratios to
pyarrow are shown, not judged. --big = --mb 2147.483648 (2 GiB) --runs 1 --formats ndjson
--tools latebind,duckdb,duckdb-1file unless those options are given.

Output: a table, then one final line of JSON with every figure (for recording).
Exit: 0 done, 1 a tool failed or an output check failed, 2 usage or missing input,
3 with --check when a target is missed.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import glob
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from bench_machine import ensure_generated, git_rev, machine_info, tail

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "gen_promote.py")
GENERATOR_VERSION = 1  # must match gen_promote.GENERATOR_VERSION
META = "promote.meta.json"
TWO_GIB = 2**31
RSS_LIMIT_MIB = 1024.0
THROUGHPUT_TARGET, THROUGHPUT_FLOOR, SIZE_TARGET = 2.0, 1.5, 1.10
TOOLS = ("latebind", "duckdb", "duckdb-1file", "pyarrow")
TOOL_LABEL = {"latebind": "latebind promote", "duckdb": "duckdb COPY {fn}",
              "duckdb-1file": "duckdb COPY {fn}, 1 file",
              "pyarrow": "pyarrow {fn}+write_table"}


class ToolFailed(Exception):
    pass


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- child mode

def vm_rss_kib() -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def cpu_seconds() -> float:
    """User + system CPU time of this process, all threads."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def child_main(tool: str, fmt: str, threads: int, out: str, parts: list[str]) -> int:
    """One conversion in this process; prints {"seconds", "cpu_s", "rss_before_kib",
    "version"}: wall and CPU seconds of the conversion alone, RSS before it."""
    if tool == "duckdb":
        import duckdb
        con = duckdb.connect()
        con.execute(f"SET threads={int(threads)}")
        con.execute("SET enable_progress_bar=false")
        fn = "read_json_auto" if fmt == "ndjson" else "read_csv_auto"
        lst = "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in parts) + "]"
        q = (f"COPY (SELECT * FROM {fn}({lst})) TO '{out.replace(chr(39), chr(39) * 2)}' "
             f"(FORMAT PARQUET, COMPRESSION ZSTD)")
        rss = vm_rss_kib()
        c0 = cpu_seconds()
        t0 = time.perf_counter()
        con.execute(q)
        dt = time.perf_counter() - t0
        cpu = cpu_seconds() - c0
        con.close()
        version = duckdb.__version__
    else:
        import pyarrow as pa
        import pyarrow.csv as pcsv
        import pyarrow.json as pjson
        import pyarrow.parquet as pq
        pa.set_cpu_count(threads)
        pa.set_io_thread_count(threads)
        rss = vm_rss_kib()
        c0 = cpu_seconds()
        t0 = time.perf_counter()
        if fmt == "ndjson":
            tables = [pjson.read_json(p) for p in parts]
        else:
            po = pcsv.ParseOptions(newlines_in_values=True)
            tables = [pcsv.read_csv(p, parse_options=po) for p in parts]
        table = pa.concat_tables(tables, promote_options="permissive")
        del tables
        pq.write_table(table, out, compression="zstd")
        dt = time.perf_counter() - t0
        cpu = cpu_seconds() - c0
        version = pa.__version__
    print(json.dumps({"seconds": dt, "cpu_s": cpu, "rss_before_kib": rss, "version": version}))
    return 0


# ---------------------------------------------------------------------------- data

def ensure_data(data_dir: str, mb: float, seed: int, n_files: int) -> dict:
    def fresh(m) -> bool:
        if not m or m.get("generator_version") != GENERATOR_VERSION:
            return False
        if m.get("mb") != mb or m.get("seed") != seed or m.get("n_files") != n_files:
            return False
        for part in m.get("files", []):
            for key in ("ndjson", "csv"):
                p = os.path.join(data_dir, part[key])
                if not os.path.isfile(p) or os.path.getsize(p) != part[key + "_bytes"]:
                    return False
        return len(m.get("files", [])) == n_files

    return ensure_generated(
        os.path.join(data_dir, META), fresh,
        [sys.executable, GEN, "--out-dir", data_dir, "--mb", str(mb), "--files", str(n_files),
         "--seed", str(seed)],
        f"{mb:g} MB of nested bank data in {n_files} parts (seed {seed}) in {data_dir}")


def ensure_concat(data_dir: str, meta: dict, fmt: str) -> tuple[str, int]:
    """DIR/all.<fmt>: every part in one file (the CSV with one header), made once."""
    path = os.path.join(data_dir, "all." + fmt)
    header = (",".join(meta["csv_columns"]) + "\n").encode()
    want = meta[fmt + "_bytes"] - (len(header) * (len(meta["files"]) - 1) if fmt == "csv" else 0)
    if os.path.isfile(path) and os.path.getsize(path) == want:
        return path, want
    log(f"writing {path} (the {len(meta['files'])} parts in one file) ...")
    with open(path + ".tmp", "wb") as out:
        for i, part in enumerate(meta["files"]):
            with open(os.path.join(data_dir, part[fmt]), "rb") as f:
                if fmt == "csv" and i > 0 and f.read(len(header)) != header:
                    raise ToolFailed(f"{part[fmt]} does not start with the CSV header")
                shutil.copyfileobj(f, out, 1 << 22)
    os.replace(path + ".tmp", path)
    if os.path.getsize(path) != want:
        raise ToolFailed(f"{path}: {os.path.getsize(path)} bytes, expected {want}")
    return path, want


# ---------------------------------------------------------------------------- processes

GNU_TIME = "/usr/bin/time"


def run_measured(name: str, cmd: list[str], timeout: float, scratch: str,
                 env: dict | None = None) -> dict:
    """Runs cmd to completion; returns wall seconds, peak RSS (KiB) and stdout.
    Raises ToolFailed on a non-zero exit (with stderr) or after timeout seconds.

    Peak RSS comes from GNU time's %M (its child's ru_maxrss): a child forked straight
    from this Python process would report at least this process's RSS, as Linux keeps the
    pre-exec high-water mark in ru_maxrss. Without /usr/bin/time, wait4's figure is used."""
    out_path = os.path.join(scratch, "stdout")
    err_path = os.path.join(scratch, "stderr")
    rss_path = os.path.join(scratch, "maxrss")
    use_time = os.access(GNU_TIME, os.X_OK)
    full = ([GNU_TIME, "-f", "%M %U %S", "-o", rss_path] if use_time else []) + cmd
    with open(out_path, "wb") as fo, open(err_path, "wb") as fe:
        t0 = time.perf_counter()
        try:
            p = subprocess.Popen(full, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL, env=env,
                                 start_new_session=True)
        except OSError as e:
            raise ToolFailed(f"{name}: cannot run {full[0]}: {e}")
        killed = threading.Event()

        def kill():
            killed.set()
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
    with open(out_path, "rb") as f:
        stdout = f.read().decode(errors="replace")
    if killed.is_set():
        raise ToolFailed(f"{name}: timed out after {timeout:g} s: {' '.join(cmd)}\n"
                         f"--- stderr ---\n{tail(err_path, 20000)}")
    if p.returncode != 0:
        raise ToolFailed(f"{name}: exit status {p.returncode}: {' '.join(cmd)}\n"
                         f"--- stdout ---\n{stdout[-5000:]}\n--- stderr ---\n{tail(err_path, 20000)}")
    maxrss, cpu = ru.ru_maxrss, ru.ru_utime + ru.ru_stime
    if use_time:
        try:
            with open(rss_path) as f:
                m, u, sy = f.read().splitlines()[-1].split()
            maxrss, cpu = int(m), float(u) + float(sy)
        except (OSError, ValueError, IndexError):
            raise ToolFailed(f"{name}: no peak RSS from {GNU_TIME} in {rss_path}")
    return {"wall_s": wall, "maxrss_kib": maxrss, "cpu_s": cpu, "stdout": stdout}


def parquet_files(root: str) -> list[str]:
    return sorted(glob.glob(os.path.join(root, "**", "*.parquet"), recursive=True))


def check_output(name: str, files: list[str], fmt: str, meta: dict, full: bool) -> dict:
    """Row count from the footers; with full, the checksums of gen_promote.py too.
    Raises ToolFailed when a figure differs."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    if not files:
        raise ToolFailed(f"{name}: wrote no Parquet file")
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    info = {"rows": rows}
    if rows != meta["rows"]:
        raise ToolFailed(f"{name}: {rows} rows in {len(files)} Parquet file(s), "
                         f"expected {meta['rows']}")
    if not full:
        return info
    cols = ["amount"] + (["tags", "line_items"] if fmt == "ndjson" else [])
    schema = pq.ParquetFile(files[0]).schema_arrow
    info["schema"] = {f.name: str(f.type) for f in schema}
    amount = 0.0
    counts = {"tags": 0, "line_items": 0}
    for f in files:
        t = pq.read_table(f, columns=cols)
        amount += pc.sum(t["amount"]).as_py() or 0.0
        for c in cols[1:]:
            counts[c] += pc.sum(pc.list_value_length(t[c])).as_py() or 0
    want = meta["checks"]
    got = {"amount_cents": round(amount * 100)}
    if fmt == "ndjson":
        got.update(counts)
    info["checks"] = got
    for k, v in got.items():
        if v != want[k]:
            raise ToolFailed(f"{name}: output {k} = {v}, expected {want[k]} "
                             f"(the data was not converted faithfully)")
    return info


class Latebind:
    name = "latebind"

    def __init__(self, exe: str, threads: int, timeout: float, tmp_dir: str, pin: list[str],
                 keep: bool):
        self.exe, self.threads, self.timeout, self.tmp_dir = exe, threads, timeout, tmp_dir
        self.pin, self.keep = pin, keep
        h = subprocess.run([exe, "promote", "--help"], capture_output=True, text=True,
                           timeout=60)
        if h.returncode != 0:
            raise ToolFailed(f"latebind: `{exe} promote --help` failed (exit {h.returncode}): "
                             f"this binary has no promote command?\n{h.stderr[-2000:]}")
        self.thread_flag = "--threads" in h.stdout
        self.homes: list[str] = []

    def run(self, fmt: str, parts: list[str], meta: dict, full: bool) -> dict:
        home = tempfile.mkdtemp(prefix="latebind-promote-home-", dir=self.tmp_dir)
        self.homes.append(home)
        source = f"bench_{fmt}"
        try:
            ing = run_measured("latebind ingest",
                               [self.exe, "--home", home, "ingest", "--source", source,
                                "--json", *parts], self.timeout, home)
            cmd = [self.exe, "--home", home, "promote", "--source", source, "--json"]
            if self.thread_flag:
                cmd += ["--threads", str(self.threads)]
            r = run_measured("latebind promote", self.pin + cmd, self.timeout, home)
            try:
                rep = json.loads(r["stdout"])
                src = [s for s in rep["sources"] if s.get("source") == source][0]
            except (ValueError, KeyError, IndexError, TypeError):
                raise ToolFailed(f"latebind promote: unexpected --json output: "
                                 f"{r['stdout'][-3000:]!r}")
            if src.get("status") != "promoted" or src.get("rows") != meta["rows"]:
                raise ToolFailed(f"latebind promote: status {src.get('status')}, "
                                 f"{src.get('rows')} rows (expected promoted, {meta['rows']}): "
                                 f"{json.dumps(src)[:3000]}")
            files = parquet_files(os.path.join(home, "curated"))
            res = {"seconds": r["wall_s"], "wall_s": r["wall_s"], "cpu_s": r["cpu_s"],
                   "maxrss_kib": r["maxrss_kib"], "out_bytes": sum(map(os.path.getsize, files)),
                   "files": len(files), "ingest_s": ing["wall_s"],
                   "inproc_s": src.get("seconds"), "rescued_rows": src.get("rescued_rows"),
                   "version": src.get("version")}
            res.update(check_output("latebind", files, fmt, meta, full))
            if full:
                t = subprocess.run([self.exe, "--home", home, "tables", "--json"],
                                   capture_output=True, text=True, timeout=self.timeout)
                try:
                    tab = [x for x in json.loads(t.stdout)["tables"] if x["source"] == source][0]
                    if tab["rows"] != meta["rows"] or tab["files"] != len(files):
                        raise ToolFailed(f"latebind tables: {tab['rows']} rows in "
                                         f"{tab['files']} files, expected {meta['rows']} in "
                                         f"{len(files)}")
                except (ValueError, KeyError, IndexError, TypeError):
                    log(f"warning: `latebind tables --json` gave no entry for {source}: "
                        f"{t.stdout[-500:]!r} {t.stderr[-500:]!r}")
            return res
        finally:
            if not self.keep:
                shutil.rmtree(home, ignore_errors=True)


class PyTool:
    """DuckDB or pyarrow, run as `python promote_bench.py --child TOOL` in its own process.
    duckdb-1file is DuckDB reading one file holding all the parts (see ensure_concat)."""

    def __init__(self, name: str, threads: int, timeout: float, tmp_dir: str, pin: list[str],
                 concat: dict | None = None):
        self.name, self.threads, self.timeout, self.tmp_dir, self.pin = (
            name, threads, timeout, tmp_dir, pin)
        self.concat = concat  # fmt -> path of the one file, for duckdb-1file

    def run(self, fmt: str, parts: list[str], meta: dict, full: bool) -> dict:
        scratch = tempfile.mkdtemp(prefix=f"promote-{self.name}-", dir=self.tmp_dir)
        if self.concat is not None:
            parts = [self.concat[fmt]]
        try:
            out = os.path.join(scratch, "x.parquet")
            child = "duckdb" if self.name.startswith("duckdb") else self.name
            cmd = self.pin + [sys.executable, os.path.abspath(__file__), "--child", child,
                              "--child-format", fmt, "--threads", str(self.threads),
                              "--child-out", out, *parts]
            r = run_measured(self.name, cmd, self.timeout, scratch)
            try:
                rep = json.loads(r["stdout"].strip().splitlines()[-1])
            except (ValueError, IndexError):
                raise ToolFailed(f"{self.name}: unexpected output {r['stdout'][-2000:]!r}")
            res = {"seconds": rep["seconds"], "wall_s": r["wall_s"], "cpu_s": rep.get("cpu_s"),
                   "maxrss_kib": r["maxrss_kib"], "rss_before_kib": rep.get("rss_before_kib"),
                   "out_bytes": os.path.getsize(out), "files": 1, "version": rep["version"]}
            res.update(check_output(self.name, [out], fmt, meta, full))
            return res
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


# ---------------------------------------------------------------------------- report


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--latebind", help="path of the latebind executable")
    ap.add_argument("--data-dir", help="parent of the promote-<MB>mb data directory")
    ap.add_argument("--mb", type=float, help="NDJSON size in MB (default 200; --big: 2 GiB)")
    ap.add_argument("--files", type=int, default=16, help="objects the data is split into")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, help="timed runs per tool (default 3; --big: 1)")
    ap.add_argument("--threads", type=int, default=2, help="threads/cores for every tool")
    ap.add_argument("--formats", help="comma list of ndjson,csv (default both; --big: ndjson)")
    ap.add_argument("--tools", help="comma list of latebind,duckdb,duckdb-1file,pyarrow "
                                    "(default all; --big: all but pyarrow)")
    ap.add_argument("--big", action="store_true",
                    help="2 GiB of NDJSON; judges latebind's peak RSS <= 1 GiB")
    ap.add_argument("--tmp-dir", default=os.environ.get("TMPDIR", "/tmp"),
                    help="where the latebind homes and outputs go (default $TMPDIR or /tmp)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per process run")
    ap.add_argument("--json-out", help="also append the final JSON line to this file")
    ap.add_argument("--check", action="store_true", help="exit 3 when a target is missed")
    ap.add_argument("--keep", action="store_true", help="keep the latebind homes")
    ap.add_argument("--child", choices=("duckdb", "pyarrow"), help=argparse.SUPPRESS)
    ap.add_argument("--child-format", help=argparse.SUPPRESS)
    ap.add_argument("--child-out", help=argparse.SUPPRESS)
    ap.add_argument("parts", nargs="*", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        return child_main(a.child, a.child_format, a.threads, a.child_out, a.parts)

    if a.mb is None:
        a.mb = TWO_GIB / 1e6 if a.big else 200.0
    if a.runs is None:
        a.runs = 1 if a.big else 3
    if a.formats is None:
        a.formats = "ndjson" if a.big else "ndjson,csv"
    if a.tools is None:
        a.tools = "latebind,duckdb,duckdb-1file" if a.big else ",".join(TOOLS)
    formats = [f.strip() for f in a.formats.split(",") if f.strip()]
    tool_names = [t.strip() for t in a.tools.split(",") if t.strip()]
    if not formats or any(f not in ("ndjson", "csv") for f in formats):
        ap.error("--formats takes ndjson and/or csv")
    if not tool_names or any(t not in TOOLS for t in tool_names):
        ap.error("--tools takes latebind, duckdb, duckdb-1file and/or pyarrow")
    if a.runs < 1 or a.threads < 1 or a.mb <= 0 or a.files < 1:
        ap.error("--runs, --threads, --files and --mb must be positive")
    if not a.data_dir:
        ap.error("--data-dir is required")
    if "latebind" in tool_names and not a.latebind:
        ap.error("--latebind is required unless --tools leaves it out")
    try:
        import duckdb  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError as e:
        log(f"error: {e} (use the project's .venv)")
        return 2

    latebind_exe = None
    if "latebind" in tool_names:
        q = a.latebind if os.sep in a.latebind else (shutil.which(a.latebind) or a.latebind)
        latebind_exe = os.path.abspath(q)
        if not (os.path.isfile(latebind_exe) and os.access(latebind_exe, os.X_OK)):
            log(f"error: --latebind not found or not executable: {a.latebind}")
            return 2

    # Same cores for everyone: taskset -c 0-(T-1) when the machine has that many.
    ncpu = os.cpu_count() or 1
    pin: list[str] = []
    if shutil.which("taskset") and a.threads <= ncpu:
        pin = ["taskset", "-c", f"0-{a.threads - 1}"]
    else:
        log(f"warning: not pinning (taskset missing or --threads {a.threads} > {ncpu} cpus)")

    data_dir = os.path.join(os.path.abspath(a.data_dir), f"promote-{a.mb:g}mb")
    meta = ensure_data(data_dir, a.mb, a.seed, a.files)
    parts = {fmt: [os.path.join(data_dir, p[fmt]) for p in meta["files"]] for fmt in formats}
    in_bytes = {fmt: meta[fmt + "_bytes"] for fmt in formats}

    tmp_dir = os.path.abspath(a.tmp_dir)
    results: dict = {}
    thread_flag = None
    in_bytes_1file: dict = {}
    try:
        tools = []
        for t in tool_names:
            if t == "latebind":
                lb = Latebind(latebind_exe, a.threads, a.timeout, tmp_dir, pin, a.keep)
                thread_flag = lb.thread_flag
                tools.append(lb)
            elif t == "duckdb-1file":
                concat = {}
                for fmt in formats:
                    concat[fmt], in_bytes_1file[fmt] = ensure_concat(data_dir, meta, fmt)
                tools.append(PyTool(t, a.threads, a.timeout, tmp_dir, pin, concat))
            else:
                tools.append(PyTool(t, a.threads, a.timeout, tmp_dir, pin))
        for fmt in formats:
            res = {"bytes": in_bytes[fmt], "rows": meta["rows"], "files": len(parts[fmt]),
                   "tools": {}}
            for t in tools:
                log(f"{fmt}: warm-up {t.name} ...")
                w = t.run(fmt, parts[fmt], meta, True)
                log(f"{fmt}: warm-up {t.name}: {w['seconds']:.3f}s, "
                    f"{w['out_bytes'] / 1e6:.1f} MB out, {w['maxrss_kib'] / 1024:.0f} MiB peak")
                res["tools"][t.name] = {"warmup": w, "runs": []}
            for i in range(a.runs):
                for t in tools:
                    res["tools"][t.name]["runs"].append(t.run(fmt, parts[fmt], meta, False))
                log(f"{fmt}: run {i + 1}/{a.runs}: " + ", ".join(
                    f"{t.name} {res['tools'][t.name]['runs'][-1]['seconds']:.3f}s "
                    f"({res['tools'][t.name]['runs'][-1]['maxrss_kib'] / 1024:.0f} MiB)"
                    for t in tools))
            for tname, r in res["tools"].items():
                runs = r["runs"]
                med = statistics.median(x["seconds"] for x in runs)
                r["samples_s"] = [round(x["seconds"], 6) for x in runs]
                r["median_s"] = round(med, 6)
                r["wall_median_s"] = round(statistics.median(x["wall_s"] for x in runs), 6)
                nbytes = in_bytes_1file[fmt] if tname == "duckdb-1file" else in_bytes[fmt]
                r["bytes"] = nbytes
                r["mb_per_s"] = round(nbytes / 1e6 / med, 2) if med > 0 else None
                r["out_bytes"] = int(statistics.median(x["out_bytes"] for x in runs))
                r["peak_rss_mib"] = round(statistics.median(x["maxrss_kib"] for x in runs)
                                          / 1024, 1)
                r["peak_rss_mib_max"] = round(max(x["maxrss_kib"] for x in runs) / 1024, 1)
                for k in ("ingest_s", "inproc_s", "cpu_s"):
                    vals = [x[k] for x in runs if x.get(k) is not None]
                    if vals:
                        r[k + "_median"] = round(statistics.median(vals), 4)
            results[fmt] = res
    except ToolFailed as e:
        log(f"error: {e}")
        return 1

    # ---- ratios and targets
    targets = []
    for fmt, res in results.items():
        tl = res["tools"]
        if "latebind" not in tl:
            continue
        lb = tl["latebind"]
        # Judged against the faster DuckDB variant (MB/s) and the smaller DuckDB output.
        dds = [d for d in ("duckdb", "duckdb-1file") if d in tl]
        for den in dds + (["pyarrow"] if "pyarrow" in tl else []):
            v = lb["mb_per_s"] / tl[den]["mb_per_s"] if tl[den]["mb_per_s"] else None
            t = {"name": f"{fmt}_throughput_latebind_vs_{den}", "format": fmt,
                 "what": f"MB/s latebind / {den}", "value": v, "unit": "x"}
            if den in dds and den == max(dds, key=lambda d: tl[d]["mb_per_s"] or 0):
                t.update(target=f">= {THROUGHPUT_TARGET:g}x (never < {THROUGHPUT_FLOOR:g}x)",
                         result=("PASS" if v is not None and v >= THROUGHPUT_TARGET else
                                 "MISS" if v is not None and v >= THROUGHPUT_FLOOR else "FAIL"))
            targets.append(t)
        # CPU seconds per input byte, theirs / latebind's: what the ratio would be with
        # every tool keeping all T cores busy (less sensitive to a shared machine).
        for den in dds + (["pyarrow"] if "pyarrow" in tl else []):
            if lb.get("cpu_s_median") and tl[den].get("cpu_s_median"):
                v = ((tl[den]["cpu_s_median"] / tl[den]["bytes"])
                     / (lb["cpu_s_median"] / lb["bytes"]))
                targets.append({"name": f"{fmt}_cpu_per_byte_{den}_vs_latebind", "format": fmt,
                                "what": f"CPU s per MB {den} / latebind", "value": v,
                                "unit": "x"})
        if dds:
            den = min(dds, key=lambda d: tl[d]["out_bytes"])
            v = lb["out_bytes"] / tl[den]["out_bytes"]
            targets.append({"name": f"{fmt}_size_latebind_vs_duckdb", "format": fmt,
                            "what": f"output size latebind / {den}", "value": v, "unit": "x",
                            "target": f"<= {SIZE_TARGET:.2f}x",
                            "result": "PASS" if v <= SIZE_TARGET else "FAIL"})
        big = res["bytes"] >= TWO_GIB
        targets.append({"name": f"{fmt}_peak_rss_latebind", "format": fmt,
                        "what": "peak RSS latebind (MiB)", "value": lb["peak_rss_mib_max"],
                        "unit": "MiB", "target": f"<= {RSS_LIMIT_MIB:g} on >= 2 GiB in",
                        "result": (("PASS" if lb["peak_rss_mib_max"] <= RSS_LIMIT_MIB else "FAIL")
                                   if big else "n/a (--big)")})
    for t in targets:
        if isinstance(t["value"], float):
            t["value"] = round(t["value"], 4)

    # ---- table
    out = []
    pin_s = " ".join(pin) if pin else "not pinned"
    tf = ("" if thread_flag is None else
          ", latebind promote --threads" if thread_flag else
          ", latebind promote has no --threads flag")
    out.append(f"latebind promote benchmark: {meta['rows']} rows in {a.files} objects, "
               f"threads={a.threads} ({pin_s}{tf}), runs={a.runs} (median after 1 warm-up), "
               f"MB = 1e6 bytes")
    out.append(f"{'format':<7} {'in MB':>8}  {'tool':<36} {'median s':>9} {'MB/s in':>8} "
               f"{'out MB':>8} {'peak RSS MiB':>13} {'min s':>8} {'max s':>8} {'CPU s':>7}")
    for fmt, res in results.items():
        first = True
        for tname, r in res["tools"].items():
            dd = tname.startswith("duckdb")
            fn = ("read_json_auto" if dd else "read_json") if fmt == "ndjson" \
                else ("read_csv_auto" if dd else "read_csv")
            label = TOOL_LABEL[tname].format(fn=fn)
            mb = format(res["bytes"] / 1e6, ".1f") if first else ""
            out.append(f"{(fmt if first else ''):<7} {mb:>8}  {label:<36} {r['median_s']:>9.3f} "
                       f"{r['mb_per_s']:>8.1f} {r['out_bytes'] / 1e6:>8.2f} "
                       f"{r['peak_rss_mib']:>13.0f} {min(r['samples_s']):>8.3f} "
                       f"{max(r['samples_s']):>8.3f} {r.get('cpu_s_median') or 0:>7.2f}")
            first = False
        if "latebind" in res["tools"]:
            lb = res["tools"]["latebind"]
            extra = f"{'':<7} {'':>8}  (latebind: ingest before promote {lb['ingest_s_median']:.2f}s"
            if lb.get("inproc_s_median") is not None:
                extra += f", promote's own 'seconds' {lb['inproc_s_median']:.3f}s"
            extra += f", rescued rows {lb['warmup'].get('rescued_rows')})"
            out.append(extra)
    if targets:
        out.append("")
        out.append(f"{'ratio':<44} {'value':>9} {'target':>30}  result")
        for t in targets:
            val = ("n/a" if t["value"] is None else
                   f"{t['value']:.0f} MiB" if t["unit"] == "MiB" else f"{t['value']:.2f}x")
            out.append(f"{t['format'].upper() + ' ' + t['what']:<44} {val:>9} "
                       f"{t.get('target', '-'):>30}  {t.get('result', '(info)')}")
    print("\n".join(out), flush=True)

    import duckdb
    import pyarrow
    record = {
        "bench": "promote",
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "git": git_rev(), "machine": machine_info(), "duckdb": duckdb.__version__,
        "pyarrow": pyarrow.__version__, "threads": a.threads, "pinned": pin_s,
        "latebind_thread_flag": thread_flag, "runs": a.runs, "mb": a.mb, "seed": a.seed,
        "files": a.files, "rows": meta["rows"],
        "results": {fmt: {"bytes": res["bytes"], **{
            t: {**{k: v for k, v in r.items() if k not in ("runs", "warmup")},
                "schema": r["warmup"].get("schema"),
                "rss_before_mib": (round(r["warmup"]["rss_before_kib"] / 1024, 1)
                                   if r["warmup"].get("rss_before_kib") else None)}
            for t, r in res["tools"].items()}} for fmt, res in results.items()},
        "targets": targets,
    }
    line = json.dumps(record, separators=(",", ":"))
    print(line, flush=True)
    if a.json_out:
        with open(a.json_out, "a") as f:
            f.write(line + "\n")
    if a.check and any(t.get("result") in ("MISS", "FAIL") for t in targets):
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
