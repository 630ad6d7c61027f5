#!/usr/bin/env bash
# screenshot.sh opens the real desktop window (built with -tags desktop,production) under
# Xvfb and captures it: the check that what an admin sees is what the browser tests saw.
#
#   build/scripts/screenshot.sh [out.png]      (default test-artifacts/desktop-window.png)
#
# FERRY_DATA_DIR may name an existing history to show; otherwise a fresh empty one is used.
# FERRY_BIN picks another binary (default build/bin/ferry).
set -euo pipefail
cd "$(dirname "$0")/../.."

out="${1:-test-artifacts/desktop-window.png}"
bin="${FERRY_BIN:-build/bin/ferry}"
[[ -x "$bin" ]] || { echo "screenshot: $bin is missing; run make build" >&2; exit 1; }
mkdir -p "$(dirname "$out")"

tmp=""
if [[ -z "${FERRY_DATA_DIR:-}" ]]; then
	tmp="$(mktemp -d)"
	export FERRY_DATA_DIR="$tmp"
fi
export FERRY_KEYRING="${FERRY_KEYRING:-off}" FERRY_SHOT_OUT="$out" FERRY_SHOT_BIN="$bin"

# Everything that needs the display runs inside xvfb-run; the app is ended by its pid.
status=0
xvfb-run -a -s "-screen 0 1280x900x24" bash -c '
	set -euo pipefail
	"$FERRY_SHOT_BIN" >"$FERRY_DATA_DIR/ferry.out" 2>&1 &
	pid=$!
	trap "kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true" EXIT
	w="$(timeout 60 xdotool search --sync --onlyvisible --pid "$pid" | head -n1)"
	[[ -n "$w" ]] || { echo "screenshot: no window for pid $pid" >&2; exit 1; }
	# WebKit paints a blank page first: capture until the picture has real content.
	for _ in $(seq 1 "${FERRY_SHOT_TRIES:-30}"); do
		sleep 1
		/usr/bin/import -window "$w" "$FERRY_SHOT_OUT"
		[[ "$(/usr/bin/identify -format %k "$FERRY_SHOT_OUT")" -gt 64 ]] && break
	done
	sleep 1 # one more frame for late layout (fonts, counts)
	/usr/bin/import -window "$w" "$FERRY_SHOT_OUT"
	colors="$(/usr/bin/identify -format %k "$FERRY_SHOT_OUT")"
	[[ "$colors" -gt 64 ]] || { echo "screenshot: the window stayed blank ($colors colours)" >&2; exit 1; }
	echo "screenshot: window $w of pid $pid saved to $FERRY_SHOT_OUT" >&2
' || status=$?
[[ -n "$tmp" ]] && rm -rf "$tmp"
exit "$status"
