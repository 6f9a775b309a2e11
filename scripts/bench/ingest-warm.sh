#!/usr/bin/env bash
# Fresh process against steady state, ours only: one server per round; a workload is sent twice,
# first into a second practice (the process is fresh: its JavaScript is compiled on the way), then
# into the benchmarked practice, which is still empty (the same process, now compiled, as after
# hours of traffic). The peer harness's runs (scripts/bench/ingest.sh) measure a fresh process.
#   DATA=/tmp/benchdata-full WORKLOAD=many CONCS="1 4" ROUNDS=2 bash scripts/bench/ingest-warm.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BENCH=${BENCH:-$(cd ../shared/bench && pwd)}
DATA=${DATA:-/tmp/benchdata-full}
WORKLOAD=${WORKLOAD:-many}
CONCS=${CONCS:-"1 4"}
ROUNDS=${ROUNDS:-2}
RESULTS=${RESULTS:-/tmp/vetpacs-bench-warm}
mkdir -p "$RESULTS"
WORK=$(mktemp -d /var/tmp/vetpacs-ingest-warm.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export BENCH_TMP="$WORK" BENCH_KEEP_FILES=1 BENCH_SECOND_PRACTICE=1 BENCH_STORAGE=${BENCH_STORAGE:-fs}
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
pnpm --filter @vetpacs/server build >/dev/null
for round in $(seq "$ROUNDS"); do
  for c in $CONCS; do
    tag="warm-c$c-r$round"
    sleep 5
    node --import tsx scripts/bench/serve-for-bench.ts > "$RESULTS/$tag.server" &
    launcher=$!
    for _ in $(seq 300); do grep -q '^BASE=' "$RESULTS/$tag.server" 2>/dev/null && break; sleep 0.2; done
    eval "$(grep '^BASE=' "$RESULTS/$tag.server")"
    for phase in fresh steady; do
      token=$([ "$phase" = fresh ] && echo "$TOKEN2" || echo "$TOKEN")
      cpu0=$(awk '{print $14 + $15}' "/proc/$PID/stat")
      /usr/bin/python3 "$BENCH/bench_dicomweb.py" --base "$BASE" --dataset "$DATA" --workloads "$WORKLOAD" --concurrency "$c" \
        --batch-size 10 --phases stow --header "Authorization: Bearer $token" --server-pid "$PID" --label "$tag-$phase" \
        --out "$RESULTS/$tag-$phase.json" >/dev/null 2>"$RESULTS/$tag-$phase.log" || echo "bench failed: see $RESULTS/$tag-$phase.log"
      cpu1=$(awk '{print $14 + $15}' "/proc/$PID/stat")
      echo "$tag $phase: $(grep -o 'STOW.*' "$RESULTS/$tag-$phase.log" | tr -s ' ') — server CPU $(( (cpu1 - cpu0) * 10 )) ms"
      sleep 3
    done
    kill -TERM "$launcher"; wait "$launcher" || true
  done
done
