"""Throughput-vs-batch-size plots (matplotlib, Agg, inline base64 PNG).

One plot per guide, backend and chip: this run's median device throughput per batch size
with its IQR band as error bars, the baseline run's medians, and the guide's published
floors for the chip (per card; a 310 card is four devices, so floors are divided back to
one device for the plot - the caption says so).
"""
from __future__ import annotations

import base64
import io


def throughput_plots(data) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from harness.chips import CHIPS

    out = {}
    for key in sorted(data.throughput, key=lambda k: tuple(str(x) for x in k)):
        guide, backend, chip = key
        points = data.throughput[key]
        sizes = sorted(b for b in points if b is not None and points[b][0] is not None)
        if not sizes:
            continue
        fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=100)
        med = [points[b][0] for b in sizes]
        spread = [points[b][1] or 0.0 for b in sizes]
        err = [m * s / 2 for m, s in zip(med, spread)]
        ax.errorbar(sizes, med, yerr=err, marker="o", capsize=4, color="#1f77b4",
                    label="this run (median, IQR)")
        base = data.baseline_throughput.get(key, {})
        bsz = sorted(b for b in base if b is not None and base[b][0] is not None)
        if bsz:
            ax.plot(bsz, [base[b][0] for b in bsz], marker="s", linestyle="--", color="#555555",
                    markerfacecolor="none", markersize=9, zorder=4, label="baseline (median)")
        floors = data.floors.get((guide, chip), {})
        if floors:
            per_card = CHIPS[chip].devices_per_card if chip in CHIPS else 1
            fsz = sorted(floors)
            ax.plot(fsz, [floors[b] / per_card for b in fsz], marker="^", linestyle=":",
                    color="#d62728", label=f"published {chip}" + (f" / {per_card}" if per_card > 1 else ""))
        ax.set_xscale("log", base=2)
        ticks = sorted(set(sizes) | set(bsz) | set(floors))
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.set_xlabel("batch size")
        ax.set_ylabel("samples/s per device")
        ax.set_title(f"{guide} - {backend} on {chip}")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
        out[key] = base64.b64encode(buf.getvalue()).decode("ascii")
    return out
