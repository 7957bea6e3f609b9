package intel

import (
	"strings"
	"testing"
)

func TestNormalizeDomain(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"C2.BadCorp.Example.", "c2.badcorp.example"},
		{"example.com", "example.com"},
		{"www.example.com", "www.example.com"},
		{"_dmarc.example.com", "_dmarc.example.com"},
		{"bücher.example", "xn--bcher-kva.example"},
		{"xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"localhost", "localhost"},
		{strings.Repeat("a", 63) + ".example", strings.Repeat("a", 63) + ".example"},
	} {
		got, err := NormalizeDomain(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("NormalizeDomain(%q): got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	long := strings.Repeat(strings.Repeat("a", 60)+".", 5) + "example" // 312 bytes
	for _, in := range []string{"", "192.0.2.1", "[2001:db8::1]", "2001:db8::1", "1.2.3", "http://x.example",
		"x.example/p", "x.example?q", "x.example:80", "u@x.example", "x%2eexample", "a..b", ".x.example",
		"x.example..", "*.example", "a b.example", "x\\y.example", strings.Repeat("a", 64) + ".example", long} {
		if got, err := NormalizeDomain(in); err == nil || KindOf(err) != KindInvalid {
			t.Errorf("NormalizeDomain(%q): got %q, %v; want a KindInvalid error", in, got, err)
		}
	}
}

func TestNormalizeHash(t *testing.T) {
	for _, in := range []string{"0f343b0931126a20f133d67c2b018a3b", strings.Repeat("A", 40), strings.Repeat("f", 64)} {
		got, err := NormalizeHash(in)
		if err != nil || got != strings.ToUpper(in) {
			t.Errorf("NormalizeHash(%q): got %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0x0f343b0931126a20f133d67c2b018a", strings.Repeat("a", 31), strings.Repeat("a", 33),
		strings.Repeat("a", 56), strings.Repeat("g", 32), " " + strings.Repeat("a", 32), strings.Repeat("a", 32) + "/"} {
		if got, err := NormalizeHash(in); err == nil || KindOf(err) != KindInvalid {
			t.Errorf("NormalizeHash(%q): got %q, %v; want a KindInvalid error", in, got, err)
		}
	}
}

func TestRegistrableDomainAndAncestors(t *testing.T) {
	for _, tc := range []struct{ host, want string }{
		{"c2.badcorp.example", "badcorp.example"},
		{"badcorp.example", "badcorp.example"},
		{"a.b.example.co.uk", "example.co.uk"},
		{"foo.dyndns.org", "dyndns.org"}, // the ICANN section: the provider's domain
		{"co.uk", ""},
		{"com", ""},
		{"45.95.147.10", ""},
		{"2001:db8::1", ""},
	} {
		if got := RegistrableDomain(tc.host); got != tc.want {
			t.Errorf("RegistrableDomain(%q): got %q, want %q", tc.host, got, tc.want)
		}
	}
	var got []string
	Ancestors("a.b.c.badcorp.example", func(s string) { got = append(got, s) })
	if want := "b.c.badcorp.example c.badcorp.example badcorp.example"; strings.Join(got, " ") != want {
		t.Errorf("Ancestors: got %v, want %s", got, want)
	}
	got = nil
	Ancestors("badcorp.example", func(s string) { got = append(got, s) })
	if len(got) != 0 {
		t.Errorf("Ancestors of a registrable domain: got %v, want none", got)
	}
}

func TestURLMatchKey(t *testing.T) {
	for _, tc := range []struct{ key, want string }{
		{"www.Bad.example:8080//a//b/", "bad.example/a/b"},
		{"bad.example/P/", "bad.example/p"},
		{"bad.example/p/?x=1", "bad.example/p/?x=1"},
		{"[2001:db8::1]:81/x", "[2001:db8::1]/x"},
		{"45.95.147.10/bins/x86", "45.95.147.10/bins/x86"},
	} {
		if got := URLMatchKey(tc.key); got != tc.want {
			t.Errorf("URLMatchKey(%q): got %q, want %q", tc.key, got, tc.want)
		}
	}
}
