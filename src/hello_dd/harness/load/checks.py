"""The per-answer checks of a load run (``profile.CHECKS``), counted where the answers come back and
added up on Locust's master.

Every Locust process that runs users counts its answers in a :class:`CheckTally`. A worker puts what
it counted since its last report into Locust's own statistics report to the master
(``events.report_to_master``) and starts again from zero; the master adds each report it receives
(``events.worker_report``) to the totals of the worker that sent it. The checks thus travel in the
same messages as the request statistics, so the master's totals are the sum of what the workers sent,
however many there are and wherever they run. A single Locust process (no master) keeps its own
counts as the totals.

Plain Python (no Locust import): the locustfile wires it to Locust's events."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from hello_dd.harness.load.profile import CHECKS

#: The key of the checks in a worker's statistics report.
REPORT_KEY = "hello_dd_checks"
#: An answer slower than this fails the "within 500 ms" check.
SLOW_MS = 500
#: What a tally counts: every answer, and the answers that passed each check.
KEYS = ("requests", *(key for key, _ in CHECKS.values()))


def _zero() -> dict[str, int]:
    return dict.fromkeys(KEYS, 0)


@dataclass
class _Sender:
    counts: dict[str, int] = field(default_factory=_zero)
    last_report_at: float | None = None
    last_user_count: int | None = None


class CheckTally:
    def __init__(self) -> None:
        self._counted = _zero()
        self._senders: dict[str, _Sender] = {}
        self.unreported: list[str] = []

    # -- where the answers come back (a worker, or a single process) --------------------------------

    def count(self, response_time_ms: float, failed: bool) -> None:
        """One answer: ``failed`` when it had an unexpected status or none at all."""
        self._counted["requests"] += 1
        self._counted["status_ok"] += not failed
        self._counted["under_500ms"] += response_time_ms < SLOW_MS

    def hand_over(self) -> dict[str, int]:
        """What was counted since the last hand-over, for a report to the master; counting restarts at zero."""
        counted, self._counted = self._counted, _zero()
        return counted

    # -- on the master ------------------------------------------------------------------------------

    def receive(self, sender: str, counts: dict[str, int], *, user_count: int | None, at: float) -> None:
        """A worker's report: the checks it counted since its last one, and how many users it ran when it sent it."""
        known = self._senders.setdefault(sender, _Sender())
        for key in KEYS:
            known.counts[key] += int(counts.get(key, 0))
        known.last_report_at, known.last_user_count = at, user_count

    def reported_idle_since(self, since: float, senders: list[str]) -> list[str]:
        """The ``senders`` whose last report came at ``since`` or later with no user running: once
        every worker has, the master holds all it will ever count (a report with no user running
        includes every answer its users had)."""
        return [
            name
            for name in senders
            if (s := self._senders.get(name))
            and s.last_report_at is not None
            and s.last_report_at >= since
            and s.last_user_count == 0
        ]

    # -- the result ---------------------------------------------------------------------------------

    @property
    def by_worker(self) -> dict[str, dict[str, int]]:
        return {name: dict(sender.counts) for name, sender in sorted(self._senders.items())}

    def totals(self) -> dict[str, int]:
        """Everything counted: this process's own counts and every report received."""
        total = dict(self._counted)
        for sender in self._senders.values():
            for key in KEYS:
                total[key] += sender.counts[key]
        return total

    def to_json(self) -> str:
        return json.dumps(
            {"totals": self.totals(), "by_worker": self.by_worker, "unreported": self.unreported}, indent=2
        )
