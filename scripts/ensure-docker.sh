#!/usr/bin/env bash
# Make sure a Docker engine answers (and that debootstrap is there to make a base image
# when no registry is reachable). As root on Debian it installs Debian's docker.io and
# debootstrap packages and starts dockerd in the background; otherwise it says what to do.
set -euo pipefail

log() { echo "ensure-docker: $*" >&2; }

need_debootstrap() { ! command -v debootstrap >/dev/null 2>&1 && ! docker image inspect debian:bookworm >/dev/null 2>&1; }

if docker info >/dev/null 2>&1 && ! need_debootstrap; then
  exit 0
fi

if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ]; then
  if ! docker info >/dev/null 2>&1; then
    log "the Docker engine does not answer. Install and start it (on Debian, as root: apt-get install docker.io),"
    log "or point DOCKER_HOST at one, then run this again."
    exit 1
  fi
  log "debootstrap is missing and there is no debian:bookworm image; install debootstrap (root) or load that image."
  exit 1
fi

packages=()
command -v dockerd >/dev/null 2>&1 || packages+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || packages+=(debootstrap)
if [ "${#packages[@]}" -gt 0 ]; then
  log "installing ${packages[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] && systemctl start docker 2>/dev/null; then
    log "started docker.service"
  else
    log "starting dockerd in the background (log: /var/log/deskbench-dockerd.log)"
    nohup dockerd >/var/log/deskbench-dockerd.log 2>&1 &
  fi
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
fi

if ! docker info >/dev/null 2>&1; then
  log "dockerd did not answer within 60 s; its log ends with:"
  tail -n 20 /var/log/deskbench-dockerd.log >&2 || true
  exit 1
fi
log "Docker engine $(docker version --format '{{.Server.Version}}') answers"
