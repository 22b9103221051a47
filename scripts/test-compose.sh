#!/usr/bin/env bash
# The compose lane (`make test-compose`): the whole specification with -D stack=compose, the way it runs
# on anyone's hello-dd: first on this repository's docker-compose.yml (hello-dd's names, and the
# mapping containers/compose/hello-dd.toml for its test hooks), then on a copy whose services and ports
# are renamed (scripts/rename-compose.py), found through a mapping file. Each run brings the project up
# with the suite's fault proxies and test agent added by a generated override file, and down -v at its
# end. The Docker engine is used or started as in the containers lane (scripts/docker-engine.sh).
#
#   scripts/test-compose.sh [--only-own] [BEHAVE ARGS...]     --only-own: skip the renamed copy
#
# Exit status: 0 when both runs passed, 1 otherwise, 2 on bad usage.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

run_renamed=1 behave_args=()
for arg in "$@"; do
    case "$arg" in
        --only-own) run_renamed=0 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) behave_args+=("$arg") ;;
    esac
done

say() { echo "test-compose: $*"; }
lane_started=$(date +%s)
step() { say "[$(( $(date +%s) - lane_started ))s] $*"; }
started_dockerd=""
renamed_dir=$(mktemp -d)
cleanup() {
    rm -rf "$renamed_dir"
    if [ -n "$started_dockerd" ]; then
        say "stopping the Docker engine this lane started"
        kill "$started_dockerd" 2>/dev/null || true
        for _ in $(seq 20); do kill -0 "$started_dockerd" 2>/dev/null || break; sleep 1; done
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

source scripts/docker-engine.sh

failed=()
step "1/4 Docker engine"
ensure_engine || exit 1
step "2/4 images (stand-ins for the public ones where no registry answers)"
containers/stand-ins/build.sh || exit 1

spec() {  # spec WHAT BEHAVE-OPTIONS...: one run of the specification on a Compose project
    local what="$1"; shift
    if .venv/bin/behave -D stack=compose "$@" "${behave_args[@]}"; then
        .venv/bin/python -m hello_dd.harness.reporting.closing_line
    else
        .venv/bin/python -m hello_dd.harness.reporting.closing_line
        failed+=("the specification on $what")
    fi
}

step "3/4 the specification on docker-compose.yml (-D stack=compose)"
spec "docker-compose.yml" -D compose_project=hello-dd-spec -D compose_mapping=containers/compose/hello-dd.toml

if [ "$run_renamed" = 1 ]; then
    step "4/4 the specification on a renamed copy of docker-compose.yml, through a mapping file"
    .venv/bin/python scripts/rename-compose.py "$renamed_dir" || exit 1
    spec "the renamed copy" -D compose_project=hello-dd-spec-renamed \
        -D compose_file="$renamed_dir/docker-compose.yml" -D compose_mapping="$renamed_dir/mapping.toml" \
        -D build_image=false
fi

step "done"
if [ ${#failed[@]} -gt 0 ]; then
    say "FAILED: ${failed[*]}" >&2
    exit 1
fi
say "passed in $(( $(date +%s) - lane_started )) s"
