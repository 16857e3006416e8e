#!/bin/bash
# pinned-load.sh SERVER LOADGEN SESSIONS SECONDS [loadgen flags...]
#
# Runs one recorder binary pinned to CPU 0 (GOMAXPROCS follows: 1) on a
# fresh data directory, and loadgen pinned to CPU 1 against it, then prints
# one line: the load average at the start, the server's CPU seconds and
# wall time over the run, its peak RSS, and where loadgen's output is.
# Run it from the repository root (loadgen reads media/testdata).
set -u
SERVER=$1 LOADGEN=$2 N=$3 SECS=$4
shift 4
PORT=$((18000 + RANDOM % 1000))
D=$(mktemp -d "${TMPDIR:-/tmp}/pinned-load.XXXX")
RECORDER_MAX_SESSIONS_PER_CLIENT=1100 taskset -c 0 "$SERVER" -addr 127.0.0.1:$PORT -data "$D" -offer-rate 0 -max-sessions 1100 >"$D/server.log" 2>&1 &
SP=$!
for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:$PORT/readyz && break; sleep 0.1; done
LOAD=$(cut -d' ' -f1 /proc/loadavg)
cpu() { awk '{print $14+$15}' /proc/$SP/stat; }
C0=$(cpu)
T0=$(date +%s.%N)
taskset -c 1 "$LOADGEN" -url http://127.0.0.1:$PORT -sessions "$N" -duration "${SECS}s" -every 5s "$@" >"$D/loadgen.out" 2>&1
C1=$(cpu)
T1=$(date +%s.%N)
RSS=$(awk '/VmHWM/{print $2}' /proc/$SP/status)
kill $SP
wait $SP 2>/dev/null
rm -rf "$D/spool" "$D/recordings"
TK=$(getconf CLK_TCK)
echo "sessions=$N load=$LOAD server_cpu_s=$(echo "($C1-$C0)/$TK" | bc -l | cut -c1-6) wall_s=$(echo "$T1-$T0" | bc | cut -c1-6) peak_rss_kB=$RSS out=$D/loadgen.out"
