#!/usr/bin/env bash
# DICOMweb read-side benchmark, our server and Orthanc side by side in one run (see docs/benchmarks.md):
#   DATA=/tmp/benchdata bash apps/server/bench/run.sh
# Needs the apt packages python3-pydicom python3-numpy orthanc orthanc-dicomweb orthanc-postgresql and a
# dataset from ../shared/bench/gen_dataset.py. Our server: fresh database, filesystem storage.
# Phases: STOW load, QIDO/metadata/retrieve/frames/verify at concurrency $CONC; metadata again on the
# precomputed path; then $SEED_STUDIES synthetic studies (~11.7 instances each) for QIDO at scale.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
BENCH=${BENCH:-$(cd ../shared/bench && pwd)}
DATA=${DATA:-/tmp/benchdata}
RESULTS=${RESULTS:-/tmp/vetpacs-dicomweb-results}
CONC=${CONC:-1}
SEED_STUDIES=${SEED_STUDIES:-85000}
ORTHANC=${ORTHANC-sqlite}  # ORTHANC="" skips the peer
mkdir -p "$RESULTS"
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
tsx() { node --import tsx "$@"; }
pnpm --filter @vetpacs/server build >/dev/null   # serve-for-bench.ts runs the bundle, as `npm start` does

rss_watch() { # peak RSS (KiB) of a process tree root, sampled every 0.2 s, written on exit
  local pid=$1 out=$2 peak=0 r
  while kill -0 "$pid" 2>/dev/null; do
    r=$(ps -o rss= -p "$pid" 2>/dev/null | tr -d ' ' || echo 0); [ -n "$r" ] && [ "$r" -gt "$peak" ] && peak=$r && echo "$peak" > "$out"
    sleep 0.2
  done
}

tag="vetpacs-c$CONC"
echo "== $tag $(date -Is) load $(cut -d' ' -f1-3 /proc/loadavg)"
# Not through the tsx() function: $! must be the node process so that kill reaches it.
BENCH_STORAGE=fs BENCH_PORT=${BENCH_PORT:-18090} node --import tsx scripts/bench/serve-for-bench.ts > "$RESULTS/$tag.server" &
launcher=$!
for _ in $(seq 300); do grep -q '^BASE=' "$RESULTS/$tag.server" 2>/dev/null && break; sleep 0.2; done
eval "$(grep '^BASE=' "$RESULTS/$tag.server")"
rss_watch "$PID" "$RESULTS/$tag.rss" &
bench() { /usr/bin/python3 "$BENCH/bench_dicomweb.py" --base "$BASE" --dataset "$DATA" --concurrency "$CONC" --batch-size 10 \
  --header "Authorization: Bearer $TOKEN" --server-pid "$PID" "$@"; }
bench --phases stow,qido,metadata,retrieve,frames,verify --label "$tag" --out "$RESULTS/$tag.json" 2> "$RESULTS/$tag.log" >/dev/null
tail -n 30 "$RESULTS/$tag.log"
echo "peak server RSS (MiB): $(( $(cat "$RESULTS/$tag.rss") / 1024 ))"

tsx apps/server/bench/precompute-metadata.ts --database-url "$DATABASE_URL" --objects "$OBJECTS" --practice "$PRACTICE"
bench --phases metadata --label "$tag-precomputed" --out "$RESULTS/$tag-precomputed.json" 2> "$RESULTS/$tag-precomputed.log" >/dev/null
grep META "$RESULTS/$tag-precomputed.log" || true

eval "$(tsx apps/server/bench/seed-index.ts --database-url "$DATABASE_URL" --studies "$SEED_STUDIES" | grep '^PRACTICE=' | sed 's/^PRACTICE=/SYN_PRACTICE=/; s/TOKEN=/SYN_TOKEN=/')"
tsx apps/server/bench/qido-scale.ts --base "$BASE" --token "$SYN_TOKEN" --studies "$SEED_STUDIES" > "$RESULTS/qido-scale.out"  # not *.json: summarize.py reads those
# The 5,000-study practice again, now sharing the tables with ~1,000,000 synthetic instances.
bench --phases qido --label "$tag-qido-with-1M" --out "$RESULTS/$tag-qido-with-1M.json" 2> "$RESULTS/$tag-qido-with-1M.log" >/dev/null
kill -TERM "$launcher"; wait "$launcher" || true

for idx in $ORTHANC; do
  otag="orthanc-$idx-c$CONC"
  echo "== $otag $(date -Is) load $(cut -d' ' -f1-3 /proc/loadavg)"
  dir=/tmp/orthanc-dwbench-$otag
  "$BENCH/run_orthanc.sh" start --index "$idx" --dir "$dir" >/dev/null
  rss_watch "$(cat "$dir/orthanc.pid")" "$RESULTS/$otag.rss" &
  /usr/bin/python3 "$BENCH/bench_dicomweb.py" --base http://127.0.0.1:28042/dicom-web --dataset "$DATA" --concurrency "$CONC" \
    --batch-size 10 --phases stow,qido,metadata,retrieve,frames,verify --server-pid "$(cat "$dir/orthanc.pid")" --label "$otag" \
    --out "$RESULTS/$otag.json" 2> "$RESULTS/$otag.log" >/dev/null || echo "bench failed: see $RESULTS/$otag.log"
  tail -n 30 "$RESULTS/$otag.log"
  echo "peak Orthanc RSS (MiB): $(( $(cat "$RESULTS/$otag.rss" 2>/dev/null || echo 0) / 1024 ))"
  "$BENCH/run_orthanc.sh" stop --dir "$dir" >/dev/null
done
/usr/bin/python3 "$BENCH/summarize.py" "$RESULTS"/*.json > "$RESULTS/summary.md" && cat "$RESULTS/summary.md"
