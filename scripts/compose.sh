#!/usr/bin/env bash
# Docker Compose on the project's docker-compose.yml, whichever Compose this machine has: v1
# (`docker-compose`, what scripts/test-containers.sh installs from Debian) when present, else v2
# (`docker compose`). It runs from the repository's root, wherever it is called from.
#
#   scripts/compose.sh up -d --build       scripts/compose.sh down -v       scripts/compose.sh version --short
#
# Exit status: Compose's own; 127 when neither Compose is installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if command -v docker-compose >/dev/null; then
    exec docker-compose "$@"
fi
if docker compose version >/dev/null 2>&1; then
    exec docker compose "$@"
fi
echo "compose: neither docker-compose (Compose v1) nor docker compose (Compose v2) is installed" >&2
exit 127
