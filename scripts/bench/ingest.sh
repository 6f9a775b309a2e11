#!/usr/bin/env bash
# STOW-RS ingest benchmark, side by side with Orthanc (../shared/bench), one run:
#   DATA=/tmp/benchdata-ingest bash scripts/bench/ingest.sh            # results in $RESULTS
#   ROUNDS=3 …                         # the whole matrix 3 times; ratios per round and their median
#   WARM=1 …                           # ours in steady state (see WARM below)
# Needs: python3-pydicom python3-numpy orthanc orthanc-dicomweb orthanc-postgresql (apt), a dataset
# from ../shared/bench/gen_dataset.py. Each run starts from an empty server (fresh database + store).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BENCH=${BENCH:-$(cd ../shared/bench && pwd)}
DATA=${DATA:-/tmp/benchdata-ingest}
RESULTS=${RESULTS:-/tmp/vetpacs-bench-results}
CONCS=${CONCS:-"1 4 16"}
BACKENDS=${BACKENDS:-"fs s3"}
ORTHANC=${ORTHANC:-"sqlite"}
BATCH=${BATCH:-10}
# A c4 phase of the dx workload lasts ~1 s, so one round decides little on this shared machine:
# every round runs every server, and ingest-ratios.ts reports each round's ratios and the median.
ROUNDS=${ROUNDS:-1}
# WARM=1: before each of our measured runs the same workload goes once through the same server into
# a second practice (BENCH_SECOND_PRACTICE), so the measured run, into the still empty benchmarked
# practice, meets a process whose JavaScript is compiled — as after hours of traffic — instead of a
# fresh one (~1 s of compiling in a `many` run). Orthanc (C++) has no such warm-up to make.
WARM=${WARM:-0}
[ "$WARM" = 1 ] && export BENCH_SECOND_PRACTICE=1
# Own ports, so a DICOMweb benchmark running its Orthanc on the defaults does not collide.
OPORT=${ORTHANC_HTTP_PORT:-28142}
OPTS="--http-port $OPORT --dicom-port ${ORTHANC_DICOM_PORT:-24342} --pg-port ${ORTHANC_PG_PORT:-25532}"
mkdir -p "$RESULTS"
# Every server's files stay until the end of the whole run, ours and Orthanc's alike: ext4 skips
# inodes deleted in the last 60–300 s when it allocates new ones (recently_deleted), so deleting a
# run's thousands of files right before the next run slows that run's file creation. run_orthanc.sh
# deletes only directories under /tmp, so both live under /var/tmp here.
# The same effect at the start: a run started within minutes of the previous run's clean-up had its
# first server (ours) create files among thousands of just-deleted inodes (our server's CPU for the
# same `many` work 6.2 s in round 1 against 3.05 s later; docs/benchmarks.md, 2026-12-06 01:05). So
# each run stamps its clean-up, and the next one waits until 5 minutes have passed since.
CLEANED=/var/tmp/vetpacs-ingest-bench.cleaned
if [ -e "$CLEANED" ]; then
  wait_s=$(( $(stat -c %Y "$CLEANED") + ${CLEANUP_QUIET:-300} - $(date +%s) ))
  if [ "$wait_s" -gt 0 ]; then
    echo "waiting ${wait_s} s: the previous run deleted its files less than 5 minutes ago (ext4's recently deleted inodes)"
    sleep "$wait_s"
  fi
fi
WORK=$(mktemp -d /var/tmp/vetpacs-ingest-bench.XXXXXX)
chmod 755 "$WORK"   # the PostgreSQL of run_orthanc.sh runs as user postgres
trap 'rm -rf "$WORK"; touch "$CLEANED"' EXIT
export BENCH_TMP="$WORK" BENCH_KEEP_FILES=1
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
pnpm --filter @vetpacs/server build >/dev/null   # the server runs bundled, as `npm start` runs it
# Seconds of quiet before each server's run, ours and Orthanc's alike: the build, and each previous
# server's exit (memory freed and handed back to the host by the VM's free page reporting), otherwise
# land in the next measurement (dx at c4, 970 MB: 317 MB/s right after the build, 402 a minute later).
SETTLE=${SETTLE:-5}

for round in $(seq "$ROUNDS"); do
  suffix=$([ "$ROUNDS" -gt 1 ] && echo "-r$round" || true)
  for c in $CONCS; do
    for backend in $BACKENDS; do
      tag="vetpacs-$backend-c$c$suffix"
      sleep "$SETTLE"
      echo "== $tag $(date -Is) load $(cut -d' ' -f1-3 /proc/loadavg)"
      BENCH_STORAGE=$backend node --import tsx scripts/bench/serve-for-bench.ts > "$RESULTS/$tag.server" &
      launcher=$!
      for _ in $(seq 300); do grep -q '^BASE=' "$RESULTS/$tag.server" 2>/dev/null && break; sleep 0.2; done
      eval "$(grep '^BASE=' "$RESULTS/$tag.server")"
      if [ "$WARM" = 1 ]; then
        /usr/bin/python3 "$BENCH/bench_dicomweb.py" --base "$BASE" --dataset "$DATA" --concurrency "$c" --batch-size "$BATCH" \
          --phases stow --header "Authorization: Bearer $TOKEN2" --label "$tag-warm-up" \
          --out "$WORK/$tag-warm-up.json" >/dev/null 2>"$RESULTS/$tag.warm-up.log" || echo "warm-up failed: see $RESULTS/$tag.warm-up.log"
        sleep "$SETTLE"
      fi
      /usr/bin/python3 "$BENCH/bench_dicomweb.py" --base "$BASE" --dataset "$DATA" --concurrency "$c" --batch-size "$BATCH" \
        --phases stow --header "Authorization: Bearer $TOKEN" --server-pid "$PID" --label "$tag" \
        --out "$RESULTS/$tag.json" >/dev/null 2>"$RESULTS/$tag.log" || echo "bench failed: see $RESULTS/$tag.log"
      tail -n 8 "$RESULTS/$tag.log"
      kill -TERM "$launcher"; wait "$launcher" || true
    done
    for idx in $ORTHANC; do
      tag="orthanc-$idx-c$c$suffix"
      sleep "$SETTLE"
      echo "== $tag $(date -Is) load $(cut -d' ' -f1-3 /proc/loadavg)"
      dir=$WORK/orthanc-$tag
      "$BENCH/run_orthanc.sh" start --index "$idx" --dir "$dir" $OPTS >/dev/null
      /usr/bin/python3 "$BENCH/bench_dicomweb.py" --base "http://127.0.0.1:$OPORT/dicom-web" --dataset "$DATA" --concurrency "$c" \
        --batch-size "$BATCH" --phases stow --server-pid "$(cat "$dir/orthanc.pid")" $( [ "$idx" = postgres ] && echo --server-pid "$(head -1 "$dir/pg/data/postmaster.pid")" ) --label "$tag" \
        --out "$RESULTS/$tag.json" >/dev/null 2>"$RESULTS/$tag.log" || echo "bench failed: see $RESULTS/$tag.log"
      tail -n 8 "$RESULTS/$tag.log"
      "$BENCH/run_orthanc.sh" stop --dir "$dir" >/dev/null
    done
  done
done
/usr/bin/python3 "$BENCH/summarize.py" "$RESULTS"/*.json > "$RESULTS/summary.md" && cat "$RESULTS/summary.md"
node --import tsx scripts/bench/ingest-ratios.ts "$RESULTS" | tee "$RESULTS/ratios.md"
