package netdata

import (
	"cmp"
	"net/netip"
	"slices"
	"sync"

	"github.com/tipd/tipd/internal/intel"
)

// asIndex lists the AS ranges of a snapshot by ASN, made on the first
// ASRanges call (most processes never ask): one (ASN, prefix, entry)
// triple per AS range, sorted by ASN, then prefix.
type asIndex struct {
	once sync.Once
	recs []asPrefix
}

type asPrefix struct {
	asn    uint32
	prefix netip.Prefix
	e      asEntry
}

// ASRanges returns the ranges the AS asn announces, by prefix (addresses
// in order, IPv4 first), at most limit of them, and whether it has more.
// The first call walks every prefix of the snapshot once.
func (s *Snapshot) ASRanges(asn uint32, limit int) ([]intel.ASRange, bool) {
	s.byASN.once.Do(func() {
		var recs []asPrefix
		for pfx, e := range s.table.All() {
			for _, a := range spanOf(e.as, s.asEntries) {
				recs = append(recs, asPrefix{asn: a.asn, prefix: pfx, e: a})
			}
		}
		slices.SortFunc(recs, func(x, y asPrefix) int {
			return cmp.Or(cmp.Compare(x.asn, y.asn), comparePrefix(x.prefix, y.prefix))
		})
		s.byASN.recs = recs
	})
	recs := s.byASN.recs
	i, _ := slices.BinarySearchFunc(recs, asn, func(r asPrefix, asn uint32) int { return cmp.Compare(r.asn, asn) })
	var out []intel.ASRange
	for ; i < len(recs) && recs[i].asn == asn; i++ {
		if len(out) == limit {
			return out, true
		}
		r := recs[i]
		out = append(out, intel.ASRange{Prefix: r.prefix, ASN: asn, Description: s.asDescs[r.e.desc], Source: s.asSources[r.e.src]})
	}
	return out, false
}
