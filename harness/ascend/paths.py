"""Paths handed to ``ais_bench``/``msit benchmark``, made so its path checks pass.

The ait/msit lineage checks every path it reads before inference (reference 11): it
refuses a file or folder writable by group or others (whatever the user, root included),
a symlink (also any file inside an input folder), a path not owned by the current user
or their group, characters outside ``[_A-Za-z0-9/.-]``, and it checks ``--output_dirname``
relative to the working directory. The 2023 Ascend/tools frontend checks none of this, so
a path that passes here passes there too.

So the suite creates everything the tool reads with explicit modes (folders 0750, files
0640, whatever the umask), never hands it a symlink (hard links or copies instead), puts
its working folders under a path of safe characters, and gives absolute output paths.
"""
from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Optional

import numpy as np

SAFE_PATH = re.compile(r"[_A-Za-z0-9/.-]+")
DIR_MODE = 0o750
FILE_MODE = 0o640
_WRITABLE_BY_OTHERS = stat.S_IWGRP | stat.S_IWOTH


def refusal(path: Path) -> Optional[str]:
    """Why the ait lineage would refuse ``path`` (as a file or folder it reads), or None."""
    text = str(path)
    if not SAFE_PATH.fullmatch(text):
        bad = sorted({c for c in text if not SAFE_PATH.fullmatch(c)})
        return f"{path}: characters {''.join(bad)!r} outside [_A-Za-z0-9/.-]"
    return inode_refusal(path)


def inode_refusal(path: Path) -> Optional[str]:
    """The checks that go with the file itself (and so with every hard link to it): a
    symlink, the owner, group/other write bits."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        return f"{path}: {exc.strerror}"
    if stat.S_ISLNK(st.st_mode):
        return f"{path}: is a symlink"
    if st.st_uid != os.geteuid() and st.st_gid != os.getegid():
        return f"{path}: owned by uid {st.st_uid}, gid {st.st_gid}, not the current user or group"
    if st.st_mode & _WRITABLE_BY_OTHERS:
        return f"{path}: mode {stat.S_IMODE(st.st_mode):04o} is writable by group or others"
    return None


def make_dir(path: Path) -> Path:
    """``path`` (and missing parents) as a folder with mode 0750."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)
    return path


def write_array(path: Path, array: np.ndarray) -> Path:
    """``array.tofile(path)`` with mode 0640."""
    np.ascontiguousarray(array).tofile(path)
    os.chmod(path, FILE_MODE)
    return path


def seal(path: Path) -> Path:
    """A file the suite made, set to mode 0640 (e.g. an om atc wrote under the umask)."""
    os.chmod(path, FILE_MODE)
    return path


def safe_root(preferred: Path) -> Path:
    """``preferred`` (absolute) when its path has only safe characters, else a private
    folder under the system temporary directory (``/tmp/ascend-suite-<uid>``)."""
    preferred = Path(preferred).absolute()
    if SAFE_PATH.fullmatch(str(preferred)):
        return make_dir(preferred)
    fallback = Path(tempfile.gettempdir()).absolute() / f"ascend-suite-{os.geteuid()}"
    if not SAFE_PATH.fullmatch(str(fallback)):
        fallback = Path("/tmp") / f"ascend-suite-{os.geteuid()}"
    return make_dir(fallback)


def place(source: Path, target: Path) -> Path:
    """``target`` holding ``source``'s bytes: a hard link when the file itself passes the
    checks (same inode, same mode and owner), else a copy with mode 0640. Never a symlink;
    a symlinked source is followed to its file."""
    real = Path(os.path.realpath(source))
    if inode_refusal(real) is None or (_own_file(real) and _drop_write_bits(real)):
        try:
            os.link(real, target)
            return target
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                raise
    shutil.copyfile(real, target)
    os.chmod(target, FILE_MODE)
    return target


def _own_file(path: Path) -> bool:
    st = path.stat()
    return stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid()


def _drop_write_bits(path: Path) -> bool:
    """Group/other write bits removed from the suite's own cached file (harmless: nothing
    but the suite writes it, and only by atomic replacement); True when it now passes."""
    mode = stat.S_IMODE(path.stat().st_mode)
    os.chmod(path, mode & ~_WRITABLE_BY_OTHERS)
    return inode_refusal(path) is None


def ready_file(path: Path, staging: Path) -> Path:
    """``path`` itself when the checks pass, else a hard link or copy inside ``staging``."""
    if refusal(path) is None:
        return Path(path)
    return place(Path(path), make_dir(staging) / _safe_name(Path(path).name))


def _safe_name(name: str) -> str:
    return name if SAFE_PATH.fullmatch(name) else re.sub(r"[^_A-Za-z0-9.-]", "_", name)


def safe_stem(sample_id: str, index: int) -> str:
    """The file stem a sample gets in a staged input folder: its id when that is made of
    safe characters and has no '.' (ais_bench cuts output names at the first '.'), else a
    positional alias; outputs are mapped back through the same names."""
    if SAFE_PATH.fullmatch(sample_id) and "." not in sample_id and "/" not in sample_id:
        return sample_id
    return f"sample{index:08d}"
