package pebble

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortKeys checks sortKeys against a bytewise sort, with keys shorter
// and longer than its eight-byte prefix, prefixes of one another and
// duplicates.
func TestSortKeys(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 200 {
		keys := make([][]byte, n)
		for i := range keys {
			k := make([]byte, r.IntN(12))
			for j := range k {
				k[j] = byte(r.IntN(3)) * 0x7f // 0x00, 0x7f, 0xfe
			}
			keys[i] = k
		}
		want := slices.Clone(keys)
		slices.SortFunc(want, bytes.Compare)
		sortKeys(keys)
		for i := range keys {
			if !bytes.Equal(keys[i], want[i]) {
				t.Fatalf("%d keys: got %x, want %x", n, keys, want)
			}
		}
	}
}
