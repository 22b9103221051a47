"""``hello-dd``: run one service, or the whole reference stack on this machine."""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import fields
from pathlib import Path
from types import FrameType
from typing import Any

from hello_dd import __version__
from hello_dd.services.common.server import serve
from hello_dd.stack import (
    AgentNotFoundError,
    LocalStack,
    PortInUseError,
    ProcessFailedError,
    StackError,
    StackPorts,
)
from hello_dd.stack.ports import LOCUST_MASTER_PORT, parse_address
from hello_dd.stack.processes import exit_reason
from hello_dd.topology import GATEWAY, INVENTORY, NAMES, PRICING, SERVICES, TEST_AGENT

PROG = "hello-dd"

PORT_HELP = {
    **{service.prefix: f"port of {service.name}" for service in SERVICES},
    "agent": "port of the test agent's Datadog intake and /test/* API",
    "otlp": "port of the test agent's OTLP/HTTP receiver (the services send their traces here)",
    "otlp_grpc": "port of the test agent's OTLP/gRPC receiver (always opened by the agent, unused by the services)",
}
URL_NOTES = {
    TEST_AGENT.name: "test agent: Datadog intake, /test/* API",
    "otlp": "test agent: OTLP/HTTP; OTLP traces at /test/session/traces",
}
SERVICE_DEFAULT_PORTS = {service.name: service.port for service in SERVICES}
#: What load-worker runs: the suite's worker, by its module's name.
LOAD_WORKER_MODULE = "hello_dd.harness.load.worker"


class UsageError(Exception):
    """A problem the user can fix by changing the command line or the machine; printed as one line."""


class StopRequested(BaseException):
    """Ctrl-C or SIGTERM: stop the stack (a BaseException, so nothing on the way swallows it)."""


def port_flag(role: str) -> str:
    return f"--{role.replace('_', '-')}-port"


# -- serve ------------------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    port = args.port or int(os.environ.get("PORT") or SERVICE_DEFAULT_PORTS[args.service])
    serve(args.service, args.host, port)
    return 0


# -- up -----------------------------------------------------------------------------------------------


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise StopRequested


#: What ``signal.signal`` takes and gives back: a function, SIG_DFL or SIG_IGN, or None (a handler not set from Python).
SignalHandler = Callable[[int, FrameType | None], Any] | int | None


def _set_stop_signals(handler: SignalHandler) -> dict[int, SignalHandler]:
    return {signum: signal.signal(signum, handler) for signum in (signal.SIGINT, signal.SIGTERM)}


def _stack_from_args(args: argparse.Namespace) -> LocalStack:
    try:
        ports = StackPorts(**{f.name: getattr(args, f"{f.name}_port") for f in fields(StackPorts)})
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.agent is not None and not args.agent.is_file():
        raise UsageError(f"--agent {args.agent}: no such file")
    return LocalStack(
        ports,
        workdir=args.state_dir,
        database_url=args.database_url,
        gateway_database_url=args.gateway_database_url,
        redis_url=args.redis_url,
        tracer=args.tracer,
        agent_command=[str(args.agent)] if args.agent else None,
        no_agent=args.no_agent,
    )


def _print_running(stack: LocalStack) -> None:
    destination = f", traces to {stack.trace_destination}" if stack.no_agent and stack.trace_destination else ""
    print(f"hello-dd stack is running (tracing: {stack.tracer}{destination})\n")
    for name, url in stack.urls.items():
        note = f"  ({URL_NOTES[name]})" if name in URL_NOTES else ""
        print(f"  {name:<18} {url}{note}")
    print(f"\nLogs: {stack.log_path('<name>')}")
    print(f"Try:  curl {stack.urls[GATEWAY.name]}/api/v1/products/123")
    print("Press Ctrl-C to stop.", flush=True)


def _watch(stack: LocalStack) -> None:
    """Block until a signal arrives; raise if a process of the stack ends by itself."""
    while True:
        time.sleep(0.5)
        for name, code in stack.exited().items():
            proc = stack.processes[name]
            problem = f"stopped unexpectedly ({exit_reason(code)})"
            raise ProcessFailedError(name, problem, proc.log_path, proc.log_tail())


def _up(args: argparse.Namespace) -> int:
    stack = _stack_from_args(args)
    try:
        stack.check_ports()
    except PortInUseError as exc:
        flag = port_flag(exc.role)
        raise UsageError(
            f"port {exc.port} ({flag}) is already in use; stop what uses it or choose another port with {flag}"
        ) from None
    if args.fresh:
        if not stack.keeps_state_in_workdir:
            raise UsageError(
                "--fresh clears the SQLite files in the state directory; with --database-url or "
                "--gateway-database-url, empty those databases yourself (for PostgreSQL: dropdb and createdb)"
            )
        removed = stack.clear_state()
        cleared = ", ".join(path.name for path in removed) or "it held no databases yet"
        print(f"Fresh start: cleared {stack.workdir} ({cleared}); the shop starts from its seed data", flush=True)
    elif stack.keeps_state_in_workdir:
        print(
            f"State: {stack.workdir} (stock, orders and report jobs are kept there across restarts;"
            " --fresh starts from the seed data)",
            flush=True,
        )
    previous = _set_stop_signals(_raise_stop)
    try:
        try:
            what = "the three services" if args.no_agent else "the test agent and the three services"
            print(f"Starting {what} (logs in {stack.log_path('<name>').parent}) ...", flush=True)
            stack.start(timeout=args.start_timeout)
            _print_running(stack)
            _watch(stack)
        except StopRequested:
            pass
        finally:
            _set_stop_signals(signal.SIG_IGN)  # a second Ctrl-C must not interrupt the cleanup
            print("\nStopping ...", flush=True)
            stack.stop()
            print("Stopped: every process of the stack has ended.", flush=True)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


# -- load-worker ------------------------------------------------------------------------------------


def _load_worker(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("locust") is None or importlib.util.find_spec("hello_dd.harness") is None:
        raise UsageError(
            "load-worker runs Locust, one of the suite's dependencies: install them with pip install 'hello-dd-spec[spec]'"
        )

    try:
        host, port = parse_address(args.master, LOCUST_MASTER_PORT, default_host="")
    except ValueError as exc:
        raise UsageError(f"--master {args.master}: {exc}") from None
    if args.processes < 1:
        raise UsageError(f"--processes {args.processes}: at least 1")
    # The suite's worker, by its module's name: this command imports nothing of the harness.
    command = [sys.executable, "-m", LOAD_WORKER_MODULE, host, str(port), str(args.processes)]
    os.execv(command[0], command)  # the worker becomes Locust in this process: Ctrl-C goes straight to it


# -- parser -------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=f"Run the hello-dd reference stack ({', '.join(NAMES)}) "
        "and Datadog's APM test agent as its trace collector.",
        epilog="Exit status: 0 after a clean run or stop, 2 on any error. "
        "`hello-dd COMMAND --help` explains a command.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run one service in the foreground",
        description="Run one service with uvicorn in the foreground. Its other settings come from "
        "environment variables (DATABASE_URL, INVENTORY_URL, HELLO_DD_TRACER, ...; see the README).",
    )
    serve.add_argument("service", choices=NAMES, help="the service to run")
    serve.add_argument(
        "--host",
        default=os.environ.get("HOST") or "127.0.0.1",
        help="interface to listen on (default: $HOST, else 127.0.0.1; the container image sets HOST=0.0.0.0)",
    )
    serve.add_argument(
        "--port",
        type=int,
        help="port to listen on (default: $PORT, else the service's usual port: "
        + ", ".join(f"{name} {port}" for name, port in SERVICE_DEFAULT_PORTS.items())
        + ")",
    )
    serve.set_defaults(handler=_serve)

    up = commands.add_parser(
        "up",
        help="run the whole stack on this machine until Ctrl-C",
        description="Start the test agent (unless --no-agent), then the three services, as local processes "
        "on 127.0.0.1; wait until every /health answers; print their URLs; keep running until Ctrl-C or "
        "SIGTERM, then stop every process. Each process writes its output to STATE_DIR/logs/NAME.log.",
    )
    ports = up.add_argument_group("ports (all on 127.0.0.1)")
    for field in fields(StackPorts):
        ports.add_argument(
            port_flag(field.name),
            dest=f"{field.name}_port",
            type=int,
            default=field.default,
            metavar="PORT",
            help=f"{PORT_HELP[field.name]} (default: %(default)s)",
        )
    up.add_argument(
        "--database-url",
        metavar="URL",
        help=f"SQLAlchemy URL of {INVENTORY.name}'s database, e.g. postgresql://user:pass@host/db "
        "(default: the SQLite file STATE_DIR/inventory.db)",
    )
    up.add_argument(
        "--gateway-database-url",
        metavar="URL",
        help=f"SQLAlchemy URL of {GATEWAY.name}'s database (orders, checkouts, report jobs), e.g. "
        "postgresql://user:pass@host/db (default: the SQLite file STATE_DIR/gateway.db)",
    )
    up.add_argument(
        "--redis-url", metavar="URL", help=f"Redis URL for {PRICING.name}'s cache (default: an in-process cache)"
    )
    up.add_argument(
        "--tracer",
        choices=["otel", "ddtrace", "none"],
        help="tracing in the services: OpenTelemetry exporting OTLP (to the test agent: OTEL_EXPORTER_OTLP_ENDPOINT "
        "is set to it), Datadog's ddtrace sending to the agent's Datadog intake, or none "
        "(default: otel; none with --no-agent)",
    )
    up.add_argument(
        "--state-dir",
        type=Path,
        default=Path(".hello-dd"),
        metavar="DIR",
        help="directory for the SQLite databases (inventory.db, gateway.db) and the logs; a stop and a start on "
        "the same directory keep the stock, the orders and the report jobs (default: %(default)s)",
    )
    up.add_argument(
        "--fresh",
        action="store_true",
        help="start from the seed data only: remove the databases in STATE_DIR (inventory.db, gateway.db) first, "
        "saying what was removed; the logs are kept",
    )
    up.add_argument(
        "--start-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait for every process to become ready (default: %(default)g)",
    )
    agent = up.add_mutually_exclusive_group()
    agent.add_argument(
        "--agent",
        type=Path,
        metavar="PATH",
        help="the ddapm-test-agent executable (default: $HELLO_DD_TEST_AGENT, else "
        ".venv-agent/bin/ddapm-test-agent made by `make setup`, else ddapm-test-agent on the PATH)",
    )
    agent.add_argument(
        "--no-agent",
        action="store_true",
        help="run without the test agent; the services do not trace unless --tracer is given, and then they send "
        "their traces where the OTEL_* (or DD_*) variables of this shell say, by default to a Datadog Agent or "
        f"OpenTelemetry Collector on this machine (OTLP on localhost:{TEST_AGENT.otlp_http_port}, Datadog on "
        f"localhost:{TEST_AGENT.datadog_port})",
    )
    up.set_defaults(handler=_up)

    load_worker = commands.add_parser(
        "load-worker",
        help="run Locust workers that join a load run's master on another machine",
        description="Run this project's Locust load users as workers of a load run's master (Locust's own "
        "master/worker protocol over TCP), until the master ends the run. The master is the run started "
        "with -D load_master_bind=HOST:PORT -D load_remote_workers=M; it tells its workers the host to "
        "load and the users to run. See docs/scaling.md.",
    )
    load_worker.add_argument(
        "--master",
        required=True,
        metavar="HOST[:PORT]",
        help=f"the master's address (port default: {LOCUST_MASTER_PORT})",
    )
    load_worker.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="N",
        help="worker processes to run on this machine, one per CPU core at most (default: %(default)s)",
    )
    load_worker.set_defaults(handler=_load_worker)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except (UsageError, StackError, AgentNotFoundError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
