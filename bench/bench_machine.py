"""Shared by the bench scripts: what machine a benchmark ran on, for the recorded figures,
and the small helpers every driver needs (generated data, a child's log)."""
import json
import os
import platform
import subprocess
import sys


def machine_info() -> dict:
    info = {"os": f"{platform.system()} {platform.release()}", "cpus": os.cpu_count(),
            "python": platform.python_version()}
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    info["distro"] = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            info["mem_gib"] = round(int(f.readline().split()[1]) / 2**20, 1)
    except (OSError, ValueError, IndexError):
        pass
    return info


def git_rev() -> str | None:
    """The short commit of this checkout, "-dirty" when tracked files changed; None outside git."""
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        rev = subprocess.run(["git", "-C", here, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        if rev.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", here, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
        return rev.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def tail(path: str, n: int = 4000) -> str:
    """The last n bytes of a file (a child's stderr), for an error message; "" if unreadable."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - n))
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def ensure_generated(meta_path: str, fresh, cmd: list[str], what: str) -> dict:
    """The metadata of generated bench data: what meta_path holds while fresh(meta) accepts
    it, else what it holds after running the generator cmd (`what` names the data in the
    log). Exits 1 when the generator fails or leaves metadata fresh() refuses."""
    def read():
        try:
            with open(meta_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    meta = read()
    if fresh(meta):
        return meta
    print(f"generating {what} ...", file=sys.stderr, flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        print(f"error: {os.path.basename(cmd[1])} failed (exit {p.returncode}):\n{p.stderr}",
              file=sys.stderr, flush=True)
        sys.exit(1)
    print(p.stdout.rstrip(), file=sys.stderr, flush=True)
    meta = read()
    if not fresh(meta):
        print(f"error: {meta_path} does not describe the data just generated", file=sys.stderr,
              flush=True)
        sys.exit(1)
    return meta
