package access_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/tipd/tipd/internal/access"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store/mem"
)

// TestCheckHoldObjects: a file held by one hash is held by the others
// stored with it; a name holds the names below it; Held (the TAXII
// filter) holds a web address whose host is a held name.
func TestCheckHoldObjects(t *testing.T) {
	const (
		md5    = "0F343B0931126A20F133D67C2B018A3B"
		sha1   = "B39998BA612FC7CFCD924E43CB11C2AEF68C55A8"
		sha256 = "32BF9BFA0E40FE005F9B4AE4D242D65191C6847282E5BCB2C95D8C1892E91771"
		other  = "99DACD7B9C3D9926A650918005EB9F1D"
	)
	ctx := context.Background()
	st := mem.New()
	if err := st.Apply(ctx, &intel.Batch{FileHashes: []intel.FileHashes{{MD5: md5, SHA1: sha1, SHA256: sha256}}}); err != nil {
		t.Fatal(err)
	}
	for _, h := range []intel.Hold{
		{Ref: "hold-f", Hash: sha256, Reason: "court order"},
		{Ref: "hold-d", Domain: "badcorp.example", Reason: "court order"},
	} {
		if err := st.PutHold(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	s := &access.Service{Store: st}
	for _, tc := range []struct {
		q    intel.HoldQuery
		want string // the reference named, "" for no hold
	}{
		{intel.HoldQuery{Hashes: []string{sha256}}, "hold-f"},
		{intel.HoldQuery{Hashes: []string{md5}}, "hold-f"},
		{intel.HoldQuery{Hashes: []string{sha1}}, "hold-f"},
		{intel.HoldQuery{Hashes: []string{other}}, ""},
		{intel.HoldQuery{Domain: "c2.badcorp.example"}, "hold-d"},
		{intel.HoldQuery{Domain: "example"}, ""},
		{intel.HoldQuery{IP: netip.MustParseAddr("192.0.2.1")}, ""},
	} {
		err := s.CheckHold(ctx, tc.q)
		got := ""
		if err != nil {
			if intel.KindOf(err) != intel.KindLegalHold {
				t.Fatalf("CheckHold(%+v): %v", tc.q, err)
			}
			got = err.Error()
		}
		if (tc.want == "") != (got == "") || (tc.want != "" && got != "this object is under a legal hold (reference "+tc.want+")") {
			t.Errorf("CheckHold(%+v): got %q, want the hold %q", tc.q, got, tc.want)
		}
	}
	for _, tc := range []struct {
		url  string
		want bool
	}{
		{"www.badcorp.example/x", true},
		{"badcorp.example:8080/", true},
		{"notbadcorp.example/", false},
		{"[2001:db8::1]/x", false},
	} {
		if got, err := s.Held(ctx, intel.HoldQuery{URL: tc.url}); err != nil || got != tc.want {
			t.Errorf("Held(%q): got %v, %v; want %v", tc.url, got, err, tc.want)
		}
	}
}
