#!/bin/bash
# usage: run-chromium.sh PAGE OUTDIR  (run inside the namespace)
PAGE=$1; OUT=$2; PORT=${3:-8765}
python3 "$(dirname "$0")/server.py" $PORT $OUT $PAGE & SP=$!
sleep 0.5
PROF=$(mktemp -d)
setsid chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir=$PROF \
  \
  "http://127.0.0.1:$PORT/?b=chromium" >"$OUT/chromium.log" 2>&1 & CP=$!
for i in $(seq 1 60); do [ -f $OUT/DONE ] && break; sleep 0.5; done
kill -TERM -- -$CP 2>/dev/null; sleep 1; kill -KILL -- -$CP 2>/dev/null; wait $CP 2>/dev/null
kill $SP; wait $SP 2>/dev/null
rm -rf $PROF
