"""Load profiles in k6's terms: stages that ramp linearly to a number of users over a duration, and
thresholds the run must meet."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

_DURATION = re.compile(r"^\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$")


def parse_duration(text: str) -> float:
    """``30s``, ``1m``, ``1m30s`` -> seconds."""
    match = _DURATION.match(text)
    if not match or not any(match.groups()):
        raise ValueError(f"a duration looks like 30s, 1m or 1m30s, not {text!r}")
    minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return float(minutes * 60 + seconds)


@dataclass(frozen=True)
class Stage:
    seconds: float
    users: int


#: The per-answer checks every load run makes (as the k6 script scripts/load-test.js does), by the words a
#: feature's thresholds table uses for them: the key counted by the locustfile, and its description.
CHECKS = {
    "answers that succeeded": ("status_ok", "the answer had the expected status"),
    "answers that came within 500 ms": ("under_500ms", "the answer came within 500 ms"),
}


@dataclass(frozen=True)
class Thresholds:
    """What a load run must meet: p95 latency at most ``p95_ms``, an error rate below ``error_rate``
    (0..1), and at least the given share (0..1) of answers passing each check (keys of :data:`CHECKS`)."""

    p95_ms: float
    error_rate: float
    checks: tuple[tuple[str, float], ...] = ()

    def breaches(self, p95_ms: float, error_rate: float, check_shares: dict[str, float]) -> list[str]:
        """The thresholds these figures break, in words (empty: all met)."""
        found = []
        if p95_ms >= self.p95_ms:
            found.append(f"p95 latency {p95_ms:.1f} ms is not below {self.p95_ms:g} ms")
        if error_rate >= self.error_rate:
            found.append(f"error rate {error_rate:.2%} is not below {self.error_rate:.0%}")
        for name, least in self.checks:
            share = check_shares.get(name, 0.0)
            if share < least:
                found.append(f"{name}: {share:.2%}, below {least:.0%}")
        return found

    def describe(self) -> str:
        parts = [f"p95 latency < {self.p95_ms:g} ms", f"error rate < {self.error_rate:.0%}"]
        return ", ".join(parts + [f"{name} ≥ {least:.0%}" for name, least in self.checks])


@dataclass(frozen=True)
class LoadProfile:
    name: str
    stages: tuple[Stage, ...]

    @property
    def seconds(self) -> float:
        return sum(stage.seconds for stage in self.stages)

    def users_at(self, elapsed: float) -> int | None:
        """Users wanted ``elapsed`` seconds into the run (linear ramps, as k6 stages); None when over."""
        start, users_before = 0.0, 0
        for stage in self.stages:
            if elapsed < start + stage.seconds:
                fraction = (elapsed - start) / stage.seconds
                return round(users_before + (stage.users - users_before) * fraction)
            start, users_before = start + stage.seconds, stage.users
        return None

    def to_json(self) -> str:
        return json.dumps({"name": self.name, "stages": [asdict(s) for s in self.stages]})

    @classmethod
    def from_json(cls, text: str) -> LoadProfile:
        data = json.loads(text)
        return cls(data["name"], tuple(Stage(**stage) for stage in data["stages"]))


_STAGE = re.compile(r"^\s*(\S+?)\s*(?:→|->)\s*(\d+)\s*$")


def parse_stages(name: str, text: str) -> LoadProfile:
    """``30s→10, 1m→100, 30s→0`` (``->`` works too): each stage's duration and the users it ramps to."""
    stages = []
    for part in text.split(","):
        match = _STAGE.match(part)
        if not match:
            raise ValueError(f"a stage looks like 30s→10 (30 seconds, ramping to 10 users), not {part.strip()!r}")
        stages.append(Stage(parse_duration(match.group(1)), int(match.group(2))))
    if not stages or any(s.seconds <= 0 or s.users < 0 for s in stages):
        raise ValueError("every stage needs a positive duration and zero or more users")
    return LoadProfile(name, tuple(stages))


def _limit(text: str) -> str:
    """A limit as the table words it (``under 500 ms``, ``at least 98 %``), without its wording."""
    return text.strip().removeprefix("under ").removeprefix("at least ").strip()


def _percent(text: str) -> float:
    return float(_limit(text).removesuffix("%").strip()) / 100


def thresholds_from_table(rows: list[dict[str, str]]) -> Thresholds:
    """Rows ``| measure | limit |``: ``p95 latency | 500 ms``, ``error rate | 10 %`` and, for each check
    of :data:`CHECKS`, the least share of answers that must pass it (``answers that succeeded | 90 %``)."""
    limits = {row["measure"].strip().lower(): row["limit"].strip() for row in rows}
    unknown = set(limits) - {"p95 latency", "error rate", *CHECKS}
    if unknown:
        raise ValueError(
            f"unknown measure(s) {sorted(unknown)}: known are p95 latency, error rate, {', '.join(CHECKS)}"
        )
    try:
        p95 = float(_limit(limits["p95 latency"]).removesuffix("ms").strip())
        errors = _percent(limits["error rate"])
    except KeyError as exc:
        raise ValueError(f"the thresholds table needs a {exc.args[0]!r} row") from exc
    return Thresholds(p95, errors, tuple((name, _percent(limits[name])) for name in CHECKS if name in limits))


DEFAULT_PROFILE = "short"
# The profiles features/load.feature defines, one Examples block each (tagged @use.with_load_profile=NAME).
KNOWN_PROFILES = ("short", "contract", "spike", "soak")
# The traffic a load scenario names, and the Locust user class that makes it (harness/load/locustfile.py).
TRAFFIC = {
    "look up products, check stock in bulk and check out": "Shopper",
    "look up products 123 and 456, a second apart": "ContractShopper",
}


def user_class_for(traffic: str) -> str:
    try:
        return TRAFFIC[traffic.strip()]
    except KeyError:
        raise ValueError(f"unknown traffic {traffic!r}: known are {', '.join(map(repr, TRAFFIC))}") from None


def check_profile_name(name: str | None) -> None:
    if name not in (None, *KNOWN_PROFILES):
        raise ValueError(
            f"unknown load profile {name!r}: choose one of {', '.join(KNOWN_PROFILES)} (-D load_profile=...)"
        )
