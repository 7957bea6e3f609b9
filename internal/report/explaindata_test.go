package report

import (
	"testing"
)

func TestParseExplainTarget(t *testing.T) {
	tests := []struct {
		arg     string
		kind    string
		key, ip string
		bad     bool
	}{
		{arg: "45.95.147.10", kind: ExplainAddress, ip: "45.95.147.10"},
		{arg: "2a0e:97c0:3e0::10", kind: ExplainAddress, ip: "2a0e:97c0:3e0::10"},
		{arg: "::ffff:45.95.147.10", kind: ExplainAddress, ip: "45.95.147.10"},
		{arg: "0f343b0931126a20f133d67c2b018a3b", kind: ExplainFile, key: "0F343B0931126A20F133D67C2B018A3B"},
		{arg: "B39998BA612FC7CFCD924E43CB11C2AEF68C55A8", kind: ExplainFile, key: "B39998BA612FC7CFCD924E43CB11C2AEF68C55A8"},
		{arg: "c2.badcorp.example", kind: ExplainDomain, key: "c2.badcorp.example"},
		{arg: "C2.BadCorp.Example.", kind: ExplainDomain, key: "c2.badcorp.example"},
		{arg: "http://c2.badcorp.example/gate.php", kind: ExplainURL, key: "http://c2.badcorp.example/gate.php"},
		{arg: "c2.badcorp.example/bins/x86", kind: ExplainURL, key: "c2.badcorp.example/bins/x86"},
		{arg: "fe80::1%eth0", bad: true},
		{arg: "not a name", bad: true},
		{arg: "1.2.3", bad: true},
		{arg: "", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseExplainTarget(tt.arg)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseExplainTarget(%q): got %+v, want an error", tt.arg, got)
			}
			continue
		}
		ip := ""
		if got.IP.IsValid() {
			ip = got.IP.String()
		}
		if err != nil || got.Kind != tt.kind || got.Key != tt.key || ip != tt.ip {
			t.Errorf("ParseExplainTarget(%q): got %+v, %v; want %s %q %q", tt.arg, got, err, tt.kind, tt.key, tt.ip)
		}
	}
}
