"""Fault injection for the embedded stack: a TCP proxy in the gateway's path to each dependency."""

from hello_dd.harness.faults.proxy import MAX_LATENCY_MS, FaultProxy, FaultProxyError

__all__ = ["MAX_LATENCY_MS", "FaultProxy", "FaultProxyError"]
