#!/usr/bin/env bash
# pg-stop.sh DIR — stop the throwaway PostgreSQL server that scripts/pg-start.sh
# started in DIR and remove DIR. Refuses directories pg-start.sh did not make.
set -euo pipefail

DIR=${1:-${TIPD_TEST_POSTGRES_DIR:-}}
if [ -z "$DIR" ]; then
	echo "usage: scripts/pg-stop.sh DIR (the directory pg-start.sh printed)" >&2
	exit 2
fi
if [ ! -f "$DIR/.tipd-pg" ]; then
	echo "pg-stop: $DIR was not made by scripts/pg-start.sh; not touching it" >&2
	exit 1
fi

case "$DIR" in /*) ;; *) DIR="$PWD/$DIR" ;; esac
cd /
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -n "$BIN" ] && [ -d "$DIR/data" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
	else
		"$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
	fi
fi
rm -rf -- "$DIR"
echo "pg-stop: stopped and removed $DIR" >&2
