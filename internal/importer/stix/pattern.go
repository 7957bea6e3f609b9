package stix

import (
	"fmt"
	"strings"
)

// Kinds of values a simple pattern or an observable yields.
const (
	kindIP     = "ip" // an address or a network
	kindURL    = "url"
	kindDomain = "domain"
	kindHash   = "hash"
)

// unsupported is a valid pattern this importer does not translate; Reason
// is what the import summary counts.
type unsupported struct{ reason string }

func (u *unsupported) Error() string { return "unsupported pattern: " + u.reason }

// parsePattern reads a simple STIX pattern: one observation with one
// comparison, "[object-path = 'value']". It returns the kind and the raw
// value. Valid patterns that are not simple return an *unsupported error;
// anything else is a syntax error.
func parsePattern(p string) (kind, value string, err error) {
	s := strings.TrimSpace(p)
	if !strings.HasPrefix(s, "[") {
		return "", "", fmt.Errorf("bad pattern %q: want [object-path = 'value']", clip(p))
	}
	s = s[1:]
	path, rest := cutPath(s)
	if path == "" {
		return "", "", fmt.Errorf("bad pattern %q: no object path", clip(p))
	}
	rest = strings.TrimLeft(rest, " \t\r\n")
	op, rest := cutOperator(rest)
	if op == "" {
		return "", "", fmt.Errorf("bad pattern %q: no comparison operator after %s", clip(p), path)
	}
	rest = strings.TrimLeft(rest, " \t\r\n")
	if op != "=" {
		if !strings.HasPrefix(rest, "'") && !strings.HasPrefix(rest, "(") {
			return "", "", fmt.Errorf("bad pattern %q: operator %s without a value", clip(p), op)
		}
		return "", "", &unsupported{"operator " + op}
	}
	if !strings.HasPrefix(rest, "'") {
		return "", "", &unsupported{"a value that is not a string"}
	}
	value, rest, ok := cutString(rest[1:])
	if !ok {
		return "", "", fmt.Errorf("bad pattern %q: unterminated string", clip(p))
	}
	rest = strings.TrimSpace(rest)
	switch {
	case rest == "]":
	case strings.HasPrefix(rest, "]"):
		tail := strings.TrimSpace(rest[1:])
		switch {
		case startsWord(tail, "AND"), startsWord(tail, "OR"), startsWord(tail, "FOLLOWEDBY"):
			return "", "", &unsupported{"several observations"}
		case startsWord(tail, "WITHIN"), startsWord(tail, "REPEATS"), startsWord(tail, "START"):
			return "", "", &unsupported{"qualifiers"}
		}
		return "", "", fmt.Errorf("bad pattern %q: unexpected %q after the observation", clip(p), clip(tail))
	case startsWord(rest, "AND"):
		return "", "", &unsupported{"AND"}
	case startsWord(rest, "OR"):
		return "", "", &unsupported{"OR"}
	default:
		return "", "", fmt.Errorf("bad pattern %q: unexpected %q", clip(p), clip(rest))
	}
	switch k := pathKind(path); k {
	case "":
		return "", "", &unsupported{"object path " + clip(path)}
	default:
		return k, value, nil
	}
}

// pathKind maps the object paths importers understand to kinds.
func pathKind(path string) string {
	switch strings.ToLower(path) {
	case "ipv4-addr:value", "ipv6-addr:value":
		return kindIP
	case "url:value":
		return kindURL
	case "domain-name:value":
		return kindDomain
	case "file:hashes.md5", "file:hashes.'md5'", "file:hashes.'sha-256'", "file:hashes.sha256",
		"file:hashes.'sha-1'", "file:hashes.sha1":
		return kindHash
	}
	return ""
}

// cutPath splits an object path (letters, digits, -, _, :, ., [*], quoted
// components) off s.
func cutPath(s string) (path, rest string) {
	s = strings.TrimLeft(s, " \t\r\n")
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return "", s
			}
			i += j + 2
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '-', c == '_', c == ':', c == '.', c == '[', c == ']' && i > 0 && s[i-1] == '*', c == '*':
			i++
		default:
			return s[:i], s[i:]
		}
	}
	return s[:i], s[i:]
}

// cutOperator splits a comparison operator off s.
func cutOperator(s string) (op, rest string) {
	for _, o := range []string{"!=", "<=", ">=", "=", "<", ">"} {
		if strings.HasPrefix(s, o) {
			return o, s[len(o):]
		}
	}
	neg := ""
	if startsWord(s, "NOT") {
		neg = "NOT "
		s = strings.TrimLeft(s[3:], " \t")
	}
	for _, o := range []string{"LIKE", "MATCHES", "IN", "ISSUBSET", "ISSUPERSET"} {
		if startsWord(s, o) {
			return neg + o, s[len(o):]
		}
	}
	return "", s
}

// cutString reads a pattern string literal after its opening quote.
func cutString(s string) (value, rest string, ok bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 >= len(s) {
				return "", "", false
			}
			i++
			b.WriteByte(s[i])
		case '\'':
			return b.String(), s[i+1:], true
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false
}

// startsWord reports whether s starts with the keyword w followed by a
// non-word character or its end.
func startsWord(s, w string) bool {
	if len(s) < len(w) || !strings.EqualFold(s[:len(w)], w) {
		return false
	}
	if len(s) == len(w) {
		return true
	}
	c := s[len(w)]
	return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_')
}
