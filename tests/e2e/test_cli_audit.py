"""Regressions of the CLI audit of 2026-11-24 (docs against the binary): the gzip decoded-size
limit as a flag (--max-decoded-bytes), and the small ones: --listen's host, --wal's options
without --wal, promote's --source and --since-version, the tokens file's errors and help."""
from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

EXIT_BAD_INPUT = 2
MIB = 1 << 20


def big_gzip(decoded_bytes: int) -> bytes:
    line = b'{"pad": "' + b"x" * 100 + b'"}\n'
    return gzip.compress(line * (decoded_bytes // len(line) + 1), compresslevel=6)


def dead_letter_metas(home: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((home / "dead-letter").rglob("*.meta.json"))]


def test_ingest_max_decoded_bytes_dead_letters_as_too_large_and_replay_recovers(latebind, tmp_path,
                                                                               write):
    home = tmp_path / "home"
    data = write("big.ndjson.gz", big_gzip(2 * MIB))
    res = latebind.run("--home", home, "ingest", "--source", "big", "--max-decoded-bytes",
                       str(MIB), data)
    assert res.returncode == 2, res.describe()
    [meta] = dead_letter_metas(home)
    message = meta["reason"]["message"]
    assert message.startswith("payload too large: its gzip stream decompresses to more than "
                              f"{MIB} bytes"), message
    assert "--max-decoded-bytes" in message, message
    # The default limit (1 GiB) of a replay would take it; one as small is not enough.
    res = latebind.run("--home", home, "deadletter", "replay", "--source", "big",
                       "--max-decoded-bytes", str(MIB), "--json")
    assert res.returncode == 3, res.describe()
    assert "--max-decoded-bytes" in res.json()[0]["reason"]["message"], res.stdout
    res = latebind.run("--home", home, "deadletter", "replay", "--source", "big",
                       "--max-decoded-bytes", str(4 * MIB), "--json")
    assert res.returncode == 0, res.describe()
    [entry] = res.json()
    assert entry["restored"] is True and entry["now"].startswith("raw/source=big/"), entry
    assert (home / entry["now"]).read_bytes() == data.read_bytes()
    assert dead_letter_metas(home) == []


def test_serve_max_decoded_bytes_dead_letters_as_too_large(serve):
    srv = serve("--max-decoded-bytes", str(MIB))
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    conn.request("POST", "/v1/sources/big/payloads", body=big_gzip(2 * MIB),
                 headers={"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"})
    assert conn.getresponse().status == 202
    conn.close()
    deadline = time.monotonic() + 10
    while not dead_letter_metas(srv.home) and time.monotonic() < deadline:
        time.sleep(0.05)
    [meta] = dead_letter_metas(srv.home)
    assert meta["reason"]["message"].startswith("payload too large"), meta
    assert "--max-decoded-bytes" in meta["reason"]["message"], meta


def test_max_decoded_bytes_is_in_each_commands_help(latebind):
    for command in (["serve"], ["ingest"], ["deadletter", "replay"]):
        res = latebind.run(*command, "--help")
        assert res.returncode == 0 and "--max-decoded-bytes" in res.stdout, res.describe()


def test_listen_needs_a_host_and_brackets_around_ipv6(latebind, tmp_path):
    res = latebind.run("--home", tmp_path / "h", "serve", "--listen", ":18950")
    assert res.returncode == EXIT_BAD_INPUT, res.describe()
    assert "--listen ':18950' has no host" in res.stderr, res.stderr
    res = latebind.run("--home", tmp_path / "h", "serve", "--listen", "::1:18950")
    assert res.returncode == EXIT_BAD_INPUT, res.describe()
    assert "IPv6 address in brackets" in res.stderr and "[::1]:8080" in res.stderr, res.stderr
    res = latebind.run("--home", tmp_path / "h", "serve", "--listen", "[]:18950")
    assert res.returncode == EXIT_BAD_INPUT and "has no host" in res.stderr, res.describe()


def test_wal_options_need_wal(latebind, tmp_path):
    for option, value in (("--wal-segment-mib", "8"), ("--wal-backlog-mib", "8"),
                          ("--wal-backlog-wait", "1s")):
        res = latebind.run("--home", tmp_path / "h", "serve", option, value)
        assert res.returncode == EXIT_BAD_INPUT, res.describe()
        assert f"{option} requires --wal" in res.stderr, res.stderr
    assert not (tmp_path / "h").exists()


def test_serve_help_says_what_wal_operator_and_the_wildcard_do(latebind):
    res = latebind.run("serve", "--help")
    assert res.returncode == 0, res.describe()
    text = " ".join(res.stdout.split())
    assert "after a crash before serving" not in text, text
    assert "replays the log before it starts serving" in text, text
    assert '"operator": true' in text and '"sources": ["*"]' in text, text


def test_promote_threads_help_says_its_default(latebind):
    text = " ".join(latebind.run("promote", "--help").stdout.split())
    assert "--threads INT:NONNEGATIVE=0" in text and "0 = one per core" in text, text


def test_promote_source_is_validated(latebind, tmp_path):
    res = latebind.run("--home", tmp_path, "promote", "--source", "Orders")
    assert res.returncode == EXIT_BAD_INPUT, res.describe()
    assert "--source: invalid source id" in res.stderr, res.stderr


def test_repromote_since_a_version_the_source_lacks_is_a_usage_error(latebind, tmp_path, write):
    home = tmp_path / "home"
    for i, record in enumerate(['{"a": 1}', '{"a": 1, "b": 2}', '{"a": 1, "b": 2, "c": 3}']):
        res = latebind.run("--home", home, "ingest", "--source", "orders",
                           write(f"{i}.ndjson", record + "\n"))
        assert res.returncode == 0, res.describe()
    res = latebind.run("--home", home, "schema", "history", "orders", "--json")
    assert len(res.json()["versions"]) == 3, res.stdout
    res = latebind.run("--home", home, "promote", "--source", "orders", "--repromote",
                       "--since-version", "9")
    assert res.returncode == EXIT_BAD_INPUT, res.describe()
    assert "source 'orders' has no version 9 (it has versions 1 to 3)" in res.stderr, res.stderr
    res = latebind.run("--home", home, "promote", "--source", "orders", "--repromote",
                       "--since-version", "2")
    assert res.returncode == 0, res.describe()


def test_promote_on_a_home_with_nothing_ingested_and_its_json_errors(latebind, tmp_path):
    """Docs audit 2026-11-24: `promote` on a home with nothing ingested exited 2 where
    `sources` and `tables` answer "none" with 0, and `promote --json` printed nothing on
    stdout when it failed."""
    home = tmp_path / "empty"
    home.mkdir()
    res = latebind.run("--home", home, "promote")
    assert res.returncode == 0 and "no sources to promote" in res.stdout, res.describe()
    res = latebind.run("--home", home, "promote", "--json")
    assert res.returncode == 0 and res.json() == {"sources": []}, res.describe()
    res = latebind.run("--home", home, "promote", "--source", "orders", "--json")
    assert res.returncode == EXIT_BAD_INPUT, res.describe()
    assert res.json()["error"]["code"] == "not_found", res.stdout
    assert not list(home.iterdir())  # nothing created to answer


@pytest.mark.parametrize("args, code", [
    (["sources", "--json"], "unavailable"),
    (["tables", "--json"], "unavailable"),
    (["schema", "show", "orders", "--json"], "unavailable"),
    (["schema", "history", "orders", "--json"], "unavailable"),
    (["schema", "resolve", "orders", "--version", "1", "--status", "FOO", "--note", "x",
      "--json"], "bad_input"),
    (["--home", "/nonexistent/home", "deadletter", "list", "--json"], "bad_input"),
    (["ingest", "--source", "s", "--json", "/nonexistent.ndjson"], "unavailable"),
    (["deadletter", "replay", "--json"], "bad_input"),
])
def test_every_json_command_prints_its_error_on_stdout(latebind, tmp_path, args, code):
    """Registry audit 2026-11-24: ADR-096's {"error": …} on stdout held for `promote --json`
    only; the other --json commands printed nothing there when they failed (ADR-114)."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "registry.db").write_bytes(b"not a database, " * 64)  # corrupt
    res = latebind.run(*args) if args[0] == "--home" else latebind.run("--home", home, *args)
    assert res.returncode != 0, res.describe()
    err = res.json()["error"]
    assert err["code"] == code and err["message"], res.stdout
    assert err["message"] in res.stderr


def test_profile_json_lists_the_files_it_could_not_read(latebind, tmp_path):
    """Code review 2026-11-24: `profile --json` left an unreadable file out of its document,
    saying so on stderr only. It is listed under "errors" (ADR-114)."""
    good = tmp_path / "good.ndjson"
    good.write_text('{"a": 1}\n')
    res = latebind.run("profile", "--json", good, tmp_path / "missing.ndjson")
    assert res.returncode == EXIT_BAD_INPUT, res.describe()
    doc = res.json()
    assert [p["path"] for p in doc["profiles"]] == [str(good)]
    [err] = doc["errors"]
    assert err["file"] == str(tmp_path / "missing.ndjson") and err["error"]["code"] == "not_found"


def test_a_bad_token_is_named_in_the_error(latebind, tmp_path):
    tokens = tmp_path / "tokens.json"
    good = {"name": "ok", "sha256": hashlib.sha256(b"a").hexdigest(), "sources": ["*"],
            "operator": True}
    tokens.write_text(json.dumps({"tokens": [good, {"name": "billing", "sha256": "abc",
                                                    "sources": ["a"]}]}))
    res = latebind.run("--home", tmp_path / "h", "serve", "--auth-tokens", tokens)
    assert res.returncode == EXIT_BAD_INPUT, res.describe()
    assert "token 'billing': \"sha256\" must be 64 hex digits" in res.stderr, res.stderr
    tokens.write_text(json.dumps({"tokens": [good, {"sha256": hashlib.sha256(b"b").hexdigest()}]}))
    res = latebind.run("--home", tmp_path / "h", "serve", "--auth-tokens", tokens)
    assert res.returncode == EXIT_BAD_INPUT, res.describe()
    assert "token #2: \"sources\"" in res.stderr, res.stderr


def test_a_home_only_readable_can_be_inspected(latebind_bin, tmp_path):
    """Registry audit 2026-11-24: `sources`, `schema show`, `tables` opened the registry to
    write (PRAGMAs, migrations), so a user who may only read a home (the service's) got
    "attempt to write a readonly database"; and an empty registry.db was migrated by a
    read. They open it read-only now (ADR-112), writing nothing."""
    root = Path(tempfile.mkdtemp(prefix="lb-ro-", dir="/tmp"))
    try:
        home = root / "home"
        payload = root / "a.ndjson"
        payload.write_text('{"id": 1, "name": "x"}\n')
        run = lambda *args, **kw: subprocess.run(  # noqa: E731
            [str(latebind_bin), "--home", str(home), *args], capture_output=True, text=True,
            timeout=60, **kw)
        assert run("ingest", "--source", "s", str(payload)).returncode == 0
        assert run("promote").returncode == 0
        before = {p: p.stat().st_mtime_ns for p in home.rglob("*")}
        if os.geteuid() == 0:  # root reads anything: read as nobody, in a home it cannot write
            for p in [root, *root.rglob("*")]:
                p.chmod(0o755 if p.is_dir() else 0o644)
            as_reader = {"preexec_fn": lambda: (os.setgid(65534), os.setuid(65534))}
        else:
            for p in [home, *home.rglob("*")]:
                p.chmod(0o555 if p.is_dir() else 0o444)
            as_reader = {}
        for args in (["sources"], ["sources", "--json"], ["schema", "show", "s"],
                     ["schema", "history", "s"], ["schema", "export", "s", "--format", "arrow"],
                     ["tables", "--json"]):
            res = run(*args, **as_reader)
            assert res.returncode == 0, (args, res.stderr)
        assert json.loads(run("sources", "--json", **as_reader).stdout)[0]["source_id"] == "s"
        assert {p: p.stat().st_mtime_ns for p in home.rglob("*")} == before

        # An empty registry file stays empty: no registry, nothing migrated.
        empty = root / "empty"
        empty.mkdir()
        (empty / "registry.db").touch()
        res = subprocess.run([str(latebind_bin), "--home", str(empty), "sources"],
                             capture_output=True, text=True, timeout=60)
        assert res.returncode == 0 and "no sources" in res.stdout, res.stderr
        assert (empty / "registry.db").stat().st_size == 0
    finally:
        for p in [root, *root.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        shutil.rmtree(root)
