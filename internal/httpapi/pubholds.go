package httpapi

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/tipd/tipd/internal/intel"
)

// heldIndicators tells which indicators of a report a legal hold holds.
// The holds are read once per answer; a nil *heldIndicators holds
// nothing.
type heldIndicators struct {
	holds   []intel.Hold
	reports map[string]bool // held report IDs
}

// reportHeld reports whether a hold holds the report id: it is never
// served (get_one answers 451, the lists and master files leave it out).
func (h *heldIndicators) reportHeld(id string) bool {
	return h != nil && h.reports[id]
}

// holdLister is the part of the store that lists the legal holds; a store
// without it holds nothing.
type holdLister interface {
	Holds(ctx context.Context) ([]intel.Hold, error)
}

// heldIndicators reads the legal holds: one read of the holds, and one
// FileHashes read per hold on a file, whose hold is repeated under each
// hash of the file so that an indicator naming the file by another hash
// is held too. Nil when there are no holds.
func (s *server) heldIndicators(ctx context.Context) (*heldIndicators, error) {
	hl, ok := s.reports.Store.(holdLister)
	if !ok {
		return nil, nil
	}
	all, err := hl.Holds(ctx)
	if err != nil {
		return nil, fmt.Errorf("legal holds: %w", err)
	}
	if len(all) == 0 {
		return nil, nil
	}
	out := &heldIndicators{reports: map[string]bool{}}
	for _, h := range all {
		if h.Report != "" {
			out.reports[h.Report] = true
			continue
		}
		out.holds = append(out.holds, h)
		if h.Hash == "" {
			continue
		}
		fh, ok, err := s.reports.Store.FileHashes(ctx, h.Hash)
		if err != nil {
			return nil, fmt.Errorf("legal hold %s: %w", h.Ref, err)
		}
		for _, x := range []string{fh.MD5, fh.SHA1, fh.SHA256} {
			if ok && x != "" && x != h.Hash {
				h.Hash = x
				out.holds = append(out.holds, h)
			}
		}
	}
	return out, nil
}

// held reports whether a hold holds the indicator x: an address (held by a
// network containing it), a network (held by a hold on any address or
// network it overlaps), a web address (held by a hold on it, its host
// address, or its host name or a name above it), a domain name (or a name
// above it) or a file hash (by any hash of the file). An indicator that is
// none of these is never held.
func (h *heldIndicators) held(x string) bool {
	if h == nil {
		return false
	}
	if p, err := netip.ParsePrefix(x); err == nil {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-max(0, p.Addr().BitLen()-p.Addr().Unmap().BitLen())).Masked()
		for _, hd := range h.holds {
			if hd.Prefix.IsValid() && hd.Prefix.Overlaps(p) {
				return true
			}
		}
		return false
	}
	q, ok := holdQueryOf(x)
	if !ok {
		return false
	}
	for _, hd := range h.holds {
		if hd.Matches(q) {
			return true
		}
	}
	return false
}

// holdQueryOf is what indicator x names, for intel.Hold.Matches.
func holdQueryOf(x string) (intel.HoldQuery, bool) {
	if ip, err := netip.ParseAddr(x); err == nil {
		return intel.HoldQuery{IP: ip.Unmap()}, true
	}
	if !strings.ContainsAny(x, "./:") {
		if hash, err := intel.NormalizeHash(x); err == nil {
			return intel.HoldQuery{Hashes: []string{hash}}, true
		}
	}
	if !strings.Contains(x, "/") {
		if d, err := intel.NormalizeDomain(x); err == nil {
			return intel.HoldQuery{Domain: d}, true
		}
	}
	key, _, err := intel.NormalizeURL(x)
	if err != nil {
		return intel.HoldQuery{}, false
	}
	q := intel.HoldQuery{URL: key}
	host := intel.URLHost(key)
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")); err == nil {
		q.IP = a.Unmap()
	} else {
		q.Domain = host
	}
	return q, true
}
