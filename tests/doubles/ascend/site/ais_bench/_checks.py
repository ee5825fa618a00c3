"""The ait/msit lineage's path checks, as the double applies them (reference 11:
``args_check.py``, ``path_security_check.py``, ``utils.py`` of the real frontends).

Every input, output and om path is checked before inference: refused when writable by
group or others (mode bits, root included), a symlink (also each file inside an input
folder), not owned by the current user or their group, or holding characters outside
``[_A-Za-z0-9/.-]``; ``--output_dirname`` is checked as given, relative to the working
directory. A refusal is an argparse error (exit 2). The message wording is the double's:
the reference quotes none.
"""
from __future__ import annotations

import os
import re
import stat

SAFE = re.compile(r"[_A-Za-z0-9/.-]+")
MAX_PATH = 4096


class PathRefused(ValueError):
    pass


def check_path(path: str, what: str) -> None:
    if len(path) > MAX_PATH:
        raise PathRefused(f"{what} path is too long: {len(path)} characters")
    if not SAFE.fullmatch(path):
        raise PathRefused(f"{what} path {path} contains characters outside [_A-Za-z0-9/.-]")
    if not os.path.lexists(path):
        return
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise PathRefused(f"{what} path {path} is a soft link")
    if st.st_uid != os.geteuid() and st.st_gid != os.getegid():
        raise PathRefused(f"{what} path {path} is not owned by the current user or group")
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise PathRefused(f"{what} path {path} is writable by group or others "
                          f"(mode {stat.S_IMODE(st.st_mode):o}); chmod 750 folders / 640 files")


def check_existing(path: str, what: str) -> None:
    if not os.path.lexists(path):
        raise PathRefused(f"{what} path {path} does not exist")
    check_path(path, what)


def check_args(args) -> None:
    """All the paths of one run; raises PathRefused naming the first bad one."""
    check_existing(args.model, "om model")
    for item in filter(None, (args.input or "").split(",")):
        check_existing(item, "input")
        if os.path.isdir(item) and not os.path.islink(item):
            for name in sorted(os.listdir(item)):
                check_path(os.path.join(item, name), "input file")
    if args.output:
        check_path(args.output, "output")
    if args.output_dirname:
        check_path(args.output_dirname, "output_dirname")  # as given: relative to the cwd
