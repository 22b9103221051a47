"""Helpers shared by the tests: fake executables, process bookkeeping, a throwaway PostgreSQL cluster and
throwaway Redis servers; and the grouping that keeps a shared stack on one worker under pytest-xdist."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import redis

from hello_dd.polling import PollTimeout, poll
from hello_dd.stack import LocalStack, StackPorts, free_port

# --- pytest-xdist (make unit: pytest -n auto --dist loadgroup) ------------------------------------------

#: The fixture scopes that tie tests together: every worker makes its own session-scoped fixtures (a
#: PostgreSQL cluster, a Redis server: cheap, on free ports and in the worker's own temporary directory),
#: but a package- or module-scoped one (a running stack) is made once only if its tests share a worker.
_SHARED_SCOPES = ("package", "module")
#: Session-scoped fixtures too dear to make on every worker: the tests that use one form one xdist group.
_SHARED_SESSION_FIXTURES = ("shared_stack",)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups into the test ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Puts the tests that use a package- or module-scoped fixture in one xdist group per package or
    module (tests/fuzz shares one stack), so that ``--dist loadgroup`` starts that fixture once; and every
    test that uses the session's shared stack in one group, so that one worker starts it, once. Tests
    that share nothing are spread one by one; a test that names its own ``xdist_group`` keeps it. Then the
    slow modules are moved to the front (:func:`_slow_modules_first`)."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None or item.get_closest_marker("xdist_group"):
            continue
        if shared := next((name for name in _SHARED_SESSION_FIXTURES if name in info.names_closure), None):
            item.add_marker(pytest.mark.xdist_group(shared))
            continue
        scopes = {definitions[-1].scope for definitions in info.name2fixturedefs.values() if definitions}
        widest = next((scope for scope in _SHARED_SCOPES if scope in scopes), None)
        if widest is not None:
            shared = item.path.parent if widest == "package" else item.path
            item.add_marker(pytest.mark.xdist_group(shared.relative_to(config.rootpath).as_posix()))
    _slow_modules_first(items)


def _slow_modules_first(items: list[pytest.Item]) -> None:
    """Sends the modules that hold a test marked ``slow`` (a crash, a load run, a fuzzing run: 10-35 s
    each) to the workers first, then those that start real processes (``integration``), so that the
    quick tests fill the end of the run instead of one slow test keeping a worker busy after the others
    have finished. The sort is stable and moves whole modules and xdist groups, so their tests stay
    together, in their order, and a fixture they share is still made once."""

    def unit(item: pytest.Item) -> object:
        group = item.get_closest_marker("xdist_group")
        return group.args[0] if group and group.args else item.path

    weight: dict[object, int] = {}
    for item in items:
        rank = 0 if item.get_closest_marker("slow") else 1 if item.get_closest_marker("integration") else 2
        weight[unit(item)] = min(rank, weight.get(unit(item), rank))
    items.sort(key=lambda item: weight[unit(item)])


@pytest.fixture
def make_executable(tmp_path: Path) -> Callable[..., Path]:
    """Write a small shell script and make it executable; returns its path."""

    def make(relative: str, body: str = "exit 0") -> Path:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return path

    return make


def _pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` in the process tree (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found: set[int] = set()
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


@pytest.fixture
def pid_alive() -> Callable[[int], bool]:
    return _pid_alive


@pytest.fixture
def descendants() -> Callable[[int], set[int]]:
    return _descendants


# --- one reference stack shared by the tests that only send it requests ---------------------------------


@pytest.fixture(scope="session")
def shared_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A real reference stack (test agent, the three services on free loopback ports, SQLite) with the
    services' default settings, the simulate endpoints off as ``hello-dd up`` runs them. For tests that
    send it requests and compare what they changed with what was there before them, never with a fresh
    stack's state: they share one worker (their own xdist group), so one stack serves them all, in turn."""
    stack = LocalStack(
        StackPorts.free(), workdir=tmp_path_factory.mktemp("shared-stack"), extra_env={"SIMULATE_ENDPOINTS": "false"}
    )
    stack.start(timeout=90)
    try:
        yield stack
    finally:
        stack.stop()


# --- PostgreSQL ---------------------------------------------------------------------------------
# Started here rather than by pytest-postgresql: its process fixture runs initdb and pg_ctl as the
# current user in a directory of that user, and PostgreSQL refuses to run as root, which is how CI and
# the containers run the tests. Here the cluster's directory is handed to the postgres user and the
# binaries run as it (runuser) when the tests run as root.

PG_BINARIES = ("initdb", "pg_ctl", "postgres")
# Where PostgreSQL server binaries usually live when they are not on PATH.
PG_SEARCH_DIRS = [
    "/usr/local/bin",
    "/usr/local/pgsql/bin",
    *sorted(str(path) for path in Path("/usr/lib/postgresql").glob("*/bin")),
]
PG_USER = "postgres"


def _find_pg_bindir() -> Path | None:
    on_path = shutil.which("initdb")
    candidates = ([str(Path(on_path).parent)] if on_path else []) + PG_SEARCH_DIRS
    for directory in candidates:
        if all((Path(directory) / name).is_file() for name in PG_BINARIES):
            return Path(directory)
    return None


def _as_server_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; as anyone else it runs as that user.
    return ["runuser", "-u", PG_USER, "--", *command] if os.geteuid() == 0 else command


def _run_pg(command: list[str]) -> None:
    done = subprocess.run(_as_server_user(command), capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL cluster for the whole session, as
    ``postgresql://postgres@127.0.0.1:PORT/postgres`` (trust auth, no password). The services point
    that scheme at psycopg 3 themselves, and SQLAlchemy 2.1 picks psycopg for it too. Create a
    database per test if you need isolation. Skipped only when the server binaries are not
    installed; any other failure is an error, so a broken cluster never passes silently."""
    bindir = _find_pg_bindir()
    if bindir is None:
        reason = f"PostgreSQL server binaries ({', '.join(PG_BINARIES)}) not on PATH nor in {PG_SEARCH_DIRS}"
        print(f"skipping PostgreSQL tests: {reason}")
        pytest.skip(reason)
    workdir = Path(tempfile.mkdtemp(prefix="hello-dd-pg-"))
    if os.geteuid() == 0:
        shutil.chown(workdir, user=PG_USER, group=PG_USER)
    datadir, port = workdir / "data", free_port()
    try:
        _run_pg([str(bindir / "initdb"), "-D", str(datadir), "-A", "trust", "-U", PG_USER, "--no-sync"])
        # Durability is pointless for a throwaway cluster; turning it off makes the tests much faster.
        options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
        pg_ctl = [str(bindir / "pg_ctl"), "-D", str(datadir)]
        _run_pg([*pg_ctl, "-o", options, "-l", str(workdir / "postgres.log"), "start", "-w"])
        try:
            yield f"postgresql://{PG_USER}@127.0.0.1:{port}/postgres"
        finally:
            _run_pg([*pg_ctl, "stop", "-m", "fast", "-w"])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# --- Redis ---------------------------------------------------------------------------------------

REDIS_START_SECONDS = 10.0


def _ping(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.2).ping())
    except redis.ConnectionError:
        return False


def _redis_binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip(
            "redis-server is not installed (apt-get install redis-server); the Redis backend needs a real server"
        )
    return binary


@contextmanager
def running_redis(workdir: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A redis-server without persistence on a free port, stopped on exit: its URL and process."""
    port = free_port()
    command = [_redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    command += ["--dir", str(workdir), "--logfile", str(workdir / "redis.log")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        with contextlib.suppress(PollTimeout):  # said below
            poll(lambda: process.poll() is not None or _ping(url), timeout=REDIS_START_SECONDS, interval=0.05)
        if process.poll() is not None:
            pytest.fail(f"redis-server exited with {process.returncode}: {(workdir / 'redis.log').read_text()}")
        if not _ping(url):
            pytest.fail(f"redis-server did not answer PING within {REDIS_START_SECONDS:g} s at {url}")
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One throwaway Redis for the whole session; its URL."""
    with running_redis(tmp_path_factory.mktemp("redis")) as (url, _):
        yield url


@pytest.fixture
def disposable_redis(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A Redis of the test's own, which the test may stop to see the service lose its cache."""
    with running_redis(tmp_path) as server:
        yield server


# --- a fresh database per test, on each backend a service supports ----------------------------------


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/service.db"


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> Iterator[str]:
    """A database of its own on the session's cluster, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request) -> str:
    """Runs a test once per supported backend."""
    fixture = "sqlite_url" if request.param == "sqlite" else "fresh_postgres_url"
    return request.getfixturevalue(fixture)
