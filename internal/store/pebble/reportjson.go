package pebble

import (
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tipd/tipd/internal/intel"
)

// decReportJSON decodes a stored report, the JSON that json.Marshal wrote
// for an intel.Report, without reflection. It accepts only the plain form
// json.Marshal produces (no white space, the field names as declared), in
// which it decodes exactly what json.Unmarshal decodes; it returns false on
// anything else, and the caller then uses encoding/json. Strings without
// escapes are substrings of v.
func decReportJSON(v string, r *intel.Report) bool {
	p := jsonScan{s: v}
	return p.object(func(k string) (ok bool) {
		switch k {
		case "ID":
			r.ID, ok = p.str()
		case "Type":
			r.Type, ok = p.str()
		case "Title":
			r.Title, ok = p.str()
		case "Description":
			r.Description, ok = p.str()
		case "Published":
			ok = p.time(&r.Published)
		case "Updated":
			ok = p.time(&r.Updated)
		case "Tags":
			r.Tags, ok = p.strs()
		case "Industries":
			r.Industries, ok = p.strs()
		case "Geo":
			r.Geo, ok = p.strs()
		case "Actors":
			r.Actors, ok = p.strs()
		case "Indicators":
			r.Indicators, ok = p.strs()
		case "Source":
			ok = p.source(&r.Source)
		}
		return ok
	}) && p.end()
}

// jsonScan reads the plain JSON accepted by decReportJSON.
type jsonScan struct {
	s string
	i int
}

func (p *jsonScan) lit(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *jsonScan) end() bool { return p.i == len(p.s) }

// str reads a string in valid UTF-8 (json.Unmarshal would replace
// invalid bytes), without control characters; escapes are decoded as
// json.Unmarshal decodes them.
func (p *jsonScan) str() (string, bool) {
	if !p.lit('"') {
		return "", false
	}
	start, ascii := p.i, true
	for ; p.i < len(p.s); p.i++ {
		switch c := p.s[p.i]; {
		case c == '"':
			v := p.s[start:p.i]
			p.i++
			if !ascii && !utf8.ValidString(v) {
				return "", false
			}
			return v, true
		case c == '\\':
			return p.escaped(start)
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// escaped reads the rest of a string that holds an escape at p.i (the
// string's text starts at start) into a new string: \", \\, \/, \b, \f,
// \n, \r, \t and \uXXXX, a surrogate pair as its character and a lone
// surrogate as U+FFFD, as json.Unmarshal decodes them.
func (p *jsonScan) escaped(start int) (string, bool) {
	b := make([]byte, 0, p.i-start+32)
	b = append(b, p.s[start:p.i]...)
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			if !utf8.Valid(b) {
				return "", false
			}
			return string(b), true
		case c < 0x20:
			return "", false
		case c != '\\':
			b = append(b, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.s) {
			return "", false
		}
		switch e := p.s[p.i+1]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := hex4(p.s[p.i:])
			if r < 0 {
				return "", false
			}
			p.i += 6
			if utf16.IsSurrogate(r) {
				if d := utf16.DecodeRune(r, hex4(p.s[p.i:])); d != unicode.ReplacementChar {
					r = d
					p.i += 6
				} else {
					r = unicode.ReplacementChar
				}
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			return "", false
		}
		p.i += 2
	}
	return "", false
}

// hex4 is the character of the escape \uXXXX at the start of s, -1 when
// there is none.
func hex4(s string) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r*16 + c
	}
	return r
}

// strs reads null (nil) or an array of strings ([] is an empty slice, as
// with json.Unmarshal).
func (p *jsonScan) strs() ([]string, bool) {
	if p.lit('n') {
		if p.i+3 <= len(p.s) && p.s[p.i:p.i+3] == "ull" {
			p.i += 3
			return nil, true
		}
		return nil, false
	}
	if !p.lit('[') {
		return nil, false
	}
	out := []string{}
	if p.lit(']') {
		return out, true
	}
	for {
		v, ok := p.str()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		if p.lit(']') {
			return out, true
		}
		if !p.lit(',') {
			return nil, false
		}
	}
}

// time reads a string and decodes it with time.Time's UnmarshalJSON, as
// json.Unmarshal does.
func (p *jsonScan) time(t *time.Time) bool {
	start := p.i
	if _, ok := p.str(); !ok {
		return false
	}
	return t.UnmarshalJSON([]byte(p.s[start:p.i])) == nil
}

func (p *jsonScan) source(s *intel.Source) bool {
	return p.object(func(k string) (ok bool) {
		switch k {
		case "feed":
			s.Feed, ok = p.str()
		case "file":
			s.File, ok = p.str()
		case "imported":
			ok = p.time(&s.Imported)
		}
		return ok
	})
}

// object reads an object, handing each key to field, which reads the
// value and reports false for an unknown key or a bad value.
func (p *jsonScan) object(field func(key string) bool) bool {
	if !p.lit('{') {
		return false
	}
	if p.lit('}') {
		return true
	}
	for {
		k, ok := p.str()
		if !ok || !p.lit(':') || !field(k) {
			return false
		}
		if p.lit('}') {
			return true
		}
		if !p.lit(',') {
			return false
		}
	}
}
