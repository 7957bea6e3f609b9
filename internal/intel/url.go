package intel

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxURLLength is the longest web address NormalizeURL accepts, in bytes,
// both as given and once normalised.
const MaxURLLength = 8192

// NormalizeURL turns a web address as found in a feed or a request into the
// key it is stored and looked up under: the normalised URL without its
// scheme, e.g. "45.95.147.10/bins/x86". The rules (docs/import-format.md):
//
//   - the scheme may be absent, "http" or "https" (any case); others are an error;
//   - tab, CR and LF anywhere are removed; leading and trailing spaces are trimmed;
//   - the host is lower-cased, a trailing dot is removed, IPv4 and IPv6 literals
//     are written canonically (IPv4-mapped IPv6 as IPv4; IPv6 in brackets),
//     internationalised names are converted to punycode ("xn--" labels);
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
// NormalizeURL is idempotent: normalising a key gives the same key, untruncated.
func NormalizeURL(raw string) (key string, truncated bool, err error) {
	if len(raw) > MaxURLLength {
		return "", false, fmt.Errorf("web address longer than %d bytes", MaxURLLength)
	}
	s := raw
	if strings.ContainsAny(s, "\t\r\n") {
		s = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(s)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false, fmt.Errorf("empty web address")
	}
	// Scheme.
	if i := strings.Index(s, "://"); i >= 0 && isScheme(s[:i]) {
		switch strings.ToLower(s[:i]) {
		case "http", "https":
		default:
			return "", false, fmt.Errorf("web address %q: unsupported scheme %q (want http or https)", clip(raw), s[:i])
		}
		s = s[i+3:]
	}
	s = strings.TrimPrefix(s, "//")
	// Fragment.
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	// Authority.
	end := strings.IndexAny(s, "/?")
	if end < 0 {
		end = len(s)
	}
	authority, rest := s[:end], s[end:]
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		authority = authority[i+1:]
		truncated = true
	}
	host, port, err := splitHostPort(authority)
	if err != nil {
		return "", false, fmt.Errorf("web address %q: %w", clip(raw), err)
	}
	host, err = normalizeHost(host)
	if err != nil {
		return "", false, fmt.Errorf("web address %q: %w", clip(raw), err)
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(host)
	if port != "" {
		b.WriteByte(':')
		b.WriteString(port)
	}
	// Path and query.
	path, query, hasQuery := rest, "", false
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		path, query, hasQuery = rest[:i], rest[i+1:], true
	}
	path, cut := normalizePath(path)
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

func isScheme(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
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

func splitHostPort(a string) (host, port string, err error) {
	if strings.HasPrefix(a, "[") {
		i := strings.IndexByte(a, ']')
		if i < 0 {
			return "", "", fmt.Errorf("unterminated IPv6 literal")
		}
		host, a = a[:i+1], a[i+1:]
		if a != "" && a[0] != ':' {
			return "", "", fmt.Errorf("unexpected %q after IPv6 literal", a)
		}
	} else if i := strings.IndexByte(a, ':'); i >= 0 {
		host, a = a[:i], a[i:]
	} else {
		host, a = a, ""
	}
	if a == "" || a == ":" {
		return host, "", nil
	}
	p := a[1:]
	for i := 0; i < len(p); i++ {
		if !isDigit(p[i]) {
			return "", "", fmt.Errorf("invalid port %q", p)
		}
	}
	p = strings.TrimLeft(p, "0")
	if len(p) > 5 {
		return "", "", fmt.Errorf("invalid port %q", a[1:])
	}
	n, err := strconv.ParseUint(p, 10, 32)
	if err != nil || n == 0 || n > 65535 {
		return "", "", fmt.Errorf("invalid port %q", p)
	}
	if n == 80 || n == 443 {
		return host, "", nil
	}
	return host, strconv.FormatUint(n, 10), nil
}

// normalizeHost returns the canonical form of a URL host.
func normalizeHost(h string) (string, error) {
	if h == "" {
		return "", fmt.Errorf("missing host")
	}
	if h[0] == '[' {
		ip, err := netip.ParseAddr(h[1 : len(h)-1])
		if err != nil || !ip.Is6() {
			return "", fmt.Errorf("invalid IPv6 literal %s", h)
		}
		if ip.Zone() != "" {
			return "", fmt.Errorf("IPv6 literal %s has a zone", h)
		}
		if ip.Is4In6() {
			return ip.Unmap().String(), nil
		}
		return "[" + ip.String() + "]", nil
	}
	if strings.IndexByte(h, '%') >= 0 {
		return "", fmt.Errorf("percent-encoded host %q not supported", h)
	}
	h = strings.TrimSuffix(h, ".")
	ascii := true
	for i := 0; i < len(h); i++ {
		if h[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		h = strings.ToLower(h)
	} else {
		var err error
		if h, err = toASCII(h); err != nil {
			return "", err
		}
	}
	if h == "" {
		return "", fmt.Errorf("missing host")
	}
	if len(h) > 253 {
		return "", fmt.Errorf("host name longer than 253 bytes")
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" {
			return "", fmt.Errorf("host %q has an empty label", h)
		}
		if len(l) > 63 {
			return "", fmt.Errorf("host %q has a label longer than 63 bytes", h)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || isDigit(c) || c == '-' || c == '_') {
				return "", fmt.Errorf("host %q has invalid character %q", h, c)
			}
		}
	}
	if last := labels[len(labels)-1]; allDigits(last) {
		ip, err := netip.ParseAddr(h)
		if err != nil || !ip.Is4() {
			return "", fmt.Errorf("invalid IPv4 address %q", h)
		}
		return ip.String(), nil
	}
	return h, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// toASCII converts an internationalised host name to its ASCII form:
// Unicode full stops separate labels, labels are lower-cased and every label
// with non-ASCII characters is punycode-encoded with the "xn--" prefix.
// It does not apply the full IDNA mapping tables (UTS #46).
func toASCII(h string) (string, error) {
	if len(h) > 1024 {
		return "", fmt.Errorf("host name too long")
	}
	if !utf8.ValidString(h) {
		return "", fmt.Errorf("host is not valid UTF-8")
	}
	h = strings.NewReplacer("\u3002", ".", "\uff0e", ".", "\uff61", ".").Replace(h)
	h = strings.ToLower(h)
	h = strings.TrimSuffix(h, ".")
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
			if r < 0xA0 || r == 0xFFFD || (r >= 0x2000 && r <= 0x206F) || (r >= 0xFFF0) {
				return "", fmt.Errorf("host %q has invalid character %U", h, r)
			}
		}
		if utf8.RuneCountInString(l) > 63 {
			return "", fmt.Errorf("host %q has a label longer than 63 characters", h)
		}
		enc, err := punycode(l)
		if err != nil {
			return "", fmt.Errorf("host %q: %w", h, err)
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
	if !strings.Contains(p, ".") {
		return p
	}
	segs := strings.Split(p, "/")
	hasDot := false
	for _, s := range segs {
		if s == "." || s == ".." {
			hasDot = true
			break
		}
	}
	if !hasDot {
		return p
	}
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
