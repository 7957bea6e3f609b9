package access

import (
	"context"
	"errors"
	"testing"
	"time"
)

// With every slot taken, a check waits, and gives up when its request does.
func TestPasswordChecksBounded(t *testing.T) {
	hash, err := HashPassword("pw")
	if err != nil {
		t.Fatal(err)
	}
	for range cap(verifySlots) {
		verifySlots <- struct{}{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if ok, err := verifyBounded(ctx, hash, "pw"); ok || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("with every slot taken: %v, %v; want the request's deadline", ok, err)
	}
	if time.Since(start) < 40*time.Millisecond {
		t.Errorf("returned before the deadline: the check did not wait for a slot")
	}
	for range cap(verifySlots) {
		<-verifySlots
	}
	if ok, err := verifyBounded(context.Background(), hash, "pw"); !ok || err != nil {
		t.Errorf("with free slots: %v, %v", ok, err)
	}
	if len(verifySlots) != 0 {
		t.Errorf("%d slots still taken after the check", len(verifySlots))
	}
}
