#!/usr/bin/env bash
# A Debian 12 container booted under systemd-nspawn, systemd as its PID 1: where the .deb's tests run
# (test/system/deb-package.test.ts).
#
#   scripts/nspawn-debian12.sh rootfs            the root file system (built once, then reused), its path printed
#   scripts/nspawn-debian12.sh boot DIR [BIND]   boots it, ephemeral (--volatile=overlay: the cache is never
#                                                written), BIND (a host folder) read-only at /mnt/host; prints the
#                                                container's PID 1 as seen from the host (DIR/leader)
#   scripts/nspawn-debian12.sh stop DIR          powers it off (kills it if it does not stop), removes DIR
#
# Commands run inside with `nsenter -t "$(cat DIR/leader)" -a CMD...`.
# The root file system is cached outside the repository in ${TICKDB_TEST_CACHE:-/var/cache/tickdb-test}, keyed by
# the debootstrap arguments: ~2.5 min and 250 MB the first time. Needs root, debootstrap, systemd-container.
set -euo pipefail
# Programs run inside the container are looked up on its PATH, not on the caller's (which may not exist there).
container_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

cache="${TICKDB_TEST_CACHE:-/var/cache/tickdb-test}"
mirror="${TICKDB_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
args=(--variant=minbase "--include=systemd,systemd-sysv,dbus,adduser,procps" bookworm ROOTFS "${mirror}")

die() {
  printf 'nspawn-debian12.sh: error: %s\n' "$*" >&2
  exit 2
}

rootfs() {
  local key dir
  key="$(echo "${args[*]}" | sha256sum | cut -c1-12)"
  dir="${cache}/rootfs-${key}"
  mkdir -p "${cache}"
  # One builder at a time; a second caller waits and then finds it built.
  exec 9>"${cache}/rootfs-${key}.lock"
  flock 9
  if [[ ! -x "${dir}/usr/lib/systemd/systemd" ]]; then
    rm -rf "${dir}.tmp"
    echo "nspawn-debian12.sh: debootstrap into ${dir} (once, ~2.5 min)" >&2
    local real=("${args[@]}")
    real[3]="${dir}.tmp"
    debootstrap "${real[@]}" >"${cache}/rootfs-${key}.log" 2>&1 || die "debootstrap failed, see ${cache}/rootfs-${key}.log"
    mv "${dir}.tmp" "${dir}"
  fi
  exec 9>&-
  printf '%s\n' "${dir}"
}

boot() {
  local dir="${1:?boot needs a state folder}" bind="${2:-}" fs machine pid leader state
  fs="$(rootfs)"
  mkdir -p "${dir}"
  machine="tickdb-$$"
  local opts=(-D "${fs}" --register=no --keep-unit --boot -q --volatile=overlay "--machine=${machine}")
  [[ -n "${bind}" ]] && opts+=("--bind-ro=${bind}:/mnt/host")
  setsid systemd-nspawn "${opts[@]}" </dev/null >"${dir}/console.log" 2>&1 &
  pid=$!
  echo "${pid}" >"${dir}/nspawn.pid"
  for _ in $(seq 1 600); do
    leader="$(pgrep -P "${pid}" | head -1 || true)"
    if [[ -n "${leader}" ]]; then
      state="$(nsenter -t "${leader}" -a /usr/bin/env PATH="${container_path}" systemctl is-system-running 2>/dev/null || true)"
      if [[ "${state}" == running || "${state}" == degraded ]]; then
        echo "${leader}" >"${dir}/leader"
        printf '%s\n' "${leader}"
        return 0
      fi
    fi
    kill -0 "${pid}" 2>/dev/null || die "systemd-nspawn exited: $(tail -5 "${dir}/console.log")"
    sleep 0.1
  done
  stop "${dir}"
  die "the container did not reach running in 60 s"
}

stop() {
  local dir="${1:?stop needs a state folder}" pid leader
  [[ -f "${dir}/nspawn.pid" ]] || { rm -rf "${dir}"; return 0; }
  pid="$(cat "${dir}/nspawn.pid")"
  leader="$(cat "${dir}/leader" 2>/dev/null || true)"
  if [[ -n "${leader}" ]] && kill -0 "${pid}" 2>/dev/null; then
    nsenter -t "${leader}" -a /usr/bin/env PATH="${container_path}" systemctl poweroff >/dev/null 2>&1 || true
  fi
  for _ in $(seq 1 300); do
    kill -0 "${pid}" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "${pid}" 2>/dev/null; then
    kill -KILL "${pid}" 2>/dev/null || true
  fi
  rm -rf "${dir}"
}

case "${1:-}" in
  rootfs) rootfs ;;
  boot) shift; boot "$@" ;;
  stop) shift; stop "$@" ;;
  *) die "usage: $0 rootfs | boot DIR [BIND] | stop DIR" ;;
esac
