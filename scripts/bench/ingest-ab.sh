#!/usr/bin/env bash
# One STOW-RS run of our server alone, for A/B comparisons on this noisy machine (alternate A and B,
# several pairs; one fresh server and database each, as ingest.sh runs them, without Orthanc):
#   node --import tsx scripts/bundle.ts apps/server/src/main.ts /tmp/a.mjs        # per variant
#   bash scripts/bench/ingest-ab.sh /tmp/benchdata-many 4 a-c4-1 /tmp/a.mjs
# Prints instances/s (MB/s), unaccounted, the server's CPU ticks (all threads) and its Postgres
# backends' since they started, then for the measured run alone: each kind of server thread's and
# the backends' seconds running and waiting for a CPU (schedstat), Redis' CPU ticks and the
# machine's (/proc/stat: user, system, softirq, iowait, idle).
# Writes to $RESULTS (default /tmp/vetpacs-ab): the harness JSON and log, and per thread of the
# server and per backend their schedstat (CPU ns, ns waiting for a CPU, time slices).
# EXTRA_SQL=file: run on the fresh database before the run (a variant of a function, an index…).
# WORKLOADS=dx: only these workloads of the dataset. WARM_DATA=dir: that dataset goes once through
# the same server into a second practice before the measured run (a process that has served it);
# KILL_BACKENDS=1 then ends its Postgres connections, so the measured run starts on new backends.
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
[ -n "${WARM_DATA:-}" ] && export BENCH_SECOND_PRACTICE=1
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
if [ -n "${WARM_DATA:-}" ]; then
  /usr/bin/python3 "$BENCH/bench_dicomweb.py" --base "$BASE" --dataset "$WARM_DATA" --concurrency "$C" --batch-size 10 --phases stow \
    --header "Authorization: Bearer $TOKEN2" --label "$TAG-warm-up" --out "$RESULTS/$TAG-warm-up.json" >/dev/null 2>"$RESULTS/$TAG-warm-up.log" || echo "warm-up failed"
fi
[ -n "${KILL_BACKENDS:-}" ] && psql -qAt -U postgres -h 127.0.0.1 postgres -c "select count(pg_terminate_backend(pid)) from pg_stat_activity where datname = '$db' and pid <> pg_backend_pid()"
sleep "${SETTLE:-3}"
# Per thread (by name) of the server, its Postgres backends (pg), Redis and the machine, before and after.
snapshot() {
  for t in /proc/"$PID"/task/*; do echo "$(tr ' ' _ < "$t/comm") $(cat "$t/schedstat")"; done
  for p in $(pgrep -f "postgres: .* $db " || true); do echo "pg $(cat "/proc/$p/schedstat" 2>/dev/null || echo '0 0 0')"; done
  r=$(pgrep -x redis-server | head -1)
  [ -n "$r" ] && echo "redis $(awk '{print ($14 + $15) * 10000000}' "/proc/$r/stat") 0 0"
  awk '/^cpu /{print "machine", $2 + $3, $4, $8, $6, $5}' /proc/stat
}
snapshot > "$RESULTS/$TAG.before"
/usr/bin/python3 "$BENCH/bench_dicomweb.py" --base "$BASE" --dataset "$DATA" --concurrency "$C" --batch-size 10 --phases stow \
  --header "Authorization: Bearer $TOKEN" ${WORKLOADS:+--workloads "$WORKLOADS"} --server-pid "$PID" --label "$TAG" --out "$RESULTS/$TAG.json" >/dev/null 2>"$RESULTS/$TAG.log" || echo "bench failed: see $RESULTS/$TAG.log"
snapshot > "$RESULTS/$TAG.after"
backends=$(pgrep -f "postgres: .* $db " || true)
pg=0
: > "$RESULTS/$TAG.sched"
for p in $backends; do
  pg=$((pg + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  echo "backend $p $(cat "/proc/$p/schedstat")" >> "$RESULTS/$TAG.sched"
done
for t in /proc/"$PID"/task/*; do echo "thread $(cat "$t/comm") $(cat "$t/schedstat")" >> "$RESULTS/$TAG.sched"; done
server=$(awk '{print $14 + $15}' "/proc/$PID/stat")
/usr/bin/python3 - "$RESULTS/$TAG.json" "$TAG" "$C" "$server" "$pg" "$RESULTS/$TAG.before" "$RESULTS/$TAG.after" <<'PY'
import collections, json, sys
path, tag, c, server, pg, before, after = sys.argv[1:]
for wl, v in json.load(open(path))['stow'].items():
    if isinstance(v, dict) and 'instances_per_s' in v:
        print(f"{tag} {wl} c{c} inst/s={v['instances_per_s']:.1f} MB/s={v.get('MB_per_s')} unaccounted={v.get('unaccounted')} server_ticks={server} postgres_ticks={pg}")
def load(f):
    d = collections.defaultdict(lambda: [0] * 5)
    for line in open(f):
        k, *nums = line.split()
        for i, n in enumerate(nums): d[k][i] += int(n)
    return d
a, b = load(before), load(after)
m = [y - x for x, y in zip(a['machine'], b['machine'])]
threads = ' '.join(f"{k}:run={(b[k][0] - a[k][0]) / 1e9:.2f}s,wait={(b[k][1] - a[k][1]) / 1e9:.2f}s" for k in b
                   if k not in ('machine', 'redis') and b[k][0] - a[k][0] > 2e7)
print(f"{tag} measured run: {threads} redis={(b['redis'][0] - a['redis'][0]) / 1e7:.0f}ticks"
      f" machine user={m[0]} system={m[1]} softirq={m[2]} iowait={m[3]} idle={m[4]} ticks ({100 * m[4] / max(1, sum(m)):.0f} % idle)")
PY
kill -TERM "$launcher"; wait "$launcher" || true
