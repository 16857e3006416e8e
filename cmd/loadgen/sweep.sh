#!/bin/bash
# sweep.sh SERVER LOADGEN "COUNTS" SECONDS OUTDIR [loadgen flags...]
#
# Runs one load run per session count in COUNTS (e.g. "32 64 96 128"):
# each on a fresh server pinned to CPU 0 (GOMAXPROCS follows: 1) and
# loadgen pinned to CPU 1, streaming for SECONDS, and writes loadgen's
# -json summary to OUTDIR/sessions-NNNN.json (its whole output beside it,
# .log), with the server's CPU and RSS (-server-pid) and the load average.
# SERVER is a recorder binary, or cmd/loadgen/aiortc/server.py for the
# aiortc baseline (run by /usr/bin/python3; loadgen gets -baseline).
# Chart the result with cmd/perfchart. Run it from the repository root
# (loadgen reads media/testdata); SWEEP_PAUSE (default 10) is the seconds
# of rest between runs; SWEEP_PARAMS, a JSON object such as
# '{"sample_rate":16000}', is posted to the recorder's /update_params
# before each run.
set -u
if [ $# -lt 5 ]; then
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
SERVER=$1 LOADGEN=$2 COUNTS=$3 SECS=$4 OUT=$5
shift 5
mkdir -p "$OUT" || exit 1
EXTRA=()
case "$SERVER" in
  *.py) EXTRA=(-baseline) ;;
esac
status=0
for N in $COUNTS; do
  PORT=$((18000 + RANDOM % 1000))
  D=$(mktemp -d "${TMPDIR:-/tmp}/sweep.XXXX")
  case "$SERVER" in
    *.py) taskset -c 0 /usr/bin/python3 "$SERVER" -addr 127.0.0.1:$PORT -max-sessions 1100 >"$D/server.log" 2>&1 & ;;
    *) RECORDER_MAX_SESSIONS_PER_CLIENT=1100 taskset -c 0 "$SERVER" -addr 127.0.0.1:$PORT -data "$D" -offer-rate 0 -max-sessions 1100 >"$D/server.log" 2>&1 & ;;
  esac
  SP=$!
  for _ in $(seq 200); do curl -s -o /dev/null http://127.0.0.1:$PORT/readyz && break; sleep 0.1; done
  if [ -n "${SWEEP_PARAMS:-}" ]; then
    curl -sf -o /dev/null -H 'Content-Type: application/json' -d "$SWEEP_PARAMS" \
      http://127.0.0.1:$PORT/update_params || { echo "sweep: /update_params refused $SWEEP_PARAMS" >&2; exit 1; }
  fi
  F=$(printf '%s/sessions-%04d' "$OUT" "$N")
  taskset -c 1 "$LOADGEN" -url http://127.0.0.1:$PORT -sessions "$N" -duration "${SECS}s" -every 5s \
    -json -server-pid $SP "${EXTRA[@]}" "$@" >"$F.log" 2>&1
  rc=$?
  kill $SP
  wait $SP 2>/dev/null
  cp "$D/server.log" "$F.server.log"
  rm -rf "$D"
  if grep '^{' "$F.log" | tail -1 >"$F.json" && [ -s "$F.json" ]; then
    echo "sessions=$N loadgen_exit=$rc $(tail -1 "$F.json")"
  else
    rm -f "$F.json"
    echo "sessions=$N loadgen_exit=$rc: no summary, see $F.log" >&2
    status=1
  fi
  case " $COUNTS " in *" $N ") ;; *) sleep "${SWEEP_PAUSE:-10}" ;; esac
done
exit $status
