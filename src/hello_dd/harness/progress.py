"""The suite's progress lines on standard error, all with one prefix so they stand out from behave's
own output: ``hello-dd spec: starting the local stack ...``."""

from __future__ import annotations

import sys

PREFIX = "hello-dd spec"


def say(text: str) -> None:
    print(f"{PREFIX}: {text}", file=sys.stderr, flush=True)
