package rdap

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// TestStrings checks that strings read as encoding/json reads them.
func TestStrings(t *testing.T) {
	for _, in := range []string{
		`"plain"`, `""`, `"b\u00fccher"`, `"a \"quoted\" word"`, `"back\\slash"`, `"tab\there"`,
		`"\ud83d\ude00 smile"`, `"lone \ud83d surrogate"`, "\"bad \xff byte\"", `"\/slash"`,
	} {
		var want string
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		d := decoder{data: []byte(in)}
		got, err := d.str()
		if err != nil || got != want || d.pos != len(in) {
			t.Errorf("%s: got %q (%v, at %d), want %q", in, got, err, d.pos, want)
		}
		if !utf8.ValidString(in) {
			continue // each hands over the bytes as they are
		}
		var each string
		d = decoder{data: []byte(in)}
		if err := d.each(func(s []byte) { each = string(s) }); err != nil || each != want {
			t.Errorf("%s: each gave %q (%v), want %q", in, each, err, want)
		}
	}
	for _, in := range []string{`"open`, `"bad \x escape"`, `"\u12"`, "\"ctl \x01\"", `'single'`} {
		d := decoder{data: []byte(in)}
		if _, err := d.str(); err == nil {
			t.Errorf("%s: got no error", in)
		}
	}
}
