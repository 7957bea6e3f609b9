package main

import (
	"strings"
	"testing"
)

// Domains, web addresses and hashes the store knows nothing of are
// explained as Grey with no evidence.
func TestExplainUnknownObjects(t *testing.T) {
	tests := []struct {
		arg  string
		want []string
	}{
		{"C2.BadCorp.Example", []string{"domain: c2.badcorp.example\n", "no evidence stored\n", "POINTS", "score: 0\nzone: Grey\n"}},
		{"http://c2.badcorp.example/x", []string{"web address: c2.badcorp.example/x\n", "no evidence stored\n", "score: 0\nzone: Grey\n"}},
		{"0f343b0931126a20f133d67c2b018a3b", []string{"file: 0F343B0931126A20F133D67C2B018A3B\n", "no evidence stored\n", "zone: Grey\nstatus: Not categorized\n"}},
	}
	for _, tt := range tests {
		out := mustTipd(t, "explain", "-store", "mem:", tt.arg)
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("explain %s: got\n%s\nwant it to contain %q", tt.arg, out, w)
			}
		}
	}
	if _, errOut, code := tipd(t, "", "explain", "-store", "mem:", "not a name"); code == 0 || !strings.Contains(errOut, "not an address, domain name, web address or file hash") {
		t.Errorf("explain of garbage: got exit %d, stderr %q", code, errOut)
	}
}
