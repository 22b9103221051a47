"""The fault-injecting proxy as a program of its own, its faults changed over HTTP (the Toxiproxy
pattern).

    python -m hello_dd.harness.faults.server --listen 0.0.0.0:8666 --target inventory-service:8001 \\
        --control 0.0.0.0:8474 --name "gateway -> inventory-service" --allow-private-target

In a container-based stack it runs in a container of its own on the run's Docker network, between
the gateway's container and a service's: the gateway is given the proxy's address instead of the
service's, the proxy forwards to the service's container by name, and the suite on the host changes
the faults through the control port mapped to the host
(:class:`hello_dd.harness.faults.remote.RemoteFaultProxy`). The proxy itself is
:class:`~hello_dd.harness.faults.proxy.FaultProxy`, so faults behave exactly as on the embedded stack.

Control API (JSON in, JSON out):

    GET  /health              {"status": "ok", "name", "listen", "target", "control"}
    GET  /faults              FaultProxy.snapshot() plus "describe"
    POST /faults/latency      {"to_service_ms": 0, "to_client_ms": 0, "request_prefix": null}
    POST /faults/refuse       no body (or {})
    POST /faults/reset        {"count": null, "request_prefix": null, "after_forwarding": false, "containing": null}
    POST /faults/heal         no body (or {})
    GET  /requests/wait?prefix=P&timeout=S[&after=N]        {"seen": true | false}

A fault change answers with the new ``GET /faults``. Bad input is answered 400
``{"error": {"code": ..., "message": ...}}``; a change the proxy cannot make in its state (say its
port was taken while it refused connections) 409 with the proxy's message. Every control call is
logged as one line on stdout. SIGTERM or SIGINT stop the program (exit 0).

Safety: chaos traffic must only reach loopback or containers the run created itself. So the target
must be a loopback address unless ``--allow-private-target`` is given, which also allows private
(RFC 1918) addresses: what a container's name resolves to on a Docker network. The program cannot tell
whose container an address belongs to, so whoever passes the flag must only name containers the run
started, on a network it created. Listening on 0.0.0.0 (needed to be reached from other containers and
through a mapped port) is allowed here and nowhere else: in a container, 0.0.0.0 is the container's own
interfaces; on a host, anybody who can reach the control port can change the faults.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import signal
import sys

from aiohttp import web

from hello_dd.harness.faults.control_api import ControlApi, host_port, log_line
from hello_dd.harness.faults.proxy import FaultProxy, FaultProxyError
from hello_dd.topology import INVENTORY

_SHUTDOWN_SECONDS = 2.0

EXAMPLE = f"""\
example (in a container on the run's Docker network):
  python -m hello_dd.harness.faults.server --listen 0.0.0.0:8666 --control 0.0.0.0:8474 \\
      --target {INVENTORY.name}:{INVENTORY.port} --allow-private-target --name "gateway -> {INVENTORY.name}"
"""
EXAMPLE += """
control API (JSON in, JSON out; 400 on bad input, 409 when the proxy cannot do it now):
  GET  /health            GET  /faults           POST /faults/heal      POST /faults/refuse
  POST /faults/latency    {"to_service_ms": 0, "to_client_ms": 0, "request_prefix": null}
  POST /faults/reset      {"count": null, "request_prefix": null, "after_forwarding": false, "containing": null}
  GET  /requests/wait?prefix=POST%20/quotes&timeout=10&after=N    -> {"seen": true|false}

exit status: 0 after SIGTERM or SIGINT, 1 if an address cannot be listened on, 2 on bad usage.
"""


# -- command line ---------------------------------------------------------------------------------


# argparse puts "argument --listen: " before these messages.


def _split(text: str) -> tuple[str, str]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, not {text!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise argparse.ArgumentTypeError(f"write an IPv6 address in brackets, e.g. [::1]:{port}, not {text!r}")
    return host, port


def _port(text: str, lowest: int) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"the port must be a number, not {text!r}") from None
    if not lowest <= port <= 65535:
        raise argparse.ArgumentTypeError(f"the port must be between {lowest} and 65535, not {port}")
    return port


def _bind_address(text: str) -> tuple[str, int]:
    """HOST:PORT to listen on: a loopback address or 0.0.0.0 (every interface of the container); port 0: any free port."""
    host, port = _split(text)
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"the host must be an IP address (127.0.0.1, or 0.0.0.0 in a container), not {host!r}"
        ) from None
    if not (ip.is_loopback or ip.is_unspecified):
        raise argparse.ArgumentTypeError(f"listen on a loopback address, or on 0.0.0.0 in a container, not {host!r}")
    return host, _port(port, 0)


def _target_address(text: str) -> tuple[str, int]:
    host, port = _split(text)
    return host, _port(port, 1)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m hello_dd.harness.faults.server",
        description=(
            "A fault-injecting TCP proxy (latency, refused connections, TCP resets) in front of one service,\n"
            "its faults changed through a small HTTP control API: the embedded stack's proxy as a program\n"
            "of its own, e.g. in a container between the gateway's container and a service's."
        ),
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--listen",
        required=True,
        metavar="HOST:PORT",
        type=_bind_address,
        help="where the proxied traffic comes in: a loopback address, or 0.0.0.0 in a container; port 0 picks a free port",
    )
    parser.add_argument(
        "--target",
        required=True,
        metavar="HOST:PORT",
        type=_target_address,
        help="the service to forward to: an address, or a name resolved again for every connection "
        "(a restarted container may have a new address); loopback only, unless --allow-private-target",
    )
    parser.add_argument(
        "--control",
        required=True,
        metavar="HOST:PORT",
        type=_bind_address,
        help="where the control API listens: a loopback address, or 0.0.0.0 in a container (whoever reaches it "
        "can change the faults); port 0 picks a free port",
    )
    parser.add_argument(
        "--name", default="", help="the proxy's name in its log lines and answers (default: 'proxy to TARGET')"
    )
    parser.add_argument(
        "--allow-private-target",
        action="store_true",
        help="also forward to private (RFC 1918) addresses, which a container's name resolves to on a Docker "
        "network; only for containers the run created itself",
    )
    return parser


async def serve(proxy: FaultProxy, control_host: str, control_port: int) -> int:
    """Run the control API for a started proxy until SIGTERM or SIGINT; the proxy is stopped on return."""
    api = ControlApi(proxy)
    log = api.log
    runner = web.AppRunner(api.app(), access_log=None, handle_signals=False, shutdown_timeout=_SHUTDOWN_SECONDS)
    try:
        await runner.setup()
        site = web.TCPSite(runner, control_host, control_port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            log(
                f"error: the control API cannot listen on {host_port(control_host, control_port)}: {exc.strerror or exc}"
            )
            return 1
        port = runner.addresses[0][1]
        api.control = f"http://{host_port(control_host, port)}"
        loop = asyncio.get_running_loop()
        received: list[str] = []

        def stop(signum: signal.Signals) -> None:
            received.append(signum.name)
            api.stopping.set()

        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop, signum)
        listen = host_port(proxy.listen_host, proxy.port)
        target = host_port(proxy.target_host, proxy.target_port)
        log(f"ready: proxying {listen} -> {target}, control API on {api.control}")
        await api.stopping.wait()
        log(f"stopping ({received[0] if received else 'asked to'})")
        return 0
    finally:
        await runner.cleanup()
        await asyncio.to_thread(proxy.stop)
        log("stopped")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    (listen_host, listen_port), (target_host, target_port) = args.listen, args.target
    control_host, control_port = args.control
    name = args.name.strip() or f"proxy to {host_port(target_host, target_port)}"
    try:
        proxy = FaultProxy(
            target_port,
            target_host=target_host,
            listen_host=listen_host,
            listen_port=listen_port,
            name=name,
            allow_private_target=args.allow_private_target,
            allow_wildcard_listen=True,
        )
    except FaultProxyError as exc:
        hint = ""
        if not args.allow_private_target and "loopback" in str(exc):
            hint = " (--allow-private-target also allows private addresses, e.g. a container's on a Docker network)"
        parser.error(f"argument --target: {exc}{hint}")
    try:
        proxy.start()
    except FaultProxyError as exc:
        log_line(name, f"error: {exc}")
        return 1
    return asyncio.run(serve(proxy, control_host, control_port))


if __name__ == "__main__":
    sys.exit(main())
