"""A service's Prometheus metrics as a scenario sees them: ``snapshot`` reads ``/metrics`` and compares
two readings; ``expectations`` says whether the changes between them are exactly what a scenario's
table expects, and whether the request metrics carry the labels the contract requires."""

from hello_dd.harness.metrics.expectations import (
    CIRCUIT_STATES,
    LATENCY,
    OPERATIONAL_ROUTES,
    REQUEST_LABELS,
    REQUESTS,
    SETTLE_SECONDS,
    ExpectedChange,
    exact_change_problems,
    request_count_rows,
    request_metric_problems,
    request_problems,
    settled_diffs,
)
from hello_dd.harness.metrics.snapshot import (
    Change,
    Family,
    MetricsDiff,
    MetricsReader,
    MetricsSnapshot,
    MetricsUnreadable,
    Sample,
    diff,
    format_labels,
    label_matches,
    parse_label_filter,
    route_shape,
)

__all__ = [
    "CIRCUIT_STATES",
    "LATENCY",
    "OPERATIONAL_ROUTES",
    "REQUESTS",
    "REQUEST_LABELS",
    "SETTLE_SECONDS",
    "Change",
    "ExpectedChange",
    "Family",
    "MetricsDiff",
    "MetricsReader",
    "MetricsSnapshot",
    "MetricsUnreadable",
    "Sample",
    "diff",
    "exact_change_problems",
    "format_labels",
    "label_matches",
    "parse_label_filter",
    "request_count_rows",
    "request_metric_problems",
    "request_problems",
    "route_shape",
    "settled_diffs",
]
