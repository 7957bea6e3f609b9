package intel

import (
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// NormalizeDomain returns the form domain names are keyed and answered by:
// lower case, one trailing dot removed, internationalised labels as
// A-labels (punycode), every label kept ("www." too). Valid names have
// labels of 1 to 63 letters, digits, "-" or "_" and 253 bytes at most.
// An IP address, a name with a scheme, "/", "?", ":", "@" or "%", white
// space, "*", an empty label or a name whose last label is all digits
// ("1.2.3") is a KindInvalid error whose message says what is wrong.
func NormalizeDomain(raw string) (string, error) {
	bad := func(format string, args ...any) error {
		return &Error{Kind: KindInvalid, Code: "invalid_request", Message: fmt.Sprintf(format, args...)}
	}
	q := clip(raw)
	switch {
	case raw == "":
		return "", bad("empty domain name")
	case strings.Contains(raw, "://"):
		return "", bad("%q is a web address, not a domain name: use /api/url/", q)
	}
	if isAddr(strings.Trim(raw, "[]")) {
		return "", bad("%q is an IP address, not a domain name: use /api/ip/", q)
	}
	if i := strings.IndexAny(raw, "/?:@%"); i >= 0 {
		return "", bad("%q is not a domain name (it holds %q): use /api/url/ for web addresses", q, raw[i])
	}
	if i := strings.IndexFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '*' || r == '\\' }); i >= 0 {
		return "", bad("%q is not a domain name: character %q is not allowed", q, raw[i])
	}
	h := raw
	if strings.HasSuffix(h, ".") && !strings.HasSuffix(h, "..") {
		h = h[:len(h)-1]
	}
	h, err := parseHost(h)
	if err != nil {
		return "", bad("%q is not a domain name: %v", q, err)
	}
	if isAddr(strings.Trim(h, "[]")) {
		return "", bad("%q is not a domain name: it reads as the IP address %s", q, h)
	}
	return h, nil
}

// isAddr reports whether netip.ParseAddr accepts s, without the error it
// allocates for the names that are not addresses: an address holds a ':'
// (IPv6) or only digits and dots (IPv4).
func isAddr(s string) bool {
	if strings.IndexByte(s, ':') < 0 && strings.Trim(s, "0123456789.") != "" {
		return false
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// HashKind names the algorithm of a file hash by its length.
func HashKind(h string) string {
	switch len(h) {
	case 32:
		return "MD5"
	case 40:
		return "SHA-1"
	case 64:
		return "SHA-256"
	}
	return ""
}

// NormalizeHash returns a file hash in the form files are keyed by: 32, 40
// or 64 hexadecimal digits in any case, returned upper case. Anything else
// ("0x" prefixes, white space, other lengths) is a KindInvalid error.
func NormalizeHash(raw string) (string, error) {
	if HashKind(raw) == "" {
		return "", &Error{Kind: KindInvalid, Code: "invalid_request",
			Message: fmt.Sprintf("%q is not a file hash: want 32 (MD5), 40 (SHA-1) or 64 (SHA-256) hexadecimal digits", clip(raw))}
	}
	for i := 0; i < len(raw); i++ {
		if _, ok := unhex(raw[i]); !ok {
			return "", &Error{Kind: KindInvalid, Code: "invalid_request",
				Message: fmt.Sprintf("%q is not a file hash: %q is not a hexadecimal digit", clip(raw), raw[i])}
		}
	}
	return strings.ToUpper(raw), nil
}

// RegistrableDomain is the name one label below the public suffix of a
// normalised host name, by the ICANN section of the Public Suffix List
// ("c2.badcorp.example" -> "badcorp.example"); "" for a public suffix
// itself and for an IP host.
func RegistrableDomain(host string) string {
	if host == "" || strings.HasPrefix(host, "[") {
		return ""
	}
	if ipLike(host) {
		if _, err := netip.ParseAddr(host); err == nil {
			return ""
		}
	}
	suffix, icann := publicsuffix.PublicSuffix(host)
	if !icann {
		// A private-section suffix ("dyndns.example") or an unlisted TLD:
		// the ICANN rule "*" makes the last label the suffix.
		suffix = host[strings.LastIndexByte(host, '.')+1:]
		if s, ok := icannSuffix(host); ok {
			suffix = s
		}
	}
	if len(host) <= len(suffix) {
		return ""
	}
	rest := host[:len(host)-len(suffix)-1]
	return host[strings.LastIndexByte(rest, '.')+1:] // the last label of rest, a dot, the suffix
}

// ipLike reports whether host could be an IP address literal: digits and
// dots only (IPv4), or a colon (IPv6). Names are not parsed as addresses,
// which would allocate an error for each.
func ipLike(host string) bool {
	if strings.IndexByte(host, ':') >= 0 {
		return true
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// icannSuffix finds the longest ICANN public suffix of host by trying its
// tails from the longest.
func icannSuffix(host string) (string, bool) {
	for s := host; ; {
		i := strings.IndexByte(s, '.')
		if i < 0 {
			return "", false
		}
		s = s[i+1:]
		if ps, icann := publicsuffix.PublicSuffix(s); icann && ps == s {
			return s, true
		}
	}
}

// Ancestors calls fn with every name above host down to (and including)
// its registrable domain, nearest first: "a.b.badcorp.example" gives
// "b.badcorp.example", "badcorp.example". Nothing for IP hosts, public
// suffixes and registrable domains themselves.
func Ancestors(host string, fn func(string)) {
	reg := RegistrableDomain(host)
	if reg == "" || reg == host {
		return
	}
	for s := host; len(s) > len(reg); {
		i := strings.IndexByte(s, '.')
		if i < 0 {
			return
		}
		s = s[i+1:]
		fn(s)
	}
}

// URLMatchKey is the key under which web addresses that one client would
// not tell apart are found together: the key of NormalizeURL without the
// port and a leading "www." of the host, repeated "/" collapsed, a
// trailing "/" dropped, all lower case.
func URLMatchKey(key string) string {
	host := URLHost(key)
	rest := key[len(host):]
	if strings.HasPrefix(key, "[") {
		host, rest = key[:len(host)+2], key[len(host)+2:]
	}
	host = strings.TrimPrefix(host, "www.")
	if strings.HasPrefix(rest, ":") {
		i := strings.IndexAny(rest, "/?")
		if i < 0 {
			rest = ""
		} else {
			rest = rest[i:]
		}
	}
	var b strings.Builder
	b.Grow(len(host) + len(rest))
	b.WriteString(host)
	q := strings.IndexByte(rest, '?')
	path, query := rest, ""
	if q >= 0 {
		path, query = rest[:q], rest[q:]
	}
	for i := 0; i < len(path); i++ {
		if path[i] == '/' && i+1 < len(path) && path[i+1] == '/' {
			continue
		}
		b.WriteByte(path[i])
	}
	out := b.String()
	if query == "" {
		out = strings.TrimSuffix(out, "/")
	}
	return strings.ToLower(out + query)
}
