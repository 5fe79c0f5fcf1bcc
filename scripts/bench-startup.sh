#!/usr/bin/env bash
# Time from process start to /readyz 200, first and second start on one data dir.
set -euo pipefail
bin=${1:-bin/ecpts}
dir=$(mktemp -d)
for run in first second third; do
  out=$(mktemp)
  start=$(date +%s.%N)
  ECPTS_DEMO=1 ECPTS_DATA_DIR=$dir ECPTS_ADDR=127.0.0.1:0 ECPTS_LOG_LEVEL=warn $bin >"$out" 2>/dev/null &
  pid=$!
  url=""
  for i in $(seq 1 600); do
    url=$(grep -o 'http://127.0.0.1:[0-9]*' "$out" | head -1 || true)
    [ -n "$url" ] && curl -fs "$url/readyz" >/dev/null 2>&1 && break
    sleep 0.01
  done
  end=$(date +%s.%N)
  echo "$run start to /readyz: $(echo "$end - $start" | bc) s"
  kill -TERM $pid; wait $pid || true
done
rm -rf "$dir"
