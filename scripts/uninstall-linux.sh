#!/usr/bin/env bash
# Removes the tickdb systemd service from this host. The tick data, its backups and archive are never touched.
#
#   sudo scripts/uninstall-linux.sh [--unit-dir DIR] [--remove-user] [--user NAME] [--no-enable] [--dry-run]
#
#   1. `tickdb service uninstall`: systemctl disable --now tickdb, removes the unit, daemon-reload
#      (skipped, with a note, when no unit is installed: running the script twice is fine);
#   2. with --remove-user: deletes the system user (default tickdb) and its own group; files it owned keep
#      their numeric owner, so re-create the user (install-linux.sh) before a reinstall or chown them.
# --dry-run prints what would be done (and needs no root).
set -euo pipefail

usage() {
  # The comment block at the top of this file.
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

die() {
  printf 'uninstall-linux.sh: error: %s\n' "$*" >&2
  exit 2
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tickdb_bin="$(cd "${here}/.." && pwd)/bin/tickdb.js"

unit_dir="/etc/systemd/system"
user="tickdb"
remove_user=0
enable=1
dry_run=0

while [[ $# -gt 0 ]]; do
  case "$1" in
    --unit-dir) unit_dir="${2:?--unit-dir needs a directory}"; shift 2 ;;
    --user) user="${2:?--user needs a name}"; shift 2 ;;
    --remove-user) remove_user=1; shift ;;
    --no-enable) enable=0; shift ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
done

run() {
  if [[ "${dry_run}" -eq 1 ]]; then
    printf '+'
    printf ' %q' "$@"
    printf '\n'
  else
    "$@"
  fi
}

if [[ "${dry_run}" -eq 0 && "${EUID}" -ne 0 ]]; then
  die "run as root (sudo), or with --dry-run to see the commands"
fi
if [[ -x "$(dirname "${tickdb_bin}")/../node/bin/node" ]]; then
  node_bin="$(dirname "${tickdb_bin}")/../node/bin/node"
else
  node_bin="$(command -v node)" || die "node is not in PATH"
fi

# 1. The unit.
if [[ -f "${unit_dir}/tickdb.service" ]]; then
  uninstall_args=(--platform linux --unit-dir "${unit_dir}")
  if [[ "${enable}" -eq 0 ]]; then
    uninstall_args+=(--no-enable)
  fi
  if [[ "${dry_run}" -eq 1 ]]; then
    uninstall_args+=(--dry-run)
  fi
  "${node_bin}" "${tickdb_bin}" service uninstall "${uninstall_args[@]}"
else
  echo "no ${unit_dir}/tickdb.service: the service is not installed, nothing to remove"
fi

# 2. The user, only when asked.
if [[ "${remove_user}" -eq 1 ]]; then
  if id -u "${user}" >/dev/null 2>&1; then
    run userdel "${user}"
  else
    echo "user ${user} does not exist"
  fi
fi

echo "The tick data, backups and archive were left in place."
