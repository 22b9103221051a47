#!/usr/bin/env bash
# Installs the Debian packages some tests use when they are missing: chromium (renders the Allure
# report), redis-server (pricing's Redis cache), hey (make bench). Without them those tests are
# skipped with a reason.
# Needs root (or sudo) and apt; otherwise it only says what is missing.
set -euo pipefail

declare -A needed=([chromium]=chromium [redis-server]=redis-server [hey]=hey)
missing=()
for command in "${!needed[@]}"; do
    command -v "$command" >/dev/null 2>&1 || missing+=("${needed[$command]}")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "system packages: chromium, redis-server and hey are present"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "system packages: missing ${missing[*]} and no apt-get here; the tests that need them will be skipped" >&2
    exit 0
fi
run=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then run=(sudo); else
        echo "system packages: missing ${missing[*]}; run as root to install them (tests that need them will be skipped)" >&2
        exit 0
    fi
fi
echo "system packages: installing ${missing[*]}"
"${run[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${run[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
