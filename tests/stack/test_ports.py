import socket

import pytest

from hello_dd.stack.ports import PortInUseError, StackPorts, ensure_free, free_ports, port_is_free


def test_free_ports_are_distinct_and_bindable():
    ports = free_ports(6)
    assert len(set(ports)) == 6
    assert all(port_is_free(port) for port in ports)


def test_free_stack_ports_are_distinct():
    ports = StackPorts.free()
    assert len(set(ports.as_dict().values())) == 6


def test_default_ports_are_the_documented_ones():
    assert StackPorts().as_dict() == {
        "gateway": 8000,
        "inventory": 8001,
        "pricing": 8002,
        "agent": 8126,
        "otlp": 4318,
        "otlp_grpc": 4317,
    }


def test_two_roles_cannot_share_a_port():
    with pytest.raises(ValueError, match="gateway and pricing cannot share port 9000"):
        StackPorts(gateway=9000, pricing=9000)


def test_a_port_must_be_a_tcp_port():
    with pytest.raises(ValueError, match="agent port 70000 is not a valid TCP port"):
        StackPorts(agent=70000)


def test_a_listening_port_is_reported_with_its_role():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert not port_is_free(port)
        with pytest.raises(PortInUseError) as error:
            ensure_free({"gateway": free_ports(1)[0], "inventory": port})
    assert (error.value.port, error.value.role) == (port, "inventory")
    assert str(error.value) == f"port {port} (inventory) is already in use"
