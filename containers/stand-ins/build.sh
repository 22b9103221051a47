#!/usr/bin/env bash
# Makes sure the public images the stack uses exist in the local Docker engine. An image that is
# missing is pulled; when no registry can be reached, a stand-in is built under the same name from
# Debian and PyPI packages (a debootstrap base imported with `docker import`), so docker-compose.yml
# and the containers provider work unchanged on machines without a registry.
#
#   containers/stand-ins/build.sh [--no-pull] [--force]
#     --no-pull  do not try the registry first
#     --force    rebuild every stand-in even when the image exists
# Exit status: 0 when every image is present, 1 when one could not be pulled or built, 2 on bad usage.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# The versions: keep them in step with docker-compose.yml and the Makefile's TEST_AGENT_VERSION.
TEST_AGENT_VERSION="$(sed -n 's/^TEST_AGENT_VERSION := //p' "$repo/Makefile")"
BASE=hello-dd-stand-in/debian:bookworm
PYTHON=python:3.11-slim
POSTGRES=postgres:15
REDIS=redis:7
AGENT="ghcr.io/datadog/dd-apm-test-agent/ddapm-test-agent:v${TEST_AGENT_VERSION}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

pull=1 force=0
for arg in "$@"; do
    case "$arg" in
        --no-pull) pull=0 ;;
        --force) force=1; pull=0 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "stand-ins: unknown option $arg" >&2; exit 2 ;;
    esac
done
command -v docker >/dev/null || { echo "stand-ins: the docker command is missing" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "stand-ins: no Docker engine answers (is dockerd running?)" >&2; exit 1; }

present() { [ "$force" = 0 ] && docker image inspect "$1" >/dev/null 2>&1; }
pulled() { [ "$pull" = 1 ] && timeout 60 docker pull --quiet "$1" >/dev/null 2>&1; }

base_image() {
    present "$BASE" && return 0
    command -v debootstrap >/dev/null || { echo "stand-ins: debootstrap is needed (apt-get install debootstrap)" >&2; return 1; }
    local rootfs status=0
    rootfs="$(mktemp -d /tmp/hello-dd-rootfs.XXXXXX)"
    echo "stand-ins: debootstrap bookworm from $MIRROR (about 30 s)"
    if debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" >"$rootfs.log" 2>&1; then
        tar -C "$rootfs" -c . | docker import - "$BASE" >/dev/null && echo "stand-ins: imported $BASE" || status=1
    else
        echo "stand-ins: debootstrap failed; last lines:" >&2; tail -5 "$rootfs.log" >&2; status=1
    fi
    rm -rf "$rootfs" "$rootfs.log"
    return "$status"
}

stand_in() {  # image, folder, [build args...]
    local image="$1" folder="$2"; shift 2
    if present "$image"; then echo "stand-ins: $image is present"; return 0; fi
    if pulled "$image"; then echo "stand-ins: pulled $image"; return 0; fi
    base_image || return 1
    echo "stand-ins: building $image from Debian/PyPI packages"
    local log
    log="$(mktemp)"
    if ! docker build --tag "$image" "$@" "$here/$folder" >"$log" 2>&1; then
        echo "stand-ins: building $image failed; last lines:" >&2; tail -15 "$log" >&2; rm -f "$log"; return 1
    fi
    rm -f "$log"
}

# The python stand-in trusts this machine's extra certificate authorities (a TLS-inspecting proxy's).
mkdir -p "$here/python/certs"
trap 'rm -f "$here"/python/certs/*.crt' EXIT
cp /usr/local/share/ca-certificates/*.crt "$here/python/certs/" 2>/dev/null || true

stand_in "$PYTHON" python \
    && stand_in "$POSTGRES" postgres \
    && stand_in "$REDIS" redis \
    && stand_in "$AGENT" test-agent --build-arg "TEST_AGENT_VERSION=$TEST_AGENT_VERSION" \
    || { echo "stand-ins: not every image could be made present" >&2; exit 1; }
echo "stand-ins: every image the stack uses is present"
