"""Prometheus metrics shared by every service (one registry per process: the default one).

Request metrics are labelled by route template (``/api/v1/products/{product_id}``, never the raw
path), method and status, so their cardinality stays bounded.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests handled, by route template, method and status code.",
    ["service", "method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to handle an HTTP request, by route template, method and status code.",
    ["service", "method", "route", "status"],
    buckets=LATENCY_BUCKETS,
)
REPLACED_IDS = Counter(
    "invalid_id_headers_replaced_total",
    "Correlation or request id headers that were malformed and replaced by a generated id.",
    ["service", "header"],
)

router = APIRouter(tags=["operations"])


@router.get("/metrics", response_class=Response, summary="Prometheus metrics in text format")
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
