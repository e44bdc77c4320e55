#!/bin/bash
# usage: run-firefox.sh PAGE OUTDIR  (run inside the namespace)
PAGE=$1; OUT=$2; PORT=${3:-8766}
python3 "$(dirname "$0")/server.py" $PORT $OUT $PAGE & SP=$!
sleep 0.5
PROF=$(mktemp -d)
cat > $PROF/user.js <<'EOP'
user_pref("media.navigator.streams.fake", true);
user_pref("media.navigator.permission.disabled", true);
user_pref("media.peerconnection.ice.loopback", true);
user_pref("media.peerconnection.ice.obfuscate_host_addresses", false);
user_pref("network.manage-offline-status", false);
user_pref("app.update.disabledForTesting", true);
user_pref("browser.shell.checkDefaultBrowser", false);
EOP
setsid firefox-esr --headless --no-remote --profile $PROF "http://127.0.0.1:$PORT/?b=firefox" >"$OUT/firefox.log" 2>&1 & CP=$!
for i in $(seq 1 120); do [ -f $OUT/DONE ] && break; sleep 0.5; done
kill -TERM -- -$CP 2>/dev/null; sleep 1; kill -KILL -- -$CP 2>/dev/null; wait $CP 2>/dev/null
kill $SP; wait $SP 2>/dev/null
rm -rf $PROF
