package pebble

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
)

// applier holds the state of one Apply: the indexed batch (whose reads see
// its own earlier writes, so duplicates inside a batch merge) and the
// address and URL summaries touched so far, written once at the end.
type applier struct {
	b     *pebble.Batch
	addrs map[[16]byte]*addrSum
	urls  map[string]*urlSum
	n     int
	ctx   context.Context
}

// Apply implements store.Intel. The whole batch is one Pebble batch
// committed with a WAL sync; a cancelled context discards it.
func (s *Store) Apply(ctx context.Context, b *intel.Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := validate(b); err != nil {
		return err
	}
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	batch := s.db.NewIndexedBatch()
	defer batch.Close()
	a := &applier{b: batch, addrs: map[[16]byte]*addrSum{}, urls: map[string]*urlSum{}, ctx: ctx}
	if err := a.apply(b); err != nil {
		return err
	}
	if b.HasNetworkData() {
		v, err := networkVersion(batch)
		if err != nil {
			return fmt.Errorf("apply: %w", err)
		}
		if err := batch.Set(keyNetVersion, binary.AppendUvarint(nil, v+1), nil); err != nil {
			return fmt.Errorf("apply: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := batch.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("apply: commit: %w", err)
	}
	return nil
}

func (a *applier) tick() error {
	a.n++
	if a.n&1023 == 0 {
		return a.ctx.Err()
	}
	return nil
}

func (a *applier) sum(ip netip.Addr) (*addrSum, error) {
	k := addr16(ip)
	if s := a.addrs[k]; s != nil {
		return s, nil
	}
	s := &addrSum{}
	if _, err := getFn(a.b, addrKey(tAddr, ip), func(v []byte) error { return decAddrSum(&dec{s: string(v)}, s) }); err != nil {
		return nil, fmt.Errorf("summary of %s: %w", ip, err)
	}
	a.addrs[k] = s
	return s, nil
}

func (a *applier) url(key string) (*urlSum, error) {
	if u := a.urls[key]; u != nil {
		return u, nil
	}
	u := &urlSum{sum: intel.URLSummary{URL: key}}
	if _, err := getFn(a.b, strKey(tURL, key), func(v []byte) error { return decURLSum(&dec{s: string(v)}, u) }); err != nil {
		return nil, fmt.Errorf("summary of URL %q: %w", key, err)
	}
	a.urls[key] = u
	return u, nil
}

// upsert merges one item into a list: it finds the item's current index
// entry through the primary key, lets merge compute the new sort key and
// value from the old value (nil when new), and moves the index entry if the
// sort key changed. It returns the old sort key (nil when new) and the new.
func (a *applier) upsert(list byte, owner, item []byte, merge func(old []byte) (sort, val []byte, err error)) (oldSort, newSort []byte, err error) {
	pk := primaryKey(list, owner, item)
	oldSort, found, err := get(a.b, pk)
	if err != nil {
		return nil, nil, err
	}
	var oldVal, oldIK []byte
	if found {
		oldIK = indexKey(list, owner, oldSort, item)
		oldVal, found, err = get(a.b, oldIK)
		if err != nil {
			return nil, nil, err
		}
		if !found {
			oldSort = nil
		}
	}
	newSort, newVal, err := merge(oldVal)
	if err != nil {
		return nil, nil, err
	}
	if found && bytes.Equal(oldSort, newSort) {
		if !bytes.Equal(oldVal, newVal) {
			err = a.b.Set(oldIK, newVal, nil)
		}
		return oldSort, newSort, err
	}
	if found {
		if err := a.b.Delete(oldIK, nil); err != nil {
			return nil, nil, err
		}
	}
	if err := a.b.Set(pk, newSort, nil); err != nil {
		return nil, nil, err
	}
	return oldSort, newSort, a.b.Set(indexKey(list, owner, newSort, item), newVal, nil)
}

func (a *applier) apply(b *intel.Batch) error {
	steps := []struct {
		what string
		fn   func(*intel.Batch) error
	}{
		{"sightings", a.sightings},
		{"listings", a.listings},
		{"hosted URLs", a.hostedURLs},
		{"files", a.files},
		{"resolutions", a.resolutions},
		{"domains", a.domains},
		{"masks", a.masks},
		{"spam events", a.spam},
		{"phishing events", a.phishing},
		{"reports", a.reports},
		{"network records", a.network},
	}
	for _, st := range steps {
		if err := st.fn(b); err != nil {
			if ctxErr := a.ctx.Err(); ctxErr != nil && err == ctxErr {
				return err
			}
			return fmt.Errorf("apply %s: %w", st.what, err)
		}
	}
	for k, s := range a.addrs {
		if err := a.b.Set(append([]byte{tAddr}, k[:]...), encAddrSum(nil, s), nil); err != nil {
			return fmt.Errorf("apply: %w", err)
		}
	}
	for k, u := range a.urls {
		if err := a.b.Set(strKey(tURL, k), encURLSum(nil, u), nil); err != nil {
			return fmt.Errorf("apply: %w", err)
		}
	}
	return nil
}

func (a *applier) sightings(b *intel.Batch) error {
	for _, r := range b.Sightings {
		if err := a.tick(); err != nil {
			return err
		}
		ip := normIP(r.IP)
		d := dayOf(r.Day)
		k := sightingKey(ip, d)
		old, found, err := get(a.b, k)
		if err != nil {
			return err
		}
		var oldHits int64
		if found {
			oldHits, _ = binary.Varint(old)
		}
		if err := a.b.Set(k, binary.AppendVarint(nil, r.Hits), nil); err != nil {
			return err
		}
		s, err := a.sum(ip)
		if err != nil {
			return err
		}
		s.hits += r.Hits - oldHits
		s.seen(d)
	}
	return nil
}

func (a *applier) listings(b *intel.Batch) error {
	for _, r := range b.Listings {
		if err := a.tick(); err != nil {
			return err
		}
		ip := normIP(r.IP)
		s, err := a.sum(ip)
		if err != nil {
			return err
		}
		r.IP = netip.Addr{}
		r.FirstSeen, r.LastSeen, r.Source = utc(r.FirstSeen), utc(r.LastSeen), normSource(r.Source)
		i, found := slices.BinarySearchFunc(s.listings, r, func(x, y intel.Listing) int {
			if c := strings.Compare(x.Feed, y.Feed); c != 0 {
				return c
			}
			return strings.Compare(string(x.Category), string(y.Category))
		})
		if found {
			mergeListing(&s.listings[i], r)
		} else {
			s.listings = slices.Insert(s.listings, i, r)
		}
		s.seen(r.FirstSeen)
		s.seen(r.LastSeen)
	}
	return nil
}

func (a *applier) hostedURLs(b *intel.Batch) error {
	var owner []byte
	for _, r := range b.HostedURLs {
		if err := a.tick(); err != nil {
			return err
		}
		ip := normIP(r.IP)
		r.IP = ip
		r.FirstSeen, r.LastSeen, r.Source = utc(r.FirstSeen), utc(r.LastSeen), normSource(r.Source)
		r.Categories = unionCats(nil, r.Categories)
		owner = addrOwner(owner[:0], ip)
		var m intel.HostedURL
		wasRed := false
		_, _, err := a.upsert(lHosted, owner, []byte(r.URL), func(old []byte) ([]byte, []byte, error) {
			if old == nil {
				m = r
			} else {
				if err := decHosted(&dec{s: string(old)}, &m); err != nil {
					return nil, nil, err
				}
				wasRed = m.Zone == intel.ZoneRed
				mergeHosted(&m, r)
			}
			return recencyKey(nil, m.LastSeen, m.Hits), encHosted(nil, &m), nil
		})
		if err != nil {
			return err
		}
		s, err := a.sum(ip)
		if err != nil {
			return err
		}
		if !wasRed && m.Zone == intel.ZoneRed {
			s.redURLs++
		}
		s.seen(r.FirstSeen)
		s.seen(r.LastSeen)

		u, err := a.url(r.URL)
		if err != nil {
			return err
		}
		sum := &u.sum
		if !u.hosted {
			u.hosted = true
			sum.Zone, sum.Categories, sum.Hits, sum.Truncated = r.Zone, r.Categories, r.Hits, r.Truncated
			sum.FirstSeen, sum.LastSeen = r.FirstSeen, r.LastSeen
		} else {
			sum.Zone = mergeZone(sum.Zone, r.Zone)
			sum.Categories = unionCats(sum.Categories, r.Categories)
			sum.Hits = max(sum.Hits, r.Hits)
			sum.Truncated = sum.Truncated || r.Truncated
			sum.FirstSeen = minTime(sum.FirstSeen, r.FirstSeen)
			sum.LastSeen = maxTime(sum.LastSeen, r.LastSeen)
		}
		if i, found := slices.BinarySearchFunc(sum.IPs, ip, addrLess); !found && i < capURLIPs {
			sum.IPs = slices.Insert(sum.IPs, i, ip)
			if len(sum.IPs) > capURLIPs {
				sum.IPs = sum.IPs[:capURLIPs]
			}
		}
	}
	return nil
}

func (a *applier) files(b *intel.Batch) error {
	var owner, item []byte
	for _, r := range b.Files {
		if err := a.tick(); err != nil {
			return err
		}
		ip := normIP(r.IP)
		r.IP = ip
		r.FirstSeen, r.LastSeen, r.Source = utc(r.FirstSeen), utc(r.LastSeen), normSource(r.Source)
		owner = addrOwner(owner[:0], ip)
		item = append(append(append(item[:0], r.MD5...), 0), r.URL...)
		var m intel.FileDownload
		wasRed := false
		_, _, err := a.upsert(lFiles, owner, item, func(old []byte) ([]byte, []byte, error) {
			if old == nil {
				m = r
			} else {
				if err := decFile(&dec{s: string(old)}, &m, false); err != nil {
					return nil, nil, err
				}
				wasRed = m.Zone == intel.ZoneRed
				mergeFile(&m, r)
			}
			return recencyKey(nil, m.LastSeen, m.Hits), encFile(nil, &m, false), nil
		})
		if err != nil {
			return err
		}
		s, err := a.sum(ip)
		if err != nil {
			return err
		}
		if !wasRed && m.Zone == intel.ZoneRed {
			s.redFiles++
		}
		s.seen(r.FirstSeen)
		s.seen(r.LastSeen)

		key := intel.URLKey(r.URL)
		var f intel.FileDownload
		oldSort, _, err := a.upsert(lURLFiles, strOwner(nil, key), []byte(r.MD5), func(old []byte) ([]byte, []byte, error) {
			if old == nil {
				f = r
			} else {
				if err := decFile(&dec{s: string(old)}, &f, true); err != nil {
					return nil, nil, err
				}
				mergeFile(&f, r)
				if addrLess(r.IP, f.IP) < 0 {
					f.IP = r.IP
				}
				if r.URL < f.URL {
					f.URL = r.URL
				}
			}
			return recencyKey(nil, f.LastSeen, f.Hits), encFile(nil, &f, true), nil
		})
		if err != nil {
			return err
		}
		if oldSort == nil {
			u, err := a.url(key)
			if err != nil {
				return err
			}
			u.sum.Files++
		}
	}
	return nil
}

func (a *applier) resolutions(b *intel.Batch) error {
	var owner []byte
	for _, r := range b.Resolutions {
		if err := a.tick(); err != nil {
			return err
		}
		ip := normIP(r.IP)
		r.IP = ip
		r.FirstSeen, r.LastSeen, r.Source = utc(r.FirstSeen), utc(r.LastSeen), normSource(r.Source)
		r.PeakDate = utc(r.PeakDate)
		r.Zone, r.Categories = "", nil
		owner = addrOwner(owner[:0], ip)
		var m intel.Resolution
		oldSort, newSort, err := a.upsert(lRes, owner, []byte(r.Domain), func(old []byte) ([]byte, []byte, error) {
			if old == nil {
				m = r
			} else {
				if err := decResolution(&dec{s: string(old)}, &m); err != nil {
					return nil, nil, err
				}
				mergeResolution(&m, r)
			}
			return recencyKey(nil, m.LastSeen, m.Hits), encResolution(nil, &m), nil
		})
		if err != nil {
			return err
		}
		if !bytes.Equal(oldSort, newSort) {
			dOwner := strOwner(nil, r.Domain)
			if oldSort != nil {
				if err := a.b.Delete(indexKey(lDomainIPs, dOwner, oldSort, owner), nil); err != nil {
					return err
				}
			}
			if err := a.b.Set(indexKey(lDomainIPs, dOwner, newSort, owner), nil, nil); err != nil {
				return err
			}
		}
		s, err := a.sum(ip)
		if err != nil {
			return err
		}
		s.seen(r.FirstSeen)
		s.seen(r.LastSeen)
	}
	return nil
}

func (a *applier) domains(b *intel.Batch) error {
	for _, r := range b.Domains {
		if err := a.tick(); err != nil {
			return err
		}
		r.Source = normSource(r.Source)
		k := strKey(tDomain, r.Domain)
		var old intel.DomainInfo
		found, err := getFn(a.b, k, func(v []byte) error { return decDomain(&dec{s: string(v)}, &old) })
		if err != nil {
			return err
		}
		if found {
			r.Categories = unionCats(old.Categories, r.Categories)
		} else {
			r.Categories = unionCats(nil, r.Categories)
		}
		if err := a.b.Set(k, encDomain(nil, &r), nil); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) masks(b *intel.Batch) error {
	var owner, item []byte
	for _, r := range b.Masks {
		if err := a.tick(); err != nil {
			return err
		}
		ip := normIP(r.IP)
		r.LastSeen, r.Source = utc(r.LastSeen), normSource(r.Source)
		r.Feeds = unionStrings(nil, r.Feeds)
		owner = addrOwner(owner[:0], ip)
		item = append(append(append(item[:0], r.Mask...), 0), r.MaskType...)
		_, _, err := a.upsert(lMasks, owner, item, func(old []byte) ([]byte, []byte, error) {
			m := r
			if old != nil {
				if err := decMask(&dec{s: string(old)}, &m); err != nil {
					return nil, nil, err
				}
				mergeMask(&m, r)
			}
			return severityKey(nil, m.Zone), encMask(nil, &m), nil
		})
		if err != nil {
			return err
		}
		// Masks do not count towards FirstSeen/LastSeen, but the address
		// has evidence: make sure its summary exists.
		if _, err := a.sum(ip); err != nil {
			return err
		}
	}
	return nil
}

// firstSeenEvent records an event ID and reports whether it was new.
func (a *applier) firstSeenEvent(table byte, ip netip.Addr, id string) (bool, error) {
	k := eventKey(table, ip, id)
	_, found, err := get(a.b, k)
	if err != nil || found {
		return false, err
	}
	return true, a.b.Set(k, nil, nil)
}

func (a *applier) spam(b *intel.Batch) error {
	for _, r := range b.SpamEvents {
		if err := a.tick(); err != nil {
			return err
		}
		ip := normIP(r.IP)
		isNew, err := a.firstSeenEvent(tSpam, ip, r.ID)
		if err != nil || !isNew {
			if err != nil {
				return err
			}
			continue
		}
		s, err := a.sum(ip)
		if err != nil {
			return err
		}
		r.Time = utc(r.Time)
		addSpam(&s.spam, r)
		s.seen(r.Time)
	}
	return nil
}

func (a *applier) phishing(b *intel.Batch) error {
	for _, r := range b.PhishingEvents {
		if err := a.tick(); err != nil {
			return err
		}
		ip := normIP(r.IP)
		isNew, err := a.firstSeenEvent(tPhish, ip, r.ID)
		if err != nil || !isNew {
			if err != nil {
				return err
			}
			continue
		}
		s, err := a.sum(ip)
		if err != nil {
			return err
		}
		r.Time = utc(r.Time)
		addPhishing(&s.phish, r)
		s.seen(r.Time)
	}
	return nil
}

func (a *applier) reports(b *intel.Batch) error {
	for _, r := range b.Reports {
		if err := a.tick(); err != nil {
			return err
		}
		r.Published, r.Updated, r.Source = utc(r.Published), utc(r.Updated), normSource(r.Source)
		if err := a.setJSON(strKey(tReport, r.ID), r); err != nil {
			return err
		}
	}
	for _, r := range b.ReportLinks {
		if err := a.tick(); err != nil {
			return err
		}
		s, err := a.sum(normIP(r.IP))
		if err != nil {
			return err
		}
		if i, found := slices.BinarySearch(s.reportIDs, r.ReportID); !found {
			s.reportIDs = slices.Insert(s.reportIDs, i, r.ReportID)
		}
	}
	return nil
}

func (a *applier) setJSON(k []byte, v any) error {
	j, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return a.b.Set(k, j, nil)
}

func (a *applier) network(b *intel.Batch) error {
	for _, r := range b.Countries {
		if err := a.tick(); err != nil {
			return err
		}
		r.Prefix = r.Prefix.Masked()
		r.Source = normSource(r.Source)
		if err := a.setJSON(netKey(nCountry, r.Prefix), r); err != nil {
			return err
		}
	}
	for _, r := range b.ASRanges {
		if err := a.tick(); err != nil {
			return err
		}
		r.Prefix = r.Prefix.Masked()
		r.Source = normSource(r.Source)
		if err := a.setJSON(netKey(nAS, r.Prefix, binary.BigEndian.AppendUint32(nil, r.ASN)...), r); err != nil {
			return err
		}
	}
	for _, r := range b.WhoisNets {
		if err := a.tick(); err != nil {
			return err
		}
		r.Prefix = r.Prefix.Masked()
		r.Source = normSource(r.Source)
		r.Created, r.Changed = utc(r.Created), utc(r.Changed)
		if err := a.setJSON(netKey(nWhois, r.Prefix), r); err != nil {
			return err
		}
	}
	for _, r := range b.NetListings {
		if err := a.tick(); err != nil {
			return err
		}
		r.Prefix = r.Prefix.Masked()
		r.Source = normSource(r.Source)
		r.FirstSeen, r.LastSeen = utc(r.FirstSeen), utc(r.LastSeen)
		k := netKey(nListing, r.Prefix, append(append([]byte(r.Feed), 0), r.Category...)...)
		var old intel.NetListing
		found, err := getFn(a.b, k, func(v []byte) error { return json.Unmarshal(v, &old) })
		if err != nil {
			return err
		}
		if found {
			mergeNetListing(&old, r)
			r = old
		}
		if err := a.setJSON(k, r); err != nil {
			return err
		}
	}
	for _, r := range b.Allows {
		if err := a.tick(); err != nil {
			return err
		}
		r.Prefix = r.Prefix.Masked()
		r.Source = normSource(r.Source)
		if err := a.setJSON(netKey(nAllow, r.Prefix, []byte(r.List)...), r); err != nil {
			return err
		}
	}
	return nil
}

func networkVersion(r reader) (uint64, error) {
	var v uint64
	_, err := getFn(r, keyNetVersion, func(b []byte) error {
		var n int
		v, n = binary.Uvarint(b)
		if n <= 0 {
			return errCorrupt
		}
		return nil
	})
	return v, err
}
