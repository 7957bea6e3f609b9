package intel

import (
	"net/netip"
	"strings"
	"testing"
	"unicode"
)

func TestNormalizeURL(t *testing.T) {
	tests := []struct {
		in        string
		want      string
		truncated bool
	}{
		{"http://45.95.147.10/bins/x86", "45.95.147.10/bins/x86", false},
		{"45.95.147.10/bins/x86", "45.95.147.10/bins/x86", false},
		{"HTTPS://Bad.EXAMPLE./Panel/Gate.php", "bad.example/Panel/Gate.php", false},
		{"http://bad.example:80/a", "bad.example/a", false},
		{"https://bad.example:443/a", "bad.example/a", false},
		{"http://bad.example:443/a", "bad.example/a", false},
		{"http://bad.example:8080/a", "bad.example:8080/a", false},
		{"http://bad.example:08080/a", "bad.example:8080/a", false},
		{"http://bad.example:/a", "bad.example/a", false},
		{"http://82.118.16.30", "82.118.16.30", false},
		{"http://82.118.16.30/", "82.118.16.30", false},
		{"http://82.118.16.30/?", "82.118.16.30", false},
		{"http://82.118.16.30?x=1", "82.118.16.30/?x=1", false},
		{"http://bad.example/a#frag", "bad.example/a", false},
		{"http://bad.example/a?b=1#frag?c", "bad.example/a?b=1", false},
		{"http://[2A0E:97C0::0001]:8443/x", "[2a0e:97c0::1]:8443/x", false},
		{"http://[::ffff:45.95.147.10]/x", "45.95.147.10/x", false},
		{"//bad.example/x", "bad.example/x", false},
		{"http://bad.example/a/./b/../c", "bad.example/a/c", false},
		{"http://bad.example/a/%2e%2E/c", "bad.example/c", false},
		{"http://bad.example/%7euser/%2f%zz", "bad.example/~user/%2F%25zz", false},
		{"http://bad.example/a b\"c", "bad.example/a%20b%22c", false},
		{"http://bad.example/\xff", "bad.example/%FF", false},
		{" http://bad.example/a\t\n ", "bad.example/a", false},
		{"http://münchen.example/x", "xn--mnchen-3ya.example/x", false},
		{"http://BÜCHER.example", "xn--bcher-kva.example", false},
		{"http://例え.テスト/", "xn--r8jz45g.xn--zckzah", false},
		{"http://例え。テスト/", "xn--r8jz45g.xn--zckzah", false},
		{"http://under_score.example/", "under_score.example", false},
		// Read as a browser reads them (WHATWG URL standard).
		{"http://c2-0.badcorp.example\\@example.org/panel/gate.php", "c2-0.badcorp.example/@example.org/panel/gate.php", false},
		{"http://c2-0.badcorp.example%5C@example.org/panel/gate.php", "example.org/panel/gate.php", true},
		{"http:\\\\evil.example\\path\\x.php", "evil.example/path/x.php", false},
		{"https:/\\evil.example:8080\\a\\..\\b", "evil.example:8080/b", false},
		{"http:evil.example/x", "evil.example/x", false},
		{"http:///x", "x", false},
		{"http://evil.example?\\@good.example", "evil.example/?%5C@good.example", false},
		{"http://a@b@evil.example/", "evil.example", true},
		{"http://good.example:80@evil.example", "evil.example", true},
		{"http://%62ad.example/", "bad.example", false},
		{"http://%31%32%37.0.0.1/", "127.0.0.1", false},
		{"http://0x7f.1/", "127.0.0.1", false},
		{"http://3232235777/", "192.168.1.1", false},
		{"http://0300.0250.1.1/", "192.168.1.1", false},
		{"http://127.1/", "127.0.0.1", false},
		{"http://1.2.3/", "1.2.0.3", false},
		{"http://0x/", "0.0.0.0", false},
		{"http://1.2.3.4./", "1.2.3.4", false},
		{"http://1.foo/", "1.foo", false},
		{"http://foo.0x1g/", "foo.0x1g", false},
		{"http://\uff11\uff12\uff17.0.0.1/", "127.0.0.1", false},
		{"http://\uff25\uff36\uff29\uff2c.example/", "evil.example", false},
		{"http://ex\u00adample.com/", "example.com", false},
		{"http://e\u0301.example/", "xn--9ca.example", false},
		{"http://fa\u00df.de/", "xn--fa-hia.de", false},
		{"http://bad.example:0/", "bad.example:0", false},
		{"http://bad.example:00000000000000000080/", "bad.example", false},
		{"\x00\x01 http://bad.example/a \x1f", "bad.example/a", false},
		{"\\\\evil.example\\x", "evil.example/x", false},
		{"http://http:8080/x", "http:8080/x", false},
		{"http:8080/x", "http:8080/x", false},
		{"user:pw@bad.example/x", "bad.example/x", true},
		// user-identifying parts
		{"http://user:secret@bad.example/x", "bad.example/x", true},
		{"http://bad.example/login?user_token=abc&lang=en", "bad.example/login?lang=en", true},
		{"http://bad.example/?token=abc", "bad.example", true},
		{"http://bad.example/p?a=1&ACCESS_TOKEN=x&b=2", "bad.example/p?a=1&b=2", true},
		{"http://bad.example/p?apikey=1&api_key=2&key=3&k=4", "bad.example/p?k=4", true},
		{"http://bad.example/p?sid=1&sessionid=2&PHPSESSID=3&x", "bad.example/p?x", true},
		{"http://bad.example/p?password=1&pass=2&pwd=3", "bad.example/p", true},
		{"http://bad.example/p?email=a@b.example&step=2", "bad.example/p?step=2", true},
		{"http://bad.example/p?to=john.doe%40mail.example&step=2", "bad.example/p?step=2", true},
		{"http://bad.example/unsub/john@mail.example/confirm?x=1", "bad.example/unsub/", true},
		{"http://bad.example/a;jsessionid=ABC/b", "bad.example/a/b", true},
		{"http://bad.example/a;v=1;jsessionid=ABC", "bad.example/a;v=1", true},
		{"http://bad.example/@handle/x", "bad.example/@handle/x", false},
		{"http://bad.example/p?q=a@b", "bad.example/p?q=a@b", false},
	}
	for _, tt := range tests {
		got, tr, err := NormalizeURL(tt.in)
		if err != nil {
			t.Errorf("NormalizeURL(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want || tr != tt.truncated {
			t.Errorf("NormalizeURL(%q) = %q, %v; want %q, %v", tt.in, got, tr, tt.want, tt.truncated)
		}
		if k := URLKey(got); k != got {
			t.Errorf("URLKey(%q) = %q, want it unchanged", got, k)
		}
		again, tr2, err := NormalizeURL(got)
		if err != nil || again != got || tr2 {
			t.Errorf("NormalizeURL(%q) again = %q, %v, %v; want it unchanged", got, again, tr2, err)
		}
	}
}

func TestNormalizeURLErrors(t *testing.T) {
	tests := []struct{ in, wantErr string }{
		{"", "empty"},
		{"   ", "empty"},
		{"ftp://bad.example/x", "unsupported scheme"},
		{"javascript://x", "unsupported scheme"},
		{"http://", "missing host"},
		{"http:///", "missing host"},
		{"http://user@/x", "missing host"},
		{"http://:80/", "missing host"},
		{"http://?x", "missing host"},
		{"javascript:alert(1)", "invalid port"},
		{"hxxp://bad.example/", "unsupported scheme"},
		{"file:\\\\c:\\x", "unsupported scheme"},
		{"\u00a0http://bad.example/", "invalid character"},
		{"http://bad.example:99999/", "invalid port"},
		{"http://bad.example:65536/", "invalid port"},
		{"http://bad.example::80/", "invalid port"},
		{"http://bad.example:8o/", "invalid port"},
		{"http://[2a00::1/x", "unterminated"},
		{"http://[zz::1]/x", "invalid IPv6"},
		{"http://[fe80::1%25eth0]/", "has a zone"},
		{"http://[2a00::1]x/", "after IPv6"},
		{"http://bad..example/", "empty label"},
		{"http://bad*.example/", "invalid character"},
		{"http://evil%2Fexample/", "invalid character"},
		{"http://evil%00.example/", "invalid character"},
		{"http://%zz.example/", "invalid character"},
		{"http://%FF.example/", "not valid UTF-8"},
		{"http://a b.example/", "invalid character"},
		{"http://ex\u200dample.com/", "invalid character"},
		{"http://[::1]]/", "after IPv6"},
		{"http://a[::1]/", "invalid character"},
		{"http://999.1.2.3/", "invalid IPv4"},
		{"http://1.2.3.4.5/", "invalid IPv4"},
		{"http://1.2.3.09/", "invalid IPv4"},
		{"http://foo.1/", "invalid IPv4"},
		{"http://foo.0x/", "invalid IPv4"},
		{"http://1.16777216/", "invalid IPv4"},
		{"http://4294967296/", "invalid IPv4"},
		{"http://999999999999999999999/", "invalid IPv4"},
		{"http://" + strings.Repeat("a", 64) + ".example/", "longer than 63"},
		{"http://" + strings.Repeat("a.", 130) + "example/", "longer than 253"},
		{"http://x/" + strings.Repeat("a", MaxURLLength), "longer than"},
	}
	for _, tt := range tests {
		got, _, err := NormalizeURL(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("NormalizeURL(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.wantErr)
		}
	}
}

func TestURLHost(t *testing.T) {
	tests := []struct{ key, want string }{
		{"45.95.147.10/bins/x86", "45.95.147.10"},
		{"45.95.147.10", "45.95.147.10"},
		{"bad.example:8080/x", "bad.example"},
		{"bad.example/?a=1", "bad.example"},
		{"bad.example?a=1", "bad.example"},
		{"[2a0e:97c0::1]:8443/x", "2a0e:97c0::1"},
		{"[2a0e:97c0::1]", "2a0e:97c0::1"},
		{"[broken", ""},
	}
	for _, tt := range tests {
		if got := URLHost(tt.key); got != tt.want {
			t.Errorf("URLHost(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestWithScheme(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://bad.example/x", "http://bad.example/x"},
		{"HTTPS:\\\\bad.example\\x", "https://bad.example\\x"},
		{"http:bad.example", "http://bad.example"},
		{" \tbad.example\\@good.example ", "http://bad.example\\@good.example"},
		{"//bad.example", "http://bad.example"},
		{"bad.example:8080/x", "http://bad.example:8080/x"},
		{"http:8080/x", "http://http:8080/x"},
		{"user:pw@bad.example", "http://user:pw@bad.example"},
	}
	for _, tt := range tests {
		if got, err := WithScheme(tt.in); err != nil || got != tt.want {
			t.Errorf("WithScheme(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"ftp://bad.example", "hxxp:\\\\bad.example"} {
		if got, err := WithScheme(in); err == nil {
			t.Errorf("WithScheme(%q) = %q, want an error", in, got)
		}
	}
}

func TestPunycode(t *testing.T) {
	// RFC 3492 section 7.1 samples (lower-cased) and common IDN names.
	tests := []struct{ in, want string }{
		{"bücher", "bcher-kva"},
		{"münchen", "mnchen-3ya"},
		{"他们为什么不说中文", "ihqwcrb4cv8a8dqg056pqjye"},
		{"почемужеонинеговорятпорусски", "b1abfaaepdrnnbgefbadotcwatmq2g4l"},
		{"3年b組金八先生", "3b-ww4c5e180e575a65lsy2b"},
	}
	for _, tt := range tests {
		got, err := punycode(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("punycode(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func FuzzNormalizeURL(f *testing.F) {
	for _, s := range []string{
		"http://45.95.147.10/bins/x86", "bad.example", "https://user@Bad.Example:443/a/../b?token=x&y=1#f",
		"http://[2a00::1]:8080/", "http://münchen.example/%7e/%zz", "http://bad.example/u/a@b.example/c",
		"http://bad.example/a;jsessionid=1?email=x", "//x.example/./?&&",
		"http://c2-0.badcorp.example\\@example.org/panel/gate.php", "http:\\\\0x7f.1\\a?b\\c",
		"http://%31%32%37.1:0080/", "http://a@b@[::ffff:1.2.3.4]:8080", "\x00 HTTP:evil.example. ",
		"http://\uff25\uff36\uff29\uff2c\u3002example/", "http:8080/x", "3232235777",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		key, tr0, err := NormalizeURL(raw)
		if err != nil {
			return
		}
		if key == "" {
			t.Fatalf("NormalizeURL(%q) = empty key", raw)
		}
		for _, r := range key {
			if r > unicode.MaxASCII || r <= ' ' || r == '#' || r == 0x7f {
				t.Fatalf("NormalizeURL(%q) = %q: contains %q", raw, key, r)
			}
		}
		if URLKey(key) != key {
			t.Fatalf("URLKey(%q) = %q", key, URLKey(key))
		}
		host := URLHost(key)
		if host == "" || strings.ToLower(host) != host {
			t.Fatalf("URLHost(%q) = %q", key, host)
		}
		// The key names the host the parser found, and reads back to it.
		u, err := parseWebAddress(raw)
		if err != nil {
			t.Fatalf("NormalizeURL(%q) = %q but parseWebAddress fails: %v", raw, key, err)
		}
		if strings.Trim(u.host, "[]") != host {
			t.Fatalf("NormalizeURL(%q) = %q with host %q; the parser found host %q", raw, key, host, u.host)
		}
		if k, err := parseWebAddress(key); err != nil || k.host != u.host || k.port != u.port {
			t.Fatalf("parseWebAddress(%q) = %+v, %v; want host %q port %q", key, k, err, u.host, u.port)
		}
		// Written with its scheme, it reads the same.
		w, err := WithScheme(raw)
		if err != nil {
			t.Fatalf("WithScheme(%q): %v", raw, err)
		}
		if k2, tr2, err := NormalizeURL(w); err != nil || k2 != key || tr2 != tr0 {
			t.Fatalf("NormalizeURL(%q) = %q, %v, %v; NormalizeURL(WithScheme) = %q = %q, %v, %v", raw, key, tr0, nil, w, k2, tr2, err)
		}
		again, tr, err := NormalizeURL(key)
		if err != nil || again != key || tr {
			t.Fatalf("NormalizeURL(%q) = %q, %v, %v; NormalizeURL(%q) = %q, %v, %v, want it unchanged", raw, key, false, nil, key, again, tr, err)
		}
	})
}

// HostAddr answers what netip.ParseAddr answers, for hosts that are
// addresses, names and neither.
func TestHostAddr(t *testing.T) {
	for _, c := range []struct {
		host string
		want string // "" for none
	}{
		{"192.0.2.10", "192.0.2.10"},
		{"2001:db8::1", "2001:db8::1"},
		{"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
		{"fe80::1%eth0", "fe80::1%eth0"},
		{"www.example.com", ""},
		{"1password.example", ""},
		{"192.0.2.300", ""},
		{"0x7f.1", ""},
		{"", ""},
		{"[2001:db8::1]", ""},
	} {
		a, ok := HostAddr(c.host)
		if got := ""; ok {
			got = a.String()
			if got != c.want {
				t.Errorf("HostAddr(%q) = %s, want %q", c.host, got, c.want)
			}
		} else if c.want != "" {
			t.Errorf("HostAddr(%q): none, want %s", c.host, c.want)
		}
	}
}

func FuzzHostAddr(f *testing.F) {
	for _, s := range []string{"192.0.2.10", "2001:db8::1", "www.example.com", "1a", ":", "9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := HostAddr(s)
		b, err := netip.ParseAddr(s)
		if ok != (err == nil) || ok && a != b {
			t.Fatalf("HostAddr(%q) = %v, %v; ParseAddr: %v, %v", s, a, ok, b, err)
		}
	})
}
