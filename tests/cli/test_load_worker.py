"""``hello-dd load-worker``: the command that joins a load run's master from another machine (the
whole round trip is in tests/harness/test_distributed_load.py)."""

import pytest

from hello_dd import cli


def test_load_worker_has_help_naming_the_master_option(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["load-worker", "--help"])
    assert exit_.value.code == 0
    assert "--master HOST[:PORT]" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["--master", "master.local:port"], "HOST:PORT"),
        (["--master", ":5557"], "HOST:PORT"),
        (["--master", "m", "--processes", "0"], "at least 1"),
    ],
)
def test_a_bad_load_worker_command_line_is_one_clear_error(capsys, argv, complaint):
    assert cli.main(["load-worker", *argv]) == 2
    assert complaint in capsys.readouterr().err


def test_without_the_suite_installed_load_worker_says_what_to_install(capsys, monkeypatch):
    real_find_spec = cli.importlib.util.find_spec
    monkeypatch.setattr(
        cli.importlib.util, "find_spec", lambda name, *a: None if name == "locust" else real_find_spec(name, *a)
    )

    def no_exec(*args):
        raise AssertionError(f"load-worker started Locust without it: {args}")

    monkeypatch.setattr(cli.os, "execv", no_exec)
    assert cli.main(["load-worker", "--master", "127.0.0.1"]) == 2
    assert "pip install 'hello-dd-spec[spec]'" in capsys.readouterr().err
