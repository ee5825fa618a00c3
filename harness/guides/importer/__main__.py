"""Command line of the guide importer (see ``harness.guides.importer``)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.atomic import write_atomic
from harness.guides.importer.draft import find_readme, read_folder
from harness.guides.importer.render import render


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.guides.importer",
                                     description="Draft a guide record from a ModelZoo guide folder.")
    parser.add_argument("folder", type=Path, help="the guide's folder (README.md and its scripts)")
    parser.add_argument("--output", "-o", type=Path, required=True, help="the draft module to write")
    parser.add_argument("--readme", type=Path, help="README to read instead of <folder>/README.md")
    parser.add_argument("--name", default="", help="the guide's name in the suite (default: from the folder)")
    parser.add_argument("--cite-as", default="", help="the folder as sources cite it (default: from ACL_PyTorch/ on)")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        parser.error(f"{args.folder}: not a folder")
    readme = args.readme or find_readme(args.folder)
    if readme is None or not readme.is_file():
        parser.error(f"{readme or args.folder}: no README (give one with --readme)")
    draft = read_folder(args.folder, readme, args.name, args.cite_as)
    write_atomic(args.output, render(draft).encode("utf-8"))
    gaps = draft.gaps()
    print(f"wrote {args.output}: {len(gaps)} gaps to fill" + "".join(f"\n  - {g}" for g in gaps))
    return 0


if __name__ == "__main__":
    sys.exit(main())
