"""A monitored metric against its target over time: observed values as a line, the target in force
at each moment as a step line, breaches shaded from opening to closing (open ones up to now)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup

from reports.charts import svg
from reports.charts.scales import Linear, Time, minute_text, padded_domain, value_text, value_ticks

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 40, 52  # margins around the plot area
MARKERS_UP_TO = 60  # points drawn as dots too (one point alone is a dot)
COMPARATOR_WORDS = {"<": "below", "<=": "at most", ">": "above", ">=": "at least"}
CHANGES_NAMED = 4  # target changes spelled out in the description; more are counted
STALE_SHARE = 0.25  # a gap from the last observation to now is drawn up to this share of the span


@dataclass(frozen=True)
class Chart:
    """An SVG chart (escaped, safe to place in HTML as it is), its title, and its caption: the
    same content as text, for a reader who cannot see the picture."""

    svg: Markup
    title: str
    caption: str


@dataclass(frozen=True)
class TargetPeriod:
    """A target as it was in force from `start` until `end` (None: still in force)."""

    comparator: str
    threshold: float
    start: datetime
    end: datetime | None
    unit: str = ""

    def words(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        comparator = COMPARATOR_WORDS.get(self.comparator, self.comparator)
        return f"{comparator} {value_text(self.threshold)}{unit}"


@dataclass(frozen=True)
class BreachPeriod:
    """A breach, shaded from `start` (opened) to `end` (closed; None: open, shaded up to now)."""

    breach_id: str
    start: datetime
    end: datetime | None


def metric_chart(
    *,
    metric: str,
    environment: str | None,
    points: Sequence[tuple[datetime, float]],
    targets: Sequence[TargetPeriod],
    breaches: Sequence[BreachPeriod],
    now: datetime,
) -> Chart:
    """The chart of one metric in one environment (None: in none yet), from its observations
    (oldest first), the periods of its targets and its breaches, up to `now`."""
    points = sorted(points, key=lambda point: point[0])
    targets = sorted(targets, key=lambda target: target.start)
    first, last = time_span(points, targets, breaches, now=now)
    segments = [
        (max(t.start, first), min(t.end or last, last), t)
        for t in targets
        if (t.end is None or t.end > first) and t.start <= last
    ]
    shaded = [
        (max(b.start, first), min(b.end or last, last), b)
        for b in breaches
        if (b.end is None or b.end >= first) and b.start <= last
    ]
    low, high = padded_domain([value for _, value in points] + [t.threshold for *_, t in segments])
    x = Time(first, last, LEFT, WIDTH - RIGHT)
    y = Linear(low, high, HEIGHT - BOTTOM, TOP)
    where = f" in {environment}" if environment else ""
    title = f"{metric}{where}: observed values against the target in force"
    desc = describe(metric=metric, environment=environment, points=points, segments=segments,
                    shaded=shaded)  # fmt: skip
    body = [
        *_frame(x, y, low, high, unit=targets[-1].unit if targets else ""),
        *_breaches(x, shaded),
        *_target(x, y, segments),
        *_line(x, y, points),
        *_legend(),
    ]
    if not points:
        body.append(
            svg.element("text", "no observations yet", x=WIDTH / 2, y=TOP + 22,
                        text_anchor="middle", fill=svg.INK, font_size=14)
        )  # fmt: skip
    identifier = svg.chart_id("metric", environment or "", metric)
    document = svg.document(identifier=identifier, width=WIDTH, height=HEIGHT, title=title,
                            desc=desc, body=body)  # fmt: skip
    return Chart(svg=document, title=title, caption=desc)


def time_span(
    points: Sequence[tuple[datetime, float]],
    targets: Sequence[TargetPeriod],
    breaches: Sequence[BreachPeriod],
    *,
    now: datetime,
) -> tuple[datetime, datetime]:
    """From the first observation (the first target without any) to now; but when observations
    stopped long before now (more than STALE_SHARE of the span), to the last thing that happened,
    so that the values are not squeezed into a corner (open breaches are shaded to that edge)."""
    if not points:
        first = min((t.start for t in targets), default=now)
        return min(first, now), max(first, now)
    first = points[0][0]
    happened = [points[-1][0]]
    happened += [t.start for t in targets] + [t.end for t in targets if t.end is not None]
    happened += [b.start for b in breaches] + [b.end for b in breaches if b.end is not None]
    last = max(happened)
    if now >= last and now - last <= (last - first) * STALE_SHARE:
        last = now
    return first, last


def describe(
    *,
    metric: str,
    environment: str | None,
    points: Sequence[tuple[datetime, float]],
    segments: Sequence[tuple[datetime, datetime, TargetPeriod]],
    shaded: Sequence[tuple[datetime, datetime, BreachPeriod]],
) -> str:
    """What the chart shows, in one or two sentences (its <desc>, and the caption under it)."""
    where = f" in {environment}" if environment else ""
    if points:
        values = [value for _, value in points]
        count = f"{len(points)} observation{'s' if len(points) != 1 else ''}"
        if len(points) == 1:
            seen = f"{count}, {value_text(values[0])} at {minute_text(points[0][0])}"
        else:
            seen = (
                f"{count} from {minute_text(points[0][0])} to {minute_text(points[-1][0])}, "
                f"between {value_text(min(values))} and {value_text(max(values))}, "
                f"last {value_text(values[-1])}"
            )
    else:
        seen = "no observations yet" + ("" if environment else " in any environment")
    if not segments:
        target = "no target in force"
    else:
        target = f"target {segments[0][2].words()}"
        changes = segments[1:]
        for start, _, period in changes[:CHANGES_NAMED]:
            target += f", then {period.words()} from {minute_text(start)}"
        if len(changes) > CHANGES_NAMED:
            target += f" (changed {len(changes)} times; now {segments[-1][2].words()})"
    still_open = sum(1 for *_, breach in shaded if breach.end is None)
    breaches = f"{len(shaded)} breach{'es' if len(shaded) != 1 else ''}"
    if still_open:
        breaches += f" ({still_open} still open)"
    return f"{metric}{where}: {seen}; {target}; {breaches}."


def _frame(x: Time, y: Linear, low: float, high: float, *, unit: str) -> list[str]:
    """Gridlines, axes and their labels (values on the left, UTC times below)."""
    bottom = HEIGHT - BOTTOM
    parts = svg.value_axis(
        y, value_ticks(low, high), left=LEFT, right=WIDTH - RIGHT, top=TOP, bottom=bottom
    )
    ticks = x.ticks()
    for index, (moment, written) in enumerate(ticks):
        at = x(moment)
        anchor = "start" if index == 0 else "end" if index == len(ticks) - 1 else "middle"
        parts.append(svg.element("line", x1=svg.number(at), x2=svg.number(at), y1=bottom,
                                 y2=bottom + 5, stroke=svg.MUTED))  # fmt: skip
        parts.append(svg.label(written, x=at, y=bottom + 18, anchor=anchor))
    parts.append(svg.label("time (UTC)", x=(LEFT + WIDTH - RIGHT) / 2, y=HEIGHT - 10,
                           anchor="middle"))  # fmt: skip
    if unit:
        parts.append(svg.label(unit, x=LEFT - 6, y=TOP - 16, anchor="end"))
    return parts


def _breaches(x: Time, shaded: Sequence[tuple[datetime, datetime, BreachPeriod]]) -> list[str]:
    """A shaded band per breach, at least 2 px wide (one opened and closed at the same moment)."""
    parts = []
    for start, end, breach in shaded:
        left, right = x(start), max(x(end), x(start) + 2)
        right = min(right, WIDTH - RIGHT)
        left = min(left, right - 2)
        state = f"closed {minute_text(breach.end)}" if breach.end else "still open"
        tooltip = svg.element("title", svg.text(f"breach {breach.breach_id}: opened "
                                                f"{minute_text(breach.start)}, {state}"))  # fmt: skip
        parts.append(
            svg.element("rect", tooltip, x=svg.number(left), y=TOP,
                        width=svg.number(right - left), height=HEIGHT - BOTTOM - TOP,
                        fill=svg.BREACH_FILL, stroke=svg.OVER, stroke_width=0.75,
                        data_breach=breach.breach_id)
        )  # fmt: skip
    return parts


def _target(
    x: Time, y: Linear, segments: Sequence[tuple[datetime, datetime, TargetPeriod]]
) -> list[str]:
    """The target as a step line: level while in force, a vertical step where it changed."""
    if not segments:
        return []
    path: list[str] = []
    previous_end: datetime | None = None
    for start, end, period in segments:
        level, left, right = svg.number(y(period.threshold)), x(start), x(end)
        if previous_end is not None and start == previous_end:
            path.append(f"V{level}")
        else:
            path.append(f"M{svg.number(left)},{level}")
        path.append(f"H{svg.number(right)}")
        previous_end = end
    return [svg.element("path", d=" ".join(path), fill="none", stroke=svg.TARGET, stroke_width=2,
                        stroke_dasharray="6 3", data_role="target")]  # fmt: skip


def _line(x: Time, y: Linear, points: Sequence[tuple[datetime, float]]) -> list[str]:
    """The observed values: a line through them, and dots where there are few enough to see."""
    if not points:
        return []
    coordinates = [(x(moment), y(value)) for moment, value in points]
    parts = [
        svg.element("polyline", points=" ".join(f"{svg.number(a)},{svg.number(b)}"
                                                for a, b in coordinates),
                    fill="none", stroke=svg.LINE, stroke_width=1.75, data_role="observed")
    ]  # fmt: skip
    if len(points) <= MARKERS_UP_TO:
        parts += [svg.element("circle", cx=svg.number(a), cy=svg.number(b), r=2.5, fill=svg.LINE)
                  for a, b in coordinates]  # fmt: skip
    return parts


def _legend() -> list[str]:
    """What each mark is (colour is never the only cue: the target is dashed, breaches outlined)."""
    y = 16
    return [
        svg.element("line", x1=LEFT, x2=LEFT + 22, y1=y, y2=y, stroke=svg.LINE, stroke_width=2),
        svg.element("text", "observed", x=LEFT + 28, y=y + 4, fill=svg.INK),
        svg.element("line", x1=LEFT + 110, x2=LEFT + 132, y1=y, y2=y, stroke=svg.TARGET,
                    stroke_width=2, stroke_dasharray="6 3"),
        svg.element("text", "target in force", x=LEFT + 138, y=y + 4, fill=svg.INK),
        svg.element("rect", x=LEFT + 255, y=y - 7, width=22, height=14, fill=svg.BREACH_FILL,
                    stroke=svg.OVER, stroke_width=0.75),
        svg.element("text", "breach", x=LEFT + 283, y=y + 4, fill=svg.INK),
    ]  # fmt: skip
