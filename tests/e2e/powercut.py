"""Rebuilds the state a power cut would leave, from the journal of tests/faultfs/powercut.c.

`kill -9` cannot show a missing flush: the kernel survives the process, and so does every
written byte in its page cache (ADR-020). A power cut keeps only what was flushed. The shim
journals every file write (with its bytes, in "<journal>.data"), every namespace change and
every flush of the process, in the order they happened; `Journal.rebuild(cut, dest)` writes
into `dest` the files and directories a disk would hold if power had been lost right after
journal event number `cut`. A fresh `latebind serve` on that copy then runs its recovery, and
the test checks that every payload acknowledged before the cut is still there (ADR-022).

The model — ext4-like, conservative but fair: it keeps nothing a POSIX filesystem does not
promise to keep, and everything it does promise.
  * Directory entries (create, rename, link — also linkat of an O_TMPFILE file —, unlink, mkdir,
    rmdir) in a directory survive only
    if a flush of that directory — fsync(2) on it, or syncfs(2) — *began* after the change
    and *completed* before the cut. Then every change in that directory journaled before the
    flush began survives, in order; none after it does. A rename is two changes: the name
    leaves the source directory and arrives in the target directory, each durable with its
    own directory (a cross-directory rename can thus leave both names, or neither).
  * A file's writes and size changes (ftruncate, O_TRUNC) survive only if a flush of that
    file — fsync(2), fdatasync(2) or syncfs(2) — began after them and completed before the
    cut; the file is what replaying its surviving writes, in order, gives (latebind writes
    files once or appends, so that is a prefix of the real file; SQLite's pwrite64 at any
    offset replays the same way). Data follows the inode, not the name: a file renamed after
    its fdatasync keeps its bytes under the new name, one renamed before any flush is empty.
  * A directory that does not survive in its parent takes everything below it along.
  * The root given to `Journal.load` existed, empty and durable, before the journal began.
Begin and end are separate journal events because flushes run concurrently with other
threads' writes: only what was journaled before a flush began is known to be covered by it,
and a flush that had not returned when power went guarantees nothing.

Not modelled (`load` refuses them): sendfile into a file, renaming a directory,
RENAME_EXCHANGE. Writes through mmap are invisible to the shim (only SQLite's shared-memory
index uses them, and SQLite rebuilds it after a crash). Real ext4 (data=ordered) often keeps more
than this model — a rename's entry commonly reaches the disk with the next journal commit —
so a protocol that passes here passes there; the converse is what the model is for.
"""
from __future__ import annotations

import bisect
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT_DIR = 0  # id of the root directory


class UnsupportedJournal(Exception):
    """The journal holds an operation the model cannot replay faithfully."""


@dataclass
class _Flushes:
    """(end_seq, begin_seq) of the successful flushes of one target, in end order."""

    ends: list[int] = field(default_factory=list)
    begins: list[int] = field(default_factory=list)

    def add(self, end: int, begin: int) -> None:
        self.ends.append(end)
        self.begins.append(begin)

    def covered_before(self, cut: int) -> int:
        """The latest begin of a flush that completed at or before `cut` (0: none)."""
        n = bisect.bisect_right(self.ends, cut)
        return max(self.begins[:n], default=0)


@dataclass
class Journal:
    root: str
    data: bytes = field(repr=False)
    last_seq: int = 0
    # Byte offset in the journal where each line ends, and that line's sequence number.
    line_ends: list[int] = field(default_factory=list)
    line_seqs: list[int] = field(default_factory=list)
    # Per directory id: (seq, name, node) where node is ("f", file id), ("d", dir id) or None
    # (the name was removed).
    dir_ops: dict[int, list[tuple[int, str, tuple | None]]] = field(default_factory=lambda: defaultdict(list))
    # Per file id: (seq, file offset, length, offset in the data file); offset -1 is a
    # truncation to `length`.
    writes: dict[int, list[tuple[int, int, int, int]]] = field(default_factory=lambda: defaultdict(list))
    file_flushes: dict[int, _Flushes] = field(default_factory=lambda: defaultdict(_Flushes))
    dir_flushes: dict[int, _Flushes] = field(default_factory=lambda: defaultdict(_Flushes))
    fs_flushes: _Flushes = field(default_factory=_Flushes)

    # ------------------------------------------------------------------------------------
    @classmethod
    def load(cls, journal_path: Path, root: Path) -> "Journal":
        """Parses the journal (ignoring a torn last line) and resolves every name to the file
        or directory it denoted at that moment. Events outside `root` are ignored."""
        raw = Path(journal_path).read_bytes()
        data = Path(str(journal_path) + ".data").read_bytes()
        j = cls(root=os.path.realpath(root), data=data)
        j._replay_names(raw)
        return j

    def seq_at_size(self, journal_size: int) -> int:
        """The last event complete within the first `journal_size` bytes of the journal."""
        i = bisect.bisect_right(self.line_ends, journal_size)
        return self.line_seqs[i - 1] if i else 0

    def _inside(self, path: str) -> bool:
        return path == self.root or path.startswith(self.root + "/")

    def _replay_names(self, raw: bytes) -> None:
        # One branch per journal operation, as listed in powercut.c: long, but a flat switch.
        names: dict[str, tuple] = {self.root: ("d", ROOT_DIR)}  # the live namespace
        by_inode: dict[str, int] = {}  # dev:ino -> file id, as of now
        begins: dict[int, tuple[str, int | None]] = {}  # begin seq -> ("fs"|"dir"|"file", id)
        next_id = [ROOT_DIR]

        def new_id() -> int:
            next_id[0] += 1
            return next_id[0]

        def parent_of(path: str) -> tuple[int, str]:
            parent, _, name = path.rpartition("/")
            node = names.get(parent)
            if node is None or node[0] != "d":
                raise UnsupportedJournal(f"{path}: parent directory unknown to the journal")
            return node[1], name

        def add(seq: int, path: str, node: tuple | None) -> None:
            did, name = parent_of(path)
            self.dir_ops[did].append((seq, name, node))
            if node is None:
                names.pop(path, None)
            else:
                names[path] = node

        offset = 0
        for line in raw.split(b"\n")[:-1]:  # the part after the last newline is torn
            offset += len(line) + 1
            f = line.decode("utf-8", errors="surrogateescape").split("\t")
            seq, op = int(f[0]), f[1]
            self.line_ends.append(offset)
            self.line_seqs.append(seq)
            self.last_seq = seq
            if op == "CREATE":
                devino, path = f[2], f[3]
                if not self._inside(path):
                    by_inode.pop(devino, None)
                    continue
                node = names.get(path)
                if node is not None and node[0] == "f" and by_inode.get(devino) == node[1]:
                    continue  # O_CREAT on a file that already existed
                fid = new_id()
                by_inode[devino] = fid
                add(seq, path, ("f", fid))
            elif op == "TMPFILE":  # a file with no name yet; LINKINO names it
                devino, directory = f[2], f[3]
                if self._inside(directory):
                    by_inode[devino] = new_id()
                else:
                    by_inode.pop(devino, None)
            elif op == "LINKINO":
                devino, path = f[2], f[3]
                if not self._inside(path):
                    continue
                fid = by_inode.get(devino)
                if fid is None:
                    raise UnsupportedJournal(f"{path}: linked from an inode unknown to the journal")
                add(seq, path, ("f", fid))
            elif op == "WRITE":
                devino, off, length, data_off, path = f[2], int(f[3]), int(f[4]), int(f[5]), f[6]
                fid = by_inode.get(devino)
                if fid is None:
                    if self._inside(path.removesuffix(" (deleted)")):
                        raise UnsupportedJournal(f"{path}: written but never created in the journal")
                    continue
                self.writes[fid].append((seq, off, length, data_off))
            elif op == "TRUNCATE":
                devino, length, path = f[2], int(f[3]), f[4]
                fid = by_inode.get(devino)
                if fid is not None:
                    self.writes[fid].append((seq, -1, length, 0))
                elif self._inside(path.removesuffix(" (deleted)")):
                    raise UnsupportedJournal(f"{path}: truncated but never created in the journal")
            elif op == "SYNC_BEGIN":
                kind, what, devino, path = f[2], f[3], f[4], f[6]
                if kind == "syncfs":
                    begins[seq] = ("fs", None)
                elif what == "dir":
                    node = names.get(path)
                    if node is not None and node[0] == "d":
                        begins[seq] = ("dir", node[1])
                elif devino in by_inode:
                    begins[seq] = ("file", by_inode[devino])
            elif op == "SYNC_END":
                begin, rc = int(f[2]), int(f[3])
                target = begins.pop(begin, None)
                if rc != 0 or target is None:
                    continue  # a failed flush guarantees nothing
                kind, tid = target
                if kind == "fs":
                    self.fs_flushes.add(seq, begin)
                elif kind == "dir":
                    self.dir_flushes[tid].add(seq, begin)
                else:
                    self.file_flushes[tid].add(seq, begin)
            elif op in ("RENAME", "LINK"):
                src, dst = f[2], f[3]
                if not self._inside(src) and not self._inside(dst):
                    continue
                node = names.get(src)
                if node is None:
                    raise UnsupportedJournal(f"{op} {src}: source unknown to the journal")
                if node[0] == "d":
                    raise UnsupportedJournal(f"{op} of directory {src} is not modelled")
                if op == "RENAME":
                    add(seq, src, None)
                if self._inside(dst):
                    add(seq, dst, node)
            elif op in ("UNLINK", "RMDIR"):
                path = f[2]
                if self._inside(path) and path != self.root:
                    add(seq, path, None)
            elif op == "MKDIR":
                path = f[2]
                if self._inside(path) and path != self.root:
                    add(seq, path, ("d", new_id()))
            elif op == "UNSUPPORTED":
                if any(self._inside(p.removesuffix(" (deleted)")) for p in f[3:]):
                    raise UnsupportedJournal(f"event {seq}: {op} {f[2]} {f[3:]}")
            else:
                raise UnsupportedJournal(f"event {seq}: unknown operation {op!r}")

    # ------------------------------------------------------------------------------------
    def rebuild(self, cut: int, dest: Path) -> dict[str, int]:
        """Writes into `dest` (which must not exist) what the root would hold after a power
        cut right after event `cut`. Returns counts: files, dirs, bytes."""
        fs_begin = self.fs_flushes.covered_before(cut)
        counts = {"files": 0, "dirs": 0, "bytes": 0}

        def durable_entries(did: int) -> dict[str, tuple]:
            flushes = self.dir_flushes.get(did)
            limit = max(fs_begin, flushes.covered_before(cut)) if flushes else fs_begin
            entries: dict[str, tuple] = {}
            for seq, name, node in self.dir_ops.get(did, ()):
                if seq >= limit:
                    break
                if node is None:
                    entries.pop(name, None)
                else:
                    entries[name] = node
            return entries

        def content(fid: int) -> bytes:
            flushes = self.file_flushes.get(fid)
            limit = max(fs_begin, flushes.covered_before(cut)) if flushes else fs_begin
            out = bytearray()
            for seq, off, length, data_off in self.writes.get(fid, ()):
                if seq >= limit:
                    break
                if off < 0:  # a truncation to `length`
                    del out[length:]
                    out.extend(b"\0" * (length - len(out)))
                    continue
                if off > len(out):
                    out.extend(b"\0" * (off - len(out)))  # a hole reads as zeros
                out[off:off + length] = self.data[data_off:data_off + length]
            return bytes(out)

        def build(did: int, path: Path) -> None:
            path.mkdir()
            counts["dirs"] += 1
            for name, node in durable_entries(did).items():
                if node[0] == "d":
                    build(node[1], path / name)
                else:
                    body = content(node[1])
                    (path / name).write_bytes(body)
                    counts["files"] += 1
                    counts["bytes"] += len(body)

        build(ROOT_DIR, Path(dest))
        return counts
