#!/bin/sh
# ci-deps.sh installs what the test suite needs beyond Go: Chromium, for the
# portal's browser test (internal/web/ui_test.go). Idempotent: it does
# nothing when /usr/bin/chromium exists. It installs with apt-get (Debian and
# derivatives) and only when run as root; otherwise it says what to do.
set -eu

browser=/usr/bin/chromium

if [ -x "$browser" ]; then
	echo "ci-deps: $browser is present: $("$browser" --version 2>/dev/null || echo 'version unknown')"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "ci-deps: $browser is missing and this is not root; run as root: apt-get update && apt-get install -y chromium" >&2
	echo "ci-deps: (without it the browser test is skipped, or fails when CI is set)" >&2
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "ci-deps: $browser is missing and there is no apt-get; install Chromium with the system's package manager, or set TIPD_BROWSER to a Chromium binary" >&2
	exit 1
fi

echo "ci-deps: installing chromium with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y chromium
echo "ci-deps: installed: $("$browser" --version 2>/dev/null || echo "$browser")"
