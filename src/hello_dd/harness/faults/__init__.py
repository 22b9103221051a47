"""Fault injection: a TCP proxy in the gateway's path to each dependency, in process (the embedded
stack) or as a program of its own controlled over HTTP (``python -m hello_dd.harness.faults.server``,
e.g. in a container; its control API in ``control_api``), driven through
:class:`~hello_dd.harness.faults.remote.RemoteFaultProxy` with the same methods.

The proxy and its server need only the services' own dependencies (the service image runs them);
``RemoteFaultProxy``, the suite's client, uses ``requests`` from the ``spec`` extra: it is imported from
its own module, never from here (the import contracts in pyproject.toml check both)."""

from hello_dd.harness.faults.proxy import MAX_LATENCY_MS, FaultProxy, FaultProxyError

__all__ = ["MAX_LATENCY_MS", "FaultProxy", "FaultProxyError"]
