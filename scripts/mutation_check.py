#!/usr/bin/env python3
"""Breaks the reference stack on purpose, one small named way at a time, and runs the scenarios that
should notice: proof that every scenario can fail (a scenario no break can redden asserts nothing).

The breaks ("mutants") are listed in scripts/mutants.toml: each is a text replacement in one or more
source files, applied to a copy of the project in a temporary directory; the suite runs there with that
copy's code, on the embedded stack unless the mutant's options name another. The project itself is
never modified. Each set of options the mutants need (a load profile, a tracer, Redis, the containers
stack) first gets a baseline run on an unbroken copy, and a mutant is credited only with scenarios that
passed there (one red unbroken, as a load threshold on a busy machine may be, is listed as not judged).
At the end: which scenarios each mutant turned red, and the scenarios no mutant turned red. Exit status
1 if a scenario was red unbroken, a mutant went unnoticed or could not be judged, or a scenario was
never red; 2 if the catalogue cannot be used or no longer matches the code.

    .venv/bin/python scripts/mutation_check.py            # all mutants (about an hour)
    .venv/bin/python scripts/mutation_check.py --only bulk-no-dedupe --keep
    .venv/bin/python scripts/mutation_check.py --only tracing-redis-spans-off --redis-url redis://127.0.0.1:6379/0

Mutants that need a Redis get a redis-server of their own when --redis-url gives none; with --redis-url,
every run (baselines included) caches pricing in that Redis. Mutants on -D stack=containers need a
Docker engine; without one they are listed as not run. Mutants on -D stack=external (userdata
stack = "external") run against `hello-dd up` started from the copy, the break applied, on free ports
and from the seed data, as a deployment the suite does not control: only what the contract lets any
client do (and the test hooks the stack has) can notice them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path

import redis
import requests
from mutation_catalogue import ROOT, CatalogueError, Mutant, Options, apply, load, stale_edits

from hello_dd.polling import PollTimeout, poll
from hello_dd.stack import free_port

SUITE_TIMEOUT_SECONDS = 1200  # the contract's load profile alone runs for 4 minutes
EXTERNAL_START_SECONDS = 90  # for `hello-dd up` to answer on every service
EXTERNAL_SERVICES = ("gateway", "inventory", "pricing")  # hello-dd up's --NAME-port, behave's -D NAME_url


def copy_project(target: Path) -> None:
    ignore = shutil.ignore_patterns(
        ".venv", ".venv-agent", "node_modules", ".git", "reports", "__pycache__", ".hello-dd"
    )
    shutil.copytree(ROOT, target, ignore=ignore)


@contextmanager
def own_redis(workdir: Path) -> Iterator[str]:
    """A redis-server without persistence on a free port, for one run; its URL."""
    port = free_port()
    binary = shutil.which("redis-server") or "redis-server"
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen([*command, "--dir", str(workdir)], stdout=subprocess.DEVNULL)
    try:
        url = f"redis://127.0.0.1:{port}/0"
        with suppress(PollTimeout):  # a server that never answers fails the run's first check
            poll(lambda: process.poll() is not None or _answers(url), timeout=10, interval=0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def own_external_stack(project: Path, env: dict[str, str]) -> Iterator[dict[str, str]]:
    """``hello-dd up`` run from the project's copy (its code, so the break applied), without the test agent,
    on free ports and from the seed data, for one run on ``-D stack=external``; the ``-D`` URLs to reach it."""
    ports = {name: free_port() for name in EXTERNAL_SERVICES}
    command = [str(ROOT / ".venv/bin/python"), "-m", "hello_dd", "up", "--no-agent", "--fresh"]
    command += ["--state-dir", str(project / ".hello-dd-external")]
    command += [arg for name, port in ports.items() for arg in (f"--{name}-port", str(port))]
    urls = {f"{name}_url": f"http://127.0.0.1:{port}" for name, port in ports.items()}
    with (project / "hello-dd-up.log").open("w") as log:
        process = subprocess.Popen(command, cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            not_started = SystemExit(f"hello-dd up did not start: see {project / 'hello-dd-up.log'}")
            started = poll(
                lambda: process.poll() is None and all(_healthy(url) for url in urls.values()),
                lambda up: up or process.poll() is not None,
                timeout=EXTERNAL_START_SECONDS,
                interval=0.5,
                fail=lambda *_: not_started,
            )
            if not started:
                raise not_started
            yield urls
        finally:
            process.terminate()  # hello-dd up stops every process of its stack on SIGTERM
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/health", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.2).ping())
    except redis.ConnectionError:
        return False


def missing_for(options: Options, redis_url: str | None) -> str | None:
    """Why runs with these options cannot be made on this machine, or None."""
    if options.redis and not redis_url and not shutil.which("redis-server"):
        return "no redis-server here and no --redis-url"
    if dict(options.userdata).get("stack") == "containers":
        engine = subprocess.run(["docker", "info"], capture_output=True) if shutil.which("docker") else None
        if engine is None or engine.returncode != 0:
            return "no Docker engine answers; scripts/test-containers.sh shows how to start one"
    return None


def run_suite(
    project: Path, features: tuple[str, ...], label: str, options: Options, redis_url: str | None
) -> dict[str, str]:
    """Runs the features with the options (pricing on Redis when the options or ``redis_url`` ask for
    it); returns each scenario's outcome (passed, failed or skipped) by its "feature :: scenario" name."""
    reports = project / "reports" / label
    env = {
        **os.environ,
        "PYTHONPATH": str(project / "src"),
        "HELLO_DD_TEST_AGENT": str(ROOT / ".venv-agent/bin/ddapm-test-agent"),
        "TESTCONTAINERS_RYUK_DISABLED": "true",
    }
    userdata = dict(options.userdata)
    image = None
    if userdata.get("stack") == "containers" and "image" not in userdata:
        image = userdata["image"] = f"hello-dd-mutants:{label}"  # never the project's own image
    command = [str(ROOT / ".venv/bin/behave"), "-f", "null", "--junit-directory", str(reports / "junit")]
    command += ["-D", f"reports_dir={reports}", *(f"-D{key}={value}" for key, value in userdata.items())]
    command += [f"--tags={tag}" for tag in options.tags]
    with ExitStack() as stack:
        url = stack.enter_context(own_redis(project) if options.redis and not redis_url else nullcontext(redis_url))
        if url:
            command += ["-D", f"redis_url={url}"]
        if userdata.get("stack") == "external" and "gateway_url" not in userdata:
            command += [
                f"-D{key}={value}" for key, value in stack.enter_context(own_external_stack(project, env)).items()
            ]
        command += [f"features/{name}.feature" for name in features]
        try:
            run = subprocess.run(
                command, cwd=project, env=env, capture_output=True, text=True, timeout=SUITE_TIMEOUT_SECONDS
            )
        finally:
            if image:
                subprocess.run(["docker", "image", "rm", "--force", image], capture_output=True)
    outcomes = {}
    for report in (reports / "junit").glob("*.xml"):
        for case in ET.parse(report).getroot().iter("testcase"):
            # Skipped: not run in this configuration (another load profile, say), which proves nothing.
            failed = case.find("failure") is not None or case.find("error") is not None
            outcome = "skipped" if case.find("skipped") is not None else "failed" if failed else "passed"
            outcomes[f"{case.get('classname')} :: {case.get('name')}"] = outcome
    if run.returncode != 0 and "failed" not in outcomes.values():
        # Nothing ran: the break stopped the stack from starting, which proves nothing about scenarios.
        raise SystemExit(
            f"{label}: the suite did not run (exit {run.returncode}):\n{(run.stdout + run.stderr)[-2000:]}"
        )
    return outcomes


def _having(outcomes: dict[str, str], outcome: str) -> set[str]:
    return {name for name, found in outcomes.items() if found == outcome}


@dataclass
class Findings:
    """What the runs found, scenarios named "feature :: scenario"."""

    baselines: dict[Options, set[str]] = field(default_factory=dict)  # options -> scenarios passed unbroken
    passed_unbroken: dict[str, Options] = field(default_factory=dict)  # -> the first options it passed with
    failed_unbroken: set[str] = field(default_factory=set)  # red before any break, so not judged
    skipped_unbroken: set[str] = field(default_factory=set)  # needs options (another load profile, say)
    killed_by: dict[str, list[str]] = field(default_factory=dict)
    survivors: list[str] = field(default_factory=list)
    unjudged: list[str] = field(default_factory=list)  # mutants whose scenarios were all red unbroken

    def run_baselines(self, groups: dict[Options, list[Mutant]], project: Path, redis_url: str | None) -> None:
        # The default options first, so a scenario is said to need options only if it runs only with them.
        for number, options in enumerate(sorted(groups, key=lambda options: options != Options())):
            features = tuple(sorted({f for m in groups[options] for f in m.features}))
            outcomes = run_suite(project, features, f"baseline-{number}", options, redis_url)
            passed, failed = _having(outcomes, "passed"), _having(outcomes, "failed")
            self.skipped_unbroken |= _having(outcomes, "skipped")
            with_options = "" if options == Options() else f" with {options.describe()}"
            if failed:
                print(f"the unbroken stack already fails{with_options}: {sorted(failed)}", file=sys.stderr, flush=True)
            self.baselines[options] = passed
            self.failed_unbroken |= failed
            for name in passed:
                self.passed_unbroken.setdefault(name, options)
            print(f"baseline{with_options}: {len(passed)} scenarios pass in {', '.join(features)}", flush=True)

    def run_mutant(self, mutant: Mutant, project: Path, redis_url: str | None) -> None:
        """A scenario counts as turned red only if it passed unbroken with the mutant's options."""
        if not self.baselines[mutant.options]:
            self.unjudged.append(mutant.name)
            print(f"{mutant.name:36}   - not run: no scenario passed unbroken with its options", flush=True)
            return
        apply(mutant, project)
        outcomes = run_suite(project, mutant.features, mutant.name, mutant.options, redis_url)
        red = _having(outcomes, "failed") & self.baselines[mutant.options]
        print(f"{mutant.name:36} {len(red):3} scenario(s) red", flush=True)
        if not red:
            self.survivors.append(mutant.name)
        for name in red:
            self.killed_by.setdefault(name, []).append(mutant.name)

    def report(self, not_run: list[str], judge_scenarios: bool) -> int:
        """Prints the summary; the exit status."""
        print("\nscenario -> mutants that turned it red")
        for name, options in sorted(self.passed_unbroken.items()):
            only_with = "" if options == Options() else f" [runs only with {options.describe()}]"
            print(f"  {name}{only_with}: {', '.join(self.killed_by.get(name, [])) or 'NEVER RED'}")
        for line in not_run:
            print(f"\n{line}")
        skipped = sorted(self.skipped_unbroken - set(self.passed_unbroken) - self.failed_unbroken)
        if skipped and judge_scenarios:  # with --only, most scenarios are simply outside the chosen mutants
            print(f"\nskipped in every baseline (no mutant runs with the options they need): {', '.join(skipped)}")
        if self.failed_unbroken:
            print(f"\nred on the unbroken stack, so not judged: {', '.join(sorted(self.failed_unbroken))}")
        if self.unjudged:
            print(f"\nmutants not judged: {', '.join(self.unjudged)}")
        if self.survivors:
            print(f"\nmutants no scenario noticed: {', '.join(self.survivors)}")
        never_red = sorted(set(self.passed_unbroken) - set(self.killed_by)) if judge_scenarios else []
        if never_red:
            print(f"\nscenarios no mutant turned red: {len(never_red)}")
        return 1 if self.survivors or never_red or self.failed_unbroken or self.unjudged else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this mutant (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copies to inspect them")
    parser.add_argument(
        "--redis-url", help="a Redis for the pricing cache in every run, so the scenarios that need one run too"
    )
    args = parser.parse_args()
    try:
        catalogue = load()
    except CatalogueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if unknown := sorted(set(args.only or ()) - {m.name for m in catalogue}):
        print(f"no such mutant in scripts/mutants.toml: {', '.join(unknown)}", file=sys.stderr)
        return 2
    mutants = [m for m in catalogue if not args.only or m.name in args.only]
    if stale := stale_edits(mutants):
        print("the catalogue no longer matches the code:\n" + "\n".join(stale), file=sys.stderr)
        return 2
    groups: dict[Options, list[Mutant]] = {}
    for mutant in mutants:
        groups.setdefault(mutant.options, []).append(mutant)
    missing = {options: why for options in groups if (why := missing_for(options, args.redis_url))}
    not_run = [f"not run here ({why}): {', '.join(m.name for m in groups[o])}" for o, why in missing.items()]
    findings = Findings()
    workdir = Path(tempfile.mkdtemp(prefix="hello-dd-mutants-"))
    try:
        copy_project(workdir / "baseline")
        runnable = {options: members for options, members in groups.items() if options not in missing}
        findings.run_baselines(runnable, workdir / "baseline", args.redis_url)
        for mutant in (m for m in mutants if m.options in runnable):
            copy_project(workdir / mutant.name)
            findings.run_mutant(mutant, workdir / mutant.name, args.redis_url)
            if not args.keep:
                shutil.rmtree(workdir / mutant.name)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"copies kept in {workdir}")
    return findings.report(not_run, judge_scenarios=not args.only)


if __name__ == "__main__":
    sys.exit(main())
