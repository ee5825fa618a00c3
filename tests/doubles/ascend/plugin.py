"""pytest plugin: run the suite's Ascend path on the test double.

Load it with ``-p tests.doubles.ascend.plugin`` (or ``SUITE_ASCEND_DOUBLE=1``, which the
root conftest honours). Before anything else configures, it installs a fake CANN tree in
a temporary folder (or reuses ``SUITE_ASCEND_DOUBLE_ROOT``) and points the process
environment at it: ``SUITE_ASCEND_ROOT`` (set_env.sh discovery), ``npu-smi`` on PATH, the
ais_bench double on PYTHONPATH, ``SUITE_ASCEND_PYTHON`` = this interpreter. xdist workers
inherit that environment from the controller, so there is one fake tree per run.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.doubles.ascend import fake_cann

ROOT_ENV = "SUITE_ASCEND_DOUBLE_ROOT"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    existing = os.environ.get(ROOT_ENV)
    if existing and (Path(existing) / "Ascend").is_dir():
        base, owner = Path(existing), False
    else:
        base, owner = Path(tempfile.mkdtemp(prefix="ascend-double-")), True
    fake = fake_cann.install(base)
    settings = {k: v for k, v in os.environ.items() if k.startswith("SUITE_DOUBLE_")}
    os.environ.update(fake.environ(dict(os.environ), **settings))
    os.environ[ROOT_ENV] = str(base)
    config._ascend_double = (base, owner)


def pytest_unconfigure(config):
    base, owner = getattr(config, "_ascend_double", (None, False))
    if owner and base is not None and not hasattr(config, "workerinput"):
        shutil.rmtree(base, ignore_errors=True)


def pytest_report_header(config):
    base, _ = getattr(config, "_ascend_double", (None, False))
    return f"ascend: test double (fake CANN under {base})" if base else None
