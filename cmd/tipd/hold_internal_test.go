package main

import (
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/tipd/tipd/internal/intel"
)

// TestParseHoldTargetKinds: each form of target is read as one kind, the
// earlier kinds first (an address before a hash, a hash before a name).
func TestParseHoldTargetKinds(t *testing.T) {
	const sha1 = "B39998BA612FC7CFCD924E43CB11C2AEF68C55A8"
	for _, tc := range []struct {
		in   string
		want intel.Hold
	}{
		{"45.95.147.10", intel.Hold{Prefix: netip.MustParsePrefix("45.95.147.10/32")}},
		{"::ffff:45.95.147.10", intel.Hold{Prefix: netip.MustParsePrefix("45.95.147.10/32")}},
		{"91.92.109.7/24", intel.Hold{Prefix: netip.MustParsePrefix("91.92.109.0/24")}},
		{"http://C2.BadCorp.example/gate.php", intel.Hold{URL: "c2.badcorp.example/gate.php"}},
		{strings.ToLower(sha1), intel.Hold{Hash: sha1}},
		{"0f343b0931126a20f133d67c2b018a3b", intel.Hold{Hash: "0F343B0931126A20F133D67C2B018A3B"}},
		{strings.Repeat("ab", 32), intel.Hold{Hash: strings.Repeat("AB", 32)}},
		{"BadCorp.Example.", intel.Hold{Domain: "badcorp.example"}},
		{"c2.badcorp.example", intel.Hold{Domain: "c2.badcorp.example"}},
		{"bücher.example", intel.Hold{Domain: "xn--bcher-kva.example"}},
		{strings.Repeat("ab", 15) + ".example", intel.Hold{Domain: strings.Repeat("ab", 15) + ".example"}},
		{"badcorp.co.uk", intel.Hold{Domain: "badcorp.co.uk"}},
		{"report:RPT-2026-0042", intel.Hold{Report: "RPT-2026-0042"}},
	} {
		got, err := parseHoldTarget(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseHoldTarget(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"1.2.3", "domain name"},
		{"com", "public suffix"},
		{"co.uk", "public suffix"},
		{"fe80::1%eth0", "zone"},
		{"0x" + strings.Repeat("ab", 16), "domain name"},
		{"*.badcorp.example", "domain name"},
		{"c2.badcorp.example:443", "domain name"},
		{"report:", "names no report"},
	} {
		if _, err := parseHoldTarget(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseHoldTarget(%q) error = %v; want one that says %q", tc.in, err, tc.want)
		}
	}
}

// TestHoldCLIObjects: `hold add` says how it read a name and a hash, and
// only the reference for an address; list shows each target; remove
// removes.
func TestHoldCLIObjects(t *testing.T) {
	st := "pebble://" + t.TempDir()
	ref := `hold-[0-9a-f]{8}`
	for _, tc := range []struct{ target, want string }{
		{"BadCorp.example", `^` + ref + ` domain badcorp.example and every name below it\n$`},
		{"b39998ba612fc7cfcd924e43cb11c2aef68c55a8", `^` + ref + ` file SHA-1 B39998BA612FC7CFCD924E43CB11C2AEF68C55A8 and its other hashes\n$`},
		{"45.95.147.10", `^` + ref + `\n$`},
		{"http://c2.badcorp.example/gate.php", `^` + ref + `\n$`},
		{"report:RPT-7", `^` + ref + ` report RPT-7: never served by /api/publications/\n$`},
	} {
		out := mustTipd(t, "hold", "add", "-store", st, "-reason", "court order", tc.target)
		if !regexp.MustCompile(tc.want).MatchString(out) {
			t.Errorf("hold add %s: got %q, want %s", tc.target, out, tc.want)
		}
	}
	list := mustTipd(t, "hold", "list", "-store", st)
	for _, want := range []string{"badcorp.example", "B39998BA612FC7CFCD924E43CB11C2AEF68C55A8", "45.95.147.10", "c2.badcorp.example/gate.php", "report:RPT-7"} {
		if !regexp.MustCompile(`(?m)^` + ref + ` +` + regexp.QuoteMeta(want) + ` +court order +`).MatchString(list) {
			t.Errorf("hold list: no line for %s in:\n%s", want, list)
		}
	}
	domainRef := regexp.MustCompile(`(?m)^(` + ref + `) +badcorp\.example `).FindStringSubmatch(list)
	if domainRef == nil {
		t.Fatalf("hold list: no domain hold in:\n%s", list)
	}
	mustTipd(t, "hold", "remove", "-store", st, domainRef[1])
	if list := mustTipd(t, "hold", "list", "-store", st); strings.Contains(list, domainRef[1]) || strings.Count(list, "\n") != 5 {
		t.Errorf("hold list after remove:\n%s\nwant 4 holds, without %s", list, domainRef[1])
	}
}
