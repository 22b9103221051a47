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


@dataclass(frozen=True)
class Thresholds:
    p95_ms: float
    error_rate: float  # 0..1


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
    def from_json(cls, text: str) -> "LoadProfile":
        data = json.loads(text)
        return cls(data["name"], tuple(Stage(**stage) for stage in data["stages"]))


def profile_from_table(name: str, rows: list[dict[str, str]]) -> LoadProfile:
    """Rows with ``duration`` and ``users`` columns, as a feature file's table gives them."""
    stages = tuple(Stage(parse_duration(row["duration"]), int(row["users"])) for row in rows)
    if not stages or any(s.seconds <= 0 or s.users < 0 for s in stages):
        raise ValueError("every stage needs a positive duration and zero or more users")
    return LoadProfile(name, stages)


def thresholds_from_table(rows: list[dict[str, str]]) -> Thresholds:
    """Rows ``| measure | limit |`` with ``p95 latency | 500 ms`` and ``error rate | 10 %``."""
    limits = {row["measure"].strip().lower(): row["limit"].strip() for row in rows}
    try:
        p95 = float(limits["p95 latency"].removesuffix("ms").strip())
        errors = float(limits["error rate"].removesuffix("%").strip()) / 100
    except KeyError as exc:
        raise ValueError(f"the thresholds table needs a {exc.args[0]!r} row") from exc
    return Thresholds(p95, errors)


PROFILE_TAG_PREFIX = "load-"
DEFAULT_PROFILE = "short"
# The profiles features/load.feature defines, one scenario each (tagged @load-NAME).
KNOWN_PROFILES = ("short", "seed", "spike", "soak")


def check_profile_name(name: str | None) -> None:
    if name not in (None, *KNOWN_PROFILES):
        raise ValueError(f"unknown load profile {name!r}: choose one of {', '.join(KNOWN_PROFILES)} (-D load_profile=...)")


def skip_reason(tags: list[str], chosen: str | None) -> str | None:
    """Why a load scenario does not run in this run: each profile's scenario runs only when its
    profile is chosen (``-D load_profile=NAME``, default short)."""
    chosen = chosen or DEFAULT_PROFILE
    profiles = [tag.removeprefix(PROFILE_TAG_PREFIX) for tag in tags if tag.startswith(PROFILE_TAG_PREFIX)]
    if profiles and chosen not in profiles:
        return f"load profile {profiles[0]} runs with -D load_profile={profiles[0]} (this run: {chosen})"
    return None
