package pebble

import (
	"time"
	"unicode/utf8"

	"github.com/tipd/tipd/internal/intel"
)

// decReportJSON decodes a stored report, the JSON that json.Marshal wrote
// for an intel.Report, without reflection. It accepts only the plain form
// json.Marshal produces (no white space, the field names as declared,
// strings without escapes), in which it decodes exactly what json.Unmarshal
// decodes; it returns false on anything else, and the caller then uses
// encoding/json. Strings are substrings of v.
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

// str reads a string without escapes or control characters, in valid
// UTF-8 (json.Unmarshal would replace invalid bytes).
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
		case c == '\\' || c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
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
