"""Test double of ``npu-smi info`` (driver 23.x layout with the process table,
shared/reference/ascend_tools.md 6.1). Environment: SUITE_DOUBLE_NPU_COUNT (devices,
default 2), SUITE_DOUBLE_NPU_NAME (default 310B1: a chip no guide publishes a floor for,
because the double's timings are CPU timings), SUITE_DOUBLE_NPU_BUSY=<id>[,<id>] (those
devices show AICore load and a running process), SUITE_DOUBLE_DRIVER_VERSION."""
from __future__ import annotations

import os
import sys

W1, W2, W3 = 19, 17, 54


def row(a, b, c):
    return f"|{a:<{W1}}|{b:<{W2}}|{c:<{W3}}|"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] != ["info"] or len(argv) != 1:
        print("Usage: npu-smi info (the double implements `npu-smi info` only)", file=sys.stderr)
        return 1
    count = int(os.environ.get("SUITE_DOUBLE_NPU_COUNT", "2"))
    name = os.environ.get("SUITE_DOUBLE_NPU_NAME", "310B1")
    busy = {int(x) for x in os.environ.get("SUITE_DOUBLE_NPU_BUSY", "").split(",") if x.strip()}
    driver = os.environ.get("SUITE_DOUBLE_DRIVER_VERSION", "23.0.3")
    sep = "+" + "-" * W1 + "+" + "-" * W2 + "+" + "-" * W3 + "+"
    dsep = "+" + "=" * W1 + "+" + "=" * W2 + "+" + "=" * W3 + "+"
    width = W1 + W2 + W3 + 2
    lines = ["+" + "-" * width + "+",
             f"| {'npu-smi ' + driver:<37}{'Version: ' + driver:<{width - 38}}|",
             sep,
             row(" NPU     Name", " Health", " Power(W)     Temp(C)           Hugepages-Usage(page)"),
             row(" Chip    Device", " Bus-Id", " AICore(%)    Memory-Usage(MB)"),
             dsep]
    for d in range(count):
        load = 57 if d in busy else 0
        lines += [row(f" {d:<8}{name}", " OK", " 15.8         42                0    / 0"),
                  row(f" 0       {d}", f" 0000:{0x82 + 7 * d:02X}:00.0", f" {load:<13}{1074 + 900 * (d in busy)} / 21534"),
                  dsep]
    pw1 = W1 + 12
    psep = "+" + "-" * pw1 + "+" + "-" * W2 + "+" + "-" * W3 + "+"
    lines += [psep, f"| {'NPU     Chip':<{pw1 - 1}}| {'Process id':<{W2 - 1}}| {'Process name':<25}| {'Process memory(MB)':<{W3 - 28}}|",
              "+" + "=" * pw1 + "+" + "=" * W2 + "+" + "=" * W3 + "+"]
    for d in range(count):
        if d in busy:
            lines.append(f"| {d:<8}0{'':<{pw1 - 10}}| {4242 + d:<{W2 - 1}}| {'/usr/bin/python':<25}| {113:<{W3 - 28}}|")
        else:
            lines.append(f"| {'No running processes found in NPU ' + str(d):<{pw1 + W2 + W3 + 1}}|")
        lines.append("+" + "=" * pw1 + "+" + "=" * W2 + "+" + "=" * W3 + "+")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
