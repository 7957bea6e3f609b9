// Package csvline splits one line of the comma-separated files that feeds
// publish (abuse.ch dumps, PhishTank) into fields with one allocation per
// line: the fields are substrings of one copy of the line (but for a field
// with doubled quotes, which gets a string of its own), so a field kept
// keeps its line's copy alive. It accepts RFC 4180 quoting ("a ""b""")
// and the abuse.ch habit of a space after each separating comma
// (`"a", "b"`); a quoted field may not span lines.
package csvline

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnterminated is returned for a quoted field without its closing quote.
var ErrUnterminated = errors.New("quoted field not closed")

// Split appends the fields of line to dst[:0] and returns it. Spaces around
// fields are dropped (inside quotes they are kept).
func Split(line []byte, dst []string) ([]string, error) {
	dst = dst[:0]
	text := string(line) // the fields are cut from this one copy
	i, n := 0, len(line)
	for {
		for i < n && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i < n && line[i] == '"' {
			i++
			var b strings.Builder // only for a field with doubled quotes
			closed, escaped := false, false
			first, start := i, i
			for i < n {
				c := line[i]
				if c != '"' {
					i++
					continue
				}
				if i+1 < n && line[i+1] == '"' {
					b.Write(line[start : i+1])
					i += 2
					start, escaped = i, true
					continue
				}
				if escaped {
					b.Write(line[start:i])
				}
				i++
				closed = true
				break
			}
			if !closed {
				return dst, ErrUnterminated
			}
			if escaped {
				dst = append(dst, b.String())
			} else {
				dst = append(dst, text[first:i-1])
			}
			for i < n && (line[i] == ' ' || line[i] == '\t') {
				i++
			}
			if i == n {
				return dst, nil
			}
			if line[i] != ',' {
				return dst, fmt.Errorf("unexpected %q after quoted field %d", line[i], len(dst))
			}
			i++
			continue
		}
		j := i
		for j < n && line[j] != ',' {
			j++
		}
		f := strings.TrimRight(text[i:j], " \t")
		if strings.IndexByte(f, '"') >= 0 {
			return dst, fmt.Errorf("stray quote in field %d", len(dst)+1)
		}
		dst = append(dst, f)
		if j == n {
			return dst, nil
		}
		i = j + 1
	}
}

// Columns maps column names to their position in a header.
type Columns map[string]int

// ParseHeader reads a header line (a trailing or leading '#' comment marker
// already removed) into Columns; names are lower-cased and trimmed.
func ParseHeader(line []byte) (Columns, error) {
	f, err := Split(line, nil)
	if err != nil {
		return nil, err
	}
	c := make(Columns, len(f))
	for i, name := range f {
		c[strings.ToLower(strings.TrimSpace(name))] = i
	}
	return c, nil
}

// Get returns the field of the first of names present in c, or "" when the
// header has none of them or the line is too short.
func (c Columns) Get(fields []string, names ...string) string {
	for _, n := range names {
		if i, ok := c[n]; ok {
			if i < len(fields) {
				return fields[i]
			}
			return ""
		}
	}
	return ""
}

// Has reports whether c holds one of names.
func (c Columns) Has(names ...string) bool {
	for _, n := range names {
		if _, ok := c[n]; ok {
			return true
		}
	}
	return false
}
