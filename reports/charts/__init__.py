"""Charts drawn on the server as SVG text (no script, no chart library): monitored metrics against
their targets over time, and cost against budget by month. Pure: data in, SVG out."""

from reports.charts.cost import MonthCost, cost_chart
from reports.charts.metric import BreachPeriod, Chart, TargetPeriod, metric_chart
from reports.charts.model import cost_charts, metric_charts, monitored_metrics

__all__ = [
    "BreachPeriod",
    "Chart",
    "MonthCost",
    "TargetPeriod",
    "cost_chart",
    "cost_charts",
    "metric_chart",
    "metric_charts",
    "monitored_metrics",
]
