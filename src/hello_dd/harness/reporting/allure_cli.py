"""The Allure 3 CLI's libraries (``node_modules/``, installed by ``npm ci``) and Node.js, which build the
HTML report: finding them, saying what is missing, and running ``allure_build.mjs`` on a build plan."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

CLI_IN_PROJECT = Path("node_modules/.bin/allure")
RUNNER = Path(__file__).with_name("allure_build.mjs")
BUILD_TIMEOUT_S = 300
INSTALL_HINT = "run `npm ci` in the project root (needs Node.js 20 or newer; package.json pins the Allure 3 CLI)"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class AllureReportError(RuntimeError):
    """The report could not be built; the message says why and what to do."""


def find_allure_cli(*starts: Path) -> Path | None:
    """``node_modules/.bin/allure`` in the first of ``starts`` (default: the working directory and
    this package's checkout) or one of their parent directories that has it."""
    for start in starts or (Path.cwd(), Path(__file__).resolve().parent):
        for directory in (start.resolve(), *start.resolve().parents):
            candidate = directory / CLI_IN_PROJECT
            if candidate.is_file():
                return candidate
    return None


def project_root(cli: Path) -> Path:
    return cli.absolute().parents[2] if cli.parent.name == ".bin" else Path.cwd()


def check_tools(cli: Path | None) -> Path:
    """The Allure CLI to build with, once it and Node.js are known to be there (else AllureReportError)."""
    if cli is None or not Path(cli).is_file():
        where = cli if cli is not None else f"{CLI_IN_PROJECT} (looked upwards from {Path.cwd()})"
        raise AllureReportError(f"the Allure 3 CLI is not installed: {where} is missing; {INSTALL_HINT}")
    if shutil.which("node") is None:
        raise AllureReportError(f"Node.js is not installed (`node` is not on PATH); install it, then {INSTALL_HINT}")
    return Path(cli)


def run_node(plan: Path, root: Path) -> None:
    """Runs the build ``plan`` (JSON) through ``allure_build.mjs``, in the project ``root``."""
    command = ["node", str(RUNNER), str(plan)]
    env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"}
    try:
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        raise AllureReportError(
            f"the Allure build did not finish within {BUILD_TIMEOUT_S} s: {' '.join(command)}"
        ) from exc
    except OSError as exc:
        raise AllureReportError(f"could not run Node.js: {exc}; {INSTALL_HINT}") from exc
    if done.returncode != 0:
        output = ANSI.sub("", (done.stdout + done.stderr).strip())
        raise AllureReportError(f"the Allure build failed (exit {done.returncode}): {' '.join(command)}\n{output}")
