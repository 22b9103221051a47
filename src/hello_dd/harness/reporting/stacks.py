"""The whole specification on several embedded stacks side by side (``make spec``), reported as one run.

Much of a run is waiting (circuit cool-downs, services restarting, traces settling, a load run's
stages), and one run on one stack leaves the second core idle half the time. Here each stack is a
``behave`` process of its own that starts its own stack (its own free ports, database files, test
agent and logs) and runs a share of the features, written to ``reports/stacks/N/`` (``-D reports_dir``,
which moves every report of that process: ``hello_dd.harness.reporting.runner``). When all have ended,
their reports are merged into the ones a run on one stack writes: ``reports/junit``,
``reports/allure-results``, ``reports/load``, ``reports/test_report.md``, ``reports/spec-map.md``
(from each process's ``run-results.json``), ``reports/rerun.txt``, and each stack's logs in
``reports/logs/stack-N/``; then the closing line ``spec: N passed, F failed, S skipped``. The exit code
is non-zero when any process failed. Ctrl-C or SIGTERM stops every process, each stopping its stack.

The console shows the first stack's output as it runs and each other stack's when it has ended (kept in
``reports/logs/stack-N/console.log`` too), so lines never interleave.

Which features run where (:data:`TWO_STACKS`) is fixed, from their measured durations: the features
whose scenarios time answers (the load run's p95, the "in under 500 ms" of an open circuit) run on the
first stack, the load run first, while the second starts with the span budgets and the traces, which
mostly wait for spans to arrive. A feature the plan does not name goes to the stack with the least work.

A run narrowed by the user (feature files, ``--tags``, ``--name``, any option but ``-D``) runs on one
stack, exactly as ``behave ARGS`` does, as does ``--stacks 1`` (``make spec SPEC_STACKS=1``), and a
run on a stack that two runs would share (``-D stack=containers``, ``compose``, ``external``, or
``-D redis_url``: one Redis).
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from behave.configuration import Configuration

from hello_dd.harness.progress import say
from hello_dd.harness.reporting import closing_line
from hello_dd.harness.reporting.contract import load_contract
from hello_dd.harness.reporting.run_results import RESULTS_FILE, RunResults
from hello_dd.harness.reporting.runner import DEFAULT_REPORTS_DIR

FEATURES_DIR = Path("features")

#: Seconds each feature took on one stack, gaps between its scenarios included (a warm run, 2 cores,
#: load about 0.5): what the plans below balance. A feature not listed counts as DEFAULT_SECONDS.
FEATURE_SECONDS = {
    "async_reports": 3.8,
    "bulk_check": 0.5,
    "cascade": 12.5,
    "chaos": 5.2,
    "checkout": 0.5,
    "correlation": 0.2,
    "durability": 14.1,
    "error_handling": 0.2,
    "health": 0.1,
    "load": 11.8,
    "observability": 4.3,
    "product_query": 0.2,
    "resilience": 13.8,
    "span_budget": 11.0,
    "tracing": 9.7,
}
DEFAULT_SECONDS = 5.0

#: The plan for two stacks, each feature in the order it runs. The first holds the timed features: the
#: load run first, while the second stack runs the span budgets (quiet: a few requests, then waiting
#: for their spans); then the open circuits' "in under 500 ms". About 45 s each.
TWO_STACKS: tuple[tuple[str, ...], ...] = (
    (
        "load",
        "cascade",
        "resilience",
        "observability",
        "bulk_check",
        "correlation",
        "error_handling",
        "product_query",
    ),
    ("span_budget", "tracing", "async_reports", "durability", "chaos", "checkout", "health"),
)


def feature_name(path: Path) -> str:
    return path.stem


def estimated(feature: Path) -> float:
    return FEATURE_SECONDS.get(feature_name(feature), DEFAULT_SECONDS)


def plan(features: Sequence[Path], stacks: int) -> list[list[Path]]:
    """The features each stack runs, in order: :data:`TWO_STACKS` for two, else the longest first to the
    stack with the least work so far (a feature :data:`TWO_STACKS` does not name is placed that way too).
    Stacks left without a feature are dropped."""
    if stacks < 1:
        raise ValueError(f"the number of stacks must be at least 1, not {stacks}")
    by_name = {feature_name(f): f for f in features}
    lanes: list[list[Path]] = [[] for _ in range(stacks)]
    if stacks == 2:
        for lane, names in zip(lanes, TWO_STACKS, strict=True):
            lane.extend(by_name.pop(name) for name in names if name in by_name)
    for feature in sorted(by_name.values(), key=lambda f: (-estimated(f), str(f))):
        min(lanes, key=lambda lane: sum(map(estimated, lane))).append(feature)
    return [lane for lane in lanes if lane]


def narrows(behave_args: Sequence[str]) -> bool:
    """True when the arguments do more than define user data (``-D NAME=VALUE``): they choose features
    or scenarios, or change how behave reports; such a run is left to one behave process."""
    args = iter(behave_args)
    for arg in args:
        if arg in ("-D", "--define"):
            if next(args, None) is None:
                return True
        elif not arg.startswith(("-D", "--define=")):
            return True
    return False


def splits(behave_args: Sequence[str]) -> bool:
    """True when the run may be shared between stacks: the whole specification, on embedded stacks that
    share nothing (a stack the run does not start itself, or one Redis, would be shared)."""
    defined = userdata(behave_args)
    return not narrows(behave_args) and defined.get("stack", "local") == "local" and not defined.get("redis_url")


def userdata(behave_args: Sequence[str]) -> dict[str, str]:
    """The ``-D NAME=VALUE`` definitions among behave's arguments, read by behave's own parser (without
    the configuration file's defaults)."""
    return dict(Configuration(command_args=list(behave_args), load_config=False).userdata)


# -- merging the stacks' reports -----------------------------------------------------------------------


def rerun_lines(rerun_files: Iterable[Path]) -> list[str]:
    """The scenario locations behave's rerun files list (their comments and blank lines left out)."""
    lines: list[str] = []
    for path in rerun_files:
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            lines.extend(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return lines


def write_rerun(path: Path, locations: Sequence[str]) -> None:
    """reports/rerun.txt as behave writes it: present only when something failed."""
    path.unlink(missing_ok=True)
    if locations:
        path.parent.mkdir(parents=True, exist_ok=True)
        banner = f"# -- RERUN: {len(locations)} failing scenarios during last test run.\n"
        path.write_text(banner + "".join(f"{location}\n" for location in locations), encoding="utf-8")


def clear_reports(reports: Path) -> None:
    """The reports of the previous run that the merge writes again (as each behave run clears them)."""
    for directory in ("junit", "allure-results"):
        for item in (reports / directory).glob("*"):
            if item.is_file():
                item.unlink()
    shutil.rmtree(reports / "logs", ignore_errors=True)
    (reports / "rerun.txt").unlink(missing_ok=True)


def logs_of(reports: Path, number: int) -> Path:
    return reports / "logs" / f"stack-{number}"


#: What each stack's process writes that is merged otherwise than by copying its directory.
_MERGED_FILES = {"rerun.txt", "test_report.md", "spec-map.md", RESULTS_FILE}


def merge(stack_dirs: Sequence[Path], reports: Path) -> list[str]:
    """Merge what each stack's process wrote (``stack_dirs[i]``, the reports of stack i + 1) into
    ``reports``: directories copied into the same-named ones (the first stack's file kept where two
    have the same name, such as the Allure environment), logs into ``logs/stack-N``, rerun.txt, the
    test report and the spec map from all. Returns the merged rerun locations."""
    for number, stack_dir in reversed(list(enumerate(stack_dirs, 1))):
        if not stack_dir.is_dir():
            continue
        for item in stack_dir.iterdir():
            if item.name == "logs":
                shutil.copytree(item, logs_of(reports, number), dirs_exist_ok=True)
            elif item.name == "console.log":
                logs_of(reports, number).mkdir(parents=True, exist_ok=True)
                shutil.copy2(item, logs_of(reports, number) / item.name)
            elif item.is_dir():
                shutil.copytree(item, reports / item.name, dirs_exist_ok=True)
            elif item.name not in _MERGED_FILES:
                shutil.copy2(item, reports / item.name)
    locations = rerun_lines(d / "rerun.txt" for d in stack_dirs)
    write_rerun(reports / "rerun.txt", locations)
    parts = []
    for number, stack_dir in enumerate(stack_dirs, 1):
        if (stack_dir / RESULTS_FILE).is_file():
            part = RunResults.read(stack_dir)
            part.stack = part.stack.replace(str(stack_dir / "logs"), str(logs_of(reports, number)))
            parts.append(part)
    if parts:
        merged = RunResults.merged(parts)
        merged.write(reports, load_contract(), stack=merged.stack)
    return locations


# -- running ---------------------------------------------------------------------------------------------


@dataclass
class StackRun:
    number: int
    features: list[Path]
    reports: Path
    process: subprocess.Popen[bytes] | None = None
    #: Seconds from the start of the run to the end of this stack's behave (None while it runs).
    seconds: float | None = None

    @property
    def status(self) -> int:
        """behave's exit code; 2 (as for a stack that did not start) when it was never started."""
        if self.process is None:
            return 2
        assert self.process.returncode is not None
        return self.process.returncode

    def ended(self) -> bool:
        return self.process is None or self.process.poll() is not None

    @property
    def console(self) -> Path:
        return self.reports / "console.log"

    def describe(self) -> str:
        return f"stack {self.number}: {' '.join(feature_name(f) for f in self.features)}"


def behave_command(args: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "behave", *args]


def run_one(behave_args: Sequence[str], reports: Path) -> int:
    """``behave ARGS`` on one stack, then the closing line."""
    status = subprocess.call(behave_command(behave_args))
    closing = closing_line.main([str(reports / "junit")])
    return status or closing


def _show_as_they_end(runs: Sequence[StackRun], started: float) -> None:
    """Wait for every stack's behave; once the first has ended, print each other one's output, in
    order, when it has ended too."""
    waiting = list(runs)
    while waiting:
        for run in runs:
            if run.seconds is None and run.ended():
                run.seconds = time.monotonic() - started
        while waiting and waiting[0].seconds is not None:
            run = waiting.pop(0)
            if run.number > 1 and run.console.exists():
                print(f"\n===== {run.describe()} (its output, now that it has ended) =====", flush=True)
                sys.stdout.buffer.write(run.console.read_bytes())
                sys.stdout.flush()
        time.sleep(0.2)


def run_side_by_side(lanes: Sequence[Sequence[Path]], behave_args: Sequence[str], reports: Path) -> int:
    """Each lane's features on a stack of its own, all at once; then the merged reports and closing line."""
    base = reports / "stacks"
    shutil.rmtree(base, ignore_errors=True)
    runs = [StackRun(number, list(lane), base / str(number)) for number, lane in enumerate(lanes, 1)]
    say(f"{len(runs)} stacks side by side (SPEC_STACKS=1 for one): " + "; ".join(r.describe() for r in runs))
    say("stack 1's output follows as it runs; the others' when they have ended")
    stopping = False
    started = time.monotonic()

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if not stopping:
            say(f"signal {signum}: stopping every stack ...")
            for run in runs:
                if run.process is not None and run.process.poll() is None:
                    run.process.terminate()  # behave turns it into KeyboardInterrupt and stops its stack
        stopping = True

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        for run in runs:
            run.reports.mkdir(parents=True)
            if stopping:  # stopped before this one started: it never runs
                break
            command = behave_command([*behave_args, "-D", f"reports_dir={run.reports}", *map(str, run.features)])
            # Each in a session of its own: a Ctrl-C reaches only this process, which stops each once.
            if run.number == 1:
                run.process = subprocess.Popen(command, start_new_session=True)
            else:
                with run.console.open("wb") as console:
                    run.process = subprocess.Popen(
                        command, stdout=console, stderr=subprocess.STDOUT, start_new_session=True
                    )
        _show_as_they_end(runs, started)
    except BaseException:
        for run in runs:
            if run.process is not None and run.process.poll() is None:
                run.process.terminate()
                run.process.wait()
        raise
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    say("; ".join(f"stack {run.number} took {run.seconds:.0f} s" for run in runs))
    statuses = [run.status for run in runs]
    for run in runs:
        if run.status:
            say(f"stack {run.number}'s behave ended with exit code {run.status}")
    if userdata(behave_args).get("keep_results", "").lower() not in ("true", "yes", "1", "on"):
        clear_reports(reports)
    merge([run.reports for run in runs], reports)
    shutil.rmtree(base, ignore_errors=True)
    closing = closing_line.main([str(reports / "junit")])
    failed = next((status for status in statuses if status), 0)
    return 130 if stopping else failed or closing


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hello_dd.harness.reporting.stacks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
        epilog="Any other argument goes to behave.",
    )
    parser.add_argument(
        "--stacks", type=int, default=2, metavar="N", help="how many stacks side by side (default 2; 1: one stack)"
    )
    args, behave_args = parser.parse_known_args(argv)
    reports = Path(userdata(behave_args).get("reports_dir", str(DEFAULT_REPORTS_DIR)))
    features = sorted(FEATURES_DIR.rglob("*.feature"))
    lanes = plan(features, args.stacks) if args.stacks > 1 and splits(behave_args) else []
    if len(lanes) < 2:
        return run_one(behave_args, reports)
    return run_side_by_side(lanes, behave_args, reports)


if __name__ == "__main__":
    sys.exit(main())
