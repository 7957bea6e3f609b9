package main

import (
	"bytes"
	"encoding/json"
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
	ex := exampleLines(out)
	// `tipd lookup` takes every kind and prints the API's body.
	local := map[string]map[string]any{}
	for _, x := range ex {
		var m map[string]any
		body := mustTipd(t, "lookup", "-store", st, x[0])
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("tipd lookup %s: %v: %.200s", x[0], err, body)
		}
		local[x[0]] = m
		bundle := mustTipd(t, "lookup", "-store", st, "-format", "stix", x[0])
		if !strings.HasPrefix(bundle, `{"type":"bundle"`) {
			t.Errorf("tipd lookup -format stix %s: %.100s", x[0], bundle)
		}
	}
	s := startServer(t, st)
	checkExamples(t, s.url, tok, ex)
	for _, x := range ex {
		ans := get(t, "GET", s.url+exampleLookup(x[0]), tok)
		api := ans.json(t)
		delete(api, "LicenseInfo")
		delete(local[x[0]], "LicenseInfo")
		a, _ := json.Marshal(api) // maps: keys sorted, numbers in one form
		l, _ := json.Marshal(local[x[0]])
		if !bytes.Equal(a, l) {
			t.Errorf("%s: tipd lookup printed\n%s\nthe API answered\n%s", x[0], l, a)
		}
	}
}

// TestLookupKinds checks how `tipd lookup` classifies its request.
func TestLookupKinds(t *testing.T) {
	for _, c := range []struct {
		in   string
		kind intel.ObjectKind
		key  string
		bad  bool
	}{
		{"45.95.147.10", 0, "", false},
		{"2a00::1", 0, "", false},
		{"C2.BadCorp.Example.", intel.ObjectHost, "c2.badcorp.example", false},
		{"http://c2.badcorp.example/x", intel.ObjectURL, "http://c2.badcorp.example/x", false},
		{"HTTPS://c2.badcorp.example/x", intel.ObjectURL, "HTTPS://c2.badcorp.example/x", false},
		{"0f343b0931126a20f133d67c2b018a3b", intel.ObjectFile, "0F343B0931126A20F133D67C2B018A3B", false},
		{strings.Repeat("ab", 20), intel.ObjectFile, strings.Repeat("AB", 20), false},
		{strings.Repeat("c", 64), intel.ObjectFile, strings.Repeat("C", 64), false},
		{"fe80::1%eth0", 0, "", true},
		{"bad name.example", 0, "", true},
	} {
		kind, _, key, err := lookupKind(c.in)
		if (err != nil) != c.bad || kind != c.kind || key != c.key {
			t.Errorf("lookupKind(%q) = %v, %q, %v; want %v, %q, error %v", c.in, kind, key, err, c.kind, c.key, c.bad)
		}
	}
}
