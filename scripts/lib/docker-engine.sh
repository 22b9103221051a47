# Sourced by the Docker lanes (scripts/test-containers.sh, scripts/test-compose.sh): a Docker engine for
# the lane. The caller defines say(); ensure_engine uses the running engine when `docker info` answers,
# otherwise (as root with apt) installs docker.io, docker-compose and debootstrap from Debian and starts
# dockerd, which stop_engine (call it from the lane's EXIT trap) stops again.

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
    say "THE DOCKER ENGINE COULD NOT START: this lane cannot run on this machine. dockerd's last lines:" >&2
    tail -10 /tmp/hello-dd-dockerd.log >&2
    started_dockerd=""
    return 1
}

stop_engine() {
    if [ -n "$started_dockerd" ]; then
        say "stopping the Docker engine this lane started"
        kill "$started_dockerd" 2>/dev/null || true
        for _ in $(seq 20); do kill -0 "$started_dockerd" 2>/dev/null || break; sleep 1; done
    fi
}
