#!/usr/bin/env bash
# deps.sh makes sure the system packages Ferry needs are installed. On Debian/Ubuntu it
# installs what is missing with apt-get, as root or through `sudo -n`; otherwise it prints
# the exact command to run and fails. Extra package names given as arguments (the test
# tools .ci/run needs) are checked and installed the same way.
#
#   build/scripts/deps.sh                 # desktop build: GTK, WebKitGTK, pkg-config, compiler
#   build/scripts/deps.sh xvfb chromium   # … plus these
set -euo pipefail

log() { echo "deps: $*" >&2; }

if ! command -v dpkg-query >/dev/null 2>&1; then
	# Not Debian/Ubuntu: check with pkg-config and explain what is missing.
	if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists gtk+-3.0 &&
		{ pkg-config --exists webkit2gtk-4.0 || pkg-config --exists webkit2gtk-4.1; }; then
		exit 0
	fi
	log "install GTK 3 and WebKitGTK (4.0 or 4.1) development files, pkg-config and a C compiler"
	exit 1
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

want=(libgtk-3-dev pkg-config build-essential "$@")
missing=()
for p in "${want[@]}"; do
	installed "$p" || missing+=("$p")
done

# WebKitGTK: 4.0 where the distribution still ships it, else 4.1 (built with tag webkit2_41).
webkit=""
if ! installed libwebkit2gtk-4.0-dev && ! installed libwebkit2gtk-4.1-dev; then
	webkit=pending
fi

if [[ ${#missing[@]} -eq 0 && -z "$webkit" ]]; then
	exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
	sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	sudo=(sudo -n)
else
	[[ -n "$webkit" ]] && missing+=(libwebkit2gtk-4.0-dev)
	log "missing system packages: ${missing[*]}"
	log "run this, then try again:"
	echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
	log "(where libwebkit2gtk-4.0-dev does not exist, install libwebkit2gtk-4.1-dev instead)"
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log "apt-get update"
"${sudo[@]}" apt-get update -qq
if [[ -n "$webkit" ]]; then
	if apt-cache show libwebkit2gtk-4.0-dev >/dev/null 2>&1; then
		missing+=(libwebkit2gtk-4.0-dev)
	else
		missing+=(libwebkit2gtk-4.1-dev)
	fi
fi
log "installing ${missing[*]}"
# Server packages pulled in for tests and benchmarks (apache2 through wordpress, vsftpd,
# openssh-server) must not start listening on an admin's workstation: while apt-get runs,
# a policy-rc.d refuses every service start. One that already exists is left alone.
policy=/usr/sbin/policy-rc.d
own_policy=""
if [[ ! -e "$policy" ]]; then
	printf '#!/bin/sh\n# Ferry deps.sh: no service starts while test packages install\nexit 101\n' |
		"${sudo[@]}" tee "$policy" >/dev/null
	"${sudo[@]}" chmod 755 "$policy"
	own_policy=1
fi
# On a systemd machine the packages would still be enabled for the next boot: whatever
# unit this install enabled is disabled again (units enabled before are left as they were).
enabled() { systemctl list-unit-files --state=enabled --no-legend 2>/dev/null | awk '{print $1}' | sort; }
systemd=""
[[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1 && systemd=1
[[ -n "$systemd" ]] && before="$(enabled)"
status=0
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
[[ -n "$own_policy" ]] && "${sudo[@]}" rm -f "$policy"
if [[ -n "$systemd" ]]; then
	new_units="$(comm -13 <(echo "$before") <(enabled) | grep -E '\.(service|socket)$' || true)"
	if [[ -n "$new_units" ]]; then
		log "disabling services the install enabled: $(echo $new_units)"
		# shellcheck disable=SC2086
		"${sudo[@]}" systemctl disable --now $new_units >/dev/null 2>&1 || true
	fi
fi
exit "$status"
