"""After every scenario, ProxiedFaults.clear_faults brings back what the scenario stopped, killed or cut
off, asking the provider whether each service runs and is connected (the local and containers
providers answer from their processes and containers)."""

from __future__ import annotations

import pytest

from hello_dd.harness.providers.base import StackUrls
from hello_dd.harness.providers.proxied import ProxiedFaults
from hello_dd.topology import GATEWAY, INVENTORY, NAMES, PRICING


class RecordedStack(ProxiedFaults):
    """A provider whose services are names in two sets: running, and connected to the network."""

    name = "recorded"

    def __init__(self) -> None:
        self.proxies = {}
        self._stopped = []
        self.running, self.connected = set(NAMES), set(NAMES)

    def start(self) -> None: ...

    def stop(self) -> None: ...

    @property
    def urls(self) -> StackUrls:
        return StackUrls(gateway="http://127.0.0.1:1")

    def stop_service(self, name: str) -> None:
        self._note_interrupted(name)
        self.running.discard(name)

    def start_service(self, name: str) -> None:
        self.running.add(name)
        self._note_back(name)

    def disconnect_service(self, name: str) -> None:
        self._note_interrupted(name)
        self.connected.discard(name)

    def connect_service(self, name: str) -> None:
        self.connected.add(name)
        self._note_back(name)

    def _is_running(self, name: str) -> bool:
        return name in self.running

    def _is_connected(self, name: str) -> bool:
        return name in self.connected


def test_what_a_scenario_stopped_or_cut_off_is_brought_back_once():
    stack = RecordedStack()
    stack.stop_service(INVENTORY.name)
    stack.disconnect_service(PRICING.name)
    stack.stop_service(GATEWAY.name)
    stack.start_service(GATEWAY.name)  # the scenario started it again itself
    assert stack.clear_faults() == [
        f"{INVENTORY.name}: started again",
        f"{PRICING.name}: connected to the network again",
    ]
    assert stack.running == stack.connected == set(NAMES)
    assert stack.clear_faults() == []


def test_a_service_that_came_back_by_itself_is_left_alone():
    stack = RecordedStack()
    stack.stop_service(INVENTORY.name)
    stack.running.add(INVENTORY.name)  # e.g. a restart policy started it
    assert stack.clear_faults() == []


def test_only_services_of_the_topology_can_be_stopped():
    with pytest.raises(ValueError, match="unknown service 'billing-service'"):
        RecordedStack().stop_service("billing-service")
