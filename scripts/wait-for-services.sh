#!/usr/bin/env bash
# Waits until every hello-dd service answers its health check (the contract's health-services):
# ./scripts/wait-for-services.sh [--timeout SECONDS] [URL ...]
# Without URLs it checks the default ports: gateway 8000, inventory 8001, pricing 8002.
# Exit status: 0 when all are healthy, 1 when the time runs out (naming what is still down), 2 on bad usage.
set -euo pipefail

timeout=60
urls=()
while [ $# -gt 0 ]; do
    case "$1" in
        --timeout) timeout="${2:?--timeout needs a number of seconds}"; shift 2 ;;
        -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "wait-for-services: unknown option $1" >&2; exit 2 ;;
        *) urls+=("${1%/}"); shift ;;
    esac
done
[[ "$timeout" =~ ^[0-9]+$ ]] || { echo "wait-for-services: --timeout takes whole seconds, got $timeout" >&2; exit 2; }
[ ${#urls[@]} -gt 0 ] || urls=(http://localhost:8000 http://localhost:8001 http://localhost:8002)

deadline=$(( $(date +%s) + timeout ))
pending=("${urls[@]}")
while :; do
    still=()
    for url in "${pending[@]}"; do
        if curl -fsS -o /dev/null --max-time 2 "$url/health" 2>/dev/null; then
            echo "healthy: $url"
        else
            still+=("$url")
        fi
    done
    pending=("${still[@]+"${still[@]}"}")
    [ ${#pending[@]} -eq 0 ] && { echo "all ${#urls[@]} services are healthy"; exit 0; }
    if [ "$(date +%s)" -ge "$deadline" ]; then
        echo "wait-for-services: still not healthy after ${timeout}s: ${pending[*]}" >&2
        exit 1
    fi
    sleep 1
done
