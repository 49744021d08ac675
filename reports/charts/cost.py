"""Cost against budget by month: a bar per month's total, the budget in force that month as a mark
across its bar (bars over budget in red and said so in the description)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from reports.charts import svg
from reports.charts.metric import Chart
from reports.charts.scales import Linear, padded_domain, value_text, value_ticks

WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 40, 48
MONTHS_SHOWN = 24  # the latest; the table under the chart lists every report
VALUES_LABELLED_UP_TO = 12  # months whose total is written above its bar


@dataclass(frozen=True)
class MonthCost:
    """A month's total cost in one currency and the monthly budget in force then (None: none)."""

    period: str  # YYYY-MM
    total: Decimal
    budget: float | None

    @property
    def over_budget(self) -> bool:
        return self.budget is not None and float(self.total) > self.budget


def cost_chart(months: Sequence[MonthCost], *, currency: str) -> Chart:
    """Bars for each month's cost (the latest MONTHS_SHOWN), with the month's budget marked."""
    everything = sorted(months, key=lambda month: month.period)
    shown = everything[-MONTHS_SHOWN:]
    low, high = padded_domain(
        [float(m.total) for m in shown] + [m.budget for m in shown if m.budget is not None],
        floor=0.0,
    )
    y = Linear(low, high, HEIGHT - BOTTOM, TOP)
    title = f"Cost per month in {currency} against the monthly budget"
    desc = describe(shown, currency=currency, hidden=len(everything) - len(shown))
    body = [*_frame(y, low, high, currency=currency), *_bars(y, shown), *_legend()]
    identifier = svg.chart_id("cost", currency)
    document = svg.document(identifier=identifier, width=WIDTH, height=HEIGHT, title=title,
                            desc=desc, body=body)  # fmt: skip
    return Chart(svg=document, title=title, caption=desc)


def describe(months: Sequence[MonthCost], *, currency: str, hidden: int = 0) -> str:
    if not months:
        return f"No cost reported in {currency}."
    span = months[0].period if len(months) == 1 else f"{months[0].period} to {months[-1].period}"
    said = f"Cost in {currency}, {len(months)} month{'s' if len(months) != 1 else ''} ({span})"
    if hidden:
        said += f"; {hidden} earlier month{'s' if hidden != 1 else ''} not drawn"
    budgets = sorted({m.budget for m in months if m.budget is not None})
    if not budgets:
        said += "; no budget set"
    elif len(budgets) == 1:
        said += f"; budget {value_text(budgets[0])} {currency} a month"
    else:
        said += (f"; budget between {value_text(budgets[0])} and {value_text(budgets[-1])} "
                 f"{currency} a month")  # fmt: skip
    over = [m for m in months if m.over_budget]
    if budgets:
        said += f"; {len(over)} month{'s' if len(over) != 1 else ''} over budget"
        if over:
            said += " (" + ", ".join(f"{m.period}: {m.total} {currency}" for m in over) + ")"
    latest = months[-1]
    return said + f"; latest {latest.period}: {latest.total} {currency}."


def _frame(y: Linear, low: float, high: float, *, currency: str) -> list[str]:
    bottom = HEIGHT - BOTTOM
    parts = svg.value_axis(
        y, value_ticks(low, high), left=LEFT, right=WIDTH - RIGHT, top=TOP, bottom=bottom
    )
    parts.append(svg.label(currency, x=LEFT - 6, y=TOP - 16, anchor="end"))
    parts.append(svg.label("month", x=(LEFT + WIDTH - RIGHT) / 2, y=HEIGHT - 8,
                           anchor="middle"))  # fmt: skip
    return parts


def _bars(y: Linear, months: Sequence[MonthCost]) -> list[str]:
    if not months:
        return []
    slot = (WIDTH - RIGHT - LEFT) / len(months)
    width = min(slot * 0.6, 48.0)
    every = max(1, -(-len(months) // 12))  # month labels: at most 12
    bottom = HEIGHT - BOTTOM
    parts = []
    for index, month in enumerate(months):
        centre = LEFT + slot * (index + 0.5)
        top = y(float(month.total))
        state = "over budget" if month.over_budget else "no budget" if month.budget is None \
            else "within budget"  # fmt: skip
        tooltip = svg.element("title", svg.text(f"{month.period}: {month.total} ({state})"))
        fill = (
            svg.OVER if month.over_budget else svg.NO_BUDGET if month.budget is None else svg.LINE
        )
        parts.append(
            svg.element("rect", tooltip, x=svg.number(centre - width / 2), y=svg.number(top),
                        width=svg.number(width), height=svg.number(max(bottom - top, 0)),
                        fill=fill, data_period=month.period, data_state=state.replace(" ", "-"))
        )  # fmt: skip
        if month.budget is not None:
            level = svg.number(y(month.budget))
            half = min(slot * 0.45, width / 2 + 10)
            ends = {"x1": svg.number(centre - half), "x2": svg.number(centre + half)}
            # A white edge keeps the mark apart from a bar of any colour behind it.
            parts.append(svg.element("line", **ends, y1=level, y2=level, stroke="#fff",
                                     stroke_width=6))  # fmt: skip
            parts.append(svg.element("line", **ends, y1=level, y2=level, stroke=svg.TARGET,
                                     stroke_width=3, data_role="budget"))  # fmt: skip
        if len(months) <= VALUES_LABELLED_UP_TO:
            parts.append(svg.element("text", svg.text(value_text(float(month.total))),
                                     x=svg.number(centre), y=svg.number(top - 5),
                                     text_anchor="middle", fill=svg.INK, font_size=11))  # fmt: skip
        if index % every == 0:
            parts.append(svg.label(month.period, x=centre, y=bottom + 16, anchor="middle"))
    return parts


def _legend() -> list[str]:
    y = 16
    return [
        svg.element("rect", x=LEFT, y=y - 6, width=14, height=12, fill=svg.LINE),
        svg.element("text", "within budget", x=LEFT + 20, y=y + 4, fill=svg.INK),
        svg.element("rect", x=LEFT + 120, y=y - 6, width=14, height=12, fill=svg.OVER),
        svg.element("text", "over budget", x=LEFT + 140, y=y + 4, fill=svg.INK),
        svg.element("line", x1=LEFT + 235, x2=LEFT + 257, y1=y, y2=y, stroke=svg.TARGET,
                    stroke_width=3),
        svg.element("text", "monthly budget", x=LEFT + 263, y=y + 4, fill=svg.INK),
    ]  # fmt: skip
