#!/usr/bin/env bash
# Series metadata of the 300-slice CT per content coding (identity, gzip, br): first request after the
# document is precomputed (cold) and the median of the next ten (warm), measured with curl.
#   DATA=/tmp/benchdata bash apps/server/bench/metadata-encodings.sh [label]
# Fresh database and server (scripts/bench/serve-for-bench.ts), STOW of the ct workload only, precompute-metadata.ts, then curl.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
BENCH=${BENCH:-$(cd ../shared/bench && pwd)}
DATA=${DATA:-/tmp/benchdata}
RESULTS=${RESULTS:-/tmp/vetpacs-dicomweb-results}
label=${1:-metadata}
out="$RESULTS/$label"
mkdir -p "$RESULTS"
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
pnpm --filter @vetpacs/server build >/dev/null   # serve-for-bench.ts runs the bundle
BENCH_STORAGE=fs BENCH_PORT=${BENCH_PORT:-18090} node --import tsx scripts/bench/serve-for-bench.ts > "$out.server" &
launcher=$!
for _ in $(seq 300); do grep -q '^BASE=' "$out.server" 2>/dev/null && break; sleep 0.2; done
eval "$(grep '^BASE=' "$out.server")"
/usr/bin/python3 "$BENCH/bench_dicomweb.py" --base "$BASE" --dataset "$DATA" --workloads ct --phases stow \
  --header "Authorization: Bearer $TOKEN" --label "$label" --out "$out.stow.json" 2>/dev/null >/dev/null
node --import tsx apps/server/bench/precompute-metadata.ts --database-url "$DATABASE_URL" --objects "$OBJECTS" --practice "$PRACTICE"
path=$(psql "$DATABASE_URL" -Atc "SELECT st.study_instance_uid || '/series/' || se.series_instance_uid FROM series se JOIN study st ON st.id = se.study_id ORDER BY se.number_of_instances DESC LIMIT 1")
for enc in identity gzip br; do
  for _ in $(seq 11); do
    curl -s -o /dev/null -w "%{time_total} %{size_download}\n" -H "authorization: Bearer $TOKEN" -H "accept: application/dicom+json" \
      -H "accept-encoding: $enc" "$BASE/studies/$path/metadata"
  done > "$out.$enc"
  echo "$label $enc: first $(head -1 "$out.$enc" | cut -d' ' -f1) s, warm p50 $(tail -n +2 "$out.$enc" | sort -n | sed -n 5p | cut -d' ' -f1) s, $(head -1 "$out.$enc" | cut -d' ' -f2) bytes"
done
kill -TERM "$launcher"; wait "$launcher" || true
