// Package cputime measures the CPU time of a benchmark: on a shared
// machine it varies less than the wall time.
package cputime

import (
	"syscall"
	"testing"
	"time"
)

// Now is the CPU time the process has used, all threads (the garbage
// collector's included); 0 where it cannot be read.
func Now() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Report reports the CPU time per operation since start (a Now) as the
// benchmark metric cpu-ns/op.
func Report(b *testing.B, start time.Duration) {
	if b.N > 0 {
		b.ReportMetric(float64(Now()-start)/float64(b.N), "cpu-ns/op")
	}
}
