"""Known failures: expected failures scoped by guide, check, chip and toolkit version.

The registry is a TOML file (``known_failures.toml`` at the repository root by default)::

    [[failure]]
    id = "dpn131-310-below-t4"           # unique, quoted in messages
    guide = "dpn131"                     # exact guide name, or "*"
    stage = "throughput"                 # exact stage, or "*" (default)
    check = "acceptance *"               # fnmatch pattern on the verdict's check name
    chip = "Ascend310"                   # exact chip, or "*" (default)
    backend = "*"                        # exact backend, or "*" (default)
    toolkit = ">=5.1,<8.2"               # version range (PEP 440 specifiers) or "*" (default)
    reason = "the guide itself reports 310 < T4 (section 7.3), filed under Research"
    expires = 2027-06-30                 # a TOML date; after it the entry no longer applies

An entry matches a verdict record when every field matches; a toolkit range needs the
record's toolkit version (environment ``toolkit`` or a backend version named ``cann`` /
``toolkit``), so a range never matches a run without one. The pytest plugin applies
matches as *strict* xfail: a matched check that fails makes the test XFAIL (only if every
failing check of the test is matched); a matched check that passes makes the test FAIL
with "XPASS(strict)", so a fix is noticed and the entry removed. An expired entry does not
apply (the failure shows) and is reported with its id and date.
"""
from __future__ import annotations

import datetime as _dt
import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "known_failures.toml"
_FIELDS = {"id", "guide", "stage", "check", "chip", "backend", "toolkit", "reason", "expires"}


class KnownFailureError(ValueError):
    """The registry file is malformed (names the file, entry and field)."""


@dataclass(frozen=True)
class KnownFailure:
    id: str
    guide: str
    check: str
    reason: str
    expires: _dt.date
    stage: str = "*"
    chip: str = "*"
    backend: str = "*"
    toolkit: str = "*"

    def expired(self, today: Optional[_dt.date] = None) -> bool:
        return (today or _dt.date.today()) > self.expires

    def matches(self, record: dict) -> bool:
        """Scope match on one verdict record (expiry is not considered here)."""
        def same(want: str, have) -> bool:
            return want == "*" or want == (have or "")

        if not (same(self.guide, record.get("guide")) and same(self.stage, record.get("stage"))
                and same(self.chip, record.get("chip")) and same(self.backend, record.get("backend"))):
            return False
        if not fnmatch.fnmatchcase(str(record.get("check", "")), self.check):
            return False
        if self.toolkit == "*":
            return True
        version = toolkit_version(record)
        return version is not None and version_in_range(version, self.toolkit)

    def describe(self) -> str:
        return f"known failure {self.id!r} ({self.reason}; expires {self.expires.isoformat()})"


def toolkit_version(record: dict) -> Optional[str]:
    env = record.get("environment") or {}
    if env.get("toolkit"):
        return str(env["toolkit"])
    for versions in (env.get("backend_versions") or {}, env):
        for key in ("cann", "toolkit", "CANN"):
            if isinstance(versions, dict) and versions.get(key):
                return str(versions[key])
    return None


def version_in_range(version: str, spec: str) -> bool:
    """``8.0.RC2`` in ``>=8.0.RC1,<8.1`` (PEP 440 ordering; CANN's RC spelling parses)."""
    from packaging.specifiers import SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version) in SpecifierSet(spec, prereleases=True)
    except InvalidVersion:
        return False


def parse(text: str, source: str = "<registry>") -> list[KnownFailure]:
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise KnownFailureError(f"{source}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - {"failure"})
    if unknown:
        raise KnownFailureError(f"{source}: unknown top-level keys {unknown}; each entry is a "
                                f"[[failure]] table")
    tables = data.get("failure", [])
    if not isinstance(tables, list):
        raise KnownFailureError(f"{source}: 'failure' is {_toml_kind(tables)}; write each entry "
                                f"as a [[failure]] table (an array of tables)")
    entries, seen = [], set()
    for i, raw in enumerate(tables, start=1):
        entry = _entry(raw, f"{source}: failure #{i}")
        if entry.id in seen:
            raise KnownFailureError(f"{source}: failure #{i} ({entry.id}): duplicate id")
        seen.add(entry.id)
        entries.append(entry)
    return entries


def _entry(raw, where: str) -> KnownFailure:
    """One registry entry, every field checked for presence and type."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if not isinstance(raw, dict):
        raise KnownFailureError(f"{where}: is {_toml_kind(raw)}, expected a [[failure]] table")
    if isinstance(raw.get("id"), str):
        where = f"{where} ({raw['id']})"
    unknown = set(raw) - _FIELDS
    missing = {"id", "guide", "check", "reason", "expires"} - set(raw)
    if unknown or missing:
        raise KnownFailureError(f"{where}: unknown fields {sorted(unknown)}, missing {sorted(missing)}")
    for name in sorted((_FIELDS - {"expires"}) & set(raw)):
        if not isinstance(raw[name], str):
            raise KnownFailureError(f"{where}: field {name!r} is {_toml_kind(raw[name])}, expected a "
                                    f"quoted string" + (" such as '>=8.0,<8.1'" if name == "toolkit" else ""))
    if not isinstance(raw["expires"], _dt.date) or isinstance(raw["expires"], _dt.datetime):
        raise KnownFailureError(f"{where}: expires must be a TOML date like 2027-06-30")
    if raw.get("toolkit", "*") != "*":
        try:
            SpecifierSet(raw["toolkit"])
        except InvalidSpecifier:
            raise KnownFailureError(f"{where}: toolkit {raw['toolkit']!r} is not a version range "
                                    f"like '>=8.0,<8.1'") from None
    if not raw["reason"].strip():
        raise KnownFailureError(f"{where}: reason is empty")
    return KnownFailure(**raw)


def _toml_kind(value) -> str:
    kind = {dict: "a table", list: "an array", str: "a string", bool: "a boolean",
            int: "an integer", float: "a float"}.get(type(value), type(value).__name__)
    return f"{kind} ({value!r})" if not isinstance(value, (dict, list)) else kind


def load(path: Optional[Path] = None) -> list[KnownFailure]:
    """Entries of ``path`` (which must exist), or of the default file when there is one."""
    if path is None:
        if not DEFAULT_FILE.exists():
            return []
        path = DEFAULT_FILE
    path = Path(path)
    if path.is_dir():
        raise KnownFailureError(f"known-failures registry {path} is a folder, not a TOML file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KnownFailureError(f"known-failures registry {path} not found") from None
    except OSError as exc:
        raise KnownFailureError(f"known-failures registry {path}: cannot read ({exc.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KnownFailureError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return parse(text, str(path))


@dataclass
class Resolution:
    """What the known failures make of one test's records."""

    outcome: str  # "none" (no entry involved), "xfail", "xpass", "unmatched-failure"
    message: str
    entries: tuple[KnownFailure, ...] = ()
    expired: tuple[KnownFailure, ...] = ()


def resolve(records: Iterable[dict], registry: Iterable[KnownFailure], test_failed: bool,
            today: Optional[_dt.date] = None) -> Resolution:
    """Strict-xfail semantics over the verdict records one test wrote."""
    records = list(records)
    live = [e for e in registry if not e.expired(today)]
    expired = tuple(e for e in registry if e.expired(today) and any(e.matches(r) for r in records))
    note = "".join(f"; {e.describe()} has EXPIRED and no longer applies: fix the failure or renew "
                   f"the entry" for e in expired)
    matched = [(r, [e for e in live if e.matches(r)]) for r in records]
    entries = tuple(dict.fromkeys(e for _, es in matched for e in es))
    if not entries:
        return Resolution("none", note.lstrip("; "), (), expired)
    failing = [r for r in records if r.get("verdict") == "fail"]
    uncovered = [r for r in failing if not any(e.matches(r) for e in live)]
    passing_matched = [(r, es) for r, es in matched if es and r.get("verdict") == "pass"]
    if passing_matched:
        r, es = passing_matched[0]
        return Resolution("xpass", f"[XPASS(strict)] {es[0].describe()} expected {r.get('check')!r} to "
                                   f"fail, but it passes: {r.get('message', '')} - remove the entry"
                          + note, entries, expired)
    if test_failed and failing and not uncovered:
        return Resolution("xfail", "; ".join(e.describe() for e in entries) + note, entries, expired)
    if uncovered:
        return Resolution("unmatched-failure",
                          f"failing checks not covered by a known failure: "
                          f"{[r.get('check') for r in uncovered]}" + note, entries, expired)
    return Resolution("none", note.lstrip("; "), entries, expired)


def expired_entries(registry: Iterable[KnownFailure], today: Optional[_dt.date] = None) -> list[KnownFailure]:
    return [e for e in registry if e.expired(today)]
