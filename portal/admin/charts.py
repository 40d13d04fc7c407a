"""Bar charts as inline SVG, drawn on the server: no JavaScript library, nothing from a CDN."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 180
LEFT, BOTTOM, TOP = 56, 22, 8
MAX_LABELS = 12


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
) -> Markup:
    """An accessible SVG bar chart; each bar carries its exact value as a tooltip."""
    top = max(values, default=0) or 1
    plot_w, plot_h = WIDTH - LEFT, HEIGHT - BOTTOM - TOP
    step = plot_w / max(len(values), 1)
    every = max(1, -(-len(labels) // MAX_LABELS))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH}" y2="{TOP + plot_h}" class="axis"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 10}" text-anchor="end" class="tick">{escape(fmt(top))}</text>',
        f'<text x="{LEFT - 4}" y="{TOP + plot_h}" text-anchor="end" class="tick">0</text>',
    ]
    for i, (label, value) in enumerate(zip(labels, values)):
        height = plot_h * value / top
        x = LEFT + i * step
        parts.append(
            f'<rect class="bar" x="{x + step * 0.1:.1f}" y="{TOP + plot_h - height:.1f}" '
            f'width="{step * 0.8:.1f}" height="{height:.1f}">'
            f"<title>{escape(label)}: {escape(fmt(value))}</title></rect>"
        )
        if i % every == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle" '
                f'class="tick">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
