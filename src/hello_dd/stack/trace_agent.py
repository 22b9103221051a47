"""Finding and running Datadog's APM test agent (``ddapm-test-agent``), the stack's trace collector.

The agent lives in its own virtual environment (``.venv-agent``, made by ``make setup``) because it pins
OpenTelemetry packages that the services must not be held to.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import hello_dd
from hello_dd.stack.ports import LOOPBACK, StackPorts

EXECUTABLE = "ddapm-test-agent"
# How the services send OTLP to the test agent (their own default is http/protobuf). The agent, in
# Python, turns protobuf back into dicts field by field: about 0.28 ms of CPU per product query, against
# 0.10 ms for the same spans as JSON, while the services' exporters cost about the same either way
# (bench.py measures both). A Datadog Agent or an OpenTelemetry Collector takes either.
TEST_AGENT_OTLP_PROTOCOL = "http/json"
ENV_VAR = "HELLO_DD_TEST_AGENT"
AGENT_VENV = ".venv-agent"


class AgentNotFoundError(RuntimeError):
    """No ddapm-test-agent executable was found."""


def _project_roots() -> list[Path]:
    """Where a ``.venv-agent`` may sit: next to the running ``.venv``, and the repository root."""
    roots = [Path(sys.prefix).resolve().parent]
    package_dir = Path(hello_dd.__file__).resolve().parent  # <root>/src/hello_dd
    if package_dir.parent.name == "src":
        roots.append(package_dir.parent.parent)
    return list(dict.fromkeys(roots))


def candidate_paths() -> list[Path]:
    return [root / AGENT_VENV / "bin" / EXECUTABLE for root in _project_roots()]


def find_test_agent() -> list[str]:
    """The command that runs the test agent: ``$HELLO_DD_TEST_AGENT``, else ``.venv-agent`` in the
    project, else ``ddapm-test-agent`` on the PATH."""
    if configured := os.environ.get(ENV_VAR):
        path = Path(configured).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise AgentNotFoundError(f"{ENV_VAR}={configured} is not an executable file")
        return [str(path)]
    for path in candidate_paths():
        if path.is_file() and os.access(path, os.X_OK):
            return [str(path)]
    if on_path := shutil.which(EXECUTABLE):
        return [on_path]
    looked = ", ".join(str(p) for p in candidate_paths())
    raise AgentNotFoundError(
        f"{EXECUTABLE} (the trace collector) was not found in ${ENV_VAR}, {looked} or on the PATH; "
        "run `make setup` to install it, or pass --agent PATH, or --no-agent to run without it"
    )


def agent_arguments(ports: StackPorts, host: str = LOOPBACK) -> list[str]:
    """Arguments that pin every listener of the agent to the stack's ports on ``host`` (the loopback
    interface, or every interface of a container).

    The web UI stays off and forwarding to a real Datadog agent is disabled explicitly, so that
    ``WEB_UI_PORT`` or ``DD_TRACE_AGENT_URL`` in the caller's environment cannot open another port
    or make the agent forward spans (possibly to itself).
    """
    return [
        "--host", host,
        "--port", str(ports.agent),
        "--otlp-http-port", str(ports.otlp),
        "--otlp-grpc-port", str(ports.otlp_grpc),
        "--web-ui-port", "0",
        "--agent-url=",
        "--log-level", "WARNING",
    ]  # fmt: skip  # each option beside its value


# The agent's own checks of the Datadog-format payloads it receives (from ddtrace). Failures are pooled
# and read back from /test/trace_check/failures (the suite does so at the end of a run); the tracer is
# still answered 200, so a failed check never makes it drop or resend traces.
TRACE_CHECKS = (
    "trace_count_header",
    "meta_tracer_version_header",
    "trace_content_length",
    "meta_events_is_valid_json",
    "trace_peer_service",
    "trace_dd_service",
)


def agent_environment() -> dict[str, str]:
    """Environment variables for the agent process (its check options are read from the environment:
    ``--enabled-checks`` cannot be given on its command line in 1.69)."""
    return {
        "ENABLED_CHECKS": ",".join(TRACE_CHECKS),
        "DD_POOL_TRACE_CHECK_FAILURES": "true",
        "DD_DISABLE_ERROR_RESPONSES": "true",
    }
