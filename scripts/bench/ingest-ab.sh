#!/usr/bin/env bash
# One STOW-RS run of our server alone, for A/B comparisons on this noisy machine (alternate A and B,
# several pairs; one fresh server and database each, as ingest.sh runs them, without Orthanc):
#   node --import tsx scripts/bundle.ts apps/server/src/main.ts /tmp/a.mjs        # per variant
#   bash scripts/bench/ingest-ab.sh /tmp/benchdata-many 4 a-c4-1 /tmp/a.mjs
# Prints instances/s, unaccounted, the server's CPU ticks (all threads) and its Postgres backends'.
# Writes to $RESULTS (default /tmp/vetpacs-ab): the harness JSON and log, and per thread of the
# server and per backend their schedstat (CPU ns, ns waiting for a CPU, time slices).
# EXTRA_SQL=file: run on the fresh database before the run (a variant of a function, an index…).
# Do not delete the runs' files between pairs: on a filesystem without a journal, ext4's inode
# allocator then skips the recently deleted inodes one by one for minutes, and the writer threads'
# CPU grows fourfold (docs/benchmarks.md, 2026-12-05 12:18). Delete them all at the end, and start
# the next comparison ≥ 5 minutes later.
# BENCH_DATABASE_ADMIN_URL, BENCH_NODE_ARGS…: as for serve-for-bench.ts.
set -euo pipefail
DATA=$1 C=$2 TAG=$3 ENTRY=${4:-}
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BENCH=${BENCH:-$(cd ../shared/bench && pwd)}
RESULTS=${RESULTS:-/tmp/vetpacs-ab}
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
# Files stay until the caller deletes them (see BENCH_KEEP_FILES in ingest.sh).
export BENCH_KEEP_FILES=1 BENCH_STORAGE=${BENCH_STORAGE:-fs} BENCH_TMP=${BENCH_TMP:-/var/tmp}
[ -n "$ENTRY" ] && export BENCH_SERVER_ENTRY=$ENTRY
mkdir -p "$RESULTS"
out=$RESULTS/$TAG.server
node --import tsx scripts/bench/serve-for-bench.ts > "$out" 2> "$RESULTS/$TAG.err" &
launcher=$!
for _ in $(seq 300); do grep -q '^BASE=' "$out" 2>/dev/null && break; sleep 0.2; done
eval "$(grep '^BASE=' "$out")"
db=${DATABASE_URL##*/}
db=${db%%\?*}
[ -n "${EXTRA_SQL:-}" ] && psql -q -U postgres -h 127.0.0.1 "$db" -f "$EXTRA_SQL"
sleep "${SETTLE:-3}"
/usr/bin/python3 "$BENCH/bench_dicomweb.py" --base "$BASE" --dataset "$DATA" --concurrency "$C" --batch-size 10 --phases stow \
  --header "Authorization: Bearer $TOKEN" --server-pid "$PID" --label "$TAG" --out "$RESULTS/$TAG.json" >/dev/null 2>"$RESULTS/$TAG.log" || echo "bench failed: see $RESULTS/$TAG.log"
backends=$(pgrep -f "postgres: .* $db " || true)
pg=0
: > "$RESULTS/$TAG.sched"
for p in $backends; do
  pg=$((pg + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  echo "backend $p $(cat "/proc/$p/schedstat")" >> "$RESULTS/$TAG.sched"
done
for t in /proc/"$PID"/task/*; do echo "thread $(cat "$t/comm") $(cat "$t/schedstat")" >> "$RESULTS/$TAG.sched"; done
server=$(awk '{print $14 + $15}' "/proc/$PID/stat")
/usr/bin/python3 - "$RESULTS/$TAG.json" "$TAG" "$C" "$server" "$pg" <<'PY'
import json, sys
path, tag, c, server, pg = sys.argv[1:]
for wl, v in json.load(open(path))['stow'].items():
    if isinstance(v, dict) and 'instances_per_s' in v:
        print(f"{tag} {wl} c{c} inst/s={v['instances_per_s']:.1f} unaccounted={v.get('unaccounted')} server_ticks={server} postgres_ticks={pg}")
PY
kill -TERM "$launcher"; wait "$launcher" || true
