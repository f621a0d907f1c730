#!/usr/bin/env bash
# ceph-rgw.sh - throwaway single-host Ceph cluster with an S3 endpoint (radosgw), for tickdb's S3 archive
# tests (test/helpers/rgw.ts starts it) and for trying the S3 target by hand. Everything listens on 127.0.0.1 only and lives under one directory.
#
#   1 monitor (auth none, msgr v2, crc mode), no mgr (not needed by rgw),
#   1 OSD on memstore (data kept in RAM, gone at stop), pools of size 1,
#   radosgw (beast) on 127.0.0.1:PORT, S3 user "test" with fixed keys.
#
# Needs (Debian 12): apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw ceph-common
# (Ceph 16.2.x Pacific; also needs curl or bash /dev/tcp, uuidgen or /proc uuid).
#
# Usage:
#   ceph-rgw.sh start  DIR [PORT]  start (or reuse if already healthy); prints on stdout:
#                                        S3_ENDPOINT=... S3_ACCESS_KEY=... S3_SECRET_KEY=... S3_REGION=...
#                                        (also written to DIR/s3.env, in "export K=V" form)
#   ceph-rgw.sh stop   DIR         stop the daemons by pid (TERM, then KILL) and delete DIR
#   ceph-rgw.sh status DIR         exit 0 if running and S3 answers
#   ceph-rgw.sh stop-gateway DIR   stop radosgw alone (the monitor and the OSD keep the buckets): an S3 outage
#   ceph-rgw.sh start-gateway DIR  start radosgw again and wait until S3 answers
#   or:  source ceph-rgw.sh; ceph_rgw_start DIR PORT; ...; ceph_rgw_stop DIR
#
# Environment (optional):
#   CEPH_RGW_ACCESS_KEY (default AK)      CEPH_RGW_SECRET_KEY (default SK)
#   CEPH_RGW_UID (default test)           CEPH_MON_PORT (default: first free port from 13300)
#   CEPH_MEMSTORE_BYTES (default 4 GiB; RAM the OSD may use for object data)
#   CEPH_RGW_START_TIMEOUT (seconds, default 120)

_crs_log() { echo "[ceph-rgw] $*" >&2; }
_crs_die() { echo "[ceph-rgw] ERROR: $*" >&2; return 1; }

# HTTP status code of GET http://127.0.0.1:PORT/ (000 if nothing answers)
_crs_http_code() {
  local port=$1 code
  if command -v curl >/dev/null 2>&1; then
    code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:${port}/" 2>/dev/null) || true
    echo "${code:-000}"
  else
    ( exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
      printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
      IFS= read -r -t 2 line <&3 && echo "$line" | awk '{print $2}' ) 2>/dev/null || echo 000
  fi
}

_crs_port_in_use() { ( exec 3<>"/dev/tcp/127.0.0.1/$1" ) 2>/dev/null; }

# pid of daemon NAME (mon.a, osd.0, client.rgw.gw) if alive and really ours
_crs_pid() {
  local dir=$1 name=$2 pid
  [ -r "$dir/run/$name.pid" ] || return 1
  pid=$(cat "$dir/run/$name.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/ceph.conf" || return 1
  echo "$pid"
}

_crs_daemons="client.rgw.gw osd.0 mon.a"

_crs_abs() { mkdir -p "$1" && (cd "$1" && pwd -P); }

ceph_rgw_stop() {
  local dir=${1:?usage: ceph_rgw_stop DIR}
  [ -d "$dir" ] || { _crs_log "nothing to stop in $dir"; return 0; }
  dir=$(cd "$dir" && pwd -P)
  if [ ! -e "$dir/.ceph-rgw-start" ]; then
    _crs_die "$dir was not created by ceph-rgw.sh (no .ceph-rgw-start marker); not touching it"; return 1
  fi
  local group pid pids n i
  # one at a time: rgw (needs osd+mon to shut down cleanly), then osd (tells the mon), then mon
  for group in client.rgw.gw osd.0 mon.a; do
    pids=""
    for n in $group; do
      pid=$(_crs_pid "$dir" "$n") && { kill -TERM "$pid" 2>/dev/null; pids="$pids $pid"; }
    done
    for i in $(seq 1 100); do
      local alive=""
      for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive="$alive $pid"; done
      pids=$alive; [ -z "$pids" ] && break; sleep 0.1
    done
    for pid in $pids; do _crs_log "pid $pid did not exit after TERM, sending KILL"; kill -KILL "$pid" 2>/dev/null; done
  done
  rm -rf -- "$dir"
  _crs_log "stopped and removed $dir"
}

# radosgw alone, for outage tests: the cluster (and so every bucket and object) stays
ceph_rgw_stop_gateway() {
  local dir=${1:?usage: ceph_rgw_stop_gateway DIR} pid i
  dir=$(cd "$dir" && pwd -P) || return 1
  pid=$(_crs_pid "$dir" client.rgw.gw) || { _crs_log "radosgw is not running in $dir"; return 0; }
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { _crs_log "radosgw $pid did not exit after TERM, sending KILL"; kill -KILL "$pid"; }
  _crs_log "radosgw stopped in $dir"
}

ceph_rgw_start_gateway() {
  local dir=${1:?usage: ceph_rgw_start_gateway DIR} port code deadline
  dir=$(cd "$dir" && pwd -P) || return 1
  [ -f "$dir/s3.env" ] || { _crs_die "$dir has no s3.env: start the cluster first"; return 1; }
  port=$(sed -n 's/^export S3_PORT=//p' "$dir/s3.env")
  _crs_pid "$dir" client.rgw.gw >/dev/null && { _crs_log "radosgw already running in $dir"; return 0; }
  rm -f "$dir/run/client.rgw.gw.pid"
  radosgw -c "$dir/ceph.conf" -n client.rgw.gw >>"$dir/log/rgw.stderr" 2>&1 || { _crs_die "radosgw failed to start"; return 1; }
  deadline=$(( $(date +%s) + ${CEPH_RGW_START_TIMEOUT:-120} ))
  until [ "$(_crs_http_code "$port")" = 200 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { _crs_die "timeout waiting for S3 on 127.0.0.1:$port"; return 1; }
    sleep 0.2
  done
  _crs_log "radosgw answering again on 127.0.0.1:$port"
}

ceph_rgw_status() {
  local dir=${1:?usage: ceph_rgw_status DIR} n port
  [ -f "$dir/s3.env" ] || return 1
  dir=$(cd "$dir" && pwd -P)
  for n in $_crs_daemons; do _crs_pid "$dir" "$n" >/dev/null || return 1; done
  port=$(sed -n 's/^export S3_PORT=//p' "$dir/s3.env")
  [ "$(_crs_http_code "$port")" = 200 ]
}

ceph_rgw_start() {
  local dir=${1:?usage: ceph_rgw_start DIR [PORT]} port=${2:-7480}
  local ak=${CEPH_RGW_ACCESS_KEY:-AK} sk=${CEPH_RGW_SECRET_KEY:-SK} uid=${CEPH_RGW_UID:-test}
  local memb=${CEPH_MEMSTORE_BYTES:-4294967296} tmo=${CEPH_RGW_START_TIMEOUT:-120}
  local b t0 t1 i n pid code
  case "$port" in ''|*[!0-9]*) _crs_die "PORT must be a number, got '$port'"; return 1;; esac
  if [ "$port" -ge 6800 ] && [ "$port" -le 7300 ]; then
    _crs_die "PORT $port is inside 6800-7300, the range the OSD binds its own ports in; pick another (default 7480)"; return 1
  fi
  for b in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool; do
    command -v "$b" >/dev/null 2>&1 || { _crs_die "'$b' not found; install: apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw ceph-common"; return 1; }
  done
  if [ -d "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ] && [ ! -e "$dir/.ceph-rgw-start" ]; then
    _crs_die "$dir exists, is not empty and was not created by this script; give an empty or new directory"; return 1
  fi
  dir=$(_crs_abs "$dir") || { _crs_die "cannot create $dir"; return 1; }

  # idempotency: healthy cluster already there -> reuse; half-dead one -> wipe and restart
  if [ -e "$dir/.ceph-rgw-start" ]; then
    if ceph_rgw_status "$dir"; then
      if grep -qx "export S3_PORT=$port" "$dir/s3.env"; then
        _crs_log "already running in $dir"; sed 's/^export //' "$dir/s3.env" | grep -v '^S3_PORT='; return 0
      fi
      _crs_die "a cluster is already running in $dir on another port ($(sed -n 's/^export S3_PORT=//p' "$dir/s3.env")); stop it first"; return 1
    fi
    _crs_log "stale/partial cluster in $dir: cleaning up"
    ceph_rgw_stop "$dir" >/dev/null 2>&1 || true
    dir=$(_crs_abs "$dir") || return 1
  fi
  if _crs_port_in_use "$port"; then _crs_die "127.0.0.1:$port is already in use by another process"; return 1; fi
  local monport=${CEPH_MON_PORT:-}
  if [ -z "$monport" ]; then
    monport=13300; while _crs_port_in_use "$monport" || [ "$monport" = "$port" ]; do monport=$((monport + 1)); done
  elif _crs_port_in_use "$monport"; then _crs_die "mon port 127.0.0.1:$monport already in use"; return 1; fi
  touch "$dir/.ceph-rgw-start"


  t0=$(date +%s.%N)
  mkdir -p "$dir"/{run,log,crash,mon/mon.a,osd/0,rgw} || return 1
  local fsid; fsid=$(uuidgen 2>/dev/null || cat /proc/sys/kernel/random/uuid)
  cat > "$dir/ceph.conf" <<EOF
[global]
fsid = $fsid
mon_host = v2:127.0.0.1:$monport
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_ipv4 = true
ms_bind_ipv6 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
# with auth none only "crc" connection mode is possible (radosgw defaults to secure)
ms_cluster_mode = crc
ms_service_mode = crc
ms_client_mode = crc
ms_mon_cluster_mode = crc
ms_mon_service_mode = crc
ms_mon_client_mode = crc
keyring = /dev/null
run_dir = $dir/run
crash_dir = $dir/crash
admin_socket = $dir/run/\$name.asok
pid_file = $dir/run/\$name.pid
log_file = $dir/log/\$name.log
mon_cluster_log_file = $dir/log/cluster.log
log_to_stderr = false
err_to_stderr = true
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_max_pg_per_osd = 1000
mon_warn_on_pool_no_redundancy = false
mon_warn_on_insecure_global_id_reclaim_allowed = false
mon_data_avail_crit = 1
mon_data_avail_warn = 2
paxos_propose_interval = 0.05
[mon]
mon_data = $dir/mon/\$name
mon_allow_pool_delete = true
[osd]
osd_data = $dir/osd/\$id
osd_objectstore = memstore
memstore_device_bytes = $memb
[client.rgw.gw]
rgw_frontends = beast endpoint=127.0.0.1:$port
rgw_data = $dir/rgw
EOF
  local C=(-c "$dir/ceph.conf")
  _crs_deadline=$(( $(date +%s) + tmo ))
  _crs_fail() { _crs_die "$1"; local f; for f in "$dir"/log/*; do [ -s "$f" ] && { echo "--- tail $f" >&2; tail -n 15 "$f" >&2; }; done; return 1; }

  # --- monitor
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$monport]" "$dir/monmap" >"$dir/log/mkfs.out" 2>&1 \
    || { _crs_fail "monmaptool failed"; return 1; }
  ceph-mon "${C[@]}" --mkfs -i a --monmap "$dir/monmap" >>"$dir/log/mkfs.out" 2>&1 \
    || { _crs_fail "ceph-mon --mkfs failed"; return 1; }
  ceph-mon "${C[@]}" -i a >"$dir/log/mon.a.stderr" 2>&1 || { _crs_fail "ceph-mon failed to start"; return 1; }
  until timeout 10 ceph "${C[@]}" --connect-timeout 5 mon stat >/dev/null 2>&1; do
    _crs_pid "$dir" mon.a >/dev/null || { _crs_fail "ceph-mon exited"; return 1; }
    [ "$(date +%s)" -lt "$_crs_deadline" ] || { _crs_fail "timeout waiting for the monitor"; return 1; }
    sleep 0.2
  done
  t1=$(date +%s.%N); _crs_log "mon up after $(awk "BEGIN{printf \"%.1f\", $t1-$t0}")s"

  # --- OSD (memstore)
  local ou; ou=$(uuidgen 2>/dev/null || cat /proc/sys/kernel/random/uuid)
  n=$(timeout 30 ceph "${C[@]}" osd new "$ou" 2>>"$dir/log/mkfs.out") && [ "$n" = 0 ] \
    || { _crs_fail "'ceph osd new' failed (got '$n')"; return 1; }
  ceph-osd "${C[@]}" -i 0 --mkfs --osd-uuid "$ou" >>"$dir/log/mkfs.out" 2>&1 \
    || { _crs_fail "ceph-osd --mkfs failed"; return 1; }
  ceph-osd "${C[@]}" -i 0 >"$dir/log/osd.0.stderr" 2>&1 || { _crs_fail "ceph-osd failed to start"; return 1; }
  until timeout 10 ceph "${C[@]}" osd dump 2>/dev/null | grep -q '^osd\.0 up'; do
    _crs_pid "$dir" osd.0 >/dev/null || { _crs_fail "ceph-osd exited"; return 1; }
    [ "$(date +%s)" -lt "$_crs_deadline" ] || { _crs_fail "timeout waiting for osd.0 to be up"; return 1; }
    sleep 0.2
  done
  t1=$(date +%s.%N); _crs_log "osd up after $(awk "BEGIN{printf \"%.1f\", $t1-$t0}")s"

  # --- radosgw
  radosgw "${C[@]}" -n client.rgw.gw >"$dir/log/rgw.stderr" 2>&1 || { _crs_fail "radosgw failed to start"; return 1; }
  while :; do
    code=$(_crs_http_code "$port"); [ "$code" = 200 ] && break
    # the pid file appears only after the fork; give it a few seconds
    if ! _crs_pid "$dir" client.rgw.gw >/dev/null && [ -e "$dir/run/client.rgw.gw.pid" ]; then
      _crs_fail "radosgw exited"; return 1
    fi
    [ "$(date +%s)" -lt "$_crs_deadline" ] || { _crs_fail "timeout waiting for S3 on 127.0.0.1:$port (last HTTP code $code)"; return 1; }
    sleep 0.2
  done
  t1=$(date +%s.%N); _crs_log "S3 answering after $(awk "BEGIN{printf \"%.1f\", $t1-$t0}")s"

  # --- S3 user
  radosgw-admin "${C[@]}" user create --uid "$uid" --display-name "$uid" \
      --access-key "$ak" --secret-key "$sk" >"$dir/log/user.json" 2>"$dir/log/user.err" \
    || { _crs_fail "radosgw-admin user create failed: $(tail -n 3 "$dir/log/user.err")"; return 1; }
  cat > "$dir/s3.env" <<EOF
export S3_ENDPOINT=http://127.0.0.1:$port
export S3_ACCESS_KEY=$ak
export S3_SECRET_KEY=$sk
export S3_REGION=us-east-1
export S3_PORT=$port
export CEPH_CONF=$dir/ceph.conf
EOF
  t1=$(date +%s.%N); _crs_log "ready after $(awk "BEGIN{printf \"%.1f\", $t1-$t0}")s (stop: $(readlink -f "${BASH_SOURCE[0]}") stop $dir)"
  sed 's/^export //' "$dir/s3.env" | grep -v '^S3_PORT='
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -u
  cmd=${1:-}; shift || true
  case "$cmd" in
    start)  [ $# -ge 1 ] || { echo "usage: $0 start DIR [PORT]" >&2; exit 2; }; ceph_rgw_start "$@" ;;
    stop)   [ $# -ge 1 ] || { echo "usage: $0 stop DIR" >&2; exit 2; }; ceph_rgw_stop "$1" ;;
    stop-gateway)  [ $# -ge 1 ] || { echo "usage: $0 stop-gateway DIR" >&2; exit 2; }; ceph_rgw_stop_gateway "$1" ;;
    start-gateway) [ $# -ge 1 ] || { echo "usage: $0 start-gateway DIR" >&2; exit 2; }; ceph_rgw_start_gateway "$1" ;;
    status) [ $# -ge 1 ] || { echo "usage: $0 status DIR" >&2; exit 2; }
            if ceph_rgw_status "$1"; then echo running; else echo "not running"; exit 1; fi ;;
    *) echo "usage: $0 start DIR [PORT] | stop DIR | status DIR | stop-gateway DIR | start-gateway DIR" >&2; exit 2 ;;
  esac
fi
