#!/usr/bin/env bash
# The containers lane (`make test-containers`): the whole specification on the stack in Docker
# containers, then docker-compose.yml started with Compose and checked with the contract's curl checks
# (scripts/contract-checks.sh). Everything it creates is removed at the end, also on failure or Ctrl-C.
#
#   scripts/test-containers.sh [--skip-suite] [--skip-compose] [BEHAVE ARGS...]
#
# Steps:
#  1. a Docker engine: used when `docker info` answers; otherwise, as root with apt, docker.io,
#     docker-compose and debootstrap are installed from Debian and dockerd is started for the lane
#     (and stopped at its end). When no engine can start, the lane says so and fails.
#  2. the public images the stack uses: pulled when missing, or built locally under the same names
#     where no registry can be reached (containers/stand-ins/build.sh).
#  3. behave -D stack=containers (Testcontainers; TESTCONTAINERS_RYUK_DISABLED=true, since its reaper
#     image may not be pullable), with any BEHAVE ARGS.
#  4. Compose (scripts/compose.sh: v1 or v2): config, up -d --build, scripts/wait-for-services.sh,
#     scripts/contract-checks.sh --compose, down -v.
# Exit status: 0 when every step passed, 1 otherwise, 2 on bad usage.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

run_suite=1 run_compose=1 behave_args=()
for arg in "$@"; do
    case "$arg" in
        --skip-suite) run_suite=0 ;;
        --skip-compose) run_compose=0 ;;
        -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) behave_args+=("$arg") ;;
    esac
done

say() { echo "test-containers: $*"; }
lane_started=$(date +%s)
step_started=$lane_started
step() { local now; now=$(date +%s); say "[$((now - lane_started))s] $*"; step_started=$now; }
compose_up=0
# shellcheck source=scripts/lib/docker-engine.sh
. scripts/lib/docker-engine.sh

cleanup() {
    if [ "$compose_up" = 1 ]; then
        say "removing the compose stack"
        scripts/compose.sh down -v --remove-orphans >/dev/null 2>&1 || true
    fi
    stop_engine
}
trap cleanup EXIT
trap 'exit 130' INT TERM

failed=()
step "1/4 Docker engine"
ensure_engine || exit 1

step "2/4 images"
containers/stand-ins/build.sh || exit 1
# The service image (the one -D stack=containers runs) holds the services only: no fault proxy, no suite
# library; the suite's tools image holds the fault proxy.
if ! docker build --quiet --tag hello-dd:spec . >/dev/null || ! docker run --rm hello-dd:spec python -c "import hello_dd.cli" \
    || docker run --rm hello-dd:spec python -c "import hello_dd.harness" 2>/dev/null \
    || docker run --rm hello-dd:spec python -c "import behave" 2>/dev/null; then
    failed+=("the service image: it must run the services, and hold neither the harness nor behave")
fi
if ! docker build --quiet --tag hello-dd-spec-tools:latest --file containers/spec-tools/Dockerfile . >/dev/null \
    || ! docker run --rm hello-dd-spec-tools:latest python -c "import hello_dd.harness.faults.server"; then
    failed+=("the tools image: it must run the fault proxy")
fi

if [ "$run_suite" = 1 ]; then
    step "3/4 the specification on -D stack=containers"
    if TESTCONTAINERS_RYUK_DISABLED=true .venv/bin/behave -D stack=containers "${behave_args[@]}"; then
        .venv/bin/python -m hello_dd.harness.reporting.closing_line
    else
        .venv/bin/python -m hello_dd.harness.reporting.closing_line
        failed+=("the specification on containers")
    fi
fi

if [ "$run_compose" = 1 ]; then
    step "4/4 docker-compose.yml with Compose $(scripts/compose.sh version --short 2>/dev/null || echo "(unknown version)")"
    if ! scripts/compose.sh config --quiet; then
        failed+=("compose config")
    else
        compose_up=1
        if ! scripts/compose.sh up -d --build >/tmp/hello-dd-compose-up.log 2>&1; then
            tail -20 /tmp/hello-dd-compose-up.log >&2
            failed+=("compose up")
        elif ! scripts/wait-for-services.sh --timeout 120; then
            scripts/compose.sh ps >&2
            failed+=("wait-for-services")
        elif ! scripts/contract-checks.sh --compose; then
            failed+=("the contract's curl checks on docker-compose.yml")
        fi
    fi
fi

step "done"
if [ ${#failed[@]} -gt 0 ]; then
    say "FAILED: ${failed[*]}" >&2
    exit 1
fi
say "passed in $(( $(date +%s) - lane_started )) s"
