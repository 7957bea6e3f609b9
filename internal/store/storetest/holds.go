package storetest

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

func holdsForTest() []intel.Hold {
	return []intel.Hold{
		{Ref: "hold-00000001", Prefix: netip.PrefixFrom(ip4b, 32), Reason: "court order 1", Created: at(2024, 5, 1, 10, 0)},
		{Ref: "hold-00000002", Prefix: netip.MustParsePrefix("45.95.144.0/22"), Reason: "takedown", Created: at(2024, 5, 2, 10, 0)},
		{Ref: "hold-00000003", Prefix: netip.MustParsePrefix("2a03:b0c0:3::/48"), Reason: "court order 3"},
		{Ref: "hold-00000004", URL: "http://evil.example/login", Reason: "court order 4", Created: at(2024, 5, 4, 10, 0)},
		{Ref: "hold-00000005", Prefix: netip.PrefixFrom(ip6b, 128), Reason: "court order 5", Created: at(2024, 5, 5, 10, 0)},
	}
}

func putHolds(t *testing.T, s store.Store, hs []intel.Hold) {
	t.Helper()
	// Out of order, to check that Holds sorts.
	for i := len(hs) - 1; i >= 0; i-- {
		if err := s.PutHold(ctx(t), hs[i]); err != nil {
			t.Fatal(err)
		}
	}
}

func wantHold(t *testing.T, s store.Store, ip netip.Addr, urlKey string, want string) {
	t.Helper()
	wantHoldQuery(t, s, intel.HoldQuery{IP: ip, URL: urlKey}, want)
}

func wantHoldQuery(t *testing.T, s store.Store, q intel.HoldQuery, want string) {
	t.Helper()
	h, ok, err := s.Hold(ctx(t), q)
	if err != nil {
		t.Fatalf("Hold(%+v): %v", q, err)
	}
	got := ""
	if ok {
		got = h.Ref
	}
	if got != want {
		t.Errorf("Hold(%+v) = %q, want %q", q, got, want)
	}
}

// Hashes of one file, and of another, in the form files are keyed by.
const (
	heldMD5    = "0123456789ABCDEF0123456789ABCDEF"
	heldSHA1   = "0123456789ABCDEF0123456789ABCDEF01234567"
	heldSHA256 = "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
	otherMD5   = "FEDCBA9876543210FEDCBA9876543210"
)

func objectHoldsForTest() []intel.Hold {
	return []intel.Hold{
		{Ref: "hold-00000010", Domain: "badcorp.example", Reason: "court order 10", Created: at(2024, 6, 1, 10, 0)},
		{Ref: "hold-00000011", Domain: "c2.badcorp.example", Reason: "court order 11"},
		{Ref: "hold-00000012", Hash: heldSHA1, Reason: "court order 12", Created: at(2024, 6, 3, 10, 0)},
		{Ref: "hold-00000013", Domain: "xn--bcher-kva.example", Reason: "court order 13"},
		{Ref: "hold-00000014", Hash: heldMD5, Reason: "court order 14"},
	}
}

// testObjectHolds: holds on names cover the name and every name below it,
// label by label; holds on files match any hash the caller passes; both
// mix with address holds by the smallest reference.
func testObjectHolds(t *testing.T, f Factory) {
	s := open(t, f)
	hs := append(holdsForTest(), objectHoldsForTest()...)
	putHolds(t, s, hs)
	all, err := s.Holds(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "holds", all, hs)

	for _, c := range []struct {
		q    intel.HoldQuery
		want string
	}{
		{intel.HoldQuery{Domain: "badcorp.example"}, "hold-00000010"},
		{intel.HoldQuery{Domain: "c2.badcorp.example"}, "hold-00000010"}, // both: the smallest reference
		{intel.HoldQuery{Domain: "a.b.c2.badcorp.example"}, "hold-00000010"},
		{intel.HoldQuery{Domain: "www.badcorp.example"}, "hold-00000010"},
		{intel.HoldQuery{Domain: "xbadcorp.example"}, ""}, // a suffix, not a name above
		{intel.HoldQuery{Domain: "badcorp.example.net"}, ""},
		{intel.HoldQuery{Domain: "example"}, ""}, // a name above a held one is not held
		{intel.HoldQuery{Domain: "corp.example"}, ""},
		{intel.HoldQuery{Domain: "xn--bcher-kva.example"}, "hold-00000013"},
		{intel.HoldQuery{Domain: "shop.xn--bcher-kva.example"}, "hold-00000013"},
		{intel.HoldQuery{Domain: "localhost"}, ""},
		{intel.HoldQuery{Hashes: []string{heldSHA1}}, "hold-00000012"},
		{intel.HoldQuery{Hashes: []string{heldSHA256, heldSHA1}}, "hold-00000012"},
		{intel.HoldQuery{Hashes: []string{heldSHA256}}, ""}, // the store does not resolve FileHashes
		{intel.HoldQuery{Hashes: []string{heldSHA256, heldMD5, heldSHA1}}, "hold-00000012"},
		{intel.HoldQuery{Hashes: []string{heldMD5}}, "hold-00000014"},
		{intel.HoldQuery{Hashes: []string{otherMD5}}, ""},
		{intel.HoldQuery{Hashes: []string{strings.ToLower(heldMD5)}}, ""}, // keys are taken as given
		{intel.HoldQuery{IP: ip4b, Domain: "badcorp.example"}, "hold-00000001"},
		{intel.HoldQuery{URL: "http://evil.example/login", Domain: "evil.example"}, "hold-00000004"},
		{intel.HoldQuery{URL: "http://c2.badcorp.example/gate.php", Domain: "c2.badcorp.example"}, "hold-00000010"},
		{intel.HoldQuery{Domain: "badcorp.example", Hashes: []string{heldMD5}}, "hold-00000010"},
		{intel.HoldQuery{Domain: "evil.example", Hashes: []string{heldMD5}}, "hold-00000014"},
		{intel.HoldQuery{Hashes: []string{}}, ""},
	} {
		wantHoldQuery(t, s, c.q, c.want)
	}

	// Replacing a hold changes its target, even to another kind.
	moved := hs[5]
	moved.Domain, moved.Hash = "", otherMD5
	if err := s.PutHold(ctx(t), moved); err != nil {
		t.Fatal(err)
	}
	wantHoldQuery(t, s, intel.HoldQuery{Domain: "www.badcorp.example"}, "")
	wantHoldQuery(t, s, intel.HoldQuery{Domain: "c2.badcorp.example"}, "hold-00000011")
	wantHoldQuery(t, s, intel.HoldQuery{Hashes: []string{otherMD5}}, "hold-00000010")
	if err := s.DeleteHold(ctx(t), "hold-00000011"); err != nil {
		t.Fatal(err)
	}
	wantHoldQuery(t, s, intel.HoldQuery{Domain: "c2.badcorp.example"}, "")
	if err := s.DeleteHold(ctx(t), "hold-00000012"); err != nil {
		t.Fatal(err)
	}
	wantHoldQuery(t, s, intel.HoldQuery{Hashes: []string{heldSHA1, heldMD5}}, "hold-00000014")

	for _, bad := range []intel.Hold{
		{Ref: "hold-x", Domain: "badcorp.example", Hash: heldMD5},
		{Ref: "hold-x", Domain: "badcorp.example", URL: "http://a.example/"},
		{Ref: "hold-x", Hash: heldMD5, Prefix: netip.MustParsePrefix("10.0.0.0/8")},
		{Ref: "hold-x", Domain: "BadCorp.example"},
		{Ref: "hold-x", Domain: "badcorp.example."},
		{Ref: "hold-x", Domain: "192.0.2.1"},
		{Ref: "hold-x", Domain: "http://badcorp.example/"},
		{Ref: "hold-x", Hash: strings.ToLower(heldMD5)},
		{Ref: "hold-x", Hash: "0123"},
		{Ref: "hold-x", Hash: "XYZ456789ABCDEF0123456789ABCDEF"},
	} {
		if err := s.PutHold(ctx(t), bad); intel.KindOf(err) != intel.KindInvalid {
			t.Errorf("PutHold(%+v) error = %v, want KindInvalid", bad, err)
		}
	}
}

func testHolds(t *testing.T, f Factory) {
	s := open(t, f)
	if l, err := s.Holds(ctx(t)); err != nil || len(l) != 0 {
		t.Errorf("Holds of empty store = %v, %v; want none", l, err)
	}
	wantHold(t, s, ip4a, "", "")
	hs := holdsForTest()
	putHolds(t, s, hs)
	all, err := s.Holds(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "holds", all, hs)

	wantHold(t, s, ip4b, "", "hold-00000001")                                       // exact IPv4 address
	wantHold(t, s, netip.MustParseAddr("91.92.109.44"), "", "")                     // its neighbour
	wantHold(t, s, ip4a, "", "hold-00000002")                                       // inside an IPv4 network
	wantHold(t, s, netip.MustParseAddr("45.95.147.255"), "", "hold-00000002")       // its last address
	wantHold(t, s, netip.MustParseAddr("45.95.148.0"), "", "")                      // just after it
	wantHold(t, s, ip6a, "", "hold-00000003")                                       // inside an IPv6 network
	wantHold(t, s, netip.MustParseAddr("2a03:b0c0:4::1"), "", "")                   // outside it
	wantHold(t, s, ip6b, "", "hold-00000005")                                       // exact IPv6 address
	wantHold(t, s, netip.MustParseAddr("::ffff:45.95.147.10"), "", "hold-00000002") // IPv4-mapped
	wantHold(t, s, netip.Addr{}, "http://evil.example/login", "hold-00000004")      // web address key
	wantHold(t, s, netip.Addr{}, "http://evil.example/login2", "")
	wantHold(t, s, netip.Addr{}, "http://evil.example/", "")
	wantHold(t, s, ip4b, "http://evil.example/login", "hold-00000001") // both: the smallest reference
	wantHold(t, s, netip.Addr{}, "", "")

	// Replacing a hold changes its target.
	moved := hs[1]
	moved.Prefix = netip.MustParsePrefix("10.0.0.0/8")
	if err := s.PutHold(ctx(t), moved); err != nil {
		t.Fatal(err)
	}
	wantHold(t, s, ip4a, "", "")
	wantHold(t, s, netip.MustParseAddr("10.1.2.3"), "", "hold-00000002")

	if err := s.DeleteHold(ctx(t), "hold-00000001"); err != nil {
		t.Fatal(err)
	}
	wantHold(t, s, ip4b, "", "")
	if err := s.DeleteHold(ctx(t), "hold-00000001"); !errors.Is(err, intel.ErrNotFound) {
		t.Errorf("DeleteHold(deleted) error = %v, want ErrNotFound", err)
	}
	if err := s.DeleteHold(ctx(t), "hold-unknown"); !errors.Is(err, intel.ErrNotFound) {
		t.Errorf("DeleteHold(unknown) error = %v, want ErrNotFound", err)
	}
	all, err = s.Holds(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "holds after delete", all, []intel.Hold{moved, hs[2], hs[3], hs[4]})

	for _, bad := range []intel.Hold{
		{Ref: "", URL: "http://a.example/"},
		{Ref: "hold-x"},
		{Ref: "hold-x", URL: "http://a.example/", Prefix: netip.MustParsePrefix("10.0.0.0/8")},
		{Ref: "hold-x", Prefix: netip.MustParsePrefix("10.0.0.1/8")},
	} {
		if err := s.PutHold(ctx(t), bad); intel.KindOf(err) != intel.KindInvalid {
			t.Errorf("PutHold(%+v) error = %v, want KindInvalid", bad, err)
		}
	}
}

func testHoldsPersistence(t *testing.T, f Factory) {
	if f.Reopen == nil {
		t.Skip("backend does not persist")
	}
	s := f.New(t)
	hs := holdsForTest()
	putHolds(t, s, hs)
	wantHold(t, s, ip4a, "", "hold-00000002") // fills any in-process copy
	if err := s.DeleteHold(ctx(t), "hold-00000002"); err != nil {
		t.Fatal(err)
	}
	s = f.Reopen(t, s)
	t.Cleanup(func() { _ = s.Close() })
	all, err := s.Holds(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "holds after reopen", all, []intel.Hold{hs[0], hs[2], hs[3], hs[4]})
	wantHold(t, s, ip4b, "", "hold-00000001")
	wantHold(t, s, ip4a, "", "")
	wantHold(t, s, ip6a, "", "hold-00000003")
	wantHold(t, s, netip.Addr{}, "http://evil.example/login", "hold-00000004")
	if err := s.PutHold(ctx(t), hs[1]); err != nil {
		t.Fatal(err)
	}
	wantHold(t, s, ip4a, "", "hold-00000002")

	// Holds on names and files survive too, and a store reopened after
	// they were added finds them.
	objs := objectHoldsForTest()
	putHolds(t, s, objs)
	wantHoldQuery(t, s, intel.HoldQuery{Domain: "c2.badcorp.example"}, "hold-00000010") // fills any in-process copy
	if err := s.DeleteHold(ctx(t), "hold-00000010"); err != nil {
		t.Fatal(err)
	}
	s = f.Reopen(t, s) // the cleanup above closes s as it is at the end
	all, err = s.Holds(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "holds after the second reopen", all, append([]intel.Hold{hs[0], hs[1], hs[2], hs[3], hs[4]}, objs[1:]...))
	wantHoldQuery(t, s, intel.HoldQuery{Domain: "www.badcorp.example"}, "")
	wantHoldQuery(t, s, intel.HoldQuery{Domain: "x.c2.badcorp.example"}, "hold-00000011")
	wantHoldQuery(t, s, intel.HoldQuery{Hashes: []string{heldSHA256, heldSHA1}}, "hold-00000012")
	if err := s.PutHold(ctx(t), objs[0]); err != nil {
		t.Fatal(err)
	}
	wantHoldQuery(t, s, intel.HoldQuery{Domain: "www.badcorp.example"}, "hold-00000010")
}

// testReportHolds: a hold on a report is listed with the others, kept
// across a reopen, and holds no address, web address, name or file; a
// hold with a report and another target, or a report ID with a control
// character, is refused.
func testReportHolds(t *testing.T, f Factory) {
	s := f.New(t)
	defer func() { s.Close() }()
	hs := []intel.Hold{
		{Ref: "hold-00000001", Report: "RPT-2026-0042", Reason: "court order", Created: at(2024, 5, 1, 10, 0)},
		{Ref: "hold-00000002", Prefix: netip.PrefixFrom(ip4b, 32), Reason: "takedown"},
	}
	putHolds(t, s, hs)
	check := func(when string) {
		t.Helper()
		all, err := s.Holds(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 2 || all[0] != hs[0] || all[1] != hs[1] || all[0].Target() != "report:RPT-2026-0042" {
			t.Errorf("%s: holds %+v, want %+v", when, all, hs)
		}
	}
	check("after put")
	wantHoldQuery(t, s, intel.HoldQuery{IP: ip4b, URL: "http://evil.example/login", Domain: "rpt-2026-0042", Hashes: []string{sha256a}}, "hold-00000002")
	wantHoldQuery(t, s, intel.HoldQuery{IP: ip4a, Domain: "rpt-2026-0042"}, "")
	for _, bad := range []intel.Hold{
		{Ref: "hold-x", Report: "RPT-1", Domain: "evil.example"},
		{Ref: "hold-x", Report: "RPT\n1"},
	} {
		if err := s.PutHold(ctx(t), bad); intel.KindOf(err) != intel.KindInvalid {
			t.Errorf("PutHold(%+v) = %v, want an invalid-argument error", bad, err)
		}
	}
	if f.Reopen != nil {
		s = f.Reopen(t, s)
		check("after reopen")
	}
}
