"""make fuzz: a deep fuzz run of the three services from their own OpenAPI documents.

The same tests as make test's short run (tests/fuzz: operation by operation, and statefully, following
the ids one answer gives into the next request), with many more examples and a random seed, on a
fresh stack (new state directories, seed data only). The seed is printed first and last, so a failure
can be replayed exactly: ``make fuzz ARGS="--seed N"``. The run is bounded: past ``--minutes`` it is
stopped and counts as failed. Exit status: pytest's (0 when every check held), 1 when over time or
when no test ran, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make fuzz", description=__doc__.split("\n\n")[1])
    parser.add_argument("--seed", type=int, help="replay this seed (default: a new random one, printed)")
    parser.add_argument("--examples", type=int, default=120, help="examples per operation (default: 120)")
    parser.add_argument("--sequences", type=int, default=25, help="stateful call sequences per service (default: 25)")
    parser.add_argument("--minutes", type=float, default=10, help="stop and fail after this long (default: 10)")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments, e.g. -k gateway")
    args = parser.parse_args(argv)
    if args.examples < 1 or args.sequences < 1 or args.minutes <= 0:
        parser.error("--examples and --sequences take a whole number of at least 1, --minutes a positive number")
    return args


def _stop(run: subprocess.Popen[bytes]) -> None:
    """Interrupt pytest as Ctrl-C would, so its fixtures stop the stack; end the whole session if that
    takes longer than 30 s."""
    try:
        os.killpg(run.pid, signal.SIGINT)
        run.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    except ProcessLookupError:
        pass


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    env = {
        **os.environ,
        "HELLO_DD_FUZZ_SEED": str(seed),
        "HELLO_DD_FUZZ_EXAMPLES": str(args.examples),
        "HELLO_DD_FUZZ_STATEFUL_EXAMPLES": str(args.sequences),
    }
    print(
        f"make fuzz: seed {seed}, {args.examples} examples per operation, {args.sequences} call sequences per"
        f' service, at most {args.minutes:g} minutes, on a fresh stack (replay: make fuzz ARGS="--seed {seed}")',
        flush=True,
    )
    command = [sys.executable, "-m", "pytest", "tests/fuzz", "-q", "-p", "no:cacheprovider", *args.pytest_args]
    started = time.monotonic()
    # A session of its own, so that nothing the run started outlives it when it is stopped.
    run = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        status = run.wait(timeout=args.minutes * 60)
    except (subprocess.TimeoutExpired, KeyboardInterrupt) as stopped:
        _stop(run)
        why = "over its time" if isinstance(stopped, subprocess.TimeoutExpired) else "interrupted"
        print(
            f"make fuzz: stopped after {(time.monotonic() - started) / 60:.1f} minutes, {why} (seed {seed})",
            file=sys.stderr,
        )
        return 1
    took = time.monotonic() - started
    if status == 5:
        print("make fuzz: pytest collected no tests, which counts as a failure", file=sys.stderr)
        return 1
    outcome = "every check held" if status == 0 else "FAILED"
    print(f"make fuzz: {outcome} in {took:.0f} s (seed {seed})")
    return status


if __name__ == "__main__":
    sys.exit(main())
