package csvline

import (
	"reflect"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{in: `a,b,c`, want: []string{"a", "b", "c"}},
		{in: `"a","b,c",""`, want: []string{"a", "b,c", ""}},
		{in: `"2026-11-20 08:15:03", "123", "None"`, want: []string{"2026-11-20 08:15:03", "123", "None"}},
		{in: `"say ""hi""",x`, want: []string{`say "hi"`, "x"}},
		{in: `"""",  "a""b" , "c"`, want: []string{`"`, `a"b`, "c"}},
		{in: `a,,`, want: []string{"a", "", ""}},
		{in: ``, want: []string{""}},
		{in: `"2026-01-02",45.95.147.10,443`, want: []string{"2026-01-02", "45.95.147.10", "443"}},
		{in: `"open`, wantErr: "not closed"},
		{in: `"a"b,c`, wantErr: "after quoted field"},
		{in: `a"b,c`, wantErr: "stray quote"},
	}
	for _, tt := range tests {
		got, err := Split([]byte(tt.in), nil)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Split(%q): got error %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Split(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestColumns(t *testing.T) {
	c, err := ParseHeader([]byte(` "First_Seen_UTC","dst_ip"`))
	if err != nil {
		t.Fatal(err)
	}
	f := []string{"2026-01-01", "45.95.147.10"}
	if got := c.Get(f, "dstip", "dst_ip"); got != "45.95.147.10" {
		t.Errorf("got %q, want the dst_ip field", got)
	}
	if got := c.Get(f, "malware"); got != "" || c.Has("malware") || !c.Has("first_seen_utc") {
		t.Errorf("got %q, want empty for a column the header lacks", got)
	}
}

func FuzzSplit(f *testing.F) {
	f.Add([]byte(`"a", "b ""c""", None,x`))
	f.Add([]byte(`phish_id,url`))
	f.Fuzz(func(t *testing.T, line []byte) {
		fields, err := Split(line, nil)
		if err != nil {
			return
		}
		if len(fields) == 0 {
			t.Fatalf("no fields for %q", line)
		}
		// The fields do not share the caller's buffer, which the reader
		// reuses for the next line.
		kept := append([]string(nil), fields...)
		want := strings.Join(kept, "\x00")
		for i := range line {
			line[i] = 'X'
		}
		if got := strings.Join(fields, "\x00"); got != want {
			t.Fatalf("fields changed with the line's buffer: %q, were %q", got, want)
		}
		// Quoted again, the fields split to themselves.
		var q []string
		for _, s := range kept {
			q = append(q, `"`+strings.ReplaceAll(s, `"`, `""`)+`"`)
		}
		again, err := Split([]byte(strings.Join(q, ",")), nil)
		if err != nil || !reflect.DeepEqual(again, kept) {
			t.Fatalf("%q quoted again split to %q, %v", kept, again, err)
		}
	})
}
