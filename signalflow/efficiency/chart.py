"""A bar chart comparing accelerator generations at one power boundary (matplotlib, Agg)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from signalflow.efficiency.model import EfficiencyDatapoint, PowerBoundary
from signalflow.errors import BoundaryMismatch, EfficiencyError


def compare_chart(points: Sequence[EfficiencyDatapoint], path: Path, title: str = "") -> Path:
    """Tokens/J of ``points``, one bar each, coloured by accelerator; all at one boundary."""
    if not points:
        raise EfficiencyError("chart", "no datapoints to draw: import benchmark files or set efficiency_data")
    boundary = points[0].boundary
    for point in points[1:]:
        if point.boundary is not boundary:
            raise BoundaryMismatch(points[0].id, boundary.value, point.id, point.boundary.value)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ordered = sorted(points, key=lambda p: (p.published, p.accelerator, p.point.model, p.point.scenario))
    accelerators = sorted({p.accelerator or p.hardware for p in ordered})
    palette = plt.get_cmap("tab10")
    colours = {a: palette(i % 10) for i, a in enumerate(accelerators)}
    labels = [
        f"{p.n_accelerators}x {p.accelerator or p.hardware} {p.point.model} {p.point.precision} {p.point.scenario}"
        for p in ordered
    ]
    fig, ax = plt.subplots(figsize=(10, 0.35 * len(ordered) + 1.5))
    try:
        ax.barh(range(len(ordered)), [p.tokens_per_joule for p in ordered],
                color=[colours[p.accelerator or p.hardware] for p in ordered])
        ax.set_yticks(range(len(ordered)), labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(f"tokens per joule ({_boundary_label(boundary)})")
        ax.set_title(title or f"Tokens per joule at the {_boundary_label(boundary)}")
        handles = [plt.Rectangle((0, 0), 1, 1, color=colours[a]) for a in accelerators]
        ax.legend(handles, accelerators, loc="lower right", fontsize=7)
        fig.tight_layout()
        fig.savefig(path, dpi=120)
    finally:
        plt.close(fig)
    return path


def _boundary_label(boundary: PowerBoundary) -> str:
    return {
        PowerBoundary.CHIP: "accelerator only",
        PowerBoundary.NODE_WALL: "node wall",
        PowerBoundary.IT_CLUSTER: "IT cluster",
        PowerBoundary.FACILITY: "facility",
    }[boundary]
