"""Credentials never leave the process: one masking function for every URL, command line
and message the suite shows or stores (terminal, recorded run, history, reports).

Masked forms:

  * a URL's user info:            postgresql://nightly:s3cret@host/db -> postgresql://nightly:***@host/db
  * libpq key/value and URL query password=s3cret (also sslpassword=) -> password=***

A user name alone is not a secret and stays. Passwords belong outside the command line:
libpq (and so psycopg) reads ``PGPASSWORD``, ``~/.pgpass`` and ``PGSERVICE`` / service
files (``postgresql:///db?service=nightly``) when the URL carries none.
"""
from __future__ import annotations

import re
from typing import Iterable

MASK = "***"
# scheme://user:password@  (the password runs up to the last '@' before the host part)
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/?#@\s]*:)(?P<secret>[^/?#\s]*)(?=@)")
# password=... in libpq key/value strings (space separated, optionally quoted) and URL queries
_KEY_VALUE = re.compile(r"(?P<head>\b(?:ssl)?password\s*=\s*)(?P<secret>'(?:[^'\\]|\\.)*'|[^\s&;'\"]+)",
                        re.IGNORECASE)


def mask(text) -> str:
    """``text`` with every credential replaced by ``***`` (non-strings are str()-ed)."""
    text = str(text)
    text = _URL_PASSWORD.sub(lambda m: m["head"] + MASK, text)
    return _KEY_VALUE.sub(lambda m: m["head"] + MASK, text)


def mask_all(items: Iterable) -> list[str]:
    """A command line (argv) with every argument masked."""
    return [mask(x) for x in items]


def mask_deep(obj):
    """Every string inside a JSON-like structure masked (e.g. a run's provenance)."""
    if isinstance(obj, str):
        return mask(obj)
    if isinstance(obj, dict):
        return {k: mask_deep(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [mask_deep(v) for v in obj]
    return obj
