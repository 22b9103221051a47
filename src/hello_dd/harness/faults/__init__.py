"""Fault injection: a TCP proxy in the gateway's path to each dependency, in process (the embedded
stack) or as a program of its own controlled over HTTP (``python -m hello_dd.harness.faults.server``,
e.g. in a container; its control API in ``control_api``), driven through :class:`RemoteFaultProxy`
with the same methods.

The proxy and its server need only the services' own dependencies (the service image runs them);
:class:`RemoteFaultProxy`, the suite's client, uses ``requests`` from the ``spec`` extra, so it is
imported when first asked for."""

from typing import TYPE_CHECKING, Any

from hello_dd.harness.faults.proxy import MAX_LATENCY_MS, FaultProxy, FaultProxyError

if TYPE_CHECKING:
    from hello_dd.harness.faults.remote import RemoteFaultProxy

__all__ = ["MAX_LATENCY_MS", "FaultProxy", "FaultProxyError", "RemoteFaultProxy"]


def __getattr__(name: str) -> Any:
    if name == "RemoteFaultProxy":
        from hello_dd.harness.faults.remote import RemoteFaultProxy

        return RemoteFaultProxy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
