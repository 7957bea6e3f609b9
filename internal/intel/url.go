package intel

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxURLLength is the longest web address NormalizeURL accepts, in bytes,
// both as given and once normalised.
const MaxURLLength = 8192

// NormalizeURL turns a web address as found in a feed or a request into the
// key it is stored and looked up under: the normalised URL without its
// scheme, e.g. "45.95.147.10/bins/x86". The rules (docs/import-format.md):
//
//   - the address is split as the WHATWG URL standard splits an http or
//     https URL, so that the host is the one a browser would fetch (see
//     parseWebAddress): "\" is "/", user information ends at the last "@"
//     of the authority, the host is percent-decoded, numeric hosts are IPv4
//     in any form a browser reads ("0x7f.1", "3232235777");
//   - the scheme may be absent (read as http), "http" or "https" (any case);
//     another name followed by ":/" or ":\" ("ftp://") is an error;
//   - tab, CR and LF anywhere are removed; C0 controls and spaces at both
//     ends are removed;
//   - the host is lower-cased, a trailing dot is removed, IPv4 and IPv6
//     literals are written canonically (IPv4-mapped IPv6 as IPv4; IPv6 in
//     brackets), internationalised names are mapped and converted to
//     punycode ("xn--" labels), and names that cannot be DNS names are
//     rejected;
//   - the ports 80 and 443 are removed whatever the scheme (the key carries no
//     scheme); other ports are kept without leading zeros;
//   - the fragment is removed; an empty path or a lone "/" without query is
//     removed; dot segments are resolved; percent escapes of unreserved
//     characters are decoded, other escapes upper-cased, and bytes that may not
//     appear raw in a URL are percent-encoded;
//   - user-identifying parts are cut and reported with truncated=true: user
//     information before the host, a path segment holding an e-mail address
//     (the path is cut before it and the query dropped), query parameters whose
//     name looks like a credential, token, session or e-mail
//     (see SensitiveParam) or whose value holds an e-mail address, and such
//     ";name=value" path parameters (";jsessionid=…").
//
// Where it deliberately differs from a browser: it rejects host names that
// cannot be DNS names, schemes other than http and https; it removes a
// trailing dot, writes IPv4-mapped IPv6 as IPv4 and drops the ports 80 and
// 443; it reads "http:8080" as the host http and its port; it approximates
// the UTS #46 mapping of internationalised names.
//
// NormalizeURL is idempotent: normalising a key gives the same key, untruncated.
func NormalizeURL(raw string) (key string, truncated bool, err error) {
	if len(raw) > MaxURLLength {
		return "", false, fmt.Errorf("web address longer than %d bytes", MaxURLLength)
	}
	u, err := parseWebAddress(raw)
	if err != nil {
		return "", false, fmt.Errorf("web address %q: %w", clip(raw), err)
	}
	truncated = u.userinfo
	var b strings.Builder
	b.Grow(len(u.host) + len(u.port) + len(u.path) + len(u.query) + 8)
	b.WriteString(u.host)
	if u.port != "" {
		b.WriteByte(':')
		b.WriteString(u.port)
	}
	// Path and query.
	path, cut := normalizePath(u.path)
	hasQuery, query := u.hasQuery, u.query
	if cut {
		truncated = true
		hasQuery = false
	}
	if hasQuery {
		var qt bool
		query, qt = normalizeQuery(query)
		truncated = truncated || qt
		hasQuery = query != ""
	}
	if path == "/" && !hasQuery {
		path = ""
	}
	b.WriteString(path)
	if hasQuery {
		b.WriteByte('?')
		b.WriteString(query)
	}
	if b.Len() > MaxURLLength {
		return "", false, fmt.Errorf("web address %q: longer than %d bytes when normalised", clip(raw), MaxURLLength)
	}
	return b.String(), truncated, nil
}

// webAddress is a web address split as a browser splits it.
type webAddress struct {
	host     string // canonical: see parseHost
	port     string // decimal without leading zeros; empty for none, 80 and 443
	path     string // raw, with every "\" turned into "/"; may be empty
	query    string // raw, without "?"
	hasQuery bool
	userinfo bool // user information was present (and dropped)
}

// parseWebAddress splits a web address the way the WHATWG URL standard
// reads an http or https URL: tab, CR and LF are removed everywhere and C0
// controls and spaces at both ends; "\" counts as "/"; any number of
// slashes may follow the scheme; the authority ends at the first "/", "\",
// "?" or "#"; user information ends at its last "@"; the host is
// percent-decoded and parsed by parseHost. An address without a scheme is
// read as if it started with "http://".
func parseWebAddress(raw string) (webAddress, error) {
	var u webAddress
	s := trimC0Space(raw)
	if strings.ContainsAny(s, "\t\r\n") {
		s = tabNewline.Replace(s)
	}
	if s == "" {
		return u, fmt.Errorf("empty web address")
	}
	_, s, err := splitScheme(s)
	if err != nil {
		return u, err
	}
	// Fragment.
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	// Authority.
	end := strings.IndexAny(s, "/\\?")
	if end < 0 {
		end = len(s)
	}
	authority, rest := s[:end], s[end:]
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		authority = authority[i+1:]
		u.userinfo = true
	}
	host, port, err := splitHostPort(authority)
	if err != nil {
		return u, err
	}
	if u.host, err = parseHost(host); err != nil {
		return u, err
	}
	u.port = port
	// Path and query.
	u.path = rest
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		u.path, u.query, u.hasQuery = rest[:i], rest[i+1:], true
	}
	if strings.IndexByte(u.path, '\\') >= 0 {
		u.path = strings.ReplaceAll(u.path, "\\", "/")
	}
	return u, nil
}

// splitScheme returns the scheme of s ("http" or "https", lower-cased; "http"
// when s has none) and what follows it once the slashes and backslashes
// after it are removed. "name:" followed by digits only (up to the end or a
// delimiter) is a host and its port, as in "example.com:8080/x"; a name
// other than http or https is a scheme, and an error, only when a slash or
// backslash follows it, as in "ftp://" ("user:pw@host" is read as user
// information).
func splitScheme(s string) (scheme, rest string, err error) {
	scheme, rest = "http", s
	if n := schemeLen(s); n > 0 && !isPortThenEnd(s[n+1:]) {
		switch name := s[:n]; {
		case strings.EqualFold(name, "http"):
			rest = s[n+1:]
		case strings.EqualFold(name, "https"):
			scheme, rest = "https", s[n+1:]
		case n+1 < len(s) && (s[n+1] == '/' || s[n+1] == '\\'):
			return "", "", fmt.Errorf("unsupported scheme %q (want http or https)", clip(name))
		}
	}
	return scheme, strings.TrimLeft(rest, "/\\"), nil
}

// WithScheme writes a web address with "http://" or "https://" as
// NormalizeURL reads it: "http://" is added to an address without a scheme,
// and the slashes or backslashes after "http:" or "https:" become "//"
// ("http:\\host" gives "http://host"). NormalizeURL reads the result as it
// reads raw. It fails for another scheme.
func WithScheme(raw string) (string, error) {
	s := trimC0Space(raw)
	if strings.ContainsAny(s, "\t\r\n") {
		s = tabNewline.Replace(s)
	}
	scheme, rest, err := splitScheme(s)
	if err != nil {
		return "", err
	}
	return scheme + "://" + rest, nil
}

var tabNewline = strings.NewReplacer("\t", "", "\r", "", "\n", "")

// trimC0Space removes C0 controls and spaces at both ends of s.
func trimC0Space(s string) string {
	i, j := 0, len(s)
	for i < j && s[i] <= ' ' {
		i++
	}
	for j > i && s[j-1] <= ' ' {
		j--
	}
	return s[i:j]
}

// schemeLen returns the length of the scheme that s starts with (letters,
// digits, "+", "-" and "." after a letter, then ":"), or 0.
func schemeLen(s string) int {
	if s == "" || !isAlpha(s[0]) {
		return 0
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':':
			return i
		case !isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.':
			return 0
		}
	}
	return 0
}

// isPortThenEnd reports whether s is one or more digits followed by the
// end or by one of "/", "\\", "?", "#".
func isPortThenEnd(s string) bool {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i > 0 && (i == len(s) || strings.IndexByte("/\\?#", s[i]) >= 0)
}

// URLHost returns the host part of a key made by NormalizeURL: a domain, or
// an IP address (IPv6 without brackets).
func URLHost(key string) string {
	if strings.HasPrefix(key, "[") {
		if i := strings.IndexByte(key, ']'); i > 0 {
			return key[1:i]
		}
		return ""
	}
	if i := strings.IndexAny(key, ":/?"); i >= 0 {
		return key[:i]
	}
	return key
}

// HostAddr returns the address a host (as URLHost returns it) is the
// literal of, if it is one: netip.ParseAddr's answer, without its cost for
// a name, which cannot be an address unless it starts with a digit (IPv4)
// or holds a colon (IPv6). An import asks this of every host it reads, and
// ParseAddr builds an error for each name.
func HostAddr(host string) (netip.Addr, bool) {
	if host == "" || (host[0] < '0' || host[0] > '9') && strings.IndexByte(host, ':') < 0 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(host)
	return a, err == nil
}

// hasDotSegment reports whether a segment of path p is "." or "..".
func hasDotSegment(p string) bool {
	for p != "" {
		seg, rest, _ := strings.Cut(p, "/")
		if seg == "." || seg == ".." {
			return true
		}
		p = rest
	}
	return false
}

// SensitiveParam reports whether a query or path parameter name looks like
// it carries a credential, a session, a token or an e-mail address. Its value
// is never stored.
func SensitiveParam(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "auth", "authorization", "key", "apikey", "api_key", "api-key", "session", "sessionid",
		"session_id", "sid", "password", "passwd", "pass", "pwd", "email", "e-mail", "mail",
		"jsessionid", "phpsessid", "aspsessionid", "secret", "sig", "signature", "code",
		"otp", "pin", "login", "user", "username", "ticket", "jwt", "bearer", "credential",
		"credentials", "access_key", "accesskey", "private_key", "client_secret":
		return true
	}
	for _, part := range []string{"token", "passw", "secret", "sessid", "session", "apikey", "api_key", "email"} {
		if strings.Contains(n, part) {
			return true
		}
	}
	return strings.HasSuffix(n, "_key") || strings.HasSuffix(n, "-key")
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// clip shortens s for error messages.
func clip(s string) string {
	if len(s) <= 80 {
		return s
	}
	i := 77
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

// splitHostPort splits an authority without user information at its first
// ":" outside brackets. The port must be decimal digits (leading zeros are
// allowed) up to 65535; 80 and 443 are dropped whatever the scheme.
func splitHostPort(a string) (host, port string, err error) {
	host, p, hasPort := a, "", false
	inside := false
scan:
	for i := 0; i < len(a); i++ {
		switch a[i] {
		case '[':
			inside = true
		case ']':
			inside = false
		case ':':
			if !inside {
				host, p, hasPort = a[:i], a[i+1:], true
				break scan
			}
		}
	}
	if host == "" {
		return "", "", fmt.Errorf("missing host")
	}
	if !hasPort || p == "" {
		return host, "", nil
	}
	for i := 0; i < len(p); i++ {
		if !isDigit(p[i]) {
			return "", "", fmt.Errorf("invalid port %q", clip(p))
		}
	}
	d := strings.TrimLeft(p, "0")
	if len(d) > 5 {
		return "", "", fmt.Errorf("invalid port %q", clip(p))
	}
	n := 0
	for i := 0; i < len(d); i++ {
		n = n*10 + int(d[i]-'0')
	}
	if n > 65535 {
		return "", "", fmt.Errorf("invalid port %q", p)
	}
	if n == 80 || n == 443 {
		return host, "", nil
	}
	return host, strconv.Itoa(n), nil
}

// parseHost returns the canonical form of a URL host, read as the WHATWG
// URL standard reads the host of an http or https URL: an IPv6 literal in
// brackets; otherwise the host is percent-decoded, mapped to ASCII (see
// toASCII), and read as an IPv4 address when its last label is a number
// ("0x7f.1", "3232235777", "0300.0250.1.1"; see parseIPv4). Unlike a
// browser, tipd removes a trailing dot, writes IPv4-mapped IPv6 as IPv4 and
// accepts only host names that can be DNS names: labels of 1 to 63 letters,
// digits, "-" or "_", 253 bytes at most.
func parseHost(h string) (string, error) {
	if h == "" {
		return "", fmt.Errorf("missing host")
	}
	if h[0] == '[' {
		i := strings.IndexByte(h, ']')
		switch {
		case i < 0:
			return "", fmt.Errorf("unterminated IPv6 literal")
		case i != len(h)-1:
			return "", fmt.Errorf("unexpected %q after IPv6 literal", clip(h[i+1:]))
		}
		ip, err := netip.ParseAddr(h[1:i])
		if err != nil || !ip.Is6() {
			return "", fmt.Errorf("invalid IPv6 literal %s", clip(h))
		}
		if ip.Zone() != "" {
			return "", fmt.Errorf("IPv6 literal %s has a zone", clip(h))
		}
		if ip.Is4In6() {
			return ip.Unmap().String(), nil
		}
		return "[" + ip.String() + "]", nil
	}
	if strings.IndexByte(h, '%') >= 0 {
		h = unescape(h)
	}
	ascii, upper := true, false
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
		upper = upper || 'A' <= c && c <= 'Z'
	}
	if !ascii {
		var err error
		if h, err = toASCII(h); err != nil {
			return "", err
		}
	} else if upper {
		h = strings.ToLower(h)
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !('a' <= c && c <= 'z' || isDigit(c) || c == '-' || c == '_' || c == '.') {
			return "", fmt.Errorf("host %q has invalid character %q", clip(h), c)
		}
	}
	if len(h) > 1 && h[len(h)-1] == '.' {
		h = h[:len(h)-1]
	}
	last := h[strings.LastIndexByte(h, '.')+1:]
	if isIPv4Number(last) {
		return parseIPv4(h)
	}
	if h == "" || h == "." {
		return "", fmt.Errorf("missing host")
	}
	if len(h) > 253 {
		return "", fmt.Errorf("host name longer than 253 bytes")
	}
	for rest := h; rest != ""; {
		l := rest
		if i := strings.IndexByte(rest, '.'); i >= 0 {
			l, rest = rest[:i], rest[i+1:]
			if rest == "" {
				return "", fmt.Errorf("host %q has an empty label", clip(h))
			}
		} else {
			rest = ""
		}
		if l == "" {
			return "", fmt.Errorf("host %q has an empty label", clip(h))
		}
		if len(l) > 63 {
			return "", fmt.Errorf("host %q has a label longer than 63 bytes", clip(h))
		}
	}
	return h, nil
}

// isIPv4Number reports whether a host's last label makes the WHATWG URL
// standard read the host as an IPv4 address: decimal digits, or "0x"
// followed by hexadecimal digits (possibly none).
func isIPv4Number(l string) bool {
	if len(l) >= 2 && l[0] == '0' && (l[1] == 'x' || l[1] == 'X') {
		for i := 2; i < len(l); i++ {
			if _, ok := unhex(l[i]); !ok {
				return false
			}
		}
		return true
	}
	return allDigits(l)
}

// parseIPv4 reads a host whose last label is a number as the WHATWG URL
// standard does: one to four parts separated by dots, each decimal, octal
// (leading "0") or hexadecimal (leading "0x"); every part but the last is
// one byte, the last fills the remaining bytes ("127.1" is 127.0.0.1,
// "3232235777" is 192.168.1.1, "0300.0250.1.1" is 192.168.1.1).
func parseIPv4(h string) (string, error) {
	var nums [4]uint64
	n := 0
	for rest := h; ; {
		part := rest
		i := strings.IndexByte(rest, '.')
		if i >= 0 {
			part, rest = rest[:i], rest[i+1:]
		}
		if n == 4 {
			return "", fmt.Errorf("invalid IPv4 address %q: more than four parts", clip(h))
		}
		v, ok := parseIPv4Number(part)
		if !ok {
			return "", fmt.Errorf("invalid IPv4 address %q", clip(h))
		}
		nums[n] = v
		n++
		if i < 0 {
			break
		}
	}
	var addr uint64
	for i := 0; i < n-1; i++ {
		if nums[i] > 255 {
			return "", fmt.Errorf("invalid IPv4 address %q: part out of range", clip(h))
		}
		addr |= nums[i] << (8 * (3 - i))
	}
	if nums[n-1] >= 1<<(8*(5-n)) {
		return "", fmt.Errorf("invalid IPv4 address %q: part out of range", clip(h))
	}
	addr |= nums[n-1]
	return netip.AddrFrom4([4]byte{byte(addr >> 24), byte(addr >> 16), byte(addr >> 8), byte(addr)}).String(), nil
}

// parseIPv4Number reads one part of an IPv4 address; values above 2^32 are
// reported as 2^32 (out of range in every position).
func parseIPv4Number(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	base := uint64(10)
	switch {
	case len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		s, base = s[2:], 16
	case len(s) >= 2 && s[0] == '0':
		s, base = s[1:], 8
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		d, ok := unhex(s[i])
		if !ok || uint64(d) >= base {
			return 0, false
		}
		if v = v*base + uint64(d); v > 1<<32 {
			v = 1 << 32 // stays out of range; the digits are still checked
		}
	}
	return v, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// idnMap maps, before normalisation, the characters whose UTS #46 mapping
// differs from compatibility normalisation and simple lower-casing: those
// mapped to nothing (soft hyphen, zero width space, variation selectors,
// byte order mark ...), U+0130 and U+1E9E, and the ideographic full stop.
var idnMap = strings.NewReplacer(
	"\u00ad", "", "\u034f", "", "\u180b", "", "\u180c", "", "\u180d", "", "\u180f", "",
	"\u200b", "", "\u2060", "", "\ufeff", "",
	"\u0130", "i\u0307", "\u1e9e", "ss", "\u3002", ".", "\uff61", ".",
)

// toASCII converts an internationalised host name to its ASCII form as
// browsers do, approximately: characters that UTS #46 maps to nothing are
// removed, the name is put in compatibility normal form (NFKC: full-width
// and other compatibility forms become their plain form), lower-cased,
// Unicode full stops separate labels, and every label with non-ASCII
// characters is punycode-encoded with the "xn--" prefix. It does not apply
// the full UTS #46 tables: a few rare characters map differently, and
// unassigned, control, format, space and private-use characters, joiners and
// U+FFFD are rejected.
func toASCII(h string) (string, error) {
	if len(h) > 1024 {
		return "", fmt.Errorf("host name too long")
	}
	if !utf8.ValidString(h) {
		return "", fmt.Errorf("host is not valid UTF-8")
	}
	h = idnMap.Replace(h)
	h = norm.NFKC.String(strings.ToLower(norm.NFKC.String(h)))
	h = idnMap.Replace(h)
	labels := strings.Split(h, ".")
	for i, l := range labels {
		ascii := true
		for j := 0; j < len(l); j++ {
			if l[j] >= utf8.RuneSelf {
				ascii = false
				break
			}
		}
		if ascii {
			continue
		}
		for _, r := range l {
			if r < 0x80 {
				continue
			}
			if r < 0xA0 || (r >= 0xFFF0 && r <= 0xFFFF) || !unicode.IsGraphic(r) || unicode.IsSpace(r) ||
				unicode.Is(unicode.Co, r) {
				return "", fmt.Errorf("host %q has invalid character %U", clip(h), r)
			}
		}
		if utf8.RuneCountInString(l) > 63 {
			return "", fmt.Errorf("host %q has a label longer than 63 characters", clip(h))
		}
		enc, err := punycode(l)
		if err != nil {
			return "", fmt.Errorf("host %q: %w", clip(h), err)
		}
		labels[i] = "xn--" + enc
	}
	return strings.Join(labels, "."), nil
}

// punycode encodes one label by RFC 3492.
func punycode(label string) (string, error) {
	const (
		base        = 36
		tmin        = 1
		tmax        = 26
		skew        = 38
		damp        = 700
		initialBias = 72
		initialN    = 128
	)
	runes := []rune(label)
	out := make([]byte, 0, len(label)+8)
	for _, r := range runes {
		if r < 0x80 {
			out = append(out, byte(r))
		}
	}
	b := len(out)
	h := b
	if b > 0 {
		out = append(out, '-')
	}
	digit := func(d int32) byte {
		if d < 26 {
			return byte('a' + d)
		}
		return byte('0' + d - 26)
	}
	adapt := func(delta, numPoints int32, first bool) int32 {
		if first {
			delta /= damp
		} else {
			delta /= 2
		}
		delta += delta / numPoints
		k := int32(0)
		for delta > ((base-tmin)*tmax)/2 {
			delta /= base - tmin
			k += base
		}
		return k + (base-tmin+1)*delta/(delta+skew)
	}
	n, delta, bias := int32(initialN), int32(0), int32(initialBias)
	for h < len(runes) {
		m := int32(0x7fffffff)
		for _, r := range runes {
			if r >= n && r < m {
				m = r
			}
		}
		if int64(m-n)*int64(h+1)+int64(delta) > 0x7fffffff {
			return "", fmt.Errorf("punycode overflow")
		}
		delta += (m - n) * int32(h+1)
		n = m
		for _, r := range runes {
			if r < n {
				delta++
			}
			if r == n {
				q := delta
				for k := int32(base); ; k += base {
					t := k - bias
					if t < tmin {
						t = tmin
					} else if t > tmax {
						t = tmax
					}
					if q < t {
						break
					}
					out = append(out, digit(t+(q-t)%(base-t)))
					q = (q - t) / (base - t)
				}
				out = append(out, digit(q))
				bias = adapt(delta, int32(h+1), h == b)
				delta = 0
				h++
			}
		}
		delta++
		n++
	}
	if len(out) > 59 {
		return "", fmt.Errorf("label too long after punycode encoding")
	}
	return string(out), nil
}

// normalizePath normalises the path; cut reports that it was cut before a
// segment holding an e-mail address (or that a sensitive path parameter was
// removed).
func normalizePath(p string) (string, bool) {
	if p == "" {
		return "/", false
	}
	p = escape(p, false)
	if strings.IndexByte(p, ';') < 0 && strings.IndexByte(p, '@') < 0 && !strings.Contains(p, "%40") {
		// No segment has parameters or an address to drop (see hasEmail):
		// only dot segments may go.
		if p = removeDotSegments(p); p == "" {
			p = "/"
		}
		return p, false
	}
	cut := false
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		if j := strings.IndexByte(seg, ';'); j >= 0 {
			if s, c := stripParams(seg[:j], seg[j+1:]); c {
				segs[i], seg, cut = s, s, true
			}
		}
		if i > 0 && hasEmail(seg) {
			segs = append(segs[:i], "")
			cut = true
			break
		}
	}
	p = strings.Join(segs, "/")
	p = removeDotSegments(p)
	if p == "" {
		p = "/"
	}
	return p, cut
}

// stripParams removes sensitive ";name=value" parameters from a path segment.
func stripParams(head, params string) (string, bool) {
	cut := false
	kept := head
	for _, pr := range strings.Split(params, ";") {
		name := pr
		if k := strings.IndexByte(pr, '='); k >= 0 {
			name = pr[:k]
		}
		if SensitiveParam(unescape(name)) || hasEmail(pr) {
			cut = true
			continue
		}
		kept += ";" + pr
	}
	return kept, cut
}

// normalizeQuery removes sensitive parameters and empty ones.
func normalizeQuery(q string) (string, bool) {
	q = escape(q, true)
	cut := false
	var b strings.Builder
	for _, pr := range strings.Split(q, "&") {
		if pr == "" {
			continue
		}
		name := pr
		if k := strings.IndexByte(pr, '='); k >= 0 {
			name = pr[:k]
		}
		if SensitiveParam(unescape(name)) || hasEmail(pr) {
			cut = true
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(pr)
	}
	return b.String(), cut
}

// hasEmail reports whether s (raw or percent-encoded) holds something that
// looks like an e-mail address: local@domain.tld.
func hasEmail(s string) bool {
	if strings.IndexByte(s, '@') < 0 && !strings.Contains(s, "%40") {
		return false
	}
	s = unescape(s)
	for i := 0; i < len(s); i++ {
		if s[i] != '@' {
			continue
		}
		if i == 0 || !isLocalChar(s[i-1]) {
			continue
		}
		// domain: label(.label)+ with letters/digits/hyphens
		dots, n := 0, 0
		for j := i + 1; j < len(s); j++ {
			c := s[j]
			if isAlpha(c) || isDigit(c) || c == '-' || c >= utf8.RuneSelf {
				n++
				continue
			}
			if c == '.' && n > 0 {
				dots++
				n = 0
				continue
			}
			break
		}
		if dots > 0 && n > 0 {
			return true
		}
	}
	return false
}

func isLocalChar(c byte) bool {
	return isAlpha(c) || isDigit(c) || strings.IndexByte("._%+-!#$&'*/=?^`{|}~", c) >= 0
}

const hexDigits = "0123456789ABCDEF"

func unhex(c byte) (byte, bool) {
	switch {
	case isDigit(c):
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func isUnreserved(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~'
}

// escape normalises percent-encoding: escapes of unreserved characters are
// decoded, others upper-cased, a '%' not starting an escape becomes "%25",
// and bytes not allowed raw are encoded.
func escape(s string, query bool) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '%' || !allowedRaw(c, query) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 < len(s) {
				hi, ok1 := unhex(s[i+1])
				lo, ok2 := unhex(s[i+2])
				if ok1 && ok2 {
					v := hi<<4 | lo
					if isUnreserved(v) {
						b.WriteByte(v)
					} else {
						b.WriteByte('%')
						b.WriteByte(hexDigits[hi])
						b.WriteByte(hexDigits[lo])
					}
					i += 2
					continue
				}
			}
			b.WriteString("%25")
			continue
		}
		if allowedRaw(c, query) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// allowedRaw reports whether c may stay unencoded in a path (or query).
func allowedRaw(c byte, query bool) bool {
	if isUnreserved(c) {
		return true
	}
	switch c {
	case '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', ':', '@', '/':
		return true
	case '?':
		return query
	}
	return false
}

// unescape decodes percent escapes (invalid ones are kept as they are).
func unescape(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b = append(b, hi<<4|lo)
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	return string(b)
}

// removeDotSegments resolves "." and ".." segments (RFC 3986, 5.2.4).
func removeDotSegments(p string) string {
	if !hasDotSegment(p) {
		return p
	}
	segs := strings.Split(p, "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	return strings.Join(out, "/")
}
