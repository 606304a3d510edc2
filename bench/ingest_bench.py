#!/usr/bin/env python3
"""Ingest throughput of `latebind serve` against nginx, with wrk, on the same cores.

Usage:
  ingest_bench.py --latebind build/latebind [--duration 20] [--connections 64] [--runs 1]
                  [--body-kib 1]

Every system gets the same request, `wrk -t2 -cC -dDs -s bench/wrk_post.lua`: an N KiB
NDJSON body (--body-kib N, default 1: N * 8 lines of 128 bytes, exactly N * 1024 bytes;
passed to the script as WRK_BODY_KIB in wrk's environment), Content-Type
application/x-ndjson, POST to /v1/sources/bench/payloads on 127.0.0.1, keep-alive. Each
system is started fresh, gets a --warmup run (default 2 s, not reported), then the timed
run, and is stopped:

  latebind        `latebind --home TMP serve --listen 127.0.0.1:PORT` with default options;
                  202 means the payload is on disk and fdatasync'd (group commit).
  nginx-spool     nginx writes every body to its own file (client_body_in_file_only,
                  no fsync) and answers 202 (bench/nginx/spool.conf).
  nginx-discard   nginx reads every body into memory, drops it and answers 202
                  (bench/nginx/discard.conf).

nginx runs in the foreground (`daemon off`, worker_processes 2, access_log off) from a
temp prefix; latebind's home is a temp dir too; both under $TMPDIR (/tmp), so on the same
disk. Ports are ephemeral ones that were free. With --runs N > 1 the systems are
interleaved run by run and the median of each figure is reported. The temp dirs are
deleted after the last run (rm -rf, bounded by --cleanup-timeout), not between systems:
on ext4 without a journal, as on the benchmark VM, a file create skips every inode freed
in the last ~30 s one by one, so a large delete slows the next system's creates. Before
each system starts, 500 files are created in its temp dir (and 50 more with an
fdatasync each) to show how fast the disk creates files there right then ("disk files/s").

Checks: before nginx's timed run one POST of an N KiB body must come back 202 with the
body spooled to a file under the prefix (spool) or not (discard). After latebind's runs
it is stopped with SIGTERM (must exit 0) and the raw payload files in its home (*.ndjson,
not .meta/.profile) must be at least the number of 202s wrk counted over its warm-up and
timed run, and all N KiB long. Its
/metrics are scraped around the timed run: latebind_committed_payloads_total /
latebind_commits_total is the mean group-commit batch.

Prints a table (requests/s, MB/s, p50, p99, non-2xx, socket errors, disk files/s) with the
ratios latebind / nginx-spool and latebind / nginx-discard (of req/s; of MB/s alike, the
body being the same), then one line of JSON with every figure (samples, medians, ratios,
wrk's status counts, latebind's metrics, date, machine, git revision, tool versions).
MB/s is request body bytes acknowledged (2xx) per second of the timed run, MB = 1e6 bytes.
Exit status: 0 ok, 1 a tool failed or could not be started, 2 bad arguments or a tool
missing, 3 a check failed (non-2xx responses, socket errors, durability count, exit code).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from bench_machine import git_rev, machine_info, tail

HERE = os.path.dirname(os.path.abspath(__file__))
LUA = os.path.join(HERE, "wrk_post.lua")
NGINX_DIR = os.path.join(HERE, "nginx")
PATH = "/v1/sources/bench/payloads"
SYSTEMS = ("latebind", "nginx-spool", "nginx-discard")
START_TIMEOUT = 20.0   # seconds for a server to come up
STOP_TIMEOUT = 60.0    # seconds for a server to drain and exit


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class ToolFailed(Exception):
    pass


def free_port() -> int:
    """An ephemeral port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports(n: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < n:
        p = free_port()
        if p not in ports:
            ports.append(p)
    return ports


def http(method: str, url: str, body: bytes | None = None, timeout: float = 5.0,
         headers: dict | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def stop_process(p: subprocess.Popen, sig: int, name: str) -> int:
    """Sends sig, waits STOP_TIMEOUT, then SIGKILLs. Returns the exit status."""
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            log(f"warning: {name} (pid {p.pid}) did not exit {STOP_TIMEOUT:g} s after "
                f"signal {sig}; killing it")
            p.kill()
            p.wait(timeout=10)
    return p.returncode


# ---------------------------------------------------------------------------- wrk

def ndjson_body(kib: int) -> bytes:
    """kib * 8 NDJSON lines of exactly 128 bytes: what wrk_post.lua sends for the same size
    (not byte for byte; the driver uses it for its own check POSTs)."""
    lines = []
    for i in range(1, kib * 8 + 1):
        head = f'{{"check":{i},"memo":"'
        lines.append(head + "x" * (128 - len(head) - 3) + '"}\n')
    body = "".join(lines).encode()
    assert len(body) == kib * 1024
    return body


def run_wrk(wrk: str, url: str, threads: int, connections: int, duration: float,
            timeout_s: float, body_kib: int) -> dict:
    cmd = [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{duration:g}s",
           "--timeout", f"{timeout_s:g}s", "-s", LUA, url]
    env = dict(os.environ, WRK_BODY_KIB=str(body_kib))
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60,
                           env=env)
    except subprocess.TimeoutExpired:
        raise ToolFailed(f"wrk: did not finish within {duration + 60:g} s: {' '.join(cmd)}")
    line = next((ln for ln in p.stdout.splitlines() if ln.startswith("WRK_RESULT ")), None)
    if p.returncode != 0 or line is None:
        raise ToolFailed(f"wrk: exit status {p.returncode}, no WRK_RESULT line: "
                         f"{' '.join(cmd)}\n--- stdout ---\n{p.stdout[-4000:]}\n"
                         f"--- stderr ---\n{p.stderr[-4000:]}")
    r = json.loads(line.split(" ", 1)[1])
    if r.get("body_bytes") != body_kib * 1024:
        raise ToolFailed(f"wrk: sent {r.get('body_bytes')}-byte bodies, expected "
                         f"{body_kib * 1024} (WRK_BODY_KIB={body_kib})")
    r["n2xx"] = sum(v for k, v in r["statuses"].items() if 200 <= int(k) <= 299)
    r["mb_per_s"] = r["n2xx"] * r["body_bytes"] / r["duration_s"] / 1e6
    r["errors_total"] = sum(r["errors"][k] for k in ("connect", "read", "write", "timeout"))
    r["n202"] = int(r["statuses"].get("202", 0))
    return r


# ---------------------------------------------------------------------------- servers

class LatebindServer:
    name = "latebind"

    def __init__(self, exe: str, tmp_root: str, extra_args: tuple = ()):
        self.exe = exe
        self.extra_args = list(extra_args)
        self.dir = tempfile.mkdtemp(prefix="latebind-ingest-bench-", dir=tmp_root)
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.home = os.path.join(self.dir, "home")
        self.err_path = os.path.join(self.dir, "serve.stderr")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [self.exe, "--home", self.home, "serve", "--listen", f"127.0.0.1:{self.port}",
               *self.extra_args]
        self.err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.err)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise ToolFailed(f"latebind serve exited with {self.proc.returncode} at start:"
                                 f" {' '.join(cmd)}\n--- stderr ---\n{tail(self.err_path)}")
            if '"msg":"listening"' in tail(self.err_path, 1 << 16):
                break
            if time.monotonic() > deadline:
                self.stop()
                raise ToolFailed(f"latebind serve did not log \"listening\" within "
                                 f"{START_TIMEOUT:g} s\n--- stderr ---\n{tail(self.err_path)}")
            time.sleep(0.05)
        status, body = http("GET", self.url + "/healthz")
        if status != 200:
            self.stop()
            raise ToolFailed(f"latebind: GET /healthz -> {status} {body[:200]!r}")

    def metrics(self) -> dict:
        status, body = http("GET", self.url + "/metrics", timeout=10)
        if status != 200:
            raise ToolFailed(f"latebind: GET /metrics -> {status}")
        out: dict[str, float] = {}
        for line in body.decode(errors="replace").splitlines():
            if not line or line.startswith("#"):
                continue
            m = re.match(r"^(\S+?)(\{[^}]*\})?\s+(\S+)$", line)
            if m:
                try:
                    out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
                except ValueError:
                    pass
        return out

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        rc = stop_process(self.proc, signal.SIGTERM, "latebind serve")
        self.err.close()
        self.proc = None
        return rc

    def count_payload_files(self, size: int) -> tuple[int, int]:
        """(raw payload files in the home, how many of them are not `size` bytes long)."""
        n = wrong = 0
        for root, _dirs, files in os.walk(self.home):
            for f in files:
                if f.endswith(".ndjson") and ".meta" not in f and ".profile" not in f:
                    n += 1
                    try:
                        wrong += os.stat(os.path.join(root, f)).st_size != size
                    except OSError:
                        wrong += 1
        return n, wrong


class NginxServer:
    def __init__(self, exe: str, tmp_root: str, mode: str, workers: int, body_kib: int = 1):
        self.exe, self.mode, self.workers, self.body_kib = exe, mode, workers, body_kib
        self.name = f"nginx-{mode}"
        self.dir = tempfile.mkdtemp(prefix=f"nginx-{mode}-bench-", dir=tmp_root)
        self.template = os.path.join(NGINX_DIR, f"{mode}.conf")
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        # nginx's workers run as another user when started as root: let them in.
        os.chmod(self.dir, 0o755)
        self.port, ack_port = free_ports(2)
        self.url = f"http://127.0.0.1:{self.port}"
        with open(self.template) as f:
            conf = f.read().replace("@PORT@", str(self.port)).replace("@ACK_PORT@", str(ack_port))
        conf_path = os.path.join(self.dir, "nginx.conf")
        with open(conf_path, "w") as f:
            f.write(conf)
        self.err_path = os.path.join(self.dir, "err.log")
        g = (f"daemon off; worker_processes {self.workers}; "
             f"pid {self.dir}/nginx.pid; error_log {self.err_path} warn;")
        cmd = [self.exe, "-p", self.dir + "/", "-c", conf_path, "-e", self.err_path, "-g", g]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + START_TIMEOUT
        while not (port_open(self.port) and port_open(ack_port)):
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace")
                raise ToolFailed(f"{self.name}: nginx exited with {self.proc.returncode} at "
                                 f"start: {' '.join(cmd)}\n--- stderr ---\n{err}"
                                 f"\n--- err.log ---\n{tail(self.err_path)}")
            if time.monotonic() > deadline:
                self.stop()
                raise ToolFailed(f"{self.name}: not listening within {START_TIMEOUT:g} s\n"
                                 f"--- err.log ---\n{tail(self.err_path)}")
            time.sleep(0.05)
        self.check()

    def check(self) -> None:
        """One POST of a body as large as wrk's: 202 (so client_max_body_size lets it in),
        and the body spooled to a file under the prefix iff mode=spool (in memory for
        discard: it fits client_body_buffer_size, up to 64 KiB in discard.conf)."""
        status, body = http("POST", self.url + PATH, ndjson_body(self.body_kib),
                            headers={"Content-Type": "application/x-ndjson"})
        try:
            spooled = json.loads(body)["body_file"]
        except (ValueError, KeyError, TypeError):
            spooled = None
        ok = status == 202 and spooled is not None and (
            spooled.startswith(os.path.join(self.dir, "body") + "/") if self.mode == "spool"
            else spooled == "")
        if not ok:
            self.stop()
            raise ToolFailed(f"{self.name}: check POST -> {status} {body[:300]!r} (expected "
                             f"202 with the body {'in a file' if self.mode == 'spool' else 'in memory'})")
        self.check_result = spooled

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        rc = stop_process(self.proc, signal.SIGQUIT, self.name)
        if self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None
        return rc


# ---------------------------------------------------------------------------- disk

def fs_probe(d: str, creates: int = 500, durable: int = 50) -> dict:
    """What the disk does right now in the new dir d, with one thread and 1 KiB files:
    files created+written per second (no sync, as nginx-spool) and files created+written+
    fdatasync'd one at a time per second (a server without group commit).

    File creation on the benchmark VM varies a lot from one directory to the next: on ext4
    without a journal a create skips, one by one, every inode of its block group freed in
    the last ~30 s (recently_deleted()), so creates near a large delete can be 10x slower.
    Probing each system's own temp dir just before it starts puts its figures in context.
    The files are left in d."""
    os.mkdir(d)
    body = b"x" * 1023 + b"\n"
    t0 = time.perf_counter()
    for i in range(creates):
        fd = os.open(os.path.join(d, f"c{i}"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, body)
        os.close(fd)
    t1 = time.perf_counter()
    for i in range(durable):
        fd = os.open(os.path.join(d, f"s{i}"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, body)
        os.fdatasync(fd)
        os.close(fd)
    t2 = time.perf_counter()
    dfd = os.open(d, os.O_RDONLY)
    os.fsync(dfd)
    os.close(dfd)
    return {"creates_per_s": round(creates / (t1 - t0)),
            "durable_files_per_s": round(durable / (t2 - t1)),
            "fdatasync_ms": round(1e3 * (t2 - t1) / durable, 3)}


# ---------------------------------------------------------------------------- one run

def measure(server, a, wrk: str) -> dict:
    """Starts server, warms up, runs wrk, stops; returns the figures and check results.

    The server's temp dir is left for the caller to delete after the last run: deleting
    many files just before another system creates its own would slow that one down (see
    fs_probe)."""
    res: dict = {"system": server.name, "disk_probe": fs_probe(os.path.join(server.dir, "probe"))}
    server.start()
    try:
        url = server.url + PATH
        warm = run_wrk(wrk, url, a.threads, a.connections, a.warmup, a.wrk_timeout,
                       a.body_kib) if a.warmup > 0 else None
        before = server.metrics() if isinstance(server, LatebindServer) else None
        r = run_wrk(wrk, url, a.threads, a.connections, a.duration, a.wrk_timeout,
                    a.body_kib)
        after = server.metrics() if isinstance(server, LatebindServer) else None
    except BaseException:
        server.stop()
        raise
    rc = server.stop()
    res.update(rps=r["rps"], mb_per_s=r["mb_per_s"], p50_ms=r["latency_us"]["p50"] / 1e3,
               p99_ms=r["latency_us"]["p99"] / 1e3, non2xx=r["non2xx"],
               errors=r["errors_total"], wrk=r, exit_status=rc)
    if warm is not None:
        res["warmup"] = {k: warm[k] for k in ("requests", "rps", "non2xx", "statuses",
                                              "errors")}
    checks = {"exit_status": rc == 0, "non2xx": r["non2xx"] == 0
              and (warm is None or warm["non2xx"] == 0),
              "socket_errors": r["errors_total"] == 0}
    if isinstance(server, LatebindServer):
        n202 = r["n202"] + (warm["n202"] if warm else 0)
        files, wrong_size = server.count_payload_files(a.body_kib * 1024)
        res["durability"] = {"accepted_202": n202, "payload_files": files,
                             "payload_files_wrong_size": wrong_size}
        checks["durability"] = files >= n202 and wrong_size == 0
        d = lambda k: after.get(k, 0.0) - before.get(k, 0.0)  # noqa: E731
        commits, payloads = d("latebind_commits_total"), d("latebind_committed_payloads_total")
        cs, cc = d("latebind_commit_duration_seconds_sum"), \
            d("latebind_commit_duration_seconds_count")
        res["metrics"] = {
            "commits": commits, "committed_payloads": payloads,
            "mean_batch": payloads / commits if commits else None,
            "mean_commit_ms": 1e3 * cs / cc if cc else None,
            "profiled": d('latebind_profiled_total{source="bench"}'),
            "queue_depth_end": {k.split('"')[1]: v for k, v in after.items()
                                if k.startswith("latebind_queue_depth{")},
        }
    else:
        res["check_post_body_file"] = server.check_result
    res["checks"] = checks
    return res


# ---------------------------------------------------------------------------- report


def tool_version(cmd: list[str]) -> str | None:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (p.stdout + p.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return None



def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--latebind", default=os.path.join(HERE, "..", "build", "latebind"),
                    help="path of the latebind executable (default build/latebind)")
    ap.add_argument("--wal", action="store_true",
                    help="run latebind serve --wal (acknowledge from the write-ahead log)")
    ap.add_argument("--duration", type=float, default=20, help="seconds per timed run (20)")
    ap.add_argument("--warmup", type=float, default=2, help="seconds of warm-up (2; 0 = none)")
    ap.add_argument("--connections", type=int, default=64, help="wrk connections (64)")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    ap.add_argument("--body-kib", type=int, default=1,
                    help="request body size in KiB, N * 8 NDJSON lines of 128 bytes (1)")
    ap.add_argument("--runs", type=int, default=1, help="timed runs per system; median (1)")
    ap.add_argument("--systems", default=",".join(SYSTEMS),
                    help=f"comma list of {', '.join(SYSTEMS)} (all)")
    ap.add_argument("--nginx-workers", type=int, default=2, help="nginx worker_processes (2)")
    ap.add_argument("--wrk", default="wrk", help="wrk executable (wrk)")
    ap.add_argument("--nginx", default="nginx", help="nginx executable (nginx)")
    ap.add_argument("--wrk-timeout", type=float, default=5,
                    help="seconds before wrk counts a request as timed out (5)")
    ap.add_argument("--json-out", help="also append the final JSON line to this file")
    ap.add_argument("--keep", action="store_true", help="keep the temp dirs (homes, prefixes)")
    ap.add_argument("--cleanup-timeout", type=float, default=300,
                    help="seconds allowed for deleting the temp dirs at the end (300)")
    ap.add_argument("--tmp-dir", help="where the homes and nginx prefixes go ($TMPDIR or /tmp)")
    a = ap.parse_args(argv)

    systems = [s.strip() for s in a.systems.split(",") if s.strip()]
    if not systems or any(s not in SYSTEMS for s in systems):
        ap.error(f"--systems takes {', '.join(SYSTEMS)}")
    if a.runs < 1 or a.threads < 1 or a.connections < a.threads or a.duration <= 0 \
            or a.warmup < 0 or a.nginx_workers < 1 or a.body_kib < 1:
        ap.error("--runs, --threads, --duration, --nginx-workers, --body-kib must be positive, "
                 "--connections >= --threads, --warmup >= 0")

    def executable(p, what):
        q = p if os.sep in p else (shutil.which(p) or p)
        q = os.path.abspath(q)
        if not (os.path.isfile(q) and os.access(q, os.X_OK)):
            log(f"error: {what} not found or not executable: {p}"
                + ("" if what == "--latebind" else " (apt-get install wrk nginx)"))
            sys.exit(2)
        return q

    wrk = executable(a.wrk, "--wrk")
    latebind = executable(a.latebind, "--latebind") if "latebind" in systems else None
    nginx = executable(a.nginx, "--nginx") if any(s.startswith("nginx") for s in systems) \
        else None
    tmp_root = os.path.abspath(a.tmp_dir) if a.tmp_dir else tempfile.gettempdir()
    if not os.path.isdir(tmp_root):
        ap.error(f"--tmp-dir {a.tmp_dir}: not a directory")

    def make(system):
        if system == "latebind":
            return LatebindServer(latebind, tmp_root, ("--wal",) if a.wal else ())
        return NginxServer(nginx, tmp_root, system.split("-", 1)[1], a.nginx_workers,
                           a.body_kib)

    started = _dt.datetime.now().astimezone()
    log(f"ingest bench: {', '.join(systems)}; wrk -t{a.threads} -c{a.connections} "
        f"-d{a.duration:g}s after {a.warmup:g} s warm-up, {a.body_kib} KiB bodies; "
        f"{a.runs} run(s); tmp {tmp_root}")
    samples: dict[str, list[dict]] = {s: [] for s in systems}
    servers: list = []
    try:
        for i in range(a.runs):
            for s in systems:
                server = make(s)
                servers.append(server)
                r = measure(server, a, wrk)
                samples[s].append(r)
                extra = ""
                if "durability" in r:
                    m, d = r["metrics"], r["durability"]
                    extra = (f"; {d['accepted_202']} x 202, {d['payload_files']} payload files; "
                             f"mean batch {m['mean_batch'] or 0:.1f} payloads/commit "
                             f"({m['commits']:.0f} commits, mean {m['mean_commit_ms'] or 0:.2f} ms)")
                pr = r["disk_probe"]
                log(f"run {i + 1}/{a.runs} {s}: {r['rps']:,.0f} req/s, "
                    f"{r['mb_per_s']:,.1f} MB/s, p50 {r['p50_ms']:.2f} ms,"
                    f" p99 {r['p99_ms']:.2f} ms, non-2xx {r['non2xx']}, errors {r['errors']}"
                    + extra + f"; its dir before: {pr['creates_per_s']:,} files/s created, "
                    f"{pr['durable_files_per_s']:,}/s fdatasync'd")
    except ToolFailed as e:
        log(f"error: {e}")
        return 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        for server in servers:
            server.stop()
        dirs = [s.dir for s in servers]
        if a.keep:
            log(f"kept {' '.join(dirs)}")
        else:
            # Deleting ~100k small files takes tens of seconds on the benchmark VM (ext4 with
            # `discard`); rm -rf under a time limit keeps the run bounded.
            log(f"deleting {len(dirs)} temp dirs ...")
            try:
                subprocess.run(["rm", "-rf", "--", *dirs], timeout=a.cleanup_timeout)
            except subprocess.TimeoutExpired:
                log(f"warning: deleting the temp dirs took over {a.cleanup_timeout:g} s; "
                    f"left: {' '.join(d for d in dirs if os.path.exists(d))}")

    med = lambda xs: statistics.median(xs)  # noqa: E731
    summary = {}
    for s in systems:
        rs = samples[s]
        summary[s] = {"rps": med([r["rps"] for r in rs]),
                      "mb_per_s": med([r["mb_per_s"] for r in rs]),
                      "p50_ms": med([r["p50_ms"] for r in rs]),
                      "p99_ms": med([r["p99_ms"] for r in rs]),
                      "non2xx": sum(r["non2xx"] for r in rs),
                      "errors": sum(r["errors"] for r in rs),
                      "checks_ok": all(all(r["checks"].values()) for r in rs),
                      "disk_creates_per_s": med([r["disk_probe"]["creates_per_s"] for r in rs]),
                      "disk_durable_files_per_s":
                          med([r["disk_probe"]["durable_files_per_s"] for r in rs])}
        if s == "latebind":
            batches = [r["metrics"]["mean_batch"] for r in rs if r["metrics"]["mean_batch"]]
            summary[s]["mean_batch"] = med(batches) if batches else None
            summary[s]["durability"] = [r["durability"] for r in rs]
    ratios, mb_ratios = {}, {}
    if "latebind" in summary:
        for s in ("nginx-spool", "nginx-discard"):
            if s in summary and summary[s]["rps"] > 0:
                ratios[f"latebind/{s}"] = summary["latebind"]["rps"] / summary[s]["rps"]
            if s in summary and summary[s]["mb_per_s"] > 0:
                mb_ratios[f"latebind/{s}"] = \
                    summary["latebind"]["mb_per_s"] / summary[s]["mb_per_s"]

    print(f"\nIngest: wrk -t{a.threads} -c{a.connections} -d{a.duration:g}s, "
          f"{a.body_kib} KiB NDJSON POST, "
          f"{'median of ' + str(a.runs) if a.runs > 1 else '1 run'}")
    hdr = f"{'system':<15} {'req/s':>10} {'MB/s':>8} {'p50 ms':>8} {'p99 ms':>8} " \
          f"{'non-2xx':>8} {'errors':>7}" \
          f"  {'latebind/this':>13}  {'disk files/s':>12}"
    print(hdr)
    print("-" * len(hdr))
    for s in systems:
        v = summary[s]
        ratio = ratios.get(f"latebind/{s}")
        print(f"{s:<15} {v['rps']:>10,.0f} {v['mb_per_s']:>8,.1f} {v['p50_ms']:>8.2f} "
              f"{v['p99_ms']:>8.2f} "
              f"{v['non2xx']:>8} {v['errors']:>7}  {(f'{ratio:.2f}x' if ratio else ''):>13}"
              f"  {v['disk_creates_per_s']:>7,.0f}/{v['disk_durable_files_per_s']:<4,.0f}")
    print("MB/s: request body bytes acknowledged (2xx) per second, MB = 1e6 bytes; "
          "latebind/this is the ratio of req/s and of MB/s alike")
    print("disk files/s: in the system's temp dir just before it started, 1 KiB files "
          "created per second without sync / with an fdatasync each (one thread)")
    probes = [v["disk_creates_per_s"] for v in summary.values() if v.get("disk_creates_per_s")]
    if len(probes) > 1 and min(probes) < 0.5 * max(probes):
        print("WARNING: the systems' temp dirs created files at very different rates; on ext4 "
              "without a journal that is inode groups full of recently deleted files "
              "(bench/README.md): the ratios say more about the disk than the servers. "
              "Re-run with --tmp-dir on a fresh directory at the filesystem's root.")
    if "latebind" in summary:
        lb = summary["latebind"]
        for d in lb["durability"]:
            wrong = d["payload_files_wrong_size"]
            verdict = ("MISSING FILES" if d["payload_files"] < d["accepted_202"]
                       else "WRONG SIZE" if wrong else "ok")
            print(f"latebind durability: {d['accepted_202']} responses 202 (warm-up + timed), "
                  f"{d['payload_files']} payload files in the home"
                  + (f" ({wrong} not {a.body_kib * 1024} bytes)" if wrong else "")
                  + f" -> {verdict}")
        if lb["mean_batch"]:
            print(f"latebind group commit: {lb['mean_batch']:.1f} payloads per commit (mean, "
                  f"timed run)")
    failed = [f"{s} run {i + 1}: {k}" for s in systems for i, r in enumerate(samples[s])
              for k, ok in r["checks"].items() if not ok]
    for f in failed:
        print(f"CHECK FAILED: {f}")

    record = {
        "bench": "ingest", "date": started.strftime("%Y-%m-%d %H:%M %z"),
        "git": git_rev(), "machine": machine_info(),
        "wrk": {"threads": a.threads, "connections": a.connections, "duration_s": a.duration,
                "warmup_s": a.warmup, "body_kib": a.body_kib, "body_bytes": a.body_kib * 1024,
                "path": PATH},
        "runs": a.runs, "nginx_workers": a.nginx_workers, "tmp_dir": tmp_root,
        "versions": {"wrk": tool_version([wrk, "--version"]) if wrk else None,
                     "nginx": tool_version([nginx, "-v"]) if nginx else None},
        "summary": summary, "ratios": ratios, "ratios_mb_per_s": mb_ratios,
        "samples": samples,
        "checks_failed": failed,
    }
    line = json.dumps(record, separators=(",", ":"))
    print(line, flush=True)
    if a.json_out:
        with open(a.json_out, "a") as f:
            f.write(line + "\n")
    return 3 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
