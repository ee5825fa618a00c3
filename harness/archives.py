"""Extracting user-given archives (.zip, .tar, .tar.gz/.tgz, .tar.bz2, .tar.xz) safely.

Archives come from people (a checkpoint bundle, a dataset copy), so every member is
checked *before anything is written*:

* no absolute path (``/etc/x``, ``C:\\x``, ``\\\\server\\x``) and no ``..`` component;
* a symlink or hardlink must point inside the extraction folder (relative target that
  stays inside after resolving against the link's own folder);
* no device files, FIFOs or other special members;
* optionally a cap on the total uncompressed size (a decompression bomb).

Extraction goes into a private temporary folder next to the destination, every written
path is re-checked against that folder's real path (a member cannot write *through* a
symlink extracted earlier), and the folder is renamed into place only when complete: a
crash, a corrupt member or a full disk never leaves a half-extracted destination. One
extraction per destination runs at a time (a file lock); the next one deletes the
temporary folder an extraction killed by SIGKILL left behind.

Every failure is an ``ArchiveError`` naming the archive and the offending member.
"""
from __future__ import annotations

import glob
import os
import posixpath
import re
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from harness.errors import SuiteError, describe_os_error


class ArchiveError(SuiteError):
    """An archive is unreadable or unsafe; the message names the archive and the member."""


@dataclass(frozen=True)
class Member:
    """One archive entry, reduced to what the safety checks need."""

    name: str  # as stored in the archive
    kind: str  # "file", "dir", "symlink", "hardlink"
    size: int
    link: str = ""  # target of a symlink/hardlink


_DRIVE = re.compile(r"^[A-Za-z]:")


def _components(name: str) -> list[str]:
    return [c for c in re.split(r"[\\/]+", name) if c not in ("", ".")]


def check_member_name(archive: Path, name: str) -> str:
    """The member's safe relative path (POSIX), or ``ArchiveError``."""
    if not name or "\x00" in name:
        raise ArchiveError(f"{archive}: member {name!r} has an empty or NUL-containing name")
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        raise ArchiveError(f"{archive}: member {name!r} has an absolute path (refused: it would "
                           "be written outside the extraction folder)")
    parts = _components(name)
    if ".." in parts:
        raise ArchiveError(f"{archive}: member {name!r} has a '..' component (refused: path "
                           "escapes the extraction folder)")
    if not parts:
        raise ArchiveError(f"{archive}: member {name!r} names no file")
    return "/".join(parts)


def _check_link(archive: Path, member: Member, rel: str) -> None:
    target = member.link
    if not target or target.startswith(("/", "\\")) or _DRIVE.match(target):
        raise ArchiveError(f"{archive}: {member.kind} member {member.name!r} points to "
                           f"{target!r}, outside the extraction folder (refused)")
    # Symlink targets are relative to the link's folder; hardlink targets to the root.
    base = posixpath.dirname(rel) if member.kind == "symlink" else ""
    resolved = posixpath.normpath(posixpath.join(base, "/".join(re.split(r"[\\/]+", target))))
    if resolved == ".." or resolved.startswith("../") or resolved.startswith("/"):
        raise ArchiveError(f"{archive}: {member.kind} member {member.name!r} points to "
                           f"{target!r}, outside the extraction folder (refused)")


def _tar_members(archive: Path, tf: tarfile.TarFile) -> list[tuple[Member, tarfile.TarInfo]]:
    out = []
    for info in tf.getmembers():
        if info.isreg():
            kind = "file"
        elif info.isdir():
            kind = "dir"
        elif info.issym():
            kind = "symlink"
        elif info.islnk():
            kind = "hardlink"
        else:
            what = ("device file" if info.ischr() or info.isblk() else
                    "FIFO" if info.isfifo() else f"special member (type {info.type!r})")
            raise ArchiveError(f"{archive}: member {info.name!r} is a {what} (refused)")
        out.append((Member(info.name, kind, info.size, info.linkname), info))
    return out


def _zip_members(archive: Path, zf: zipfile.ZipFile) -> list[tuple[Member, zipfile.ZipInfo]]:
    out = []
    for info in zf.infolist():
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            target = zf.read(info).decode("utf-8", "replace")
            out.append((Member(info.filename, "symlink", 0, target), info))
        elif stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR) and info.create_system == 3:
            raise ArchiveError(f"{archive}: member {info.filename!r} is a special file "
                               f"(mode {oct(mode)}, refused)")
        else:
            out.append((Member(info.filename, "dir" if info.is_dir() else "file", info.file_size), info))
    return out


def _inside(root: Path, path: Path) -> bool:
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root + os.sep)


def _open(archive: Path):
    """("zip"|"tar", handle) for a readable archive, else ``ArchiveError``."""
    if not archive.is_file():
        raise ArchiveError(f"archive not found: {archive}")
    try:
        if zipfile.is_zipfile(archive):
            return "zip", zipfile.ZipFile(archive)
        return "tar", tarfile.open(archive, "r:*")
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, OSError) as exc:
        raise ArchiveError(f"{archive}: not a readable .zip/.tar/.tar.gz/.tgz archive ({exc})") from None


def list_members(archive: Path) -> list[Member]:
    """Every member, checked; raises ``ArchiveError`` on the first unsafe one."""
    kind, handle = _open(Path(archive))
    with handle:
        return [m for m, _ in _checked(Path(archive), kind, handle)]


def _checked(archive: Path, kind: str, handle):
    try:
        pairs = _zip_members(archive, handle) if kind == "zip" else _tar_members(archive, handle)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise ArchiveError(f"{archive}: corrupt or truncated archive while listing members ({exc})") from None
    for member, _ in pairs:
        rel = check_member_name(archive, member.name)
        if member.kind in ("symlink", "hardlink"):
            _check_link(archive, member, rel)
    return pairs


def extract_archive(archive: Path, dest: Path, max_bytes: Optional[int] = None) -> Path:
    """Extract ``archive`` into the new folder ``dest`` (which must not exist yet)."""
    archive, dest = Path(archive), Path(dest)
    if dest.exists():
        raise ArchiveError(f"{archive}: destination {dest} already exists (refusing to mix "
                           "an extraction into existing files)")
    kind, handle = _open(archive)
    with handle:
        pairs = _checked(archive, kind, handle)
        total = sum(m.size for m, _ in pairs)
        if max_bytes is not None and total > max_bytes:
            raise ArchiveError(f"{archive}: members add up to {total} bytes uncompressed, more "
                               f"than the allowed {max_bytes}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        with _extraction_lock(archive, dest):
            tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
            try:
                for member, info in pairs:
                    _extract_one(archive, kind, handle, member, info, tmp)
                _check_links_resolve_inside(archive, pairs, tmp)
                os.replace(tmp, dest)
            except BaseException as exc:
                shutil.rmtree(tmp, ignore_errors=True)
                if isinstance(exc, OSError) and not isinstance(exc, SuiteError):
                    raise ArchiveError(f"{archive}: {describe_os_error(exc, dest)}") from None
                raise
    return dest


@contextmanager
def _extraction_lock(archive: Path, dest: Path):
    """One extraction into ``dest`` at a time (``.<dest>.lock`` beside it). Holding the
    lock, any ``.<dest>.tmp-*`` folder is a leftover of an extraction killed by SIGKILL
    (which cannot clean up after itself) and is deleted."""
    from filelock import FileLock

    with FileLock(str(dest.parent / f".{dest.name}.lock")):
        if dest.exists():  # another extraction finished while this one waited
            raise ArchiveError(f"{archive}: destination {dest} already exists (refusing to mix "
                               "an extraction into existing files)")
        for stale in dest.parent.glob(f".{glob.escape(dest.name)}.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        yield


def _check_links_resolve_inside(archive: Path, pairs, root: Path) -> None:
    """The file system's own resolution of every extracted symlink stays inside ``root``
    (a chain of individually harmless links, e.g. ``a/b/up -> ..`` then
    ``a/b/c -> up/../..``, can still climb out; lexical checks alone miss that)."""
    for member, _ in pairs:
        if member.kind == "symlink":
            link = root / check_member_name(archive, member.name)
            if link.is_symlink() and not _inside(root, link):
                raise ArchiveError(f"{archive}: symlink member {member.name!r} -> {member.link!r} "
                                   "resolves outside the extraction folder (refused)")


def _extract_one(archive: Path, kind: str, handle, member: Member, info, root: Path) -> None:
    rel = check_member_name(archive, member.name)
    target = root / rel
    if not _inside(root, target.parent):
        raise ArchiveError(f"{archive}: member {member.name!r} would be written through a "
                           "symlink to outside the extraction folder (refused)")
    if member.kind == "dir":
        target.mkdir(parents=True, exist_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.exists():
        if target.is_dir() and not target.is_symlink():
            raise ArchiveError(f"{archive}: member {member.name!r} is a file where the archive "
                               "also has a folder")
        target.unlink()  # a later duplicate entry replaces an earlier one, as tar does
    if member.kind == "symlink":
        os.symlink(member.link, target)
        return
    if member.kind == "hardlink":
        source = root / check_member_name(archive, member.link)
        if not source.is_file() or source.is_symlink() or not _inside(root, source):
            raise ArchiveError(f"{archive}: hardlink member {member.name!r} points to "
                               f"{member.link!r}, which is not a regular file extracted before it")
        shutil.copyfile(source, target)  # a copy: no shared inode with anything
        return
    try:
        src = handle.open(info) if kind == "zip" else handle.extractfile(info)
        if src is None:
            raise ArchiveError(f"{archive}: member {member.name!r} has no data")
        with src, open(target, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise ArchiveError(f"{archive}: member {member.name!r} is corrupt or truncated ({exc})") from None
    if kind == "tar" and info.mode & 0o111:
        os.chmod(target, 0o755)
