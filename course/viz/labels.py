"""Point labels that do not overlap: ``spread_labels`` moves each label up until it clears the others."""

from __future__ import annotations


def spread_labels(ax, xs, ys, labels, fontsize: float = 7, gap: float = 1.25) -> list:
    """Annotate the points (``xs``, ``ys``) of ``ax`` with ``labels``, to the right of each point; a
    label that would overlap one already placed (estimated text boxes, in points) is moved up, in steps
    of ``gap`` × ``fontsize``, and joined to its point by a thin line. Returns the annotations. Call it
    after the axes' limits and scales are final (they fix where the points land on the figure)."""
    ax.autoscale_view()
    to_points = 72 / ax.figure.dpi
    placed, out = [], []
    points = [(ax.transData.transform((x, y)) * to_points, x, y, label) for x, y, label in zip(xs, ys, labels)]
    for (px, py), x, y, label in sorted(points, key=lambda p: (p[0][1], p[0][0])):
        width, height = 0.6 * fontsize * len(label), fontsize * gap
        dx, dy = 4.0, 0.0
        while any(abs((px + dx) - qx) < max(width, w) and abs((py + dy) - qy) < height for qx, qy, w in placed):
            dy += height
        placed.append((px + dx, py + dy, width))
        out.append(ax.annotate(label, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=fontsize,
                               va="center", arrowprops=dict(arrowstyle="-", lw=0.4, color="0.5") if dy else None))
    return out
