"""``atc --fusion_switch_file``: the two file forms found in the ModelZoo and which one the
suite writes for a toolkit. Facts: shared/reference/ascend_tools.md 2.2 and 11.

* JSON, ``{"Switch": {"GraphFusion": {"<Pass>": "off"}, "UBFusion": {...}}}``: the form the
  CANN 6.0.1-8.5 documentation describes and four ModelZoo guides ship.
* Lines, ``<Pass>:off`` (one switch per line): three ModelZoo guides ship it, TransPose
  among them; those guides were written for CANN 5.x toolkits and their published
  results were produced with it.

Which releases accept the line form is not established (the reference's sources do not
settle it). The suite therefore writes a guide's lines verbatim only for toolkits older
than 6 (the guides' own era, where the form is seen working) and translates them to the
documented JSON form for 6 and later, or when the version is unknown.
"""
from __future__ import annotations

import json
import re
from typing import Optional

from harness.ascend.errors import ToolOutputError

SECTIONS = ("GraphFusion", "UBFusion")
STATES = ("on", "off")
# The last major release before the documented-JSON era; line files are kept up to it.
LINE_FORM_LAST_MAJOR = 5
_LINE = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*:\s*(?P<state>on|off)$")


class FusionSwitchError(ToolOutputError):
    """A fusion switch file in neither form (names the offending line or key)."""


def parse(text: str) -> dict[str, dict[str, str]]:
    """Section -> {pass: "on"/"off"} from either form (lines go to the section their pass
    name implies, see ``section_of``)."""
    stripped = text.strip()
    if stripped.startswith("{"):
        return _parse_json(stripped)
    switches: dict[str, dict[str, str]] = {}
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        m = _LINE.match(line)
        if not m:
            raise FusionSwitchError(f"fusion switch line {n} is not '<Pass>:on|off': {raw!r}")
        switches.setdefault(section_of(m["name"]), {})[m["name"]] = m["state"]
    if not switches:
        raise FusionSwitchError("fusion switch file is empty")
    return switches


def _parse_json(text: str) -> dict[str, dict[str, str]]:
    try:
        switch = json.loads(text)["Switch"]
    except (ValueError, KeyError, TypeError) as exc:
        raise FusionSwitchError(f"fusion switch JSON has no 'Switch' object ({type(exc).__name__})") from None
    if not isinstance(switch, dict) or not switch:
        raise FusionSwitchError("fusion switch JSON: 'Switch' must be a non-empty object")
    out: dict[str, dict[str, str]] = {}
    for section, passes in switch.items():
        if section not in SECTIONS or not isinstance(passes, dict):
            raise FusionSwitchError(f"fusion switch JSON: unknown section {section!r} (expected {SECTIONS})")
        bad = {k: v for k, v in passes.items() if v not in STATES}
        if bad:
            raise FusionSwitchError(f"fusion switch JSON: {section} values must be on/off, got {bad}")
        out[section] = dict(passes)
    return out


def section_of(pass_name: str) -> str:
    """UB (TBE buffer) fusion passes carry the ``Tbe`` prefix; every other named pass, such
    as TransPose's ``ReshapeTransposeFusionPass``, is a graph fusion pass."""
    return "UBFusion" if pass_name.startswith("Tbe") else "GraphFusion"


def to_json(switches: dict[str, dict[str, str]]) -> str:
    return json.dumps({"Switch": {s: switches[s] for s in SECTIONS if s in switches}}, indent=4) + "\n"


def major_version(cann_version: Optional[str]) -> Optional[int]:
    m = re.match(r"(\d+)\.", cann_version or "")
    return int(m.group(1)) if m else None


def for_toolkit(guide_text: str, cann_version: Optional[str]) -> tuple[str, bool]:
    """(file contents to write, translated?) for a toolkit release. The guide's own text is
    validated either way, so a typo fails here, naming the line, not inside atc."""
    switches = parse(guide_text)
    if guide_text.strip().startswith("{"):
        return guide_text, False
    major = major_version(cann_version)
    if major is not None and major <= LINE_FORM_LAST_MAJOR:
        return guide_text, False
    return to_json(switches), True
