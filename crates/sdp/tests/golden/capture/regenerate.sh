#!/bin/bash
# Regenerates the browser and aiortc captures into OUTDIR (default: a temp
# dir). Runs everything inside a private network namespace (see ns.sh), so
# no traffic leaves the machine. Needs root, chromium, firefox-esr, and for
# aiortc a venv with `pip install aiortc` (made outside the namespace):
#   AIORTC_PY=/path/to/venv/bin/python ./regenerate.sh OUTDIR
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$(mktemp -d)}
mkdir -p "$OUT/chromium" "$OUT/firefox" "$OUT/mdns" "$OUT/aiortc"
"$HERE/ns.sh" "$HERE/run-chromium.sh" "$HERE/capture.html" "$OUT/chromium"
"$HERE/ns.sh" "$HERE/run-firefox.sh" "$HERE/capture.html" "$OUT/firefox"
"$HERE/ns.sh" "$HERE/run-chromium-mdns.sh" "$HERE/mdns.html" "$OUT/mdns"
python3 "$HERE/cross.py" "$HERE/.." "$OUT/cross.html"
mkdir -p "$OUT/cross-chromium" "$OUT/cross-firefox"
"$HERE/ns.sh" "$HERE/run-chromium.sh" "$OUT/cross.html" "$OUT/cross-chromium"
"$HERE/ns.sh" "$HERE/run-firefox.sh" "$OUT/cross.html" "$OUT/cross-firefox"
if [ -n "$AIORTC_PY" ]; then
  "$HERE/ns.sh" "$AIORTC_PY" "$HERE/aiortc_capture.py" "$OUT/aiortc" "$HERE/.."
fi
echo "captures in $OUT"
