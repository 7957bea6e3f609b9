package intel

import "testing"

func TestDetectionZoneAndMethod(t *testing.T) {
	for _, tc := range []struct {
		name, given string
		zone        Zone
		method      string
	}{
		{"HEUR:Backdoor.Linux.Mirai.b", "", ZoneRed, "HEUR"},
		{"not-a-virus:HEUR:AdWare.Win32.Agent.gen", "", ZoneYellow, "HEUR"},
		{"not-a-virus:RiskTool.Win32.BitMiner", "", ZoneYellow, "Signature"},
		{"AdWare.Win32.Agent.a", "", ZoneYellow, "Signature"},
		{"Win.Adware.Browsefox-9764517-0", "", ZoneYellow, "Signature"},
		{"PUA.Win.Tool.Packed-1", "", ZoneYellow, "Signature"},
		{"Unix.Trojan.Mirai-7100807-0", "", ZoneRed, "Signature"},
		{"Mirai", "", ZoneRed, "Signature"},
		{"UDS:DangerousObject.Multi.Generic", "", ZoneRed, "UDS"},
		{"Trojan.Generic", "Sandbox", ZoneRed, "Sandbox"},
		{"http://x:y", "", ZoneRed, "Signature"},
	} {
		if got := DetectionZone(tc.name); got != tc.zone {
			t.Errorf("DetectionZone(%q): got %s, want %s", tc.name, got, tc.zone)
		}
		if got := DetectionMethod(tc.name, tc.given); got != tc.method {
			t.Errorf("DetectionMethod(%q, %q): got %s, want %s", tc.name, tc.given, got, tc.method)
		}
	}
}
