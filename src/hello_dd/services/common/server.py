"""Runs one service with uvicorn (used by ``hello-dd serve`` and by every process launcher)."""

from __future__ import annotations

import importlib

import uvicorn

from hello_dd.services.common.ddtrace_setup import DDTRACE, configured_tracer
from hello_dd.services.common.ddtrace_setup import start as start_ddtrace

# Service name -> "module:factory" of its FastAPI application.
SERVICES = {
    "api-gateway": "hello_dd.services.gateway.app:create_app",
    "inventory-service": "hello_dd.services.inventory.app:create_app",
    "pricing-service": "hello_dd.services.pricing.app:create_app",
}


def serve(service: str, host: str, port: int) -> None:
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; choose one of {', '.join(SERVICES)}")
    if configured_tracer() == DDTRACE:
        start_ddtrace(service)  # before the application (and OpenTelemetry) is imported
    module_name, factory_name = SERVICES[service].split(":")
    factory = getattr(importlib.import_module(module_name), factory_name)
    app = factory()
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, server_header=False)
