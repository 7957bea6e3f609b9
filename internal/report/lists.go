package report

import (
	"sync"

	"github.com/tipd/tipd/internal/store"
)

// listsPool recycles the slices of list sections between reports.
var listsPool = sync.Pool{New: func() any { return new(store.AddressLists) }}

// maxPooledItems bounds the slices kept in listsPool: a report with
// thousands of items leaves its slices to the garbage collector.
const maxPooledItems = 4 * MaxPooledCount

// MaxPooledCount is the largest count whose list slices are recycled.
const MaxPooledCount = 1000

// Release gives the memory of the report's list sections back for reuse by
// a later report. The list sections (HostedURLs, Files, Resolutions, Masks,
// NetMasks) and every string or slice taken from them must not be used
// afterwards: render the report first. Calling it is optional (without it
// the memory is garbage-collected) and safe twice.
func (r *IPReport) Release() {
	l := r.lists
	if l == nil {
		return
	}
	r.lists = nil
	r.HostedURLs, r.Files, r.Resolutions, r.Masks = nil, nil, nil, nil
	r.NetMasks = nil
	if cap(l.HostedURLs)+cap(l.Files)+cap(l.Resolutions)+cap(l.Masks) > maxPooledItems {
		return
	}
	listsPool.Put(l)
}

// listCount is how many lists lim reads.
func listCount(lim store.ListLimits) int {
	n := 0
	for _, l := range []int{lim.HostedURLs, lim.Files, lim.Resolutions, lim.Masks} {
		if l > 0 {
			n++
		}
	}
	return n
}

// listLimits are the list reads a report with sections sec needs.
func listLimits(sec Sections, count int, needScore bool) store.ListLimits {
	var lim store.ListLimits
	if sec.Has(SecIPDNSResolutions) {
		lim.Resolutions = count
	}
	if needScore {
		lim.Resolutions = max(lim.Resolutions, RedDomainScan)
	}
	if sec.Has(SecFilesDownloadedFromIP) {
		lim.Files = count
	}
	if sec.Has(SecHostedURLs) {
		lim.HostedURLs = count
	}
	if sec.Has(SecFeedMasks) {
		lim.Masks = count
	}
	return lim
}
