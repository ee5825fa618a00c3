"""Errors of the Ascend tool layer.

Two families, so callers can tell "the tool failed" from "we cannot read what it said":

* ``ToolError`` (a ``SuiteError``, hence a ``RuntimeError``): a command failed, timed out or produced unusable
  files. Its message always carries the command line, the exit status (or the timeout)
  and the tool's own error lines, because that is what a person needs to act.
* ``ToolOutputError`` (a ``ValueError`` and a ``SuiteError``): a parser was given text it cannot interpret
  (no summary block, inconsistent numbers, a truncated table). Parsers raise it rather
  than guess, so a malformed transcript never turns into a plausible wrong number.
"""
from __future__ import annotations

import shlex
from typing import Optional, Sequence

from harness.errors import SuiteError


class ToolOutputError(SuiteError, ValueError):
    """A tool's printed output or file is not in any format the reference documents."""


class ToolError(SuiteError):
    """An external command failed; ``str()`` names the command, the status and the cause."""

    def __init__(self, command: Sequence[str], cause: str, returncode: Optional[int] = None,
                 error_lines: Sequence[str] = (), timed_out: bool = False):
        self.command = [str(c) for c in command]
        self.cause = cause
        self.returncode = returncode
        self.error_lines = list(error_lines)
        self.timed_out = timed_out
        super().__init__(self._format())

    @property
    def command_line(self) -> str:
        return shlex.join(self.command)

    def _format(self) -> str:
        status = ("timed out" if self.timed_out else
                  f"exit code {self.returncode}" if self.returncode is not None else "not run")
        text = f"command failed ({status}): {self.command_line}\ncause: {self.cause}"
        if self.error_lines:
            text += "\ntool's error lines:\n" + "\n".join("  " + ln for ln in self.error_lines)
        return text


class AtcError(ToolError):
    """``atc`` did not produce an ``.om`` (its ``E.....`` blocks are in ``error_lines``)."""


class AisBenchError(ToolError):
    """``ais_bench`` failed, or its outputs do not cover every input sample."""


class DeviceBusyError(ToolError):
    """``npu-smi info`` shows the device in use, so a throughput run would be meaningless."""
