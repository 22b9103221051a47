import json
import signal
import socket
import sys
import urllib.request

import pytest

from hello_dd.polling import poll
from hello_dd.stack import LocalStack, PortInUseError, ProcessFailedError, StackPorts
from hello_dd.stack.processes import ManagedProcess

PYTHON = sys.executable


def python_agent(code: str) -> list[str]:
    """A stand-in for ddapm-test-agent (the port options end up in sys.argv, unused)."""
    return [PYTHON, "-c", code]


@pytest.fixture
def ports() -> StackPorts:
    return StackPorts.free()


def test_services_get_their_configuration_from_the_environment(ports, tmp_path, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://from-the-caller")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://elsewhere:4318/v1/traces")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-team=shop")
    stack = LocalStack(ports, workdir=tmp_path, agent_command=["agent"], extra_env={"LOG_LEVEL": "DEBUG"})
    env = {name: proc.env for name, proc in stack.processes.items()}

    for name in ("api-gateway", "inventory-service", "pricing-service"):
        assert env[name]["PORT"] == str(stack.service_port(name))
        assert env[name]["HELLO_DD_TRACER"] == "otel"
        assert env[name]["OTEL_SERVICE_NAME"] == name
        assert env[name]["OTEL_EXPORTER_OTLP_ENDPOINT"] == f"http://127.0.0.1:{ports.otlp}"
        assert env[name]["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/json"  # what the test agent reads cheapest
        assert "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" not in env[name]  # it would win over the stack's agent
        assert env[name]["OTEL_EXPORTER_OTLP_HEADERS"] == "x-team=shop"  # the rest of the caller's OTEL_* pass on
        assert env[name]["DD_TRACE_AGENT_URL"] == f"http://127.0.0.1:{ports.agent}"
        assert env[name]["LOG_LEVEL"] == "DEBUG"
        assert stack.processes[name].command == [
            PYTHON, "-m", "hello_dd", "serve", name, "--host", "127.0.0.1", "--port", str(stack.service_port(name)),
        ]  # fmt: skip  # each option beside its value
    assert env["inventory-service"]["DATABASE_URL"] == f"sqlite:///{tmp_path.resolve()}/inventory.db"
    assert "REDIS_URL" not in env["pricing-service"]
    assert env["api-gateway"]["INVENTORY_URL"] == f"http://127.0.0.1:{ports.inventory}"
    assert env["api-gateway"]["PRICING_URL"] == f"http://127.0.0.1:{ports.pricing}"
    assert stack.processes["test-agent"].command[:3] == ["agent", "--host", "127.0.0.1"]
    assert stack.log_path("api-gateway") == tmp_path.resolve() / "logs" / "api-gateway.log"


def test_explicit_database_and_redis_urls_are_passed_on(ports, tmp_path):
    stack = LocalStack(
        ports, workdir=tmp_path, database_url="postgresql://db/inv", redis_url="redis://cache:6379/0", no_agent=True
    )
    assert stack.processes["inventory-service"].env["DATABASE_URL"] == "postgresql://db/inv"
    assert stack.processes["pricing-service"].env["REDIS_URL"] == "redis://cache:6379/0"


def test_the_gateway_can_reach_its_dependencies_through_proxies(ports, tmp_path):
    stack = LocalStack(ports, workdir=tmp_path, no_agent=True, proxies={"inventory-service": 40001})
    env = stack.processes["api-gateway"].env
    assert env["INVENTORY_URL"] == "http://127.0.0.1:40001"
    assert env["PRICING_URL"] == f"http://127.0.0.1:{ports.pricing}"
    assert stack.urls["inventory-service"] == f"http://127.0.0.1:{ports.inventory}"  # the service itself
    with pytest.raises(ValueError, match="api-gateway"):
        LocalStack(ports, workdir=tmp_path, no_agent=True, proxies={"api-gateway": 40002})


def test_without_agent_nothing_traces_and_no_collector_url_is_offered(ports, tmp_path):
    stack = LocalStack(ports, workdir=tmp_path, no_agent=True)
    assert "test-agent" not in stack.processes
    assert set(stack.urls) == {"api-gateway", "inventory-service", "pricing-service"}
    assert stack.processes["api-gateway"].env["HELLO_DD_TRACER"] == "none"


def test_without_agent_a_tracer_sends_where_the_callers_variables_say(ports, tmp_path, monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:14318")
    monkeypatch.delenv("DD_TRACE_AGENT_URL", raising=False)
    env = LocalStack(ports, workdir=tmp_path, no_agent=True, tracer="otel").processes["pricing-service"].env
    assert env["HELLO_DD_TRACER"] == "otel" and env["OTEL_SERVICE_NAME"] == "pricing-service"
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:14318"
    assert "DD_TRACE_AGENT_URL" not in env
    assert (
        LocalStack(ports, workdir=tmp_path, no_agent=True, tracer="otel").trace_destination == "http://127.0.0.1:14318"
    )
    assert (
        LocalStack(ports, workdir=tmp_path, no_agent=True, tracer="ddtrace").trace_destination
        == "http://localhost:8126"
    )
    assert LocalStack(ports, workdir=tmp_path, no_agent=True).trace_destination is None


def test_the_urls_name_every_endpoint(ports, tmp_path):
    stack = LocalStack(ports, workdir=tmp_path, agent_command=["agent"])
    assert stack.urls == {
        "api-gateway": f"http://127.0.0.1:{ports.gateway}",
        "inventory-service": f"http://127.0.0.1:{ports.inventory}",
        "pricing-service": f"http://127.0.0.1:{ports.pricing}",
        "test-agent": f"http://127.0.0.1:{ports.agent}",
        "otlp": f"http://127.0.0.1:{ports.otlp}",
    }


def test_a_busy_port_fails_before_anything_starts(ports, tmp_path):
    stack = LocalStack(ports, workdir=tmp_path, agent_command=python_agent("raise SystemExit(1)"))
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", ports.otlp_grpc))
        listener.listen()
        with pytest.raises(PortInUseError, match=f"port {ports.otlp_grpc} \\(otlp_grpc\\)"):
            stack.start()
    assert stack.pids == {}
    assert not (tmp_path / "logs").exists()


def test_a_process_that_dies_while_starting_is_named_with_its_log(ports, tmp_path, pid_alive):
    agent = python_agent("print('cannot bind: address in use'); raise SystemExit(3)")
    stack = LocalStack(ports, workdir=tmp_path, agent_command=agent)
    with pytest.raises(ProcessFailedError) as error:
        stack.start(timeout=20)
    message = str(error.value)
    assert message.startswith("test-agent stopped while starting (exit code 3); last lines of ")
    assert "cannot bind: address in use" in message
    assert error.value.name == "test-agent"
    assert stack.pids == {}


def test_a_process_that_never_becomes_ready_is_stopped(ports, tmp_path, pid_alive):
    stack = LocalStack(ports, workdir=tmp_path, agent_command=python_agent("import time; time.sleep(60)"))
    with pytest.raises(ProcessFailedError, match="test-agent did not answer on /info within 1 s"):
        stack.start(timeout=1)
    agent_pid = stack.processes["test-agent"].pid
    assert agent_pid is not None and not pid_alive(agent_pid)


def test_stop_kills_what_ignores_sigterm_and_whatever_it_spawned(tmp_path, pid_alive):
    code = (
        "import signal, subprocess, sys, time;"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
        "print(child.pid, flush=True); time.sleep(60)"
    )
    proc = ManagedProcess("stubborn", [PYTHON, "-c", code], {}, tmp_path / "stubborn.log", cwd=tmp_path)
    proc.start()

    def printed() -> str:
        assert proc.running
        return proc.log_tail().strip()

    poll(printed, timeout=10, interval=0.05, what="the grandchild's pid printed")
    grandchild = int(proc.log_tail().strip())
    proc.stop(timeout=0.5)
    assert proc.exit_code == -signal.SIGKILL
    # SIGKILL has been sent to the whole group; the kernel ends the grandchild a moment later.
    assert not poll(lambda: pid_alive(grandchild), lambda alive: not alive, timeout=5, interval=0.02)
    proc.stop()  # idempotent


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except OSError:
        return None


@pytest.mark.integration
@pytest.mark.slow
def test_the_real_stack_starts_restarts_a_service_and_stops_without_leftovers(ports, tmp_path, pid_alive):
    with LocalStack(ports, workdir=tmp_path) as stack:
        pids = stack.pids
        assert set(pids) == {"test-agent", "inventory-service", "pricing-service", "api-gateway"}
        for name in ("api-gateway", "inventory-service", "pricing-service"):
            assert _status(stack.urls[name] + "/health") == 200
        with urllib.request.urlopen(stack.urls["api-gateway"] + "/api/v1/products/123", timeout=5) as response:
            assert json.load(response)["productId"] == "123"

        stack.stop_service("pricing-service")
        assert _status(stack.urls["pricing-service"] + "/health") is None
        assert stack.exited() == {}  # a deliberate stop is not a crash
        stack.start_service("pricing-service")
        assert _status(stack.urls["pricing-service"] + "/health") == 200
        pids["pricing-service-restarted"] = stack.pids["pricing-service"]

    assert stack.pids == {}
    assert [name for name, pid in pids.items() if pid_alive(pid)] == []
    for name in pids:
        assert stack.log_path(name.removesuffix("-restarted")).stat().st_size > 0
