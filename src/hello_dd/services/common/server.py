"""Runs one service with uvicorn (used by ``hello-dd serve`` and by every process launcher)."""

from __future__ import annotations

import gc
import importlib

import uvicorn

from hello_dd.services.common.ddtrace_setup import DDTRACE, OPENTELEMETRY, configured_tracer
from hello_dd.services.common.ddtrace_setup import start as start_ddtrace
from hello_dd.topology import GATEWAY, INVENTORY, PRICING

# The cyclic garbage collector's generation thresholds for a serving process (Python's default: 700, 10, 10).
GC_THRESHOLDS = (50_000, 20, 20)

# Service name -> "module:factory" of its FastAPI application.
SERVICES = {
    GATEWAY.name: "hello_dd.services.gateway.app:create_app",
    INVENTORY.name: "hello_dd.services.inventory.app:create_app",
    PRICING.name: "hello_dd.services.pricing.app:create_app",
}


def serve(service: str, host: str, port: int) -> None:
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; choose one of {', '.join(SERVICES)}")
    start_tracing(service)
    module_name, factory_name = SERVICES[service].split(":")
    factory = getattr(importlib.import_module(module_name), factory_name)
    app = factory()
    tune_garbage_collector()
    # proxy_headers=False: no proxy in front of the services rewrites client addresses, so uvicorn's
    # X-Forwarded-For middleware would only be one more layer around every request.
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, proxy_headers=False, server_header=False)


def start_tracing(service: str) -> None:
    """Tracing starts before the application is imported, as ``ddtrace-run`` and
    ``opentelemetry-instrument`` start it: ddtrace must be loaded before OpenTelemetry's context is,
    and the SQLAlchemy instrumentation wraps ``create_engine`` before the services import it."""
    tracer = configured_tracer()
    if tracer == DDTRACE:
        start_ddtrace(service)
    elif tracer == OPENTELEMETRY:
        from hello_dd.services.common import telemetry  # imports OpenTelemetry: only now

        telemetry.start(service)


def tune_garbage_collector() -> None:
    """Measured on the product query: the cyclic collector cost the gateway about a fifth of its CPU.
    Finished spans wait in the export queue for up to half a second, so with Python's default
    thresholds (a collection every 700 net allocations) the young generations were collected several
    times per request, and every full collection walked the whole application: FastAPI's routes and
    pydantic's schemas, hundreds of thousands of objects that live as long as the process.

    ``gc.freeze()`` moves everything that exists once the application is built into a permanent
    generation that collections skip, and the higher first threshold collects young objects every
    50,000 net allocations instead of 700. Exporting a batch of 256 spans builds the OTLP encoder's
    message tree, about 7,000 objects alive at once, beside the spans still queued and the requests
    in flight: with a threshold of 10,000 nearly every export set off a young collection that walked
    all of it (measured under load with ``gc.callbacks``: the gateway spent 0.11 ms of CPU per product
    query collecting, 7.5 ms per collection; inventory 0.02 ms, pricing 0.01 ms). At 50,000 a run of
    ten seconds at full speed sees no collection at all: almost nothing a request allocates outlives
    it. Cyclic garbage is still collected, once 50,000 objects more are alive than at the last
    collection (``bench.py --soak-minutes`` watches the memory of a long run)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
