package pebble

import (
	"strings"

	"github.com/tipd/tipd/internal/intel"
)

// batchArena hands out the keys and values of one batch, cut from shared
// chunks: a batch plans, reads and writes thousands, which cost an
// allocation each otherwise. A piece handed out is never written again by
// the arena, and its chunk lives as long as any piece of it does. (The
// reads' arena in codec.go keeps the strings of one read call.)
type batchArena struct {
	sb  strings.Builder // the chunk strings are cut from
	buf []byte          // the chunk byte slices are cut from
}

// batchChunk is the size of a chunk (a piece larger gets one of its own).
const batchChunk = 32 << 10

// str returns b as a string.
func (a *batchArena) str(b []byte) string {
	if a.sb.Cap()-a.sb.Len() < len(b) {
		a.sb = strings.Builder{}
		a.sb.Grow(max(len(b), batchChunk))
	}
	start := a.sb.Len()
	a.sb.Write(b)
	return a.sb.String()[start:]
}

// bytes returns an empty slice with room for n bytes: appending up to n
// bytes to it writes into the chunk, appending more copies it out.
func (a *batchArena) bytes(n int) []byte {
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]byte, 0, max(n, batchChunk))
	}
	start := len(a.buf)
	a.buf = a.buf[:start+n]
	return a.buf[start : start : start+n]
}

// object is objectKey, cut from the arena.
func (a *batchArena) object(kind intel.ObjectKind, key string) []byte {
	k := append(a.bytes(2+len(key)), tObject, byte(kind))
	return append(k, key...)
}
