package gen

import (
	"encoding/binary"
	"net/netip"
)

// Address space. The world is cut into blocks of perBlock addresses; a
// block is one IPv4 /24 or one IPv6 /48 of public space. Every tenth
// address block is IPv6. Allow-listed and network-listed blocks follow the
// address blocks in IPv4 space.
const perBlock = 64

// v4Octets are first octets of public IPv4 space with no IANA
// special-purpose range inside.
var v4Octets = [...]byte{5, 31, 37, 45, 46, 62, 77, 78, 79, 80, 81, 82, 83, 85, 86, 87, 88, 89,
	91, 92, 93, 94, 95, 176, 178, 185, 188, 193, 194, 195, 212, 213, 217}

// isV6Block reports whether address block j is IPv6.
func isV6Block(j int) bool { return j%10 == 9 }

// v4Block returns the /24 of the k-th IPv4 block.
func (g *world) v4Block(k int) netip.Prefix {
	o1 := v4Octets[k%len(v4Octets)]
	x := uint16(k/len(v4Octets))*40503 + uint16(g.o.Seed*7919)
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{o1, byte(x >> 8), byte(x), 0}), 24)
}

// v6Block returns the /48 of the k-th IPv6 block, inside 2a00::/12.
func (g *world) v6Block(k int) netip.Prefix {
	x := uint32(k/16)*2654435761 + uint32(g.o.Seed)
	var b [16]byte
	binary.BigEndian.PutUint16(b[0:], 0x2a00+uint16(k%16))
	binary.BigEndian.PutUint32(b[2:], x)
	return netip.PrefixFrom(netip.AddrFrom16(b), 48)
}

// block returns the network of address block j.
func (g *world) block(j int) netip.Prefix {
	if isV6Block(j) {
		return g.v6Block(j / 10)
	}
	return g.v4Block(j - j/10)
}

// addr returns the i-th address of the world.
func (g *world) addr(i int) netip.Addr {
	j, slot := i/perBlock, i%perBlock
	p := g.block(j)
	if p.Addr().Is4() {
		b := p.Addr().As4()
		off := int(hash(g.o.Seed, uint64(j), 1) % 254)
		b[3] = byte(1 + (slot*37+off)%254)
		return netip.AddrFrom4(b)
	}
	b := p.Addr().As16()
	h := hash(g.o.Seed, uint64(i), 2)
	binary.BigEndian.PutUint16(b[8:], uint16(h>>48)|1)
	binary.BigEndian.PutUint16(b[10:], uint16(h>>32))
	binary.BigEndian.PutUint16(b[12:], uint16(h>>16))
	binary.BigEndian.PutUint16(b[14:], uint16(slot+1))
	return netip.AddrFrom16(b)
}

// allowBlock and netBlock are the extra IPv4 blocks.
func (g *world) allowBlock(a int) netip.Prefix { return g.v4Block(g.v4Blocks + a) }
func (g *world) netBlock(n int) netip.Prefix   { return g.v4Block(g.v4Blocks + g.allows + n) }

// hash mixes the seed and two values (splitmix64 finaliser).
func hash(seed int64, a, b uint64) uint64 {
	x := uint64(seed)*0x9E3779B97F4A7C15 ^ a*0xBF58476D1CE4E5B9 ^ (b+1)*0x94D049BB133111EB
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	x ^= x >> 31
	return x
}

// rng is a small deterministic generator (splitmix64) for one object.
type rng struct{ s uint64 }

func newRNG(seed int64, a, b uint64) *rng { return &rng{s: hash(seed, a, b)} }

func (r *rng) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	z := r.s
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// intn returns a number in [0, n).
func (r *rng) intn(n int) int {
	if n <= 1 {
		return 0
	}
	return int(r.next() % uint64(n))
}

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }
