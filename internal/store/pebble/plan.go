package pebble

import (
	"net/netip"
	"strings"

	"github.com/tipd/tipd/internal/intel"
)

// prefetch reads what applying b will read (see applier), in three rounds:
// the summaries and network listings, the keys owned by the addresses and
// URLs that exist, the index entries of the items that exist. A record kind
// whose stage reads keys adds them to summaryKeys or plan.owned.
//
// The keys of the first round are bp's, sorted by PrepareBatch, unless the
// store's F keys changed since (see foldHashes).
func (a *applier) prefetch(b *intel.Batch, bp *batchPlan) error {
	keys, sorted := bp.keys, true
	if legacy := a.store.hashKeys.Load(); legacy != bp.legacy {
		keys, sorted = summaryKeys(b, legacy), false
	}
	// Room for the summaries of the objects (each may be named more than
	// once).
	nobj := 0
	for _, k := range keys {
		switch k[0] {
		case tObject:
			nobj++
		case tHashIndex:
			a.indexReads++
		}
	}
	if nobj > 0 {
		a.objs = make(map[string]*objSum, nobj)
	}
	if !sorted {
		sortKeys(keys)
	}
	if err := a.fetchSorted(keys); err != nil {
		return err
	}
	a.markNew()
	p := plan{a: a, keys: keys[:0]}
	p.owned(b)
	if err := a.fetch(p.keys); err != nil {
		return err
	}
	return a.fetch(a.indexKeys(p.keys[:0], p.items))
}

// summaryKeys are the keys of the first round: the summaries of the
// batch's addresses, URLs, domains and objects, its network listings and
// the summaries of the hashes of its FileHashes (and their F keys if the
// store may hold them: legacy).
func summaryKeys(b *intel.Batch, legacy bool) [][]byte {
	var keys [][]byte
	b.EachAddress(func(ip netip.Addr) { keys = append(keys, addrKey(tAddr, intel.NormIP(ip))) })
	for i := range b.HostedURLs {
		keys = append(keys, strKey(tURL, b.HostedURLs[i].URL))
	}
	for i := range b.Files {
		keys = append(keys, strKey(tURL, intel.URLKey(b.Files[i].URL)))
	}
	for i := range b.Resolutions {
		keys = append(keys, strKey(tDomain, b.Resolutions[i].Domain))
	}
	for i := range b.Domains {
		keys = append(keys, strKey(tDomain, b.Domains[i].Domain))
	}
	for i := range b.NetListings {
		keys = append(keys, netListingKey(&b.NetListings[i]))
	}
	return objectSummaryKeys(keys, b, legacy)
}

// markNew notes the addresses and URLs the first round found without a
// summary: the keys they own are not read (see knownAbsent; objects are
// told by the overlay, see newObject).
func (a *applier) markNew() {
	for i := range a.o.slots {
		k, f := a.o.slots[i].key, a.o.slots[i].flags
		switch {
		case f&fFound != 0:
		case k[0] == tAddr:
			a.newAddrs[[16]byte([]byte(k[1:]))] = struct{}{}
		case k[0] == tURL:
			a.newURLs[k[1:]] = struct{}{}
		}
	}
}

// itemRef is the primary key of a list item and the length of its owner.
type itemRef struct {
	pk       []byte
	ownerLen int
}

// plan collects the keys of the second round and the list items whose
// index entries the third round reads.
type plan struct {
	a     *applier
	keys  [][]byte
	items []itemRef
}

// owned adds the keys owned by the batch's addresses, URLs and objects:
// sighting days, list items (and their heads), event IDs and links.
func (p *plan) owned(b *intel.Batch) {
	for i := range b.Sightings {
		r := &b.Sightings[i]
		ip := intel.NormIP(r.IP)
		p.key(sightingKey(ip, intel.Day(r.Day)))
	}
	for i := range b.HostedURLs {
		r := &b.HostedURLs[i]
		p.item(lHosted, intel.NormIP(r.IP), r.URL)
	}
	for i := range b.Files {
		r := &b.Files[i]
		p.item(lFiles, intel.NormIP(r.IP), r.MD5, r.URL)
		p.urlFile(r)
	}
	for i := range b.Resolutions {
		r := &b.Resolutions[i]
		p.item(lRes, intel.NormIP(r.IP), r.Domain)
	}
	for i := range b.Masks {
		r := &b.Masks[i]
		p.item(lMasks, intel.NormIP(r.IP), r.Mask, r.MaskType)
	}
	for i := range b.SpamEvents {
		r := &b.SpamEvents[i]
		ip := intel.NormIP(r.IP)
		p.key(eventKey(tSpam, ip, r.ID))
	}
	for i := range b.PhishingEvents {
		r := &b.PhishingEvents[i]
		ip := intel.NormIP(r.IP)
		p.key(eventKey(tPhish, ip, r.ID))
	}
	p.links(b)
}

// key adds k unless it is known to be absent.
func (p *plan) key(k []byte) {
	if !p.a.knownAbsent(k) {
		p.keys = append(p.keys, k)
	}
}

// item adds the primary key of an item of an address list, and the list's
// head if it has one (see heads.go).
func (p *plan) item(list byte, ip netip.Addr, it ...string) {
	a := p.a
	owner := addrOwner(nil, ip)
	pk := primaryKey(list, owner, []byte(strings.Join(it, "\x00")))
	p.key(pk)
	if !a.knownAbsent(pk) {
		if s, err := a.sum(ip); err == nil && s.lens[listNo(list)] >= headMin {
			p.keys = append(p.keys, headKey(list, owner))
		}
	}
	p.items = append(p.items, itemRef{pk, len(owner)})
}

// urlFile adds the primary key of the item of a URL's file list a file
// record merges into.
func (p *plan) urlFile(r *intel.FileDownload) {
	key := intel.URLKey(r.URL)
	owner := strOwner(nil, key)
	pk := primaryKey(lURLFiles, owner, []byte(r.MD5))
	p.key(pk)
	p.items = append(p.items, itemRef{pk, len(owner)})
}

// indexKeys appends to keys the index keys of the items that exist, as
// their primary keys read in the second round name them.
func (a *applier) indexKeys(keys [][]byte, items []itemRef) [][]byte {
	for _, it := range items {
		v, found, _ := a.before(it.pk)
		if !found {
			continue
		}
		owner, item := it.pk[2:2+it.ownerLen], it.pk[2+it.ownerLen:]
		keys = append(keys, indexKey(it.pk[1], owner, v, item))
	}
	return keys
}
