package httpapi

import (
	"fmt"
	"testing"
	"time"
)

func TestLimiterBounded(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 15, 0, 0, 0, time.UTC)
	clock := t0
	l := newLimiter(10, 20, 1000, func() time.Time { return clock })
	for i := range 50_000 {
		if ok, _ := l.allow(fmt.Sprintf("user%d", i)); !ok {
			t.Fatalf("user%d refused its first request", i)
		}
		if n := l.len(); n > 1000 {
			t.Fatalf("%d users tracked, want at most 1000", n)
		}
	}
	// Idle users (full buckets) are dropped by the next sweep.
	clock = clock.Add(rateSweepEvery)
	l.allow("fresh")
	if n := l.len(); n != 1 {
		t.Errorf("after a sweep %d users are tracked, want 1", n)
	}
	// A user still short of tokens survives sweeps with its state: being
	// forgotten would give it a fresh burst.
	slow := newLimiter(0.01, 2, 10, func() time.Time { return clock })
	slow.allow("busy")
	slow.allow("busy")
	clock = clock.Add(rateSweepEvery + time.Second)
	slow.allow("other")
	if n := slow.len(); n != 2 {
		t.Errorf("%d users tracked after the sweep, want 2", n)
	}
	if ok, _ := slow.allow("busy"); ok {
		t.Error("busy got a fresh burst after a sweep")
	}
	// A full map is swept, before the minute is up, rather than losing
	// an arbitrary user.
	fast := newLimiter(10, 1, 10, func() time.Time { return clock })
	for i := range 10 {
		fast.allow(fmt.Sprintf("idle%d", i))
	}
	clock = clock.Add(2 * time.Second)
	fast.allow("newcomer")
	if n := fast.len(); n != 1 {
		t.Errorf("%d users tracked after a full map was swept, want 1", n)
	}
}

func TestLimiterRetryAfter(t *testing.T) {
	clock := time.Date(2026, 11, 28, 15, 0, 0, 0, time.UTC)
	l := newLimiter(0.25, 1, 0, func() time.Time { return clock })
	if ok, _ := l.allow("a"); !ok {
		t.Fatal("first request refused")
	}
	ok, wait := l.allow("a")
	if ok || wait != 4 {
		t.Errorf("got %v %v, want refused for 4s", ok, wait)
	}
	if newLimiter(0, 10, 0, nil) != nil {
		t.Error("rate 0 is not off")
	}
}
