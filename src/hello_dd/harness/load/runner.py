"""Runs a load profile with Locust against a gateway and turns what Locust's single process or master
wrote into results: per endpoint and overall request count, average, p50, p95, p99, max, error rate
and throughput (Locust's CSV), the contract's per-answer checks (``checks.py``), a JSON file and a
latency-over-time chart."""

from __future__ import annotations

import csv
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hello_dd.harness.load.distribution import LoadDistribution, runner_command, worker_command
from hello_dd.harness.load.processes import LoadRunError, LocustProcesses
from hello_dd.harness.load.profile import CHECKS, LoadProfile


@dataclass(frozen=True)
class Figures:
    name: str
    requests: int
    failures: int
    average_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    throughput_rps: float

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class LoadResult:
    profile: LoadProfile
    overall: Figures
    endpoints: tuple[Figures, ...]
    checks: dict[str, int]
    json_path: Path
    chart_path: Path | None
    #: In a distributed run, the checks each worker sent (by Locust's id of the worker).
    checks_by_worker: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def check_shares(self) -> dict[str, float]:
        """The share of answers (0..1) that passed each check, by the words of profile.CHECKS."""
        counted = self.checks.get("requests", 0)
        return {name: (self.checks.get(key, 0) / counted if counted else 0.0) for name, (key, _) in CHECKS.items()}

    def summary(self) -> str:
        lines = [f"load profile {self.profile.name}: {self.overall.requests} requests in {self.profile.seconds:g} s"]
        for f in (*self.endpoints, self.overall):
            lines.append(
                f"  {f.name:36} n={f.requests:6} avg={f.average_ms:7.1f} p50={f.p50_ms:6.0f} p95={f.p95_ms:6.0f} "
                f"p99={f.p99_ms:6.0f} max={f.max_ms:6.0f} ms  errors={f.error_rate:6.2%}  {f.throughput_rps:7.1f} req/s"
            )
        shares = ", ".join(f"{name} {share:.2%}" for name, share in self.check_shares.items())
        lines.append(f"  checks of {self.checks.get('requests', 0)} answers: {shares}")
        if self.checks_by_worker:
            sent = ", ".join(str(counts.get("requests", 0)) for counts in self.checks_by_worker.values())
            lines.append(f"  from {len(self.checks_by_worker)} Locust workers, answers each: {sent}")
        return "\n".join(lines)


def _figures(row: dict[str, str]) -> Figures:
    def number(key: str) -> float:
        return float(row[key]) if row.get(key) not in (None, "", "N/A") else 0.0

    return Figures(
        name=row["Name"] if row["Name"] != "Aggregated" else "overall",
        requests=int(row["Request Count"]),
        failures=int(row["Failure Count"]),
        average_ms=number("Average Response Time"),
        p50_ms=number("50%"),
        p95_ms=number("95%"),
        p99_ms=number("99%"),
        max_ms=number("Max Response Time"),
        throughput_rps=number("Requests/s"),
    )


def read_stats(stats_csv: Path) -> tuple[Figures, tuple[Figures, ...]]:
    with stats_csv.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    overall = next((_figures(r) for r in rows if r["Name"] == "Aggregated"), None)
    if overall is None or overall.requests == 0:
        raise RuntimeError(f"the load run made no requests (see {stats_csv})")
    return overall, tuple(_figures(r) for r in rows if r["Name"] != "Aggregated")


def draw_chart(history_csv: Path, png: Path, title: str) -> Path | None:
    """p50/p95 latency and users over time, from Locust's stats history (aggregated rows)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with history_csv.open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["Name"] == "Aggregated" and r["95%"] not in ("N/A", "")]
    if not rows:
        return None
    start = int(rows[0]["Timestamp"])
    seconds = [int(r["Timestamp"]) - start for r in rows]
    figure, latency = plt.subplots(figsize=(9, 4.5), dpi=100)
    latency.plot(seconds, [float(r["50%"]) for r in rows], label="p50 latency (ms)")
    latency.plot(seconds, [float(r["95%"]) for r in rows], label="p95 latency (ms)")
    latency.set_xlabel("seconds into the run")
    latency.set_ylabel("latency (ms)")
    users = latency.twinx()
    users.plot(seconds, [int(r["User Count"]) for r in rows], color="grey", linestyle="--", label="users")
    users.set_ylabel("users")
    handles, labels = latency.get_legend_handles_labels()
    user_handles, user_labels = users.get_legend_handles_labels()
    latency.legend(handles + user_handles, labels + user_labels, loc="upper left")
    latency.set_title(title)
    figure.tight_layout()
    figure.savefig(png)
    plt.close(figure)
    return png


def run_load(
    profile: LoadProfile,
    host: str,
    out_dir: Path,
    label: str,
    *,
    user_class: str = "Shopper",
    distribution: LoadDistribution | None = None,
) -> LoadResult:
    """Runs ``profile`` against ``host`` with Locust's ``user_class`` (``Shopper``: the mixed traffic;
    ``ProductQuery``: the product query only, without think time), in one Locust process or, with
    workers, a master and its workers (``distribution``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    prefix = out_dir / label
    checks_file = out_dir / f"{label}-checks.json"
    checks_file.unlink(missing_ok=True)
    distribution = distribution or LoadDistribution()
    distribution = distribution.with_port() if distribution.distributed else distribution
    env = {
        **os.environ,
        "HELLO_DD_LOAD_PROFILE": profile.to_json(),
        "HELLO_DD_LOAD_CHECKS": str(checks_file),
        "HELLO_DD_LOAD_USER": user_class,
    }
    main = "master" if distribution.distributed else "locust"
    seconds = profile.seconds + 120 + (distribution.workers_wait_seconds if distribution.distributed else 0)
    with LocustProcesses(out_dir, label) as processes:
        processes.start(main, runner_command(host, prefix, distribution), env)
        for number in range(1, distribution.workers + 1):
            processes.start(
                f"worker-{number}", worker_command(distribution.local_master_host, distribution.master_port), os.environ
            )
        processes.wait_for(main, seconds)
    overall, endpoints = read_stats(Path(f"{prefix}_stats.csv"))
    tally = json.loads(checks_file.read_text())
    if tally["unreported"]:
        raise LoadRunError(
            f"workers {', '.join(tally['unreported'])} did not send their last figures to the master: the totals would be short"
        )
    chart = draw_chart(
        Path(f"{prefix}_stats_history.csv"), out_dir / f"{label}.png", f"{label}: latency and users over time"
    )
    json_path = out_dir / f"{label}.json"
    json_path.write_text(
        json.dumps(
            {
                "profile": json.loads(profile.to_json()),
                "overall": {**asdict(overall), "error_rate": overall.error_rate},
                "endpoints": [{**asdict(f), "error_rate": f.error_rate} for f in endpoints],
                "checks": tally["totals"],
                "checks_by_worker": tally["by_worker"],
            },
            indent=2,
        )
    )
    return LoadResult(profile, overall, endpoints, tally["totals"], json_path, chart, tally["by_worker"])
