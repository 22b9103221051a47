# The Docker engine the containers and compose lanes need (sourced by scripts/test-containers.sh and
# scripts/test-compose.sh; they define say() and clean up $started_dockerd). `docker info` answering is
# enough; otherwise, as root with apt, docker.io, docker-compose and debootstrap are installed from
# Debian and dockerd is started (its pid in $started_dockerd, so the lane stops it at its end).
started_dockerd=""

ensure_engine() {
    docker info >/dev/null 2>&1 && { say "using the running Docker engine"; return 0; }
    local missing=()
    command -v dockerd >/dev/null || missing+=(docker.io)
    command -v docker-compose >/dev/null || missing+=(docker-compose)
    command -v debootstrap >/dev/null || missing+=(debootstrap)
    if [ ${#missing[@]} -gt 0 ]; then
        if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
            say "no Docker engine answers and ${missing[*]} cannot be installed here (needs root and apt-get)" >&2
            return 1
        fi
        say "installing ${missing[*]} from Debian"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >/tmp/hello-dd-apt.log 2>&1 \
            || { say "apt-get install ${missing[*]} failed; last lines:" >&2; tail -5 /tmp/hello-dd-apt.log >&2; return 1; }
    fi
    say "starting dockerd (log: /tmp/hello-dd-dockerd.log)"
    dockerd >/tmp/hello-dd-dockerd.log 2>&1 &
    started_dockerd=$!
    for _ in $(seq 60); do
        docker info >/dev/null 2>&1 && { say "the Docker engine answers"; return 0; }
        kill -0 "$started_dockerd" 2>/dev/null || break
        sleep 1
    done
    say "THE DOCKER ENGINE COULD NOT START: the containers lane cannot run on this machine. dockerd's last lines:" >&2
    tail -10 /tmp/hello-dd-dockerd.log >&2
    started_dockerd=""
    return 1
}
