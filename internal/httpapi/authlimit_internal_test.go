package httpapi

import (
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestClientKey(t *testing.T) {
	tests := map[string]string{
		"203.0.113.7:4000":           "203.0.113.7/32",
		"[::ffff:203.0.113.7]:4000":  "203.0.113.7/32",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[fe80::1%eth0]:443":         "fe80::/64",
		"203.0.113.7":                "203.0.113.7/32",
		"@":                          "invalid Prefix",
		"":                           "invalid Prefix",
	}
	for in, want := range tests {
		if got := clientKey(in).String(); got != want {
			t.Errorf("clientKey(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestAuthLimiterBounded(t *testing.T) {
	clock := time.Date(2026, 11, 28, 15, 0, 0, 0, time.UTC)
	l := newAuthLimiter(Config{AuthFailures: 3, AuthWindow: time.Hour, AuthClients: 1000},
		func() time.Time { return clock }, slog.New(slog.DiscardHandler), NewMetrics(prometheus.NewRegistry()))
	for i := range 50_000 {
		key := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 32)
		if locked, _, _ := l.check(key); locked {
			t.Fatalf("%s locked before its first failure", key)
		}
		l.failed(key)
		if n := l.len(); n > 1000 {
			t.Fatalf("%d addresses tracked, want at most 1000", n)
		}
	}
	// A summary closes the windows that reported; the next one, with
	// nothing to report, closes the rest, and the sweep forgets the
	// addresses whose bucket has refilled.
	clock = clock.Add(time.Hour)
	l.summarise()
	l.summarise()
	if n := l.len(); n != 0 {
		t.Errorf("%d addresses tracked after an idle window, want 0", n)
	}
}
