"""Pictures of a trace for the report: an indented text tree and an SVG waterfall (no dependencies)."""

from __future__ import annotations

import math
from html import escape

from hello_dd.harness.traces.model import Span, Trace
from hello_dd.topology import GATEWAY, INVENTORY, PRICING

SERVICE_COLOURS = {
    GATEWAY.name: "#4f81bd",
    INVENTORY.name: "#9bbb59",
    PRICING.name: "#f79646",
}
_OTHER_COLOURS = ["#8064a2", "#4bacc6", "#c0504d", "#7f7f7f"]
ERROR_COLOUR = "#d62728"


def _offset_ms(trace: Trace, span: Span) -> float:
    return (span.start_ns - trace.start_ns) / 1e6


def text_tree(trace: Trace) -> str:
    """One line per span, children indented under their parent, with start offset and duration."""
    lines = [trace.summary()]
    for depth, span in trace.walk():
        missing = span.parent_id is not None and span.parent_id not in trace.by_id
        orphan = f"  (parent {span.parent_id} not in the trace)" if missing else ""
        lines.append(f"{'  ' * depth}+{_offset_ms(trace, span):7.1f} ms  {span.describe()}{orphan}")
    return "\n".join(lines)


def tick_step_ms(extent_ms: float, *, at_most: int = 8) -> float:
    """A round tick spacing (1, 2 or 5 times a power of ten, in ms) giving at most ``at_most``
    intervals over ``extent_ms``."""
    raw = max(extent_ms, 1e-3) / at_most
    base = 10 ** math.floor(math.log10(raw))
    return next(base * m for m in (1, 2, 5, 10) if base * m >= raw)


def tick_label(value_ms: float, step_ms: float) -> str:
    """``0``, ``250 ms``, ``1.5 s``, ``0.2 ms``: as many decimals as the step needs, seconds from 1 s steps."""
    if value_ms == 0:
        return "0"
    if step_ms >= 500:
        unit_value, unit_step, unit = value_ms / 1000, step_ms / 1000, "s"
    else:
        unit_value, unit_step, unit = value_ms, step_ms, "ms"
    decimals = max(0, -math.floor(math.log10(unit_step) + 1e-9))
    return f"{unit_value:.{decimals}f} {unit}"


def time_axis(extent_ms: float) -> tuple[float, list[tuple[float, str]]]:
    """The axis end (the first tick at or after ``extent_ms``) and its ticks as (ms, label)."""
    step = tick_step_ms(extent_ms)
    count = max(1, math.ceil(extent_ms / step - 1e-9))
    return step * count, [(step * i, tick_label(step * i, step)) for i in range(count + 1)]


def _colour(service: str, others: dict[str, str]) -> str:
    if service in SERVICE_COLOURS:
        return SERVICE_COLOURS[service]
    if service not in others:
        others[service] = _OTHER_COLOURS[len(others) % len(_OTHER_COLOURS)]
    return others[service]


def waterfall_svg(trace: Trace, *, width: int = 1000, row: int = 22, label_width: int = 380) -> str:
    """Each span a bar on a shared time axis with round ticks, in tree order, coloured by service,
    errors outlined red."""
    rows = list(trace.walk())
    axis_ms, ticks = time_axis(max(trace.end_ns - trace.start_ns, 1) / 1e6)
    total_ns = axis_ms * 1e6
    chart = width - label_width - 80  # room on the right for the last bar's duration
    top = 34
    height = top + row * len(rows) + 30
    others: dict[str, str] = {}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="8" y="18" font-weight="bold">{escape(trace.summary())}</text>',
    ]
    for tick_ms, label in ticks:
        x = label_width + chart * tick_ms / axis_ms
        parts.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 24}" stroke="#e0e0e0"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" fill="#555">{label}</text>')
    for index, (depth, span) in enumerate(rows):
        y = top + index * row
        x = label_width + chart * (span.start_ns - trace.start_ns) / total_ns
        w = max(chart * span.duration_ns / total_ns, 1.5)
        colour = _colour(span.service, others)
        stroke = f' stroke="{ERROR_COLOUR}" stroke-width="2"' if span.error else ""
        label = f"{span.service}: {span.name}"
        if len(label) > 52 - depth:
            label = label[: 51 - depth] + "…"
        parts.append(f'<text x="{8 + depth * 12}" y="{y + 15}">{escape(label)}</text>')
        parts.append(
            f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row - 7}" rx="2" fill="{colour}"{stroke}>'
            f"<title>{escape(span.describe())}</title></rect>"
        )
        text_x = x + w + 4
        parts.append(f'<text x="{text_x:.1f}" y="{y + 15}" fill="#333">{span.duration_ms:.1f} ms</text>')
    parts.append("</svg>")
    return "\n".join(parts)
