#!/usr/bin/env bash
# Installs tickdb as a systemd service on this host, from this checkout (after `npm ci`, which builds dist/).
#
#   sudo scripts/install-linux.sh [--root DIR] [--config FILE] [--user NAME] [--writer-group GROUP]
#                                 [--unit-dir DIR] [--no-enable] [--dry-run]
#
# What it does, each step safe to repeat:
#   1. creates the system user (useradd --system, no login, no home) unless it exists;
#   2. with --writer-group: adds the user to the writer's group, which also becomes the service's group, so that
#      the agent and the trading engine can both open the databases;
#   3. creates the root and every tier directory the configuration names (owner USER:GROUP, mode 2775: setgid,
#      so that new files keep the group); existing directories get that owner and mode, their content is untouched;
#   4. runs `tickdb service install`, which validates the configuration, writes the unit into /etc/systemd/system
#      and runs systemctl daemon-reload and enable (not start: the script prints how).
# --dry-run prints the commands instead of running them (and needs no root).
set -euo pipefail

usage() {
  # The comment block at the top of this file.
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

die() {
  printf 'install-linux.sh: error: %s\n' "$*" >&2
  exit 2
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tickdb_home="$(cd "${here}/.." && pwd)"
tickdb_bin="${tickdb_home}/bin/tickdb.js"

root="/var/lib/tickdb/ticks"
config=""
user="tickdb"
writer_group=""
unit_dir=""
enable=1
dry_run=0

while [[ $# -gt 0 ]]; do
  case "$1" in
    --root) root="${2:?--root needs a directory}"; shift 2 ;;
    --config) config="${2:?--config needs a file}"; shift 2 ;;
    --user) user="${2:?--user needs a name}"; shift 2 ;;
    --writer-group) writer_group="${2:?--writer-group needs a group}"; shift 2 ;;
    --unit-dir) unit_dir="${2:?--unit-dir needs a directory}"; shift 2 ;;
    --no-enable) enable=0; shift ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
done

# Runs a command, or prints it with --dry-run.
run() {
  if [[ "${dry_run}" -eq 1 ]]; then
    printf '+'
    printf ' %q' "$@"
    printf '\n'
  else
    "$@"
  fi
}

[[ "${root}" == /* ]] || die "--root must be an absolute path, got ${root}"
if [[ -n "${config}" ]]; then
  [[ "${config}" == /* ]] || die "--config must be an absolute path, got ${config}"
  [[ -r "${config}" ]] || die "cannot read the config file ${config}"
fi
if [[ "${dry_run}" -eq 0 && "${EUID}" -ne 0 ]]; then
  die "run as root (sudo), or with --dry-run to see the commands"
fi
# The release tarball carries its own runtime (node/bin/node); a checkout uses the system's.
if [[ -x "${tickdb_home}/node/bin/node" ]]; then
  node_bin="${tickdb_home}/node/bin/node"
else
  node_bin="$(command -v node)" || die "node is not in PATH (Node 20 or later is needed)"
fi
[[ -f "${tickdb_home}/dist/bundle/main.js" ]] || die "tickdb is not built in ${tickdb_home}: run npm ci there first"

group="${user}"
if [[ -n "${writer_group}" ]]; then
  getent group "${writer_group}" >/dev/null || die "the writer's group ${writer_group} does not exist"
  group="${writer_group}"
fi

# 1. The system user, with a group of its own name.
if id -u "${user}" >/dev/null 2>&1; then
  echo "user ${user} exists"
else
  run useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
    --comment "tickdb lifecycle agent" "${user}"
fi

# 2. Member of the writer's group (usermod -a is idempotent).
if [[ -n "${writer_group}" ]]; then
  run usermod --append --groups "${writer_group}" "${user}"
fi

# The common arguments of the tickdb calls: the configuration decides where the tiers are.
tickdb_args=(--platform linux --root "${root}" --user "${user}" --group "${group}" --node "${node_bin}" --tickdb-bin "${tickdb_bin}")
if [[ -n "${config}" ]]; then
  tickdb_args+=(--config "${config}")
fi

# 3. The directories the unit lets the agent write (the root and each tier outside it), as tickdb computes them.
print_json="$("${node_bin}" "${tickdb_bin}" service print "${tickdb_args[@]}" --json)" ||
  die "tickdb service print failed (see above): check the configuration"
writable_text="$("${node_bin}" -e 'for (const p of JSON.parse(process.argv[1]).writablePaths) console.log(p);' "${print_json}")" ||
  die "cannot read the writable paths from tickdb service print --json"
mapfile -t writable <<<"${writable_text}"
for dir in "${writable[@]}"; do
  # A tier that lives elsewhere may be a mount point that is not mounted now: create it only if its parent exists.
  if [[ "${dir}" != "${root}" && ! -d "$(dirname "${dir}")" ]]; then
    echo "warning: $(dirname "${dir}") does not exist (not mounted?): create ${dir} by hand, owned by ${user}:${group}, mode 2775" >&2
    continue
  fi
  run install -d -o "${user}" -g "${group}" -m 2775 "${dir}"
done

# 4. The unit.
install_args=("${tickdb_args[@]}")
if [[ -n "${unit_dir}" ]]; then
  install_args+=(--unit-dir "${unit_dir}")
fi
if [[ "${enable}" -eq 0 ]]; then
  install_args+=(--no-enable)
fi
if [[ "${dry_run}" -eq 1 ]]; then
  install_args+=(--dry-run)
fi
"${node_bin}" "${tickdb_bin}" service install "${install_args[@]}"

status_cmd=(sudo -u "${user}" "${node_bin}" "${tickdb_bin}" status --root "${root}")
if [[ -n "${config}" ]]; then
  status_cmd+=(--config "${config}")
fi
echo
if [[ "${dry_run}" -eq 1 ]]; then
  echo "Dry run: nothing was changed."
else
  echo "tickdb is installed as ${user}:${group}, root ${root}."
fi
echo "Start it:      systemctl start tickdb"
echo "Follow it:     journalctl -u tickdb -f"
printf 'Check health: '
printf ' %q' "${status_cmd[@]}"
printf '\n'
