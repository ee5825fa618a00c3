"""The suite's error base: every failure the suite reports on purpose is a ``SuiteError``.

Each module keeps its own error class (``DatasetError``, ``CheckpointError``,
``SampleIOError``, ...) so callers can tell faults apart; they all derive from
``SuiteError``, so "a fault the suite diagnosed" (message names the file, sample, command
or option) can be told from "a crash deep inside a library" (anything else). The fault
tests in ``tests/faults`` rely on that distinction.

``SuiteError`` derives from ``RuntimeError`` so code that caught the old classes as
``RuntimeError`` keeps working.
"""
from __future__ import annotations

import errno


class SuiteError(RuntimeError):
    """A fault the suite diagnosed; the message names the file, sample, command or option."""


class PreprocessError(SuiteError):
    """Preprocessing one sample failed; the message names the sample id and its file."""


class StorageError(SuiteError, OSError):
    """Writing an artifact failed (disk full, read-only folder); names the path.

    Also an ``OSError`` (with the original ``errno``), so callers that handle I/O errors
    generically still catch it.
    """

    def __init__(self, code: int | None, message: str):
        super().__init__(message)
        self.errno = code

    def __str__(self) -> str:
        return str(self.args[0])

    def __reduce__(self):  # picklable across worker processes
        return (type(self), (self.errno, self.args[0]))


def describe_os_error(exc: OSError, path) -> str:
    """A one-line reason for a failed write, with a hint for the common cases."""
    reason = exc.strerror or str(exc)
    hint = {
        errno.ENOSPC: " - the disk is full: free space there or point --cache-dir elsewhere",
        errno.EDQUOT: " - disk quota exceeded: free space or point --cache-dir elsewhere",
        errno.EROFS: " - read-only file system: point --cache-dir to a writable folder",
        errno.EACCES: " - permission denied: point --cache-dir to a writable folder",
    }.get(exc.errno or 0, "")
    return f"cannot write {path}: {reason}{hint}"
