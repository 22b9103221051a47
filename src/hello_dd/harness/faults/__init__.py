"""Fault injection: a TCP proxy in the gateway's path to each dependency, in process (the embedded
stack) or as a program of its own controlled over HTTP (``python -m hello_dd.harness.faults.server``,
e.g. in a container), driven through :class:`RemoteFaultProxy` with the same methods."""

from hello_dd.harness.faults.proxy import MAX_LATENCY_MS, FaultProxy, FaultProxyError
from hello_dd.harness.faults.remote import RemoteFaultProxy

__all__ = ["MAX_LATENCY_MS", "FaultProxy", "FaultProxyError", "RemoteFaultProxy"]
