package indicator

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tipd/tipd/internal/intel"
)

func TestRecognize(t *testing.T) {
	sha256 := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		in     string
		kind   Kind   // "" for an error
		value  string // the normal form, or a part of the error message
		lookup string // "" means value
	}{
		{"45.95.147.10", KindIP, "45.95.147.10", ""},
		{"45[.]95[.]147[.]10", KindIP, "45.95.147.10", ""},
		{"45(.)95(.)147(.)10", KindIP, "45.95.147.10", ""},
		{"45{.}95[dot]147(dot)10", KindIP, "45.95.147.10", ""},
		{"192.0.2.1:443", KindIP, "192.0.2.1", ""},
		{"2001:DB8::1", KindIP, "2001:db8::1", ""},
		{"[2001:db8::1]", KindIP, "2001:db8::1", ""},
		{"[2001:db8::1]:8443", KindIP, "2001:db8::1", ""},
		{"::ffff:192.0.2.7", KindIP, "192.0.2.7", ""},
		{"\"192.0.2.8\"", KindIP, "192.0.2.8", ""},
		{"<192.0.2.9>", KindIP, "192.0.2.9", ""},
		{"fe80::1%eth0", "", "IPv6 zone", ""},
		{"192.0.2.0/24", KindCIDR, "192.0.2.0/24", ""},
		{"192.0.2.77/24", KindCIDR, "192.0.2.0/24", ""},
		{"192[.]0[.]2[.]0/24", KindCIDR, "192.0.2.0/24", ""},
		{"192.0.2.5/32", KindIP, "192.0.2.5", ""},
		{"2001:db8::/32", KindCIDR, "2001:db8::/32", ""},
		{"2001:db8::1/128", KindIP, "2001:db8::1", ""},
		{"0f343b0931126a20f133d67c2b018a3b", KindHash, "0F343B0931126A20F133D67C2B018A3B", ""},
		{"da39a3ee5e6b4b0d3255bfef95601890afd80709", KindHash, "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", ""},
		{sha256, KindHash, strings.ToUpper(sha256), ""},
		{"0f343b0931126a20f133d67c2b018a3", "", "not an address", ""},
		{"c2.badcorp.example", KindDomain, "c2.badcorp.example", ""},
		{"C2.BadCorp.Example.", KindDomain, "c2.badcorp.example", ""},
		{"c2[.]badcorp[.]example", KindDomain, "c2.badcorp.example", ""},
		{"c2[DOT]badcorp(dot)example", KindDomain, "c2.badcorp.example", ""},
		{"bücher.example", KindDomain, "xn--bcher-kva.example", ""},
		{"hxxp://c2[.]badcorp[.]example/bins/loader.sh", KindURL, "c2.badcorp.example/bins/loader.sh", "http://c2.badcorp.example/bins/loader.sh"},
		{"hXXps[:]//evil[.]example/a?b=1", KindURL, "evil.example/a?b=1", "https://evil.example/a?b=1"},
		{"hxxps[://]evil[.]example/x", KindURL, "evil.example/x", "https://evil.example/x"},
		{"h**p://evil.example/y", KindURL, "evil.example/y", "http://evil.example/y"},
		{"evil.example/path", KindURL, "evil.example/path", "evil.example/path"},
		{"http://45.95.147.10/bins/x86", KindURL, "45.95.147.10/bins/x86", "http://45.95.147.10/bins/x86"},
		{"http://", "", "web address", ""},
		{"user[at]evil[.]example", "", "e-mail address", ""},
		{"localhost", "", "not an address", ""},
		{"1.2.3", "", "not a valid IP address", ""},
		{"300.1.1.1", "", "not a valid IP address", ""},
		{"not*a*domain.example", "", "not an address", ""},
		{strings.Repeat("a", MaxLength+1), "", "longer than", ""},
	} {
		got := Recognize(tc.in)
		if tc.kind == "" {
			if got.Err == nil {
				t.Errorf("Recognize(%.40q): got %s %q, want an error naming %q", tc.in, got.Kind, got.Value, tc.value)
				continue
			}
			if intel.KindOf(got.Err) != intel.KindInvalid || !strings.Contains(got.Err.Error(), tc.value) {
				t.Errorf("Recognize(%.40q): got error %v, want an Invalid error naming %q", tc.in, got.Err, tc.value)
			}
			if got.Kind != "" || got.Value != "" {
				t.Errorf("Recognize(%.40q): got kind %q value %q with the error, want none", tc.in, got.Kind, got.Value)
			}
			if len(got.Raw) > maxQuoted+len("…") {
				t.Errorf("Recognize(%.40q): got Raw of %d bytes, want at most %d", tc.in, len(got.Raw), maxQuoted+len("…"))
			}
			continue
		}
		if got.Err != nil {
			t.Errorf("Recognize(%q): got error %v, want %s %q", tc.in, got.Err, tc.kind, tc.value)
			continue
		}
		wantLookup := tc.lookup
		if wantLookup == "" {
			wantLookup = tc.value
		}
		if got.Kind != tc.kind || got.Value != tc.value || got.Lookup != wantLookup || got.Raw != tc.in {
			t.Errorf("Recognize(%q): got %s %q lookup %q raw %q, want %s %q lookup %q raw %q",
				tc.in, got.Kind, got.Value, got.Lookup, got.Raw, tc.kind, tc.value, wantLookup, tc.in)
		}
		if tc.kind == KindIP && got.IP.String() != tc.value {
			t.Errorf("Recognize(%q): got IP %v, want %s", tc.in, got.IP, tc.value)
		}
		if tc.kind == KindCIDR && got.Prefix.String() != tc.value {
			t.Errorf("Recognize(%q): got Prefix %v, want %s", tc.in, got.Prefix, tc.value)
		}
	}
}

func TestParse(t *testing.T) {
	text := "45.95.147.10, 45[.]95[.]147[.]10;c2.badcorp.example\n" +
		"  hxxp://c2[.]badcorp[.]example/bins/loader.sh\r\n\t" +
		"0f343b0931126a20f133d67c2b018a3b 0F343B0931126A20F133D67C2B018A3B " +
		"example [.] org bogus bogus 192.0.2.0/24,,;  \n"
	got, err := Parse(text, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		raw   string
		kind  Kind
		value string
	}{
		{"45.95.147.10", KindIP, "45.95.147.10"},
		{"c2.badcorp.example", KindDomain, "c2.badcorp.example"},
		{"hxxp://c2[.]badcorp[.]example/bins/loader.sh", KindURL, "c2.badcorp.example/bins/loader.sh"},
		{"0f343b0931126a20f133d67c2b018a3b", KindHash, "0F343B0931126A20F133D67C2B018A3B"},
		{"example[.]org", KindDomain, "example.org"},
		{"bogus", "", ""},
		{"192.0.2.0/24", KindCIDR, "192.0.2.0/24"},
	}
	if len(got) != len(want) {
		var gs []string
		for _, g := range got {
			gs = append(gs, g.Raw)
		}
		t.Fatalf("Parse: got %d indicators %q, want %d", len(got), gs, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Raw != w.raw || g.Kind != w.kind || g.Value != w.value || (w.kind == "") != (g.Err != nil) {
			t.Errorf("Parse: indicator %d: got %q %s %q (err %v), want %q %s %q", i, g.Raw, g.Kind, g.Value, g.Err, w.raw, w.kind, w.value)
		}
	}
}

func TestParseLimit(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 11; i++ {
		fmt.Fprintf(&b, "192.0.2.%d\n", i)
	}
	// 11 distinct addresses, plus duplicates that do not count.
	text := b.String() + "192.0.2.1\n192.0.2.1\n"
	if got, err := Parse(text, 11); err != nil || len(got) != 11 {
		t.Errorf("Parse with max 11: got %d indicators, error %v; want 11, no error", len(got), err)
	}
	_, err := Parse(text, 10)
	if intel.KindOf(err) != intel.KindInvalid || !strings.Contains(err.Error(), "more than 10") {
		t.Errorf("Parse with max 10: got error %v, want an Invalid error naming the limit", err)
	}
}

func TestRefang(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"evil[.]example", "evil.example"},
		{"evil(.)example{.}org", "evil.example.org"},
		{"evil [.] example", "evil.example"},
		{"evil\\.example", "evil.example"},
		{"http[:]//x", "http://x"},
		{"http[://]x[/]y", "http://x/y"},
		{"a[at]b(at)c[@]d", "a@b@c@d"},
		{"plain.example", "plain.example"},
	} {
		if got := Refang(tc.in); got != tc.want {
			t.Errorf("Refang(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"45.95.147.10",
		"45[.]95[.]147[.]10, c2[.]badcorp[.]example",
		"hxxp://c2[.]badcorp[.]example/bins/loader.sh",
		"hXXps[:]//evil[.]example/a?b=1;192.0.2.0/24",
		"[2001:db8::1]:443 2001:db8::/32",
		"0f343b0931126a20f133d67c2b018a3b\n" + strings.Repeat("ab", 32),
		"user[at]evil[.]example bogus 1.2.3",
		"example [.] org",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got, err := Parse(text, 50)
		if err != nil {
			if intel.KindOf(err) != intel.KindInvalid {
				t.Fatalf("Parse(%q): error of kind %v: %v", text, intel.KindOf(err), err)
			}
			return
		}
		seen := map[string]bool{}
		for _, in := range got {
			if (in.Err == nil) == (in.Kind == "") {
				t.Fatalf("Parse(%q): %q has kind %q and error %v: want exactly one", text, in.Raw, in.Kind, in.Err)
			}
			if seen[in.key()] {
				t.Fatalf("Parse(%q): %q given twice", text, in.key())
			}
			seen[in.key()] = true
			if in.Err != nil {
				if !utf8.ValidString(in.Raw) && utf8.ValidString(text) {
					t.Fatalf("Parse(%q): Raw %q is not valid UTF-8", text, in.Raw)
				}
				continue
			}
			// The normal form is a fixed point: it reads as itself.
			// A web address is read back with its scheme: without a path
			// its normal form is a bare host.
			v := in.Value
			if in.Kind == KindURL {
				v = "http://" + v
			}
			again := Recognize(v)
			if again.Err != nil || again.Kind != in.Kind || again.Value != in.Value {
				t.Fatalf("Parse(%q): %s %q reads back as %s %q (err %v)", text, in.Kind, in.Value, again.Kind, again.Value, again.Err)
			}
		}
	})
}

// BenchmarkParse reads a paste of 1,000 mixed indicators, a fifth of them
// defanged.
func BenchmarkParse(b *testing.B) {
	var sb strings.Builder
	for i := 0; i < 1000; i++ {
		switch i % 5 {
		case 0:
			fmt.Fprintf(&sb, "198.51.%d.%d\n", i/256, i%256)
		case 1:
			fmt.Fprintf(&sb, "host%d[.]evil[.]example, ", i)
		case 2:
			fmt.Fprintf(&sb, "hxxp://evil%d[.]example/path/%d.exe\n", i, i)
		case 3:
			fmt.Fprintf(&sb, "%032x ", i)
		default:
			fmt.Fprintf(&sb, "203.0.%d.0/24;", i%256)
		}
	}
	text := sb.String()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(text, 10000); err != nil {
			b.Fatal(err)
		}
	}
}
