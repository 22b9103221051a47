import socket
from pathlib import Path

import pytest

from hello_dd import cli
from hello_dd.stack import trace_agent


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv", [["--help"], ["up", "--help"], ["serve", "--help"]])
def test_every_level_has_help(capsys, argv):
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 0
    assert "usage: hello-dd" in capsys.readouterr().out


def test_up_defaults_are_the_documented_ports_and_paths():
    args = cli.build_parser().parse_args(["up"])
    assert (args.gateway_port, args.inventory_port, args.pricing_port) == (8000, 8001, 8002)
    assert (args.agent_port, args.otlp_port, args.otlp_grpc_port) == (8126, 4318, 4317)
    assert args.state_dir == Path(".hello-dd")
    assert (args.tracer, args.agent, args.no_agent) == (None, None, False)  # otel with the agent, none without
    assert (args.database_url, args.redis_url) == (None, None)


def test_serve_takes_a_known_service_and_a_port():
    args = cli.build_parser().parse_args(["serve", "pricing-service", "--port", "9002"])
    assert (args.service, args.host, args.port) == ("pricing-service", "127.0.0.1", 9002)


@pytest.mark.parametrize(
    "argv",
    [
        ["serve", "billing-service"],
        ["up", "--agent", "/x", "--no-agent"],
        ["up", "--tracer", "zipkin"],
        ["up", "--gateway-port", "http"],
        [],
    ],
)
def test_bad_command_lines_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def _one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("hello-dd: error: ")
    return lines[0]


def test_a_busy_port_names_the_port_and_its_flag(capsys, tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        code, out, err = run(capsys, "up", "--no-agent", "--pricing-port", str(port), "--state-dir", str(tmp_path))
    assert code == 2
    message = _one_line_error(err)
    assert f"port {port} (--pricing-port) is already in use" in message
    assert out == ""
    assert not (tmp_path / "logs").exists()


def test_ports_must_be_distinct(capsys, tmp_path):
    code, _, err = run(capsys, "up", "--no-agent", "--gateway-port", "9100", "--pricing-port", "9100")
    assert code == 2
    assert "gateway and pricing cannot share port 9100" in _one_line_error(err)


def test_a_missing_agent_says_how_to_get_one(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv(trace_agent.ENV_VAR, raising=False)
    monkeypatch.setattr(trace_agent, "_project_roots", lambda: [tmp_path])
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    code, out, err = run(capsys, "up", "--state-dir", str(tmp_path))
    assert code == 2
    message = _one_line_error(err)
    assert "ddapm-test-agent" in message and "make setup" in message and "--no-agent" in message
    assert out == ""


def test_an_agent_path_that_does_not_exist_is_reported(capsys, tmp_path):
    code, _, err = run(capsys, "up", "--agent", str(tmp_path / "nope"), "--state-dir", str(tmp_path))
    assert code == 2
    assert "--agent" in _one_line_error(err) and "no such file" in err


def test_serve_runs_the_named_service(monkeypatch):
    calls = []
    monkeypatch.setattr(cli, "serve", lambda *args: calls.append(args))
    monkeypatch.delenv("PORT", raising=False)
    assert cli.main(["serve", "inventory-service"]) == 0
    monkeypatch.setenv("PORT", "9911")
    assert cli.main(["serve", "api-gateway", "--host", "0.0.0.0"]) == 0
    assert calls == [("inventory-service", "127.0.0.1", 8001), ("api-gateway", "0.0.0.0", 9911)]
