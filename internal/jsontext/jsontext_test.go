package jsontext

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// marshal is what encoding/json writes for s, quotes left out, with or
// without HTML escaping.
func marshal(t testing.TB, s string, html bool) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(html)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	out := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return string(out[1 : len(out)-1])
}

func TestAppendEscaped(t *testing.T) {
	for _, s := range []string{"", "plain text", "a\"b\\c", "\b\f\n\r\t\x00\x01\x1f\x7f", "<a href='x'>&</a>",
		"\u2028\u2029", "bad \xff\xfe utf-8", "é ü 日本 😀", "tail\xe2\x80"} {
		for _, html := range []bool{false, true} {
			if got, want := string(AppendEscaped(nil, s, html)), marshal(t, s, html); got != want {
				t.Errorf("%q, html %v: got %s, want %s", s, html, got, want)
			}
		}
	}
}

func FuzzAppendEscaped(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\x00<>&\u2028", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, html := range []bool{false, true} {
			if got, want := string(AppendEscaped(nil, s, html)), marshal(t, s, html); got != want {
				t.Fatalf("%q, html %v: got %s, want %s", s, html, got, want)
			}
		}
	})
}

// TestAppendCanonical: RFC 8785 strings, as STIX deterministic ids hash
// them: only '"', '\\' and control characters escaped, invalid UTF-8
// made U+FFFD.
func TestAppendCanonical(t *testing.T) {
	for in, want := range map[string]string{
		"a\"\\\b\f\n\r\t\x01\u2028é": `a\"\\\b\f\n\r\t\u0001` + "\u2028é",
		"<a>&\x7f":                   "<a>&\x7f",
		"bad \xff utf-8":             "bad \uFFFD utf-8",
		"":                           "",
	} {
		if got := string(AppendCanonical(nil, in)); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func FuzzAppendCanonical(f *testing.F) {
	f.Add("a\"b\x00<\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) {
		var got string
		if err := json.Unmarshal(append(append([]byte{'"'}, AppendCanonical(nil, s)...), '"'), &got); err != nil {
			t.Fatalf("%q: not a JSON string: %v", s, err)
		}
		var want strings.Builder // each invalid byte made U+FFFD
		for _, r := range s {
			want.WriteRune(r)
		}
		if got != want.String() {
			t.Fatalf("%q: reads back as %q, want %q", s, got, want.String())
		}
	})
}
