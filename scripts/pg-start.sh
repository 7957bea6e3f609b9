#!/usr/bin/env bash
# pg-start.sh [DIR] — start a throwaway PostgreSQL server for the tests of
# internal/store/postgres and print how to use it:
#
#   eval "$(scripts/pg-start.sh)"     # sets TIPD_TEST_POSTGRES and TIPD_TEST_POSTGRES_DIR
#   go test ./internal/store/postgres/
#   scripts/pg-stop.sh "$TIPD_TEST_POSTGRES_DIR"
#
# It uses the binaries of Debian's postgresql package (installed with apt-get
# when missing and running as root). The cluster lives in DIR (default: a
# fixed directory under $TMPDIR, so that running the script twice reuses the
# server it started), listens on 127.0.0.1 only, on a free port, with trust
# authentication and durability switched off (fsync=off): it is for tests and
# benchmarks of the SQL, not for data. Set TIPD_PG_FSYNC=on to keep fsync.
#
# When run as root the server runs as the "postgres" OS user, which owns DIR.
set -euo pipefail

log() { echo "pg-start: $*" >&2; }

find_bin() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -n "$d" ] && [ -x "$d/initdb" ]; then
		echo "$d"
	fi
}

BIN=$(find_bin)
if [ -z "$BIN" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		log "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin; install the postgresql package (apt-get install -y postgresql)"
		exit 1
	fi
	log "installing the postgresql package"
	DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2 ||
		{ apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2; }
	BIN=$(find_bin)
	if [ -z "$BIN" ]; then
		log "postgresql installed but no initdb found under /usr/lib/postgresql/*/bin"
		exit 1
	fi
fi

DIR=${1:-${TIPD_PG_DIR:-${TMPDIR:-/tmp}/tipd-pg-test}}
MARK="$DIR/.tipd-pg"
# The server user may not be able to enter the caller's directory.
case "$DIR" in /*) ;; *) DIR="$PWD/$DIR"; MARK="$DIR/.tipd-pg" ;; esac
cd /

# as_pg runs a command as the user that owns the cluster.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
	local p i
	for i in $(seq 1 200); do
		p=$((20000 + (RANDOM % 30000)))
		if port_free "$p"; then
			echo "$p"
			return
		fi
	done
	log "no free port found"
	exit 1
}

print_env() {
	local port
	port=$(cat "$DIR/port")
	echo "export TIPD_TEST_POSTGRES='postgres://postgres@127.0.0.1:$port/tipd_test?sslmode=disable'"
	echo "export TIPD_TEST_POSTGRES_DIR='$DIR'"
	echo "# data directory: $DIR/data (stop and remove with scripts/pg-stop.sh $DIR)"
}

create_db() {
	local port
	port=$(cat "$DIR/port")
	if ! as_pg "$BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atqc \
		"SELECT 1 FROM pg_database WHERE datname = 'tipd_test'" | grep -q 1; then
		as_pg "$BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres tipd_test
	fi
}

if [ -d "$DIR" ] && [ ! -f "$MARK" ]; then
	log "$DIR exists and was not made by this script; pass another directory"
	exit 1
fi

if [ -f "$MARK" ] && [ -f "$DIR/port" ]; then
	if as_pg "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
		create_db
		print_env
		exit 0
	fi
	# Stopped: start it again, on a new port if the old one is taken.
	if ! port_free "$(cat "$DIR/port")"; then
		pick_port >"$DIR/port"
	fi
else
	mkdir -p "$DIR"
	touch "$MARK"
	pick_port >"$DIR/port"
	if [ "$(id -u)" -eq 0 ]; then
		chown -R postgres:postgres "$DIR"
	fi
	as_pg "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 ||
		as_pg "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$DIR/initdb.log" 2>&1 ||
		{ log "initdb failed, see $DIR/initdb.log"; exit 1; }
	cat >"$DIR/pg_hba.conf" <<-'EOF'
		local all all trust
		host  all all 127.0.0.1/32 trust
		host  all all ::1/128      trust
	EOF
	cp "$DIR/pg_hba.conf" "$DIR/data/pg_hba.conf"
	fsync=${TIPD_PG_FSYNC:-off}
	cat >>"$DIR/data/postgresql.conf" <<-EOF
		# tipd throwaway test server
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$DIR'
		max_connections = 300
		shared_buffers = 256MB
		fsync = $fsync
		synchronous_commit = $fsync
		full_page_writes = $fsync
		max_wal_size = 4GB
	EOF
	if [ "$(id -u)" -eq 0 ]; then
		chown -R postgres:postgres "$DIR"
	fi
fi

port=$(cat "$DIR/port")
as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 -o "-p $port" start >/dev/null ||
	{ log "server did not start, see $DIR/server.log"; exit 1; }
create_db
print_env
