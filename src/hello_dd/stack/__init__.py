"""Running the reference stack: the local process launcher, its ports and the trace agent it starts."""

from hello_dd.stack.local import TRACERS, LocalStack, ProcessFailedError, StackError, Tracer, http_ok, tracer_named
from hello_dd.stack.ports import PortInUseError, StackPorts, free_port, free_ports, port_is_free
from hello_dd.stack.trace_agent import AgentNotFoundError, find_test_agent

__all__ = [
    "TRACERS",
    "AgentNotFoundError",
    "LocalStack",
    "PortInUseError",
    "ProcessFailedError",
    "StackError",
    "StackPorts",
    "Tracer",
    "find_test_agent",
    "free_port",
    "free_ports",
    "http_ok",
    "port_is_free",
    "tracer_named",
]
