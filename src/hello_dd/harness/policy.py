"""The numbers the rules depend on, read from the stack under test.

The gateway publishes its policy (``GET /api/v1/policy``: timeouts, attempts, circuit breaker, bulk
limits); a deployment that does not falls back to the defaults below, each of which ``behave -D``
overrides (``-D breaker_reset_seconds=30``). features/README.md lists them for the reader. A scenario
that states one of them ("3 attempts") checks it against this policy with ``mismatch``: on a stack the
suite runs a difference fails, on another deployment the scenario is skipped with the reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from hello_dd.harness import expect
from hello_dd.harness.http import HttpClient

POLICY_PATH = "/api/v1/policy"
# The contract's polling of a report job: 30 polls, 2 s apart.
REPORT_DEADLINE_SECONDS = 60.0


@dataclass(frozen=True)
class Policy:
    timeout_seconds: float = 1.5
    retry_attempts: int = 3
    breaker_failure_threshold: int = 5
    breaker_reset_seconds: float = 10.0
    bulk_max_ids: int = 200
    bulk_chunk_size: int = 20
    report_deadline_seconds: float = REPORT_DEADLINE_SECONDS
    #: Where the numbers came from, for the report.
    source: str = "defaults"

    @property
    def time_budget_seconds(self) -> float:
        """How long the gateway may take to answer when a dependency fails: twice the timeout."""
        return 2 * self.timeout_seconds

    @property
    def retries(self) -> int:
        return self.retry_attempts - 1

    def mismatch(self, name: str, stated: float) -> str | None:
        """Why a number a scenario states differs from this policy's ``name`` (None when they agree)."""
        actual = getattr(self, name)
        if float(stated) == float(actual):
            return None
        return f"the scenario states {name} = {stated:g}; the stack's policy ({self.source}) has {actual:g}"

    def describe(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self) if f.name != "source")
        return f"{shown} (from {self.source})"

    @classmethod
    def from_userdata(cls, userdata: Mapping[str, str]) -> Policy:
        """The defaults, with any ``-D name=value`` given for them."""
        values: dict[str, Any] = {}
        defaults = cls()
        for f in fields(cls):
            if f.name != "source" and f.name in userdata:
                try:
                    values[f.name] = type(getattr(defaults, f.name))(userdata[f.name])
                except ValueError as exc:
                    raise ValueError(f"-D {f.name} takes a number, not {userdata[f.name]!r}") from exc
        return cls(**values, source="-D options" if values else "defaults")

    def with_published(self, published: Mapping[str, Any]) -> Policy:
        """These numbers updated with what the gateway's policy endpoint published."""
        retry, breaker, bulk = published["retry"], published["circuitBreaker"], published["bulkCheck"]
        return Policy(
            timeout_seconds=max(float(d["timeoutSeconds"]) for d in published["dependencies"].values()),
            retry_attempts=int(retry["attempts"]),
            breaker_failure_threshold=int(breaker["failureThreshold"]),
            breaker_reset_seconds=float(breaker["resetSeconds"]),
            bulk_max_ids=int(bulk["maxIds"]),
            bulk_chunk_size=int(bulk["chunkSize"]),
            report_deadline_seconds=self.report_deadline_seconds,
            source=f"the gateway's {POLICY_PATH}",
        )


def read_policy(gateway: HttpClient, userdata: Mapping[str, str]) -> Policy:
    """The gateway's published policy, or the defaults (and ``-D`` values) when it publishes none."""
    fallback = Policy.from_userdata(userdata)
    answer = gateway.get(POLICY_PATH)
    if answer.status != 200 or not isinstance(answer.body, dict):
        return fallback
    try:
        return fallback.with_published(answer.body)
    except (KeyError, TypeError, ValueError, AttributeError):
        return fallback


def check_stated(context: Any, name: str, stated: float) -> None:
    """A number a scenario states ("3 attempts") is the running stack's ``name``: on a stack the suite
    runs a difference fails; on another deployment the scenario is skipped with the reason."""
    why = context.world.policy.mismatch(name, stated)
    expect.precondition(context, why is None, why or "")
