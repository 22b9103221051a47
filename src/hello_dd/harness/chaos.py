"""What chaos steps do to the stack, each action written down for the report: what was injected, when,
and what the caller saw. The provider does the work; this keeps the record."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar, cast

from hello_dd.harness.exchange import Exchange
from hello_dd.harness.providers.base import StackProvider, fault_injection, network_control, service_control
from hello_dd.harness.reporting.evidence import Evidence

T = TypeVar("T")


def _now() -> str:
    return datetime.now(UTC).strftime("%H:%M:%S.%f")[:-3] + "Z"


class Chaos:
    def __init__(self, provider: StackProvider, evidence: Evidence):
        self.provider = provider
        self.evidence = evidence
        self.started = time.monotonic()

    def _note(self, title: str, text: str) -> None:
        self.evidence.note(title, f"{_now()} (+{time.monotonic() - self.started:.2f} s) {text}")

    # -- faults -------------------------------------------------------------------------------------

    def stop(self, service: str) -> None:
        service_control(self.provider, "stop services").stop_service(service)
        self._note("injected", f"stopped {service}")

    def start(self, service: str) -> None:
        service_control(self.provider, "start services").start_service(service)
        self._note("healed", f"started {service} again")

    def kill(self, service: str) -> None:
        service_control(self.provider, "kill services").kill_service(service)
        self._note("injected", f"killed {service} (SIGKILL: no shutdown code ran)")

    def restart(self, service: str) -> None:
        """A stop (SIGTERM: the service shuts down as it would for a deployment) and a start."""
        self.stop(service)
        self.start(service)

    def disconnect(self, service: str) -> None:
        network_control(self.provider).disconnect_service(service)
        self._note("injected", f"{service} cut off the network")

    def connect(self, service: str) -> None:
        network_control(self.provider).connect_service(service)
        self._note("healed", f"{service} connected to the network again")

    def slow_answers(self, service: str, milliseconds: int, request_prefix: str | None = None) -> None:
        fault_injection(self.provider, "inject network latency").inject_latency(
            service, milliseconds, request_prefix=request_prefix
        )
        scope = f" to requests starting {request_prefix!r}" if request_prefix else ""
        self._note("injected", f"{milliseconds} ms added to the answers of {service}{scope}")

    def slow_requests(self, service: str, milliseconds: int, request_prefix: str | None = None) -> None:
        fault_injection(self.provider, "inject network latency").delay_requests(
            service, milliseconds, request_prefix=request_prefix
        )
        scope = f" starting {request_prefix!r}" if request_prefix else ""
        self._note("injected", f"{milliseconds} ms added to the gateway's requests{scope} to {service}")

    def refuse(self, service: str) -> None:
        fault_injection(self.provider, "refuse connections").refuse_connections(service)
        self._note("injected", f"connections from the gateway to {service} refused")

    def reset(
        self,
        service: str,
        *,
        count: int | None = None,
        request_prefix: str | None = None,
        after_forwarding: bool = False,
        containing: str | None = None,
    ) -> None:
        fault_injection(self.provider, "reset connections").reset_connections(
            service,
            count=count,
            request_prefix=request_prefix,
            after_forwarding=after_forwarding,
            containing=containing,
        )
        which = "every request" if count is None else f"the next {count} request(s)"
        scope = f" starting {request_prefix!r}" if request_prefix else ""
        scope += f" holding {containing!r}" if containing else ""
        how = (
            "reach it, then the answer is lost (TCP reset)"
            if after_forwarding
            else "are reset (TCP RST) before reaching it"
        )
        self._note("injected", f"{which}{scope} from the gateway to {service} {how}")

    def stop_during(self, service: str, request_prefix: str, action: Callable[[], T], hold_ms: int = 1000) -> T:
        """Runs ``action`` (a request to the gateway) and stops ``service`` while the gateway's request
        starting ``request_prefix`` is on its way to it: such requests are held back ``hold_ms`` so the
        service can be stopped meanwhile. Returns what ``action`` returned."""
        mark = cast(int, fault_injection(self.provider).fault_report(service)["requests"])
        self.slow_requests(service, hold_ms, request_prefix=request_prefix)
        result: list[T] = []
        worker = threading.Thread(target=lambda: result.append(action()), daemon=True)
        worker.start()
        try:
            arrived = fault_injection(self.provider, "watch the traffic between the services").wait_for_request(
                service, request_prefix, timeout=10, after=mark
            )
            if not arrived:
                raise AssertionError(f"no request starting {request_prefix!r} reached {service} within 10 s")
            self.stop(service)
        finally:
            worker.join(timeout=30)
        if not result:
            raise AssertionError(f"the request made while {service} was stopped did not finish within 30 s")
        return result[0]

    def heal(self) -> None:
        undone = self.provider.clear_faults()
        self._note("healed", "faults removed: " + ("; ".join(undone) or "none were active"))

    # -- observations -------------------------------------------------------------------------------

    def saw(self, what: str, exchange: Exchange) -> None:
        """What the caller saw: status, time and error of one answer."""
        error = exchange.error or {}
        detail = f" {error.get('code')}: {error.get('message')}" if error else ""
        self._note("caller saw", f"{what}: {exchange.status} in {exchange.elapsed_ms:.0f} ms{detail}")

    def traffic(self, service: str) -> dict[str, object]:
        report = fault_injection(self.provider).fault_report(service)
        recent = report.get("recent", [])
        shown = {**report, "recent": recent[-15:] if isinstance(recent, list) else recent}
        self._note(f"traffic to {service}", f"{shown}")
        return report
