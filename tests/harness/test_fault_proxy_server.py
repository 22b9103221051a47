"""The fault proxy as a program of its own (python -m hello_dd.harness.faults.server), a real
subprocess in front of a small HTTP service, driven through RemoteFaultProxy and its control API."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
from typing import IO

import pytest
import requests

from hello_dd.harness.faults import MAX_LATENCY_MS, FaultProxy, FaultProxyError
from hello_dd.harness.faults.remote import RemoteFaultProxy
from hello_dd.polling import PollTimeout, poll

from .proxy_support import CONNECTION_LOST, TinyService, request, tiny_service

SERVER = [sys.executable, "-m", "hello_dd.harness.faults.server"]
READY = re.compile(r"ready: proxying 127\.0\.0\.1:(\d+) -> \S+, control API on (http://\S+)")


class _Program:
    """The server as a subprocess; its output is read all the time (so a full pipe never blocks it)."""

    def __init__(self, *args: str):
        self.process = subprocess.Popen([*SERVER, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, self.stdout), daemon=True),
            threading.Thread(target=self._read, args=(self.process.stderr, self.stderr), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: IO[str], lines: list[str]) -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))

    def wait_for_line(self, pattern: re.Pattern[str] | str, timeout: float = 20.0) -> re.Match[str]:
        pattern = re.compile(pattern) if isinstance(pattern, str) else pattern

        def first_match() -> re.Match[str] | None:
            return next(filter(None, (pattern.search(line) for line in list(self.stdout))), None)

        ended = self.process.poll
        try:
            match = poll(first_match, lambda m: m is not None or ended() is not None, timeout=timeout, interval=0.02)
        except PollTimeout:
            match = None
        if match is None:
            self.finish()
            pytest.fail(
                f"no line matching {pattern.pattern!r}; exit {self.process.returncode}; output: {self.output()}"
            )
        return match

    def ready(self) -> tuple[int, RemoteFaultProxy]:
        match = self.wait_for_line(READY)
        return int(match.group(1)), RemoteFaultProxy(match.group(2), name="test proxy").wait_until_ready(10)

    def finish(self, timeout: float = 15.0) -> int:
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(5)
        for reader in self._readers:
            reader.join(5)
        return code

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.finish()

    def output(self) -> str:
        return "\n".join(["stdout:", *self.stdout, "stderr:", *self.stderr])


@pytest.fixture(scope="module")
def service():
    with tiny_service() as server:
        yield server


@pytest.fixture(scope="module")
def program(service):
    program = _Program(
        "--listen",
        "127.0.0.1:0",
        "--control",
        "127.0.0.1:0",
        "--target",
        f"127.0.0.1:{service.server_address[1]}",
        "--name",
        "test",
    )
    try:
        program.port, program.remote = program.ready()
        yield program
    finally:
        program.stop()


@pytest.fixture
def remote(program):
    TinyService.writes = []
    yield program.remote
    program.remote.heal()


def _count(remote: RemoteFaultProxy, key: str) -> int:
    return int(remote.snapshot()[key])


# -- faults through the control API --------------------------------------------------------------


def test_passes_requests_through(service, program, remote):
    mark = remote.request_count
    assert request(program.port, path="/pass")[:2] == (200, b'{"ok": true}')
    snapshot = remote.snapshot()
    assert snapshot["faults"] == "pass-through"
    assert snapshot["requests"] == mark + 1
    assert snapshot["recent"][-1] == "GET /pass"
    assert (
        remote.describe() == f"test (127.0.0.1:{program.port} -> 127.0.0.1:{service.server_address[1]}): pass-through"
    )


def test_latency_is_added_to_the_answers(program, remote):
    remote.add_latency(to_client_ms=400)
    assert remote.snapshot()["faults"] == "latency 0 ms to the service, 400 ms back"
    status, _, elapsed = request(program.port)
    assert status == 200
    assert elapsed >= 0.35


def test_latency_only_for_requests_with_the_prefix(program, remote):
    delayed = _count(remote, "delayed_requests")
    remote.add_latency(to_service_ms=400, request_prefix="POST /slow")
    request(program.port)  # not delayed: not counted
    status, _, elapsed = request(program.port, "POST", "/slow", body="{}")
    assert status == 200
    assert elapsed >= 0.35
    assert _count(remote, "delayed_requests") == delayed + 1


def test_refused_connections_until_healed(program, remote):
    remote.refuse()
    assert remote.snapshot()["faults"] == "refusing connections"
    with pytest.raises(ConnectionRefusedError):
        request(program.port)
    remote.heal()
    assert request(program.port)[0] == 200


def test_resets_the_next_requests_only(program, remote):
    resets = _count(remote, "resets")
    remote.reset(count=2)
    for _ in range(2):
        with pytest.raises(CONNECTION_LOST):
            request(program.port)
    assert request(program.port)[0] == 200
    assert _count(remote, "resets") == resets + 2
    assert remote.snapshot()["faults"] == "pass-through"


def test_an_answer_lost_after_forwarding(program, remote):
    lost = _count(remote, "lost_answers")
    remote.reset(count=1, request_prefix="POST /write", after_forwarding=True)
    assert request(program.port)[0] == 200  # another request: untouched
    with pytest.raises(CONNECTION_LOST):
        request(program.port, "POST", "/write", body='{"n": 1}')
    assert TinyService.writes == ['{"n": 1}']  # the write happened, only its answer was lost
    assert _count(remote, "lost_answers") == lost + 1


def test_heal_removes_every_fault(program, remote):
    remote.add_latency(to_service_ms=100, to_client_ms=100)
    remote.reset(request_prefix="POST /x")
    assert remote.snapshot()["faults"] != "pass-through"
    remote.heal()
    assert remote.snapshot()["faults"] == "pass-through"
    assert remote.describe().endswith(": pass-through")


def test_waits_for_a_request_after_a_mark(program, remote):
    request(program.port, path="/before")
    mark = remote.request_count
    assert not remote.wait_for_request("GET /before", timeout=0.2, after=mark)
    later = threading.Timer(0.3, request, args=(program.port, "POST", "/late", "{}"))
    later.start()
    try:
        assert remote.wait_for_request("POST /late", timeout=10, after=mark)
    finally:
        later.join()
    assert not remote.wait_for_request("POST /never", timeout=0.2, after=mark)


def test_every_control_call_is_logged(program, remote):
    remote.add_latency(to_client_ms=7, request_prefix="GET /logged")
    program.wait_for_line(
        r'POST /faults/latency \{"to_service_ms":0,"to_client_ms":7,"request_prefix":"GET /logged"\} -> 200: latency'
    )


# -- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "code", "message"),
    [
        ("/faults/latency", {"to_client_ms": -1}, "invalid_argument", "to_client_ms must be between 0 and"),
        ("/faults/latency", {"to_client_ms": "400"}, "invalid_argument", "whole number"),
        ("/faults/latency", {"to_client": 400}, "unknown_field", "'to_client'"),
        ("/faults/latency", {"request_prefix": ""}, "invalid_argument", "must not be empty"),
        ("/faults/reset", {"count": 0}, "invalid_argument", "count must be between 1 and"),
        ("/faults/reset", {"after_forwarding": "yes"}, "invalid_argument", "true or false"),
        ("/faults/refuse", [1], "invalid_json", "JSON object"),
    ],
)
def test_bad_input_answers_400_and_changes_nothing(program, remote, path, body, code, message):
    answer = requests.post(remote.control_url + path, json=body, timeout=10)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == code
    assert message in error["message"]
    assert remote.snapshot()["faults"] == "pass-through"


def test_bad_json_and_unknown_paths_answer_json_errors(remote):
    answer = requests.post(remote.control_url + "/faults/latency", data=b"{not json", timeout=10)
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "invalid_json")
    answer = requests.get(remote.control_url + "/requests/wait", params={"timeout": "1"}, timeout=10)
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "invalid_argument")
    assert "prefix is required" in answer.json()["error"]["message"]
    answer = requests.get(
        remote.control_url + "/requests/wait", params={"prefix": "GET /", "timeout": "600"}, timeout=10
    )
    assert answer.status_code == 400
    answer = requests.get(remote.control_url + "/nothing", timeout=10)
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "not_found")
    answer = requests.get(remote.control_url + "/faults/heal", timeout=10)
    assert (answer.status_code, answer.json()["error"]["code"]) == (405, "method_not_allowed")


def test_the_servers_message_is_raised(remote):
    with pytest.raises(FaultProxyError, match=f"to_client_ms must be between 0 and {MAX_LATENCY_MS} ms"):
        remote.add_latency(to_client_ms=MAX_LATENCY_MS + 1)
    with pytest.raises(FaultProxyError, match="count must be between 1 and"):
        remote.reset(count=0)


def test_a_change_the_proxy_cannot_make_answers_409(program, remote):
    remote.refuse()
    squatter = socket.socket()
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        squatter.bind(("127.0.0.1", program.port))  # the proxy's port, taken while it refuses
        squatter.listen()
        answer = requests.post(remote.control_url + "/faults/heal", timeout=10)
        assert (answer.status_code, answer.json()["error"]["code"]) == (409, "conflict")
        assert "cannot listen on 127.0.0.1:" in answer.json()["error"]["message"]
        with pytest.raises(FaultProxyError, match="cannot listen"):
            remote.heal()
    finally:
        squatter.close()
    remote.heal()
    assert request(program.port)[0] == 200


def test_an_unreachable_control_api_is_reported():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    remote = RemoteFaultProxy(f"http://127.0.0.1:{port}", name="nobody")
    with pytest.raises(FaultProxyError, match="nobody was not ready within 0.3 s"):
        remote.wait_until_ready(0.3)
    with pytest.raises(FaultProxyError, match="nobody: POST"):
        remote.heal()


# -- the program ---------------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stops_cleanly_on_a_signal(service, signum):
    program = _Program(
        "--listen", "127.0.0.1:0", "--control", "127.0.0.1:0", "--target", f"127.0.0.1:{service.server_address[1]}"
    )
    try:
        port, remote = program.ready()
        assert request(port)[0] == 200
        program.process.send_signal(signum)
        assert program.finish() == 0, program.output()
    finally:
        program.stop()
    assert f"stopping ({signum.name})" in program.output()
    assert program.stdout[-1].endswith("stopped")
    assert not program.stderr, program.output()
    with pytest.raises(ConnectionRefusedError):
        request(port)


def test_a_target_name_is_resolved_for_each_connection(service):
    program = _Program(
        "--listen", "127.0.0.1:0", "--control", "127.0.0.1:0", "--target", f"localhost:{service.server_address[1]}"
    )
    try:
        port, remote = program.ready()
        assert request(port)[0] == 200
        assert remote.snapshot()["unreachable"] == 0
    finally:
        program.stop()


def test_a_non_loopback_target_is_refused_without_the_flag():
    program = _Program("--listen", "127.0.0.1:0", "--control", "127.0.0.1:0", "--target", "10.1.2.3:8001")
    assert program.finish() == 2
    assert "only works on the loopback interface, not '10.1.2.3'" in program.output()
    assert "--allow-private-target" in program.output()


def test_a_private_target_is_allowed_with_the_flag_but_no_other():
    program = _Program(
        "--listen", "127.0.0.1:0", "--control", "127.0.0.1:0", "--target", "10.1.2.3:8001", "--allow-private-target"
    )
    try:
        port, remote = program.ready()
        assert remote.snapshot()["faults"] == "pass-through"
    finally:
        program.stop()
    public = _Program(
        "--listen", "127.0.0.1:0", "--control", "127.0.0.1:0", "--target", "192.0.2.1:80", "--allow-private-target"
    )
    assert public.finish() == 2
    assert "only forwards to loopback or private (RFC 1918) addresses, not '192.0.2.1'" in public.output()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--listen", "127.0.0.1", "--target", "127.0.0.1:1", "--control", "127.0.0.1:0"],
            "argument --listen: expected HOST:PORT",
        ),
        (
            ["--listen", "192.0.2.1:0", "--target", "127.0.0.1:1", "--control", "127.0.0.1:0"],
            "argument --listen: listen on a loopback address",
        ),
        (
            ["--listen", "127.0.0.1:0", "--target", "127.0.0.1:0", "--control", "127.0.0.1:0"],
            "argument --target: the port must be between 1",
        ),
        (
            ["--listen", "127.0.0.1:0", "--target", "127.0.0.1:1", "--control", "example.com:80"],
            "argument --control: the host must be an IP address",
        ),
        (["--listen", "127.0.0.1:0", "--target", "127.0.0.1:1"], "the following arguments are required: --control"),
    ],
)
def test_bad_usage_exits_2_with_the_reason(args, message):
    program = _Program(*args)
    assert program.finish() == 2
    assert message in program.output()


def test_help_names_every_option():
    result = subprocess.run([*SERVER, "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    for option in (
        "--listen",
        "--target",
        "--control",
        "--name",
        "--allow-private-target",
        "/faults/latency",
        "/requests/wait",
    ):
        assert option in result.stdout


# -- the in-process proxy keeps its loopback rule --------------------------------------------------


def test_the_in_process_proxy_stays_on_loopback():
    with pytest.raises(FaultProxyError, match="loopback"):
        FaultProxy(8001, target_host="10.1.2.3")
    with pytest.raises(FaultProxyError, match="loopback"):
        FaultProxy(8001, listen_host="0.0.0.0")
    with pytest.raises(FaultProxyError, match="RFC 1918"):
        FaultProxy(8001, target_host="192.0.2.1", allow_private_target=True)
    with pytest.raises(FaultProxyError, match="neither an IP address nor a host name"):
        FaultProxy(8001, target_host="not a host")
    assert FaultProxy(8001, target_host="10.1.2.3", allow_private_target=True).target_host == "10.1.2.3"
    assert FaultProxy(8001, listen_host="0.0.0.0", allow_wildcard_listen=True).listen_host == "0.0.0.0"
