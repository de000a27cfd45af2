"""Small charts drawn on the server as SVG: no script, no CDN, and nothing for the strict
CSP to refuse (presentation attributes and classes from sayso.css, no inline styles).

Each chart scales to its container (viewBox, width 100%) so it stays readable on a phone,
carries a <title> and <desc> for screen readers, and the page keeps the figures in a table.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

WIDTH = 360  # about a phone's width, so text keeps its size there
ROW = 40  # one horizontal bar: its label above, the bar below
LABEL_MAX = 44  # characters of a label shown


def _scale(values: Sequence[float]) -> float:
    top = max(values, default=0)
    return top if top > 0 else 1


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, int) or value >= 10 else f"{value:.2g}"


def _opening(chart_id: str, height: int, title: str, summary: str, extra: str = "") -> Markup:
    """The <svg> element's start with its <title> and <desc> (the figures in words)."""
    return Markup(
        '<svg id="{0}" class="chart" viewBox="0 0 {1} {2}" role="img" aria-labelledby="{0}-t {0}-d"'
        '{3}><title id="{0}-t">{4}</title><desc id="{0}-d">{5}</desc>'
    ).format(chart_id, WIDTH, height, Markup(extra), title, summary or "no data")


def hbars(
    chart_id: str,
    title: str,
    rows: Sequence[tuple[str, float, float | None]],
    unit: str = "",
) -> Markup:
    """Horizontal bars (label, value, optional second value drawn lighter behind it)."""
    height = max(1, len(rows)) * ROW + 4
    top = _scale([max(v, w or 0) for _, v, w in rows])
    room = WIDTH - 50
    summary = "; ".join(f"{label}: {_number(v)}{unit}" for label, v, _ in rows)
    parts = [_opening(chart_id, height, title, summary, ' preserveAspectRatio="xMinYMin meet"')]
    for n, (label, value, behind) in enumerate(rows):
        y = 2 + n * ROW
        shown = label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"
        parts.append(
            Markup('<text class="chart-label" x="0" y="{}">{}</text>').format(y + 13, shown)
        )
        if behind:
            parts.append(
                Markup(
                    '<rect class="chart-bar-2" x="0" y="{}" width="{:.1f}" height="16"/>'
                ).format(y + 18, room * behind / top)
            )
        parts.append(
            Markup('<rect class="chart-bar" x="0" y="{}" width="{:.1f}" height="16"/>').format(
                y + 18, max(room * value / top, 1 if value else 0)
            )
        )
        parts.append(
            Markup('<text class="chart-value" x="{:.1f}" y="{}">{}{}</text>').format(
                room * max(value, behind or 0) / top + 5, y + 31, _number(value), unit
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def columns(chart_id: str, title: str, points: Sequence[tuple[str, float]]) -> Markup:
    """Vertical bars over time (label under every other bar so a phone can read them)."""
    height, base, room = 170, 140, 120
    top = _scale([v for _, v in points])
    step = (WIDTH - 20) / max(1, len(points))
    parts = [
        _opening(
            chart_id, height, title, "; ".join(f"{label}: {_number(v)}" for label, v in points)
        ),
        Markup('<line class="chart-axis" x1="10" y1="{}" x2="{}" y2="{}"/>').format(
            base, WIDTH - 10, base
        ),
    ]
    for n, (label, value) in enumerate(points):
        x = 10 + n * step
        h = room * value / top
        parts.append(
            Markup(
                '<rect class="chart-bar" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}"/>'
            ).format(x + step * 0.15, base - h, step * 0.7, h)
        )
        if value:
            parts.append(
                Markup(
                    '<text class="chart-value" x="{:.1f}" y="{:.1f}" text-anchor="middle">{}</text>'
                ).format(x + step / 2, base - h - 4, _number(value))
            )
        if n % 3 == 0 or len(points) <= 5:
            parts.append(
                Markup(
                    '<text class="chart-label" x="{:.1f}" y="{}" text-anchor="middle">{}</text>'
                ).format(x + step / 2, base + 18, label)
            )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def init_app(app) -> None:
    app.jinja_env.globals.update(hbars=hbars, columns=columns)
