// Package jsontext appends strings as JSON text, byte for byte as
// encoding/json writes them, without its reflection: the serving path
// writes answers with it, and the embedded store encodes the JSON it keeps.
package jsontext

import "unicode/utf8"

// plain[c] and plainHTML[c] are true for the bytes a JSON string holds as
// they are: printable ASCII but '"' and '\\', and for plainHTML not '<',
// '>' and '&' either.
var plain, plainHTML = func() (p, h [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		p[c] = c != '"' && c != '\\'
		h[c] = p[c] && c != '<' && c != '>' && c != '&'
	}
	return p, h
}()

const hex = "0123456789abcdef"

// AppendEscaped appends s escaped for the inside of a JSON string (no
// quotes) as encoding/json escapes it: '"' and '\\' with a backslash,
// \b, \f, \n, \r and \t, other control characters as \u00XX, invalid
// UTF-8 as \ufffd, U+2028 and U+2029 as \u2028 and \u2029, and with html
// the HTML characters '<', '>' and '&' as \u003c, \u003e and \u0026 (what
// json.Marshal does; an encoder with SetEscapeHTML(false) does not).
func AppendEscaped(b []byte, s string, html bool) []byte {
	if html {
		return appendString(b, s, &plainHTML, false)
	}
	return appendString(b, s, &plain, false)
}

// AppendCanonical appends s escaped for the inside of a JSON string as RFC
// 8785 (JSON canonicalization, used for STIX deterministic ids) writes it:
// '"' and '\\' with a backslash, \b, \f, \n, \r and \t, other control
// characters as \u00XX, everything else, non-ASCII included, as it is, and
// invalid UTF-8 as U+FFFD itself.
func AppendCanonical(b []byte, s string) []byte {
	return appendString(b, s, &plain, true)
}

// appendString appends s escaped: the bytes safe marks as they are, other
// ASCII escaped (appendASCIIEscape), and then, as encoding/json does, each
// invalid byte as \ufffd and U+2028 and U+2029 escaped, or, canonical (RFC
// 8785), each invalid byte as U+FFFD itself and every rune as it is.
func appendString(b []byte, s string, safe *[256]bool, canonical bool) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if safe[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = appendASCIIEscape(append(b, s[start:i]...), c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1 && canonical:
			b = append(append(b, s[start:i]...), "\uFFFD"...)
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case (r == '\u2028' || r == '\u2029') && !canonical:
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(b, s[start:]...)
}

// appendASCIIEscape appends the escape of the ASCII byte c, one that a JSON
// string cannot hold as it is ('"', '\\' or a control character).
func appendASCIIEscape(b []byte, c byte) []byte {
	switch c {
	case '\\', '"':
		return append(b, '\\', c)
	case '\b':
		return append(b, '\\', 'b')
	case '\f':
		return append(b, '\\', 'f')
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
}
