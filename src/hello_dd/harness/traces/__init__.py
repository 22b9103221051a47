"""Trace-based checks: read the spans the services sent to the APM test agent (OTLP or Datadog
format), normalise them to one model, wait until a request's trace is complete, and show it as a
tree and a waterfall for the report."""

from hello_dd.harness.traces.formats import spans_from_datadog, spans_from_otlp
from hello_dd.harness.traces.model import CLIENT, INTERNAL, SERVER, Span, Trace, group_by_trace, sequential
from hello_dd.harness.traces.reader import (
    RequestTraces,
    TraceAgentError,
    TraceNotComplete,
    TraceReader,
    trace_format_for,
)
from hello_dd.harness.traces.render import text_tree, waterfall_svg

__all__ = [
    "CLIENT",
    "INTERNAL",
    "SERVER",
    "RequestTraces",
    "Span",
    "Trace",
    "TraceAgentError",
    "TraceNotComplete",
    "TraceReader",
    "group_by_trace",
    "sequential",
    "spans_from_datadog",
    "spans_from_otlp",
    "text_tree",
    "trace_format_for",
    "waterfall_svg",
]
