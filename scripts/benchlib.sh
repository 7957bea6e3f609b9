# benchlib.sh — sourced by bench-memory.sh and bench-publications.sh.
#
#   bench_init NAME   a work directory $work removed at exit (the server
#                     started by bench_serve killed first), the repository
#                     as working directory, and $tipd: the binary TIPD
#                     names, else one built from this tree into $work.
#   bench_serve STORE starts `tipd serve` on STORE (-rate 0, so that every
#                     request reaches the lookup; more flags in
#                     TIPD_SERVE_FLAGS), waits for its url: line, and sets
#                     $pid and $url.

bench_init() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/tipd-bench-$1-XXXXXX")
	pid=
	trap bench_cleanup EXIT
	cd "$(dirname "${BASH_SOURCE[0]}")/.."
	tipd=${TIPD:-}
	if [ -z "$tipd" ]; then
		go build -o "$work/tipd" ./cmd/tipd
		tipd=$work/tipd
	fi
}

bench_cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$work"
}

bench_serve() {
	# shellcheck disable=SC2086
	"$tipd" serve -store "$1" -addr 127.0.0.1:0 -log text -rate 0 ${TIPD_SERVE_FLAGS:-} >"$work/out" 2>"$work/err" &
	pid=$!
	for _ in $(seq 1 100); do grep -q '^url: ' "$work/out" 2>/dev/null && break; sleep 0.1; done
	url=$(sed -n 's/^url: //p' "$work/out")
}
