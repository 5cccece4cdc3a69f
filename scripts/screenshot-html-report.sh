#!/usr/bin/env bash
# Render the HTML report of the example with headless Chromium and save a PNG screenshot.
# Needs Debian's chromium package (apt-get install chromium); used to check that the report
# renders and to refresh docs/images/html-report.png. Run from the repository root after make demo.
set -euo pipefail
out="${1:-docs/images/html-report.png}"
.venv/bin/python -m pytest --modelgate -p no:cacheprovider -q gates.yaml \
    --modelgate-html .modelgate/report.html >/dev/null || true
profile="$(mktemp -d)"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --window-size=1300,1500 --hide-scrollbars \
    --screenshot="$out" "file://$PWD/.modelgate/report.html" 2>/dev/null
rm -rf "$profile"
echo "wrote $out"
