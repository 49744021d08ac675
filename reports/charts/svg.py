"""Hand-written SVG: escaped text, attributes, and the accessible document around a chart.

Every piece of text that reaches the SVG goes through `text` (or `element`, which calls it): metric
names, environments and units are user input. Colours are fixed here, each dark enough on white for
WCAG's 3:1 (graphics) and 4.5:1 (text); the light fills carry no meaning alone (the legend and the
description say what they are).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable

from markupsafe import Markup, escape

INK = "#1b1f24"  # text and axes (16:1 on white)
MUTED = "#4a5361"  # tick labels (7.6:1)
GRID = "#dde1e6"  # gridlines: decoration only
LINE = "#0b57a4"  # observed values, bars within budget (7.1:1)
TARGET = "#7a4a00"  # target and budget (7.9:1)
OVER = "#a1111b"  # bars over budget (7.4:1)
BREACH_FILL = "#f8d7da"  # breach shading, outlined in OVER
NO_BUDGET = "#4a5361"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


def text(value: object) -> str:
    """Text escaped for SVG content and attribute values (&, <, >, " and ')."""
    return str(escape(str(value)))


def number(value: float) -> str:
    """A coordinate: two decimals, no trailing zeros (small files, stable output)."""
    written = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if written in ("-0", "") else written


def element(name: str, content: str = "", **attributes: object) -> str:
    """`<name a="v" ...>content</name>` (self-closed when empty); `font_size` is written font-size."""
    written = "".join(
        f' {key.rstrip("_").replace("_", "-")}="{text(value)}"'
        for key, value in attributes.items()
        if value is not None
    )
    return f"<{name}{written}>{content}</{name}>" if content else f"<{name}{written}/>"


def label(value: object, *, x: float, y: float, anchor: str = "start", **attributes: object) -> str:
    return element(
        "text", text(value), x=number(x), y=number(y), text_anchor=anchor, fill=MUTED,
        font_size=11, **attributes,
    )  # fmt: skip


def chart_id(*parts: str) -> str:
    """An id that is the same for the same chart and differs between charts on one page."""
    readable = re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")[:40]
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:8]
    return f"chart-{readable}-{digest}" if readable else f"chart-{digest}"


def document(
    *, identifier: str, width: int, height: int, title: str, desc: str, body: Iterable[str]
) -> Markup:
    """The chart as an image to assistive technology: role="img", named by its <title> and
    described by its <desc>; it scales to its container through the viewBox."""
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{identifier}-title {identifier}-desc" font-family="{text(FONT)}" '
        f'font-size="12">'
        f'<title id="{identifier}-title">{text(title)}</title>'
        f'<desc id="{identifier}-desc">{text(desc)}</desc>'
        f'<rect width="{width}" height="{height}" fill="#fff"/>' + "".join(body) + "</svg>"
    )


def value_axis(
    y: Callable[[float], float], ticks: Iterable[tuple[float, str]], *, left: float, right: float,
    top: float, bottom: float,
) -> list[str]:  # fmt: skip
    """A plot area's gridlines at the value ticks, their labels on the left, and the two axes."""
    parts = []
    for value, written in ticks:
        at = y(value)
        parts.append(element("line", x1=left, x2=right, y1=number(at), y2=number(at), stroke=GRID))
        parts.append(label(written, x=left - 6, y=at + 4, anchor="end"))
    parts.append(element("path", d=f"M{left},{top} V{bottom} H{right}", stroke=MUTED, fill="none"))
    return parts
