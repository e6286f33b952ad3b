#!/usr/bin/env bash
# Signaling-server benchmark (issue 16 item 4): `swiftrtc serve` (release build) on loopback in
# a private network namespace, loaded by `swiftrtc-loadgen` (Swift, NIO WebSocket clients,
# several per event loop; clients join rooms in pairs and send ice_candidates with a send
# timestamp inside to their room peer). Each phase starts a fresh server:
#   1. max      closed loop, WINDOW messages in flight per client, rate limit off: the most the
#               server relays (and what that costs it in CPU)
#   2. rate     RATE messages/s offered (default 50,000) from 1,000 clients with the server's
#               default per-client rate limit (100 msg/s): relay latency p50/p95/p99
#   3. offer    like 1 with ~2.7 KB offers instead of ~300-byte candidates
#   4. idle     IDLE clients (default 10,000) connected and joined: server RSS per idle client
#               (VmRSS from /proc, after a warm-up of 200 connections)
#   5. cmax     like 1 across a cluster: three `swiftrtc serve --cluster` instances sharing a
#               throwaway PostgreSQL (initdb in a temporary directory, loopback only), the two
#               members of every room on different instances, so every message crosses
#               instances through LISTEN/NOTIFY (docs/cluster.md); server CPU is the three
#               servers' together (PostgreSQL's own CPU is not counted)
#   6. crate    like 2 across the same cluster
# Prints a table at the end. Usage: scripts/bench-signaling.sh (CLUSTER=0 skips phases 5 and 6)
# Environment: CLIENTS (1000) WINDOW (8) RATE (50000) IDLE (10000) DURATION (5 s per phase)
# LOADGEN_THREADS (1) SERVER_THREADS (server event loops; unset or empty runs `swiftrtc serve`'s
# default, one per core, as users run it; `SERVER_THREADS=1` runs one loop, which on a 2-core
# host shared with the generator relays about as much with a longer tail) SKIP_BUILD=1 (use the existing release binaries) BIN (their folder).
# The load generator runs on the same machine: the two share the cores (see the CPU columns).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--inner" ]; then
  if [ -z "${SKIP_BUILD:-}" ]; then
    swift build -c release --product swiftrtc 2>&1 | tail -1
    swift build -c release --product swiftrtc-loadgen 2>&1 | tail -1
  fi
  bin="${BIN:-$(swift build -c release --show-bin-path)}"
  ns=(unshare --net); [ "$(id -u)" -eq 0 ] || ns=(unshare --net --map-root-user)
  exec "${ns[@]}" bash "$0" --inner "$bin"
fi

bin="$2"
ip link set lo up
clients="${CLIENTS:-1000}"; window="${WINDOW:-8}"; rate="${RATE:-50000}"; idle="${IDLE:-10000}"
duration="${DURATION:-5}"; threads="${LOADGEN_THREADS:-1}"; SERVER_THREADS="${SERVER_THREADS:-}"
# Each side needs a descriptor per connection (the server and the generator are separate processes).
need=$((idle + 1024)); hard="$(ulimit -Hn)"
if [ "$hard" != unlimited ] && [ "$hard" -lt "$need" ]; then
  echo "warning: the hard fd limit is $hard; the idle phase needs about $need" >&2
  ulimit -n "$hard"
else
  ulimit -n "$need"
fi
tick="$(getconf CLK_TCK)"
results="$(mktemp)"; pgdir=""; cluster_pids=()
cleanup() {
  rm -f "$results"
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null || true
  for pid in "${cluster_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  stop_postgres
}
trap cleanup EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

start_server() {  # port, extra flags...
  local port="$1"; shift
  "$bin/swiftrtc" serve --port "$port" --log-level warning ${SERVER_THREADS:+--threads "$SERVER_THREADS"} "$@" &
  server=$!
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return; fi
    sleep 0.05
  done
  echo "the server did not start" >&2; exit 1
}

stop_server() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }

# A throwaway PostgreSQL on 127.0.0.1:15432 (as the postgres user when we are root: it refuses root).
pg_as=(); [ "$(id -u)" -eq 0 ] && pg_as=(runuser -u postgres --)
start_postgres() {
  local pg_bin; pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  pgdir="$(mktemp -d)"; [ "$(id -u)" -eq 0 ] && chown postgres "$pgdir"
  (cd / && "${pg_as[@]}" "$pg_bin/initdb" -D "$pgdir/data" -U swiftrtc --auth=trust -E UTF8 --no-sync --locale=C >/dev/null)
  (cd / && "${pg_as[@]}" "$pg_bin/pg_ctl" start -w -D "$pgdir/data" -l "$pgdir/log" \
    -o "-c listen_addresses=127.0.0.1 -p 15432 -k $pgdir -c fsync=off -c synchronous_commit=off -c max_connections=200" >/dev/null)
  (cd / && "${pg_as[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p 15432 -U swiftrtc swiftrtc)
  pg_ctl_bin="$pg_bin/pg_ctl"
}
stop_postgres() {
  [ -n "$pgdir" ] || return 0
  (cd / && "${pg_as[@]}" "$pg_ctl_bin" stop -m immediate -D "$pgdir/data" >/dev/null 2>&1) || true
  rm -rf "$pgdir"; pgdir=""
}

# run_cluster_phase NAME FIRST_PORT SERVER_FLAGS -- LOADGEN_FLAGS: three instances, a fresh database.
run_cluster_phase() {
  local name="$1" port="$2"; shift 2
  local sflags=() lflags=()
  while [ "$1" != "--" ]; do sflags+=("$1"); shift; done; shift
  lflags=("$@")
  start_postgres
  cluster_pids=()
  local p
  for p in "$port" $((port + 1)) $((port + 2)); do
    start_server "$p" --cluster "postgres://swiftrtc@127.0.0.1:15432/swiftrtc" "${sflags[@]}"
    cluster_pids+=("$server"); server=""
  done
  local t0 c0=0 t1 c1=0 out pid
  t0="$(date +%s.%N)"; for pid in "${cluster_pids[@]}"; do c0=$((c0 + $(cpu_ticks "$pid"))); done
  out="$("$bin/swiftrtc-loadgen" --ports "$port,$((port + 1)),$((port + 2))" --threads "$threads" --duration "$duration" "${lflags[@]}")"
  t1="$(date +%s.%N)"; for pid in "${cluster_pids[@]}"; do c1=$((c1 + $(cpu_ticks "$pid"))); done
  echo "$out" | grep -v '^RESULT' | sed "s/^/[$name] /"
  echo "$out" | grep '^RESULT' | sed "s/^RESULT/RESULT name=$name server_cpu=$(awk -v a="$c0" -v b="$c1" -v s="$t0" -v e="$t1" -v t="$tick" 'BEGIN{printf "%.2f", (b-a)/t/(e-s)}')/" >> "$results"
  for pid in "${cluster_pids[@]}"; do kill "$pid"; wait "$pid" 2>/dev/null || true; done
  cluster_pids=()
  stop_postgres
}

# run_phase NAME PORT SERVER_FLAGS -- LOADGEN_FLAGS
run_phase() {
  local name="$1" port="$2"; shift 2
  local sflags=() lflags=()
  while [ "$1" != "--" ]; do sflags+=("$1"); shift; done; shift
  lflags=("$@")
  start_server "$port" "${sflags[@]}"
  local t0 c0 t1 c1 out
  t0="$(date +%s.%N)"; c0="$(cpu_ticks "$server")"
  out="$("$bin/swiftrtc-loadgen" --port "$port" --threads "$threads" --duration "$duration" --server-pid "$server" "${lflags[@]}")"
  t1="$(date +%s.%N)"; c1="$(cpu_ticks "$server")"
  echo "$out" | grep -v '^RESULT' | sed "s/^/[$name] /"
  # Server CPU over the whole phase (connect, warm-up, measurement), in cores.
  echo "$out" | grep '^RESULT' | sed "s/^RESULT/RESULT name=$name server_cpu=$(awk -v a="$c0" -v b="$c1" -v s="$t0" -v e="$t1" -v t="$tick" 'BEGIN{printf "%.2f", (b-a)/t/(e-s)}')/" >> "$results"
  stop_server
}

echo "signaling benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), load average before: $(cut -d' ' -f1-3 /proc/loadavg); server event loops: ${SERVER_THREADS:-one per core}, generator event loops: $threads"
unlimited=(--rate-limit 1000000000 --rate-burst 1000000000)
run_phase max 18080 "${unlimited[@]}" -- --phase max --clients "$clients" --window "$window"
run_phase rate 18081 -- --phase rate --clients "$clients" --rate "$rate"
run_phase offer 18082 "${unlimited[@]}" -- --phase max --clients "$clients" --window "$window" --message offer
run_phase idle 18083 -- --phase idle --clients "$idle" --connect-concurrency 256
if [ "${CLUSTER:-1}" != 0 ]; then
  run_cluster_phase cmax 18090 "${unlimited[@]}" -- --phase max --clients "$clients" --window "$window"
  run_cluster_phase crate 18095 -- --phase rate --clients "$clients" --rate "$rate"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
echo
printf '| %-5s | %-44s | %12s | %8s | %8s | %8s | %11s | %10s |\n' phase load "relayed/s" "p50 ms" "p95 ms" "p99 ms" "server CPU" "gen CPU"
printf '|%s|\n' "-------|----------------------------------------------|--------------|----------|----------|----------|-------------|------------"
while read -r line; do
  name="$(echo "$line" | field name)"
  if [ "$name" = idle ]; then
    printf '| %-5s | %-44s | %s |\n' idle "$(echo "$line" | field clients) idle clients joined in pairs" \
      "server RSS $(echo "$line" | field rss_before_kib) KiB -> $(echo "$line" | field rss_after_kib) KiB = $(echo "$line" | field kib_per_client) KiB per idle client (server CPU $(echo "$line" | field server_cpu))"
    continue
  fi
  case "$name" in
    max) load="closed loop, $(echo "$line" | field window)/client, $(echo "$line" | field clients) clients, ice" ;;
    cmax) load="3 instances, closed loop, $(echo "$line" | field window)/client, ice" ;;
    crate) load="3 instances, $(echo "$line" | field offered) msg/s offered, ice" ;;
    rate) load="$(echo "$line" | field offered) msg/s offered, $(echo "$line" | field clients) clients, ice" ;;
    offer) load="closed loop, $(echo "$line" | field window)/client, $(echo "$line" | field clients) clients, offer" ;;
  esac
  errors="$(echo "$line" | field errors)"; [ "$errors" = 0 ] || load="$load (errors $errors)"
  printf '| %-5s | %-44s | %12s | %8s | %8s | %8s | %11s | %10s |\n' "$name" "$load" "$(echo "$line" | field relayed_per_s)" \
    "$(echo "$line" | field p50_ms)" "$(echo "$line" | field p95_ms)" "$(echo "$line" | field p99_ms)" \
    "$(echo "$line" | field server_cpu) cores" "$(echo "$line" | field loadgen_cpu) cores"
done < "$results"
