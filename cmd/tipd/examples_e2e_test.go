package main

import (
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tipd/tipd/internal/intel"
)

// exampleLookup is the lookup path of an `example:` value, as a client
// would choose it: an address, a file hash (32, 40 or 64 hex digits), a
// web address (a scheme), else a domain name.
func exampleLookup(v string) string {
	if _, err := netip.ParseAddr(v); err == nil {
		return "/api/ip/" + v
	}
	if _, err := intel.NormalizeHash(v); err == nil {
		return "/api/hash/" + v
	}
	if isWebAddress(v) {
		return "/api/url/" + url.PathEscape(v)
	}
	return "/api/domain/" + v
}

// exampleLines reads the `example: VALUE ZONE` lines of a command's output.
func exampleLines(out string) [][2]string {
	var ex [][2]string
	for _, line := range strings.Split(out, "\n") {
		v, ok := strings.CutPrefix(line, "example: ")
		if !ok {
			continue
		}
		value, zone, _ := strings.Cut(v, " ")
		ex = append(ex, [2]string{value, zone})
	}
	return ex
}

// checkExamples looks every example up through the API of the server at
// base and checks its zone; it also checks that each kind has an example
// in each of its zones.
func checkExamples(t *testing.T, base, token string, ex [][2]string) {
	t.Helper()
	have := map[string]bool{}
	t.Logf("looking up %d examples", len(ex))
	for _, x := range ex {
		p := exampleLookup(x[0])
		kind := strings.Split(p, "/")[2]
		have[kind+" "+x[1]] = true
		ans := get(t, "GET", base+p+"?sections=Zone", token)
		if ans.status != 200 {
			t.Errorf("%s: status %d: %s", p, ans.status, ans.body)
			continue
		}
		if got := ans.json(t)["Zone"]; got != x[1] {
			t.Errorf("%s: got zone %v, want %s", p, got, x[1])
		}
	}
	for _, kind := range []string{"ip", "domain", "url", "hash"} {
		for _, z := range []string{"Red", "Orange", "Yellow", "Green", "Grey"} {
			if kind == "hash" && z == "Orange" || kind == "ip" && z == "Yellow" {
				continue // files are never Orange; a small world may lack a Yellow address
			}
			if !have[kind+" "+z] {
				t.Errorf("no %s example for %s", kind, z)
			}
		}
	}
}

// TestGenExamplesThroughTheAPI writes a world with `tipd gen`, imports it
// with `tipd import`, serves it and looks up every example gen printed —
// addresses, domains, web addresses and hashes — through the HTTP API.
func TestGenExamplesThroughTheAPI(t *testing.T) {
	dir := t.TempDir()
	out := mustTipd(t, "gen", "-size", "400", "-seed", "5", "-now", e2eNow, "-out", dir)
	st := filepath.Join(dir, "store")
	mustTipd(t, "import", "-store", st, "-q", "-format", "jsonl", filepath.Join(dir, "world.jsonl"))
	mustTipd(t, "user", "add", "-store", st, "alice")
	tok := strings.TrimSpace(mustTipd(t, "token", "issue", "-store", st, "alice"))
	s := startServer(t, st)
	checkExamples(t, s.url, tok, exampleLines(out))
}
