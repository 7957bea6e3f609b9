package httpapi

import (
	"regexp"
	"testing"
)

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		in   string
		want indicatorType
	}{
		{"45.95.147.10", indAddress},
		{"2001:db8::5", indAddress},
		{"185.220.100.0/24", indNetwork},
		{"2001:db8::/32", indNetwork},
		{"c2.badcorp.example", indDomain},
		{"badcorp.example/login", indURL},
		{"https://badcorp.example", indURL},
		{"0F343B0931126A20F133D67C2B018A3B", indMD5},
		{"da39a3ee5e6b4b0d3255bfef95601890afd80709", indSHA1},
		{"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", indSHA256},
		{"deadbeef", indDomain},
		{"0f343b0931126a20f133d67c2b018a3g", indDomain},
	} {
		if got := classify(c.in); got != c.want {
			t.Errorf("classify(%q): got %d, want %d", c.in, got, c.want)
		}
	}
}

func TestCSVField(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Example campaign", "Example campaign"},
		{"a,b", "'a,b'"},
		{"Tom's", "'Tom''s'"},
		{`say "hi"`, `'say "hi"'`},
		{"two\nlines", "'two\nlines'"},
		{" padded", "' padded'"},
		{"", ""},
	} {
		if got := csvField(c.in); got != c.want {
			t.Errorf("csvField(%q): got %q, want %q", c.in, got, c.want)
		}
	}
}

func TestStableUUID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := stableUUID("rpt-1", "item", "0"), stableUUID("rpt-1", "item", "1")
	if !re.MatchString(a) || a == b || a != stableUUID("rpt-1", "item", "0") || stableUUID("ab", "c") == stableUUID("a", "bc") {
		t.Errorf("got %s and %s, want stable, distinct version 5 UUIDs", a, b)
	}
}
