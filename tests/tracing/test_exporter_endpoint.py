"""The services send their traces where ``OTEL_EXPORTER_OTLP_ENDPOINT`` says, and nowhere else: a
second test agent on ports of its own receives a product query's whole trace, the stack's own agent
none of it. The same variable points the stack at a Datadog Agent or an OpenTelemetry Collector."""

from __future__ import annotations

import os

import pytest

from hello_dd.harness.traces import TraceReader
from hello_dd.polling import poll
from hello_dd.stack import LocalStack, StackPorts, http_ok
from hello_dd.stack.processes import ManagedProcess
from hello_dd.stack.trace_agent import agent_arguments, agent_environment, find_test_agent

from .support import PRODUCT_QUERY, SERVICES, reader_of, traced_request

AGENT_START_SECONDS = 30.0


@pytest.fixture
def second_agent(tmp_path):
    """A test agent on free ports of its own; its Datadog/API URL and its OTLP/HTTP URL."""
    ports = StackPorts.free()
    agent = ManagedProcess(
        "second-agent",
        find_test_agent() + agent_arguments(ports),
        {**os.environ, **agent_environment()},
        tmp_path / "second-agent.log",
        cwd=tmp_path,
    )
    agent.start()
    try:
        api = f"http://127.0.0.1:{ports.agent}"

        def answers() -> bool:
            assert agent.exit_code is None, agent.log_tail()
            return http_ok(api + "/info")

        poll(answers, timeout=AGENT_START_SECONDS, interval=0.1, fail=lambda *_: AssertionError(agent.log_tail()))
        yield api, f"http://127.0.0.1:{ports.otlp}"
    finally:
        agent.stop()


@pytest.mark.integration
@pytest.mark.slow
def test_the_otlp_endpoint_variable_alone_moves_the_traces(second_agent, tmp_path):
    api, otlp = second_agent
    elsewhere = TraceReader(api, otlp)
    elsewhere.start_session()
    # Protobuf, the services' own default (the stack sends JSON to its test agent).
    moved = {"OTEL_EXPORTER_OTLP_ENDPOINT": otlp, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}
    with LocalStack(StackPorts.free(), workdir=tmp_path / "stack", extra_env=moved) as stack:
        own = reader_of(stack)
        found = traced_request(stack, PRODUCT_QUERY, reader=elsewhere)
        assert found.only().services == SERVICES
        # Everything had arrived at the second agent: nothing of it went to the stack's own.
        assert own.request_traces(own.spans(), correlation_id=found.correlation_id).traces == []
