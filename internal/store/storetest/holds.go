package storetest

import (
	"errors"
	"net/netip"
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
	h, ok, err := s.Hold(ctx(t), ip, urlKey)
	if err != nil {
		t.Fatalf("Hold(%v, %q): %v", ip, urlKey, err)
	}
	got := ""
	if ok {
		got = h.Ref
	}
	if got != want {
		t.Errorf("Hold(%v, %q) = %q, want %q", ip, urlKey, got, want)
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
}
