package importer

import (
	"fmt"
	"time"
)

// Clip shortens a value read from an input for quoting in an error
// message: at most 64 bytes, longer ones cut to 61 and marked "...".
func Clip(s string) string {
	if len(s) <= 64 {
		return s
	}
	return s[:61] + "..."
}

// Date parses a date field of an input: RFC 3339, or "2006-01-02" for
// midnight UTC. An empty value is the zero time, or an error when the
// field is required.
func Date(field, s string, required bool) (time.Time, error) {
	if s == "" {
		if required {
			return time.Time{}, fmt.Errorf("missing field %q", field)
		}
		return time.Time{}, nil
	}
	var t time.Time
	var err error
	if len(s) == 10 {
		t, err = time.Parse(time.DateOnly, s)
	} else {
		t, err = time.Parse(time.RFC3339Nano, s)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("bad date %q in %q: want RFC 3339 or YYYY-MM-DD", Clip(s), field)
	}
	return t.UTC(), nil
}
