#!/usr/bin/env python3
"""Benchmark of `latebind profile` against DuckDB schema inference and bare simdjson parsing.

Usage:
  profile_bench.py --latebind build/latebind --baseline build/bench/simdjson_parse_baseline \\
      --data-dir DIR [--mb 200] [--runs 5] [--threads 2] [--seed 1] [--formats ndjson,csv]
      [--timeout 900] [--json-out FILE] [--check]

Data: DIR/bank.ndjson and DIR/bank.csv from gen_bank.py (same rows, nested vs flattened);
generated first when missing or when DIR/bank.meta.json records another size or seed.

Per format, each tool is run once as a warm-up (page cache; output checked) and then
--runs times, interleaved (run 1 of every tool, then run 2, ...); the median is reported.
  latebind   `latebind profile --json --threads T FILE`, a subprocess, stdout to /dev/null;
             wall time of the whole process (LATEBIND_HOME points at a scratch dir).
  duckdb     in-process, fresh in-memory connection per run with `SET threads=T`, timed
             around `DESCRIBE SELECT * FROM read_json_auto(FILE, sample_size=-1)` (or
             read_csv_auto) and its fetch; connecting is not timed. sample_size=-1 makes
             DuckDB infer types from every record, like latebind does.
  simdjson   (NDJSON only) `simdjson_parse_baseline FILE --threads T`, a subprocess; wall
             time of the whole process, like latebind. Its own in-process figure is kept too.
MB/s uses the file size, MB = 1e6 bytes. Targets: latebind >= 5x DuckDB on NDJSON,
>= 3x DuckDB on CSV, and >= 60% of the simdjson baseline's rate on NDJSON.

Output: a table, then one final line of JSON with every figure (for recording).
Exit: 0 done, 1 a tool failed (its stderr is printed), 2 usage or missing input,
3 with --check when a target is missed.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from bench_machine import ensure_generated, git_rev, machine_info

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "gen_bank.py")
GENERATOR_VERSION = 1  # must match gen_bank.GENERATOR_VERSION

TARGETS = {  # name -> (format, numerator tool, denominator tool, minimum ratio)
    "ndjson_latebind_vs_duckdb": ("ndjson", "latebind", "duckdb", 5.0),
    "csv_latebind_vs_duckdb": ("csv", "latebind", "duckdb", 3.0),
    "ndjson_latebind_vs_simdjson": ("ndjson", "latebind", "simdjson", 0.60),
}
TOOL_LABEL = {"latebind": "latebind profile", "duckdb": "duckdb {fn}",
              "simdjson": "simdjson parse_many (bare)"}


class ToolFailed(Exception):
    pass


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- data

def ensure_data(data_dir: str, mb: float, seed: int) -> dict:
    def fresh(m) -> bool:
        if not m or m.get("generator_version") != GENERATOR_VERSION:
            return False
        if m.get("mb") != mb or m.get("seed") != seed:
            return False
        for key in ("ndjson", "csv"):
            p = os.path.join(data_dir, m.get(key, ""))
            if not os.path.isfile(p) or os.path.getsize(p) != m.get(key + "_bytes"):
                return False
        return True

    return ensure_generated(
        os.path.join(data_dir, "bank.meta.json"), fresh,
        [sys.executable, GEN, "--out-dir", data_dir, "--mb", str(mb), "--seed", str(seed)],
        f"{mb:g} MB of bank data (seed {seed}) in {data_dir}")


# ---------------------------------------------------------------------------- tools

def run_process(name: str, cmd: list[str], timeout: float, capture: bool,
                env: dict | None = None) -> tuple[float, str]:
    """Runs cmd; returns (wall seconds, stdout if captured). Raises ToolFailed."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=timeout, env=env)
    except FileNotFoundError as e:
        raise ToolFailed(f"{name}: cannot run {cmd[0]}: {e}")
    except subprocess.TimeoutExpired as e:
        err = (e.stderr or b"").decode(errors="replace")
        raise ToolFailed(f"{name}: timed out after {timeout:g} s: {' '.join(cmd)}\n"
                         f"--- stderr ---\n{err}")
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        err = p.stderr.decode(errors="replace")
        raise ToolFailed(f"{name}: exit status {p.returncode}: {' '.join(cmd)}\n"
                         f"--- stderr ---\n{err[-20000:]}")
    return dt, (p.stdout.decode(errors="replace") if capture else "")


def parse_json_output(text: str):
    """The whole output as one JSON value, else one value per non-empty line, else None."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        vals = [json.loads(line) for line in text.splitlines() if line.strip()]
        return vals or None
    except ValueError:
        return None


class Latebind:
    name = "latebind"

    def __init__(self, exe: str, threads: int, timeout: float, home: str):
        self.exe, self.threads, self.timeout = exe, threads, timeout
        self.env = dict(os.environ, LATEBIND_HOME=home)

    def cmd(self, path):
        return [self.exe, "profile", "--json", "--threads", str(self.threads), path]

    def warmup(self, path, fmt, meta) -> dict:
        dt, out = run_process(self.name, self.cmd(path), self.timeout, True, self.env)
        info = {"warmup_s": dt, "stdout_bytes": len(out)}
        if parse_json_output(out) is None:
            log(f"warning: latebind profile --json printed no parseable JSON for {path} "
                f"({len(out)} bytes of stdout)")
            info["json_ok"] = False
        else:
            info["json_ok"] = True
        return info

    def run(self, path, fmt) -> tuple[float, dict]:
        dt, _ = run_process(self.name, self.cmd(path), self.timeout, False, self.env)
        return dt, {}


class DuckDB:
    name = "duckdb"

    def __init__(self, threads: int):
        import duckdb  # noqa: F401  (fail early with a clear message if missing)
        self.duckdb = duckdb
        self.threads = threads

    @staticmethod
    def fn(fmt):
        return "read_json_auto" if fmt == "ndjson" else "read_csv_auto"

    def query(self, path, fmt):
        lit = "'" + path.replace("'", "''") + "'"
        return f"DESCRIBE SELECT * FROM {self.fn(fmt)}({lit}, sample_size=-1)"

    def _once(self, path, fmt):
        con = self.duckdb.connect()
        try:
            con.execute(f"SET threads={int(self.threads)}")
            q = self.query(path, fmt)
            t0 = time.perf_counter()
            rows = con.execute(q).fetchall()
            dt = time.perf_counter() - t0
        except Exception as e:  # duckdb.Error and friends
            raise ToolFailed(f"duckdb: {self.query(path, fmt)}\n--- error ---\n{e}")
        finally:
            con.close()
        return dt, rows

    def warmup(self, path, fmt, meta) -> dict:
        dt, rows = self._once(path, fmt)
        return {"warmup_s": dt, "columns": len(rows),
                "schema": {r[0]: r[1] for r in rows}}

    def run(self, path, fmt):
        dt, _ = self._once(path, fmt)
        return dt, {}


class Simdjson:
    name = "simdjson"

    def __init__(self, exe: str, threads: int, timeout: float, meta: dict):
        self.exe, self.threads, self.timeout, self.meta = exe, threads, timeout, meta

    def _once(self, path, meta):
        dt, out = run_process(self.name, [self.exe, path, "--threads", str(self.threads)],
                              self.timeout, True)
        try:
            rep = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise ToolFailed(f"simdjson: unexpected output: {out[-2000:]!r}")
        if rep.get("docs") != meta["rows"] or rep.get("bytes") != meta["ndjson_bytes"]:
            raise ToolFailed(f"simdjson: counted {rep.get('docs')} documents in "
                             f"{rep.get('bytes')} bytes, expected {meta['rows']} in "
                             f"{meta['ndjson_bytes']}")
        return dt, rep

    def warmup(self, path, fmt, meta) -> dict:
        dt, rep = self._once(path, meta)
        return {"warmup_s": dt, "docs": rep["docs"]}

    def run(self, path, fmt):
        dt, rep = self._once(path, self.meta)
        return dt, {"inproc_s": rep["seconds"]}


# ---------------------------------------------------------------------------- report



def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--latebind", required=True, help="path of the latebind executable")
    ap.add_argument("--baseline", required=True, help="path of simdjson_parse_baseline")
    ap.add_argument("--data-dir", required=True, help="where bank.ndjson/bank.csv live or go")
    ap.add_argument("--mb", type=float, default=200.0, help="NDJSON size in MB (default 200)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=5, help="timed runs per tool (default 5)")
    ap.add_argument("--threads", type=int, default=2, help="threads for every tool (default 2)")
    ap.add_argument("--formats", default="ndjson,csv", help="comma list of ndjson,csv")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per process run")
    ap.add_argument("--json-out", help="also append the final JSON line to this file")
    ap.add_argument("--check", action="store_true", help="exit 3 when a target is missed")
    a = ap.parse_args(argv)

    formats = [f.strip() for f in a.formats.split(",") if f.strip()]
    if not formats or any(f not in ("ndjson", "csv") for f in formats):
        ap.error("--formats takes ndjson and/or csv")
    if a.runs < 1 or a.threads < 1 or a.mb <= 0:
        ap.error("--runs, --threads and --mb must be positive")

    def executable(p, what):
        q = p if os.sep in p else (shutil.which(p) or p)
        q = os.path.abspath(q)
        if not (os.path.isfile(q) and os.access(q, os.X_OK)):
            log(f"error: {what} not found or not executable: {p}")
            sys.exit(2)
        return q

    latebind_exe = executable(a.latebind, "--latebind")
    baseline_exe = executable(a.baseline, "--baseline") if "ndjson" in formats else None
    try:
        import duckdb
    except ImportError:
        log("error: the duckdb Python module is missing (use the project's .venv)")
        return 2

    data_dir = os.path.abspath(a.data_dir)
    meta = ensure_data(data_dir, a.mb, a.seed)
    files = {"ndjson": os.path.join(data_dir, meta["ndjson"]),
             "csv": os.path.join(data_dir, meta["csv"])}

    home = tempfile.mkdtemp(prefix="latebind-bench-home-")
    results: dict = {}
    try:
        lb = Latebind(latebind_exe, a.threads, a.timeout, home)
        dd = DuckDB(a.threads)
        sj = Simdjson(baseline_exe, a.threads, a.timeout, meta) if baseline_exe else None
        for fmt in formats:
            path = files[fmt]
            size = os.path.getsize(path)
            tools = [lb, dd] + ([sj] if fmt == "ndjson" and sj else [])
            res = {"file": path, "bytes": size, "rows": meta["rows"], "tools": {}}
            for t in tools:
                log(f"{fmt}: warm-up {t.name} ...")
                res["tools"][t.name] = {"warmup": t.warmup(path, fmt, meta), "samples_s": []}
            for i in range(a.runs):
                for t in tools:
                    dt, extra = t.run(path, fmt)
                    r = res["tools"][t.name]
                    r["samples_s"].append(round(dt, 6))
                    for k, v in extra.items():
                        r.setdefault(k + "_samples", []).append(v)
                log(f"{fmt}: run {i + 1}/{a.runs}: " + ", ".join(
                    f"{t.name} {res['tools'][t.name]['samples_s'][-1]:.3f}s" for t in tools))
            for t in tools:
                r = res["tools"][t.name]
                med = statistics.median(r["samples_s"])
                r["median_s"] = round(med, 6)
                r["mb_per_s"] = round(size / 1e6 / med, 2) if med > 0 else None
                if "inproc_s_samples" in r:
                    m2 = statistics.median(r["inproc_s_samples"])
                    r["inproc_median_s"] = m2
                    r["inproc_mb_per_s"] = round(size / 1e6 / m2, 2) if m2 > 0 else None
            results[fmt] = res
    except ToolFailed as e:
        log(f"error: {e}")
        return 1
    finally:
        shutil.rmtree(home, ignore_errors=True)

    ratios = {}
    for name, (fmt, num, den, target) in TARGETS.items():
        if fmt not in results or den not in results[fmt]["tools"]:
            continue
        tl = results[fmt]["tools"]
        value = tl[den]["median_s"] / tl[num]["median_s"] if tl[num]["median_s"] > 0 else None
        ratios[name] = {"value": round(value, 4) if value is not None else None,
                        "target": target, "met": value is not None and value >= target}

    # ---- table
    out = []
    out.append(f"latebind profile benchmark: threads={a.threads}, runs={a.runs} "
               f"(median after 1 warm-up), rows={meta['rows']}, MB = 1e6 bytes")
    out.append(f"{'format':<7} {'file MB':>8}  {'tool':<28} {'median s':>9} {'MB/s':>9} "
               f"{'min s':>8} {'max s':>8}")
    for fmt, res in results.items():
        first = True
        for tname, r in res["tools"].items():
            label = TOOL_LABEL[tname].format(fn=DuckDB.fn(fmt))
            mb = format(res["bytes"] / 1e6, ".1f") if first else ""
            out.append(f"{(fmt if first else ''):<7} {mb:>8}  "
                       f"{label:<28} {r['median_s']:>9.3f} {r['mb_per_s']:>9.1f} "
                       f"{min(r['samples_s']):>8.3f} {max(r['samples_s']):>8.3f}")
            first = False
        if "simdjson" in res["tools"] and "inproc_mb_per_s" in res["tools"]["simdjson"]:
            s = res["tools"]["simdjson"]
            out.append(f"{'':<7} {'':>8}  {'  (simdjson in-process)':<28} "
                       f"{s['inproc_median_s']:>9.3f} {s['inproc_mb_per_s']:>9.1f}")
    out.append("")
    out.append(f"{'ratio':<34} {'value':>8} {'target':>9}  result")
    for name, r in ratios.items():
        fmt, num, den, target = TARGETS[name]
        pct = den == "simdjson"
        val = ("n/a" if r["value"] is None else
               (f"{r['value'] * 100:.1f}%" if pct else f"{r['value']:.2f}x"))
        tgt = f">= {target * 100:.0f}%" if pct else f">= {target:g}x"
        out.append(f"{fmt.upper() + ' ' + num + ' / ' + den:<34} {val:>8} {tgt:>9}  "
                   f"{'PASS' if r['met'] else 'MISS'}")
    print("\n".join(out), flush=True)

    record = {
        "bench": "profile", "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "git": git_rev(), "machine": machine_info(), "duckdb": duckdb.__version__,
        "threads": a.threads, "runs": a.runs, "mb": a.mb, "seed": a.seed, "rows": meta["rows"],
        "results": {fmt: {"bytes": res["bytes"], **{
            t: {k: v for k, v in r.items() if k in ("median_s", "mb_per_s", "samples_s",
                                                    "inproc_median_s", "inproc_mb_per_s")}
            for t, r in res["tools"].items()}} for fmt, res in results.items()},
        "ratios": ratios,
    }
    line = json.dumps(record, separators=(",", ":"))
    print(line, flush=True)
    if a.json_out:
        with open(a.json_out, "a") as f:
            f.write(line + "\n")
    if a.check and not all(r["met"] for r in ratios.values()):
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
