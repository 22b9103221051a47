#!/usr/bin/env bash
# The compose lane (`make test-compose`): the whole specification with -D stack=compose, first on the
# repository's docker-compose.yml, then on containers/compose/renamed.yml (the same system with other
# Compose service names and ports, found through the mapping file containers/compose/renamed.toml).
# The suite brings each project up with its own override file (fault proxies, test agent) and takes it
# down at the end (docker-compose down -v), also on failure.
#
#   scripts/test-compose.sh [--skip-repository] [--skip-renamed] [BEHAVE ARGS...]
#
# Steps:
#  1. a Docker engine (scripts/lib/docker-engine.sh: the running one, or dockerd started for the lane);
#  2. the public images (containers/stand-ins/build.sh: pulled, or built locally where no registry answers);
#  3. behave -D stack=compose on docker-compose.yml (mapping containers/compose/hello-dd.toml: only the
#     optional extra environment that shortens the run);
#  4. behave -D stack=compose on containers/compose/renamed.yml with containers/compose/renamed.toml.
# Both files run the image built from this repository (build: .), the reference stack on PostgreSQL and
# Redis, so the lane holds them to its span budgets too (-D span_budget=true, docs/tracing.md): for
# another team's project the suite cannot know that, and skips those scenarios unless asked.
# The repository's docker-compose.yml publishes fixed ports (8000-8002, 5432, 6379, 8126, 4318 on
# 127.0.0.1): they must be free. Exit status: 0 when every step passed, 1 otherwise.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

run_repository=1 run_renamed=1 behave_args=()
for arg in "$@"; do
    case "$arg" in
        --skip-repository) run_repository=0 ;;
        --skip-renamed) run_renamed=0 ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) behave_args+=("$arg") ;;
    esac
done

say() { echo "test-compose: $*"; }
lane_started=$(date +%s)
step() { say "[$(( $(date +%s) - lane_started ))s] $*"; }
# shellcheck source=scripts/lib/docker-engine.sh
. scripts/lib/docker-engine.sh
trap stop_engine EXIT
trap 'exit 130' INT TERM

failed=()
run_spec() {  # NAME COMPOSE_FILE MAPPING
    step "the specification on $2 (Compose $(scripts/compose.sh version --short 2>/dev/null || echo "(unknown version)"))"
    if .venv/bin/behave -D stack=compose -D compose_file="$2" -D compose_mapping="$3" \
        -D compose_project="hello-dd-spec-$1" -D span_budget=true "${behave_args[@]}"; then
        .venv/bin/python -m hello_dd.harness.reporting.closing_line
    else
        .venv/bin/python -m hello_dd.harness.reporting.closing_line
        failed+=("the specification on $2")
    fi
}

step "1/4 Docker engine"
ensure_engine || exit 1
step "2/4 images"
containers/stand-ins/build.sh || exit 1
[ "$run_repository" = 1 ] && run_spec compose docker-compose.yml containers/compose/hello-dd.toml
[ "$run_renamed" = 1 ] && run_spec compose-renamed containers/compose/renamed.yml containers/compose/renamed.toml

step "done"
if [ ${#failed[@]} -gt 0 ]; then
    say "FAILED: ${failed[*]}" >&2
    exit 1
fi
say "passed in $(( $(date +%s) - lane_started )) s"
