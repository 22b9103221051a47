import sys

import pytest

from hello_dd.stack import trace_agent
from hello_dd.stack.ports import StackPorts
from hello_dd.stack.trace_agent import AgentNotFoundError, agent_arguments, find_test_agent


@pytest.fixture
def no_agent_anywhere(monkeypatch, tmp_path):
    """No environment variable, no .venv-agent, nothing on the PATH."""
    monkeypatch.delenv(trace_agent.ENV_VAR, raising=False)
    monkeypatch.setattr(trace_agent, "_project_roots", lambda: [tmp_path / "project"])
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))


def test_the_environment_variable_comes_first(no_agent_anywhere, monkeypatch, make_executable):
    make_executable("project/.venv-agent/bin/ddapm-test-agent")
    configured = make_executable("elsewhere/my-agent")
    monkeypatch.setenv(trace_agent.ENV_VAR, str(configured))
    assert find_test_agent() == [str(configured)]


def test_a_wrong_environment_variable_is_an_error_not_a_fallback(no_agent_anywhere, monkeypatch, tmp_path):
    monkeypatch.setenv(trace_agent.ENV_VAR, str(tmp_path / "missing"))
    with pytest.raises(AgentNotFoundError, match="HELLO_DD_TEST_AGENT=.*missing is not an executable file"):
        find_test_agent()


def test_the_project_agent_venv_comes_before_the_path(no_agent_anywhere, monkeypatch, make_executable, tmp_path):
    in_project = make_executable("project/.venv-agent/bin/ddapm-test-agent")
    make_executable("empty-bin/ddapm-test-agent")
    assert find_test_agent() == [str(in_project)]


def test_the_path_is_the_last_resort(no_agent_anywhere, make_executable):
    on_path = make_executable("empty-bin/ddapm-test-agent")
    assert find_test_agent() == [str(on_path)]


def test_missing_agent_tells_the_user_what_to_do(no_agent_anywhere):
    with pytest.raises(AgentNotFoundError) as error:
        find_test_agent()
    message = str(error.value)
    assert "make setup" in message and "--agent PATH" in message and "--no-agent" in message


def test_project_roots_include_the_parent_of_the_running_venv_and_the_repository(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "prefix", str(tmp_path / ".venv"))
    roots = trace_agent._project_roots()
    assert roots[0] == tmp_path
    assert any((root / "pyproject.toml").is_file() for root in roots[1:])


def test_agent_arguments_pin_every_listener():
    ports = StackPorts(agent=1001, otlp=1002, otlp_grpc=1003)
    arguments = agent_arguments(ports)

    def value(option: str) -> str:
        return arguments[arguments.index(option) + 1]

    assert value("--host") == "127.0.0.1"
    assert value("--port") == "1001"
    assert value("--otlp-http-port") == "1002"
    assert value("--otlp-grpc-port") == "1003"
    assert value("--web-ui-port") == "0"
    assert "--agent-url=" in arguments
