package gen

import (
	"bytes"
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/score"
)

// TestRuleObjects imports worlds of several sizes and explains the
// objects of rulePass: each shows the rule it is there for, with the
// verdict that rule gives.
func TestRuleObjects(t *testing.T) {
	for _, size := range []int{1, 70, 3000} {
		data, _ := makeWorld(t, Options{Size: size, Seed: 1, Now: testNow})
		b := lookupWorld(t, data)
		g := newWorld(Options{Size: size, Seed: 1, Now: testNow}, nil)
		allowed := g.allowBlock(0).Addr().As4()
		allowed[3] = 2
		md5, _, sha256 := g.fileHashes(-1000, 50)
		for _, tc := range []struct {
			object, rule, evidence, zone string
		}{
			{netip.AddrFrom4(allowed).String(), score.RuleSuppressed, "listing CATEGORY_SCANNER", "Green"},
			{"dns2." + resolverDomain(0), score.RuleSuppressed, "listing CATEGORY_SPAM", "Green"},
			{reservedAddr, score.RuleReserved, "special-purpose address", "Grey"},
			{reservedAddr, score.RuleIgnored, "listing CATEGORY_SCANNER", "Grey"},
			{reservedAddr, score.RuleIgnored, "report link", "Grey"},
			{sha256, score.RuleFileListing, "listing CATEGORY_MALWARE", "Red"},
			{md5, score.RuleIgnored, "listing CATEGORY_BAD_REPUTATION", "Red"},
			{g.spareAddr().String(), score.RuleHostedContent, "shared hosting (3 sites)", "Grey"},
		} {
			target, err := report.ParseExplainTarget(tc.object)
			if err != nil {
				t.Fatal(err)
			}
			x, err := b.ExplainData(context.Background(), target)
			if err != nil {
				t.Fatalf("size %d, explain %s: %v", size, tc.object, err)
			}
			var found bool
			for _, c := range x.Evidence {
				found = found || c.Rule == tc.rule && strings.Contains(c.Evidence, tc.evidence)
			}
			if !found || string(x.Zone) != tc.zone {
				t.Errorf("size %d, %s: got zone %s and evidence %+v, want zone %s and a %s piece %q", size, tc.object, x.Zone, x.Evidence,
					tc.zone, tc.rule, tc.evidence)
			}
		}
		// The shared-hosting address is no address of the world's.
		for i := 0; i < size; i++ {
			if g.addr(i) == g.spareAddr() {
				t.Fatalf("size %d: the shared-hosting address is address %d of the world", size, i)
			}
		}
		if !bytes.Contains(data, []byte(`"ip":"`+g.spareAddr().String()+`"`)) {
			t.Errorf("size %d: the world names no shared-hosting address", size)
		}
	}
}
