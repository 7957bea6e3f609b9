package spill_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"testing"

	"github.com/tipd/tipd/internal/importer/spill"
)

func TestSort(t *testing.T) {
	for _, n := range []int{0, 1, 10, 5000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			dir := t.TempDir()
			s := spill.New(dir, 1000)
			defer s.Close()
			r := rand.New(rand.NewPCG(1, uint64(n)))
			var want []string
			for i := range n {
				k := fmt.Sprintf("%08d-%d", r.IntN(1000000), i)
				want = append(want, k)
				if err := s.Add([]byte(k), []byte("v"+k)); err != nil {
					t.Fatal(err)
				}
			}
			slices.Sort(want)
			for pass := range 2 { // the records may be read again
				var got []string
				it := s.Iter()
				for it.Next() {
					if !bytes.Equal(it.Value(), append([]byte("v"), it.Key()...)) {
						t.Fatalf("key %q has value %q", it.Key(), it.Value())
					}
					got = append(got, string(it.Key()))
				}
				if err := it.Err(); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("pass %d: got %d records, want %d in order", pass, len(got), len(want))
				}
			}
			if err := s.Add([]byte("late"), nil); err == nil {
				t.Error("added a record after reading")
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("%d files left after Close", len(left))
			}
		})
	}
}

// TestBoundedRuns checks that merging levels keeps the number of run files
// small however many runs are written.
func TestBoundedRuns(t *testing.T) {
	dir := t.TempDir()
	s := spill.New(dir, 300)
	defer s.Close()
	most := 0
	for i := range 6000 {
		if err := s.Add(fmt.Appendf(nil, "%09d", 6000-i), nil); err != nil {
			t.Fatal(err)
		}
		if i%100 == 0 {
			left, _ := os.ReadDir(dir)
			most = max(most, len(left))
		}
	}
	if most > 3*spill.FanIn {
		t.Errorf("%d run files at once, want at most %d", most, 3*spill.FanIn)
	}
}

// TestSmallSorterIsSmall checks that a sorter given a handful of records
// allocates a handful of bytes, not a whole buffer chunk: a STIX bundle of
// a few objects fills seven sorters.
func TestSmallSorterIsSmall(t *testing.T) {
	const runs = 100
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		s := spill.New(t.TempDir(), 0)
		for i := range 3 {
			if err := s.Add(fmt.Appendf(nil, "key-%d", i), []byte("a value of some twenty bytes")); err != nil {
				t.Fatal(err)
			}
		}
		it := s.Iter()
		for it.Next() {
		}
		s.Close()
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 16<<10 {
		t.Errorf("a sorter of 3 small records allocated %d bytes, want under 16 KiB", per)
	}
}
