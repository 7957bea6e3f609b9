package report

import (
	"slices"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
)

// addressMasks splits the FeedMasks section of an address into the store's
// masks and the network masks, each cut so that their merge holds at most
// count items. Nothing is copied unless the address is allow-listed.
func addressMasks(masks []intel.FeedMask, info *netdata.Info, count int) (store, nets []intel.FeedMask) {
	if len(info.Allows) > 0 {
		kept := make([]intel.FeedMask, 0, len(masks))
		for _, m := range masks {
			if m.MaskType != intel.MaskHost {
				kept = append(kept, m)
			}
		}
		return kept[:min(len(kept), count)], nil
	}
	nets = networkMasks(info)
	i, j := 0, 0
	for i+j < count && (i < len(masks) || j < len(nets)) {
		if j >= len(nets) || (i < len(masks) && maskOrder(&masks[i], &nets[j]) <= 0) {
			i++
		} else {
			j++
		}
	}
	return masks[:i], nets[:j]
}

// EachFeedMask calls yield with every item of the FeedMasks section in
// order (the merge of Masks and NetMasks) until yield returns false.
func (r *IPReport) EachFeedMask(yield func(*intel.FeedMask) bool) {
	a, b := r.Masks, r.NetMasks
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if j >= len(b) || (i < len(a) && maskOrder(&a[i], &b[j]) <= 0) {
			if !yield(&a[i]) {
				return
			}
			i++
		} else {
			if !yield(&b[j]) {
				return
			}
			j++
		}
	}
}

// AllFeedMasks returns the FeedMasks section in order as one new slice.
func (r *IPReport) AllFeedMasks() []intel.FeedMask {
	out := make([]intel.FeedMask, 0, len(r.Masks)+len(r.NetMasks))
	for m := range r.EachFeedMask {
		out = append(out, *m)
	}
	return out
}

// maskOrder orders masks most severe zone first, then by mask, then by type.
func maskOrder(a, b *intel.FeedMask) int {
	if d := b.Zone.Severity() - a.Zone.Severity(); d != 0 {
		return d
	}
	if c := strings.Compare(a.Mask, b.Mask); c != 0 {
		return c
	}
	return strings.Compare(a.MaskType, b.MaskType)
}

// networkMasks turns the network listings covering an address into Network
// masks, one per prefix (feeds merged, the most severe zone), ordered by
// maskOrder.
func networkMasks(info *netdata.Info) []intel.FeedMask {
	var out []intel.FeedMask
	for _, l := range info.Listings {
		zone := l.Zone
		if z, ok := intel.CategoryZone(l.Category); ok {
			zone = z
		}
		if zone.FeedStatus() == "" {
			continue
		}
		mask := l.Prefix.Masked().String()
		if i := slices.IndexFunc(out, func(m intel.FeedMask) bool { return m.Mask == mask }); i >= 0 {
			m := &out[i]
			m.Zone = intel.MaxZone(m.Zone, zone)
			if !slices.Contains(m.Feeds, l.Feed) {
				m.Feeds = append(m.Feeds, l.Feed)
			}
			m.LastSeen = maxTime(m.LastSeen, l.LastSeen)
			continue
		}
		out = append(out, intel.FeedMask{
			IP: l.Prefix.Addr(), Mask: mask, MaskType: intel.MaskNetwork, Zone: zone,
			Feeds: []string{l.Feed}, LastSeen: l.LastSeen, Source: l.Source,
		})
	}
	for i := range out {
		slices.Sort(out[i].Feeds)
	}
	slices.SortFunc(out, func(a, b intel.FeedMask) int { return maskOrder(&a, &b) })
	return out
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
