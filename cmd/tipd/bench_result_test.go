package main

import (
	"strings"
	"testing"
)

// A benchmark against a server whose burst limit refuses requests says
// how to run it instead of reporting bare 429s.
func TestBenchExplainsBurstLimit(t *testing.T) {
	for _, tc := range []struct {
		r    loadResult
		want string
	}{
		{loadResult{statuses: map[int]int64{200: 5, 429: 3}}, "3 requests answered 429: the server's burst limit refused them; benchmark a server started with -rate 0"},
		{loadResult{statuses: map[int]int64{200: 5, 503: 2}}, "2 requests answered 503"},
		{loadResult{statuses: map[int]int64{200: 5}, failures: 1}, "1 requests failed"},
	} {
		err := tc.r.err()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.r.statuses, err, tc.want)
		}
	}
	if err := (loadResult{statuses: map[int]int64{200: 9}}).err(); err != nil {
		t.Errorf("all 200: %v", err)
	}
}
