"""The parts of a distributed load run that need no Locust: the checks tally as the master adds up
workers' reports, the -D options, the Locust command lines, and the process group's clean-up."""

from __future__ import annotations

import sys
import time

import pytest

from hello_dd.harness.load.checks import CheckTally
from hello_dd.harness.load.distribution import LoadDistribution, parse_address, runner_command, worker_command
from hello_dd.harness.load.processes import LoadRunError, LocustProcesses


def test_a_worker_hands_over_what_it_counted_since_its_last_report():
    worker = CheckTally()
    for ms, failed in ((120, False), (700, False), (30, True)):
        worker.count(ms, failed=failed)
    assert worker.hand_over() == {"requests": 3, "status_ok": 2, "under_500ms": 2}
    worker.count(10, failed=False)
    assert worker.hand_over() == {"requests": 1, "status_ok": 1, "under_500ms": 1}
    assert worker.hand_over() == {"requests": 0, "status_ok": 0, "under_500ms": 0}


def test_the_master_adds_up_every_report_by_worker():
    master = CheckTally()
    master.receive("a", {"requests": 3, "status_ok": 2, "under_500ms": 3}, user_count=2, at=1.0)
    master.receive("b", {"requests": 5, "status_ok": 0, "under_500ms": 0}, user_count=2, at=1.5)
    master.receive("a", {"requests": 1, "status_ok": 1, "under_500ms": 1}, user_count=0, at=2.0)
    assert master.totals() == {"requests": 9, "status_ok": 3, "under_500ms": 4}
    assert master.by_worker == {
        "a": {"requests": 4, "status_ok": 3, "under_500ms": 4},
        "b": {"requests": 5, "status_ok": 0, "under_500ms": 0},
    }


def test_the_master_knows_who_has_reported_with_no_user_left_since_the_profile_ended():
    master = CheckTally()
    master.receive("a", {}, user_count=0, at=1.0)  # idle, but before the end: more may have come since
    master.receive("b", {}, user_count=0, at=3.0)
    master.receive("c", {}, user_count=1, at=3.0)  # still running a user
    assert master.reported_idle_since(2.0, ["a", "b", "c", "never-reported"]) == ["b"]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("10.0.0.5:6000", ("10.0.0.5", 6000)),
        ("10.0.0.5", ("10.0.0.5", 5557)),
        (":6000", ("0.0.0.0", 6000)),
        ("master.local:5557", ("master.local", 5557)),
    ],
)
def test_addresses_read_like_host_and_port(text, address):
    assert parse_address(text) == address


@pytest.mark.parametrize("text", ["host:port", "host:0", "host:70000", ":"])
def test_a_bad_address_says_what_a_good_one_looks_like(text):
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_address(text)


def test_a_worker_needs_the_masters_host():
    with pytest.raises(ValueError):
        parse_address(":5557", default_host="")


def test_without_options_a_load_run_is_one_process():
    assert LoadDistribution.from_userdata({}) == LoadDistribution()
    assert not LoadDistribution().distributed


def test_local_workers_join_a_master_on_the_loopback_interface():
    distribution = LoadDistribution.from_userdata({"load_workers": "3"}).with_port()
    assert (distribution.workers, distribution.bind_host, distribution.local_master_host) == (
        3,
        "127.0.0.1",
        "127.0.0.1",
    )
    assert distribution.bind_port


def test_a_master_for_other_machines_listens_where_it_is_told():
    distribution = LoadDistribution.from_userdata(
        {"load_workers": "1", "load_remote_workers": "4", "load_master_bind": "0.0.0.0:6000"}
    )
    assert distribution == LoadDistribution(1, 4, "0.0.0.0", 6000)
    assert distribution.local_master_host == "127.0.0.1"
    command = runner_command("http://gw:8000", "/tmp/x", distribution)
    assert command[command.index("--expect-workers") + 1] == "5"
    assert command[command.index("--master-bind-port") + 1] == "6000"


@pytest.mark.parametrize(
    ("userdata", "complaint"),
    [
        ({"load_workers": "three"}, "number of workers"),
        ({"load_remote_workers": "2"}, "load_master_bind"),
        ({"load_master_bind": "0.0.0.0:6000"}, "load_workers"),
    ],
)
def test_options_that_cannot_work_are_refused_saying_why(userdata, complaint):
    with pytest.raises(ValueError, match=complaint):
        LoadDistribution.from_userdata(userdata)


def test_a_single_process_run_has_no_master_and_workers_no_settings_of_their_own():
    single = runner_command("http://gw:8000", "/tmp/x", LoadDistribution())
    assert "--master" not in single and "--headless" in single
    worker = worker_command("10.0.0.5", 6000, processes=4)
    assert worker[worker.index("--master-host") + 1 :][:5] == ["10.0.0.5", "--master-port", "6000", "--processes", "4"]
    assert "--host" not in worker  # the master tells its workers what to load


def _sleeper(seconds: int) -> list[str]:
    return [sys.executable, "-c", f"import time; time.sleep({seconds})"]


def test_every_process_ends_when_the_run_is_interrupted(tmp_path, pid_alive):
    with pytest.raises(KeyboardInterrupt), LocustProcesses(tmp_path, "run") as run:
        run.start("master", _sleeper(60), {})
        run.start("worker-1", _sleeper(60), {})
        raise KeyboardInterrupt
    assert not any(pid_alive(p.pid) for p in run.processes.values())


def test_a_worker_that_fails_fails_the_run_with_its_log(tmp_path):
    started = time.monotonic()
    failing_worker = [sys.executable, "-c", "print('cannot reach the master'); raise SystemExit(3)"]
    with (
        pytest.raises(LoadRunError, match=r"worker-1 ended with exit status 3[\s\S]*cannot reach"),
        LocustProcesses(tmp_path, "run") as run,
    ):
        run.start("master", _sleeper(60), {})
        run.start("worker-1", failing_worker, {})
        run.wait_for("master", 30)
    assert time.monotonic() - started < 15


def test_a_run_that_does_not_finish_in_time_is_stopped(tmp_path):
    with pytest.raises(LoadRunError, match="did not finish within 1 s"), LocustProcesses(tmp_path, "run") as run:
        run.start("locust", _sleeper(60), {})
        run.wait_for("locust", 1)
    assert run.processes["locust"].poll() is not None
