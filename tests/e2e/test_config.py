"""`latebind --config FILE` (DESIGN.md §7: "one file whose every key also has a flag; flags
win"): TOML read by CLI11, a command's options in its section, the command line winning,
and an unknown key or an unreadable file a usage error (exit 2) naming the file and key."""
from __future__ import annotations

import http.client
import json
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REPO_ROOT

EXIT_BAD_INPUT = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port: int, source: str, body: bytes) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", f"/v1/sources/{source}/payloads", body=body,
                     headers={"Content-Type": "application/x-ndjson"})
        res = conn.getresponse()
        res.read()
        return res.status
    finally:
        conn.close()


def start_serve(binary: Path, *args) -> tuple[subprocess.Popen, str]:
    """`latebind ARGS` (a serve): the process and its "listening" address."""
    proc = subprocess.Popen([str(binary), *[str(a) for a in args]], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    lines = []
    while time.monotonic() < deadline:
        raw = proc.stderr.readline()
        if not raw:
            break
        lines.append(raw.decode(errors="replace"))
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        if entry.get("msg") == "listening":
            return proc, entry["address"]
    proc.kill()
    proc.wait(10)
    pytest.fail(f"serve did not listen: {proc.returncode}\n{''.join(lines)}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:  # pragma: no cover
        proc.kill()
        proc.wait(10)


def test_serve_takes_listen_and_max_body_from_the_config_and_flags_win(latebind_bin, tmp_path):
    port = free_port()
    config = tmp_path / "latebind.toml"
    config.write_text(f'home = "{tmp_path / "home"}"\n\n[serve]\nlisten = "127.0.0.1:{port}"\n'
                      "max-body-bytes = 100\n")
    proc, address = start_serve(latebind_bin, "--config", config, "serve")
    try:
        assert address == f"127.0.0.1:{port}"
        assert post(port, "orders", b'{"id": 1}\n') == 202
        assert post(port, "orders", b'{"id": 1, "pad": "' + b"x" * 200 + b'"}\n') == 413
    finally:
        stop(proc)
    assert (tmp_path / "home" / "raw").is_dir()  # the config's home
    # Flags win: another port, a larger body, another home.
    port2 = free_port()
    proc, address = start_serve(latebind_bin, "--config", config, "--home", tmp_path / "home2",
                                "serve", "--listen", f"127.0.0.1:{port2}",
                                "--max-body-bytes", "100000")
    try:
        assert address == f"127.0.0.1:{port2}"
        assert post(port2, "orders", b'{"id": 1, "pad": "' + b"x" * 200 + b'"}\n') == 202
    finally:
        stop(proc)
    assert (tmp_path / "home2" / "raw").is_dir()


def test_home_and_promote_options_come_from_the_config(latebind, tmp_path, write):
    home = tmp_path / "from-config"
    config = write("c.toml", f'home = "{home}"\n\n[promote]\njson = true\nsource = ["orders"]\n'
                             "threads = 1\n")
    for source in ("orders", "clicks"):
        data = write(f"{source}.ndjson", '{"id": 1}\n')
        res = latebind.run("--config", config, "ingest", "--source", source, data)
        assert res.returncode == 0, res.describe()
    assert (home / "registry.db").is_file()
    res = latebind.run("--config", config, "promote")
    assert res.returncode == 0, res.describe()
    assert [r["source"] for r in res.json()["sources"]] == ["orders"], res.stdout
    # The command line wins: another source (the list is replaced, not extended).
    res = latebind.run("--config", config, "promote", "--source", "clicks")
    assert res.returncode == 0, res.describe()
    assert [r["source"] for r in res.json()["sources"]] == ["clicks"], res.stdout


def test_nested_command_sections_and_flags(latebind, tmp_path, write):
    """[deadletter.replay] reaches `deadletter replay`; a flag takes true/false."""
    home = tmp_path / "home"
    data = write("bad.ndjson", '{"a": tru\n')
    assert latebind.run("--home", home, "ingest", "--source", "s", data).returncode == 2
    config = write("c.toml", '[deadletter.replay]\nsource = "s"\njson = true\n')
    res = latebind.run("--home", home, "--config", config, "deadletter", "replay")
    assert res.returncode == 3, res.describe()  # still cannot be parsed
    assert res.json()[0]["restored"] is False, res.stdout


@pytest.mark.parametrize("text,key,where", [
    ('bogus = 1\n', "bogus", "at the top level"),
    ('[serve]\nlisten = "127.0.0.1:0"\nmax-body = 5\n', "max-body", "in [serve]"),
    ('[serve]\nhome = "/tmp/x"\n', "home", "in [serve]"),  # a global option, not serve's
    ('[deadletter.replay]\nmax-decoded = 5\n', "max-decoded", "in [deadletter.replay]"),
])
def test_an_unknown_key_is_a_usage_error_naming_file_and_key(latebind, write, text, key, where):
    config = write("bad.toml", text)
    res = latebind.run("--config", config, "sources")
    assert res.returncode == EXIT_BAD_INPUT, res.describe()
    assert f"--config {config}: unknown key '{key}' {where}" in res.stderr, res.stderr
    assert res.stdout == ""


def test_an_unknown_section_is_a_usage_error(latebind, write):
    config = write("bad.toml", '[srve]\nlisten = "127.0.0.1:0"\n')
    res = latebind.run("--config", config, "sources")
    assert res.returncode == EXIT_BAD_INPUT, res.describe()
    assert f"--config {config}: unknown section [srve]" in res.stderr, res.stderr


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_a_missing_or_unreadable_config_is_a_usage_error(latebind, tmp_path, kind):
    path = tmp_path / "nope.toml"
    if kind == "directory":
        path.mkdir()
    res = latebind.run("--config", path, "--home", tmp_path / "h", "sources")
    assert res.returncode == EXIT_BAD_INPUT, res.describe()
    assert re.search(rf"--config {re.escape(str(path))}: cannot read it", res.stderr), res.stderr
    assert not (tmp_path / "h").exists()


def test_config_values_are_validated_like_flags(latebind, write):
    config = write("c.toml", '[serve]\nwal-segment-mib = 32\n')  # needs --wal
    res = latebind.run("--config", config, "serve")
    assert res.returncode == EXIT_BAD_INPUT, res.describe()
    assert "--wal" in res.stderr, res.stderr


def test_the_example_config_is_accepted_and_documented(latebind):
    example = REPO_ROOT / "docs" / "latebind.example.toml"
    for command in (["serve"], ["ingest"], ["promote"], ["deadletter", "replay"]):
        res = latebind.run("--config", example, *command, "--help")
        assert res.returncode == 0, res.describe()
    res = latebind.run("--help")
    assert "--config" in res.stdout and "[serve]" in res.stdout, res.stdout
    assert "--config FILE" in (REPO_ROOT / "README.md").read_text()
