package pebble

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/tipd/tipd/internal/store/merge"
	"net/netip"
	"strings"
	"unsafe"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// Address implements store.Intel: one point read.
func (s *Store) Address(ctx context.Context, ip netip.Addr) (intel.AddressSummary, error) {
	if err := ctx.Err(); err != nil {
		return intel.AddressSummary{}, err
	}
	ip = merge.NormIP(ip)
	out := intel.AddressSummary{IP: ip}
	var sum addrSum
	found, err := getFn(s.db, addrKey(tAddr, ip), func(v []byte) error { return decAddrSum(&dec{s: string(v)}, &sum) })
	if err != nil {
		return intel.AddressSummary{}, fmt.Errorf("address %s: %w", ip, err)
	}
	if !found {
		return out, nil
	}
	out.Hits, out.FirstSeen, out.LastSeen = sum.hits, sum.first, sum.last
	out.Listings = sum.listings
	for i := range out.Listings {
		out.Listings[i].IP = ip
	}
	out.ReportIDs = sum.reportIDs
	out.Spam = sum.spam
	out.Phishing = sum.phish.PhishingSummary
	out.RedURLs, out.RedFiles = sum.redURLs, sum.redFiles
	return out, nil
}

// listScan reads at most limit entries of one list index in key order
// (newest first). fn receives each entry's item key (after owner and sort
// key) and value as views of the iterator's memory, valid during the call
// only: decoders copy what they keep into an arena. sortLen is the length
// of the sort key between owner and item key.
func (s *Store) listScan(ctx context.Context, list byte, owner []byte, sortLen, limit int, fn func(item, val string) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if limit <= 0 {
		return nil
	}
	// Both bounds in one allocation.
	n := 2 + len(owner)
	bounds := make([]byte, 0, 2*n)
	bounds = append(append(bounds, tIndex, list), owner...)
	bounds = append(append(bounds, tIndex, list), owner...)
	lower, upper := bounds[:n:n], prefixEndInPlace(bounds[n:])
	if upper == nil {
		return errCorrupt
	}
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return err
	}
	count := 0
	for ok := it.First(); ok && count < limit; ok = it.Next() {
		k := it.Key()
		if len(k) < n+sortLen {
			_ = it.Close()
			return errCorrupt
		}
		v, err := it.ValueAndErr()
		if err != nil {
			_ = it.Close()
			return err
		}
		if err := fn(bytesView(k[n+sortLen:]), bytesView(v)); err != nil {
			_ = it.Close()
			return err
		}
		count++
	}
	return it.Close()
}

// bytesView views b as a string without copying; the string must not be
// kept beyond the life of b's memory (decoders copy into an arena).
func bytesView(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// prefixEndInPlace turns p into the smallest key after every key starting
// with p (nil if there is none).
func prefixEndInPlace(p []byte) []byte {
	for i := len(p) - 1; i >= 0; i-- {
		p[i]++
		if p[i] != 0 {
			return p[:i+1]
		}
	}
	return nil
}

// listArena prepares the arena of a list read: after the first item it
// sizes chunks for the rest of the list from what that item used.
type listArena struct {
	arena
	limit, items int
}

func (l *listArena) start() {
	if l.items == 0 {
		l.chunk = 512
	}
}

func (l *listArena) done(itemLen int) {
	l.items++
	if l.items == 1 {
		l.chunk = max(256, (itemLen+8)*min(l.limit-1, 255))
	}
}

// HostedURLs implements store.Intel: a scan of at most limit index entries.
func (s *Store) HostedURLs(ctx context.Context, ip netip.Addr, limit int) ([]intel.HostedURL, error) {
	ip = merge.NormIP(ip)
	var out []intel.HostedURL
	var cats []intel.Category
	ar := listArena{limit: limit}
	var owner [16]byte
	err := s.listScan(ctx, lHosted, addrOwner(owner[:0], ip), recencyKeyLen, limit, func(item, val string) error {
		if out == nil {
			out = make([]intel.HostedURL, 0, min(limit, 256))
			cats = make([]intel.Category, 0, min(limit, 256))
		}
		ar.start()
		out = append(out, intel.HostedURL{IP: ip, URL: ar.copy(item)})
		err := decHosted(&dec{s: val, cats: &cats, ar: &ar.arena}, &out[len(out)-1])
		ar.done(len(item))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("hosted URLs of %s: %w", ip, err)
	}
	return out, nil
}

// Files implements store.Intel.
func (s *Store) Files(ctx context.Context, ip netip.Addr, limit int) ([]intel.FileDownload, error) {
	ip = merge.NormIP(ip)
	var out []intel.FileDownload
	ar := listArena{limit: limit}
	var owner [16]byte
	err := s.listScan(ctx, lFiles, addrOwner(owner[:0], ip), recencyKeyLen, limit, func(item, val string) error {
		if out == nil {
			out = make([]intel.FileDownload, 0, min(limit, 256))
		}
		j := strings.IndexByte(item, 0)
		if j < 0 {
			return errCorrupt
		}
		ar.start()
		item = ar.copy(item)
		out = append(out, intel.FileDownload{IP: ip, MD5: item[:j], URL: item[j+1:]})
		err := decFile(&dec{s: val, ar: &ar.arena}, &out[len(out)-1], false)
		ar.done(len(item))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("files of %s: %w", ip, err)
	}
	return out, nil
}

// Resolutions implements store.Intel: a scan of at most limit index
// entries. Items carry their domain's zone and categories (written by Apply
// whenever either the resolution or the DomainInfo changes), so no join is
// needed.
func (s *Store) Resolutions(ctx context.Context, ip netip.Addr, limit int) ([]intel.Resolution, error) {
	ip = merge.NormIP(ip)
	var out []intel.Resolution
	var cats []intel.Category
	ar := listArena{limit: limit}
	var owner [16]byte
	err := s.listScan(ctx, lRes, addrOwner(owner[:0], ip), recencyKeyLen, limit, func(item, val string) error {
		if out == nil {
			out = make([]intel.Resolution, 0, min(limit, 256))
			cats = make([]intel.Category, 0, min(limit, 256))
		}
		ar.start()
		out = append(out, intel.Resolution{IP: ip, Domain: ar.copy(item)})
		r := &out[len(out)-1]
		err := decResolution(&dec{s: val, cats: &cats, ar: &ar.arena}, r)
		if r.Zone == "" {
			r.Zone = intel.ZoneGrey
		}
		ar.done(len(item))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("resolutions of %s: %w", ip, err)
	}
	return out, nil
}

// Masks implements store.Intel.
func (s *Store) Masks(ctx context.Context, ip netip.Addr, limit int) ([]intel.FeedMask, error) {
	ip = merge.NormIP(ip)
	var out []intel.FeedMask
	ar := listArena{limit: limit}
	var owner [16]byte
	err := s.listScan(ctx, lMasks, addrOwner(owner[:0], ip), 1, limit, func(item, val string) error {
		if out == nil {
			out = make([]intel.FeedMask, 0, min(limit, 256))
		}
		j := strings.IndexByte(item, 0)
		if j < 0 {
			return errCorrupt
		}
		ar.start()
		item = ar.copy(item)
		out = append(out, intel.FeedMask{IP: ip, Mask: item[:j], MaskType: item[j+1:]})
		err := decMask(&dec{s: val, ar: &ar.arena}, &out[len(out)-1])
		ar.done(len(item))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("masks of %s: %w", ip, err)
	}
	return out, nil
}

// DomainIPs implements store.Intel.
func (s *Store) DomainIPs(ctx context.Context, domain string, limit int) ([]netip.Addr, error) {
	var out []netip.Addr
	err := s.listScan(ctx, lDomainIPs, strOwner(nil, domain), recencyKeyLen, limit, func(item, _ string) error {
		if out == nil {
			out = make([]netip.Addr, 0, min(limit, 256))
		}
		d := dec{s: item}
		out = append(out, d.addr())
		if d.err != nil || d.s != "" {
			return errCorrupt
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("addresses of %s: %w", domain, err)
	}
	return out, nil
}

// URL implements store.Intel: one point read.
func (s *Store) URL(ctx context.Context, url string) (intel.URLSummary, error) {
	if err := ctx.Err(); err != nil {
		return intel.URLSummary{}, err
	}
	u := urlSum{sum: intel.URLSummary{URL: url}}
	found, err := getFn(s.db, strKey(tURL, url), func(v []byte) error { return decURLSum(&dec{s: string(v)}, &u) })
	if err != nil {
		return intel.URLSummary{}, fmt.Errorf("url %q: %w", url, err)
	}
	if !found {
		return intel.URLSummary{}, fmt.Errorf("url %q: %w", url, intel.ErrNotFound)
	}
	return u.sum, nil
}

// URLFiles implements store.Intel. Records of one file (MD5) downloaded
// from the web address on several addresses, or over http and https, are
// one item merged by the FileDownload rules, with the smallest IP and URL.
func (s *Store) URLFiles(ctx context.Context, url string, limit int) ([]intel.FileDownload, error) {
	var out []intel.FileDownload
	ar := listArena{limit: limit}
	err := s.listScan(ctx, lURLFiles, strOwner(nil, url), recencyKeyLen, limit, func(item, val string) error {
		if out == nil {
			out = make([]intel.FileDownload, 0, min(limit, 256))
		}
		ar.start()
		out = append(out, intel.FileDownload{MD5: ar.copy(item)})
		err := decFile(&dec{s: val, ar: &ar.arena}, &out[len(out)-1], true)
		ar.done(len(item))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("files of url %q: %w", url, err)
	}
	return out, nil
}

func (s *Store) getJSON(ctx context.Context, key []byte, v any) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return getFn(s.db, key, func(b []byte) error { return json.Unmarshal(b, v) })
}

// Report implements store.Intel.
func (s *Store) Report(ctx context.Context, id string) (intel.Report, error) {
	var r intel.Report
	found, err := s.getJSON(ctx, strKey(tReport, id), &r)
	if err == nil && !found {
		err = intel.ErrNotFound
	}
	if err != nil {
		return intel.Report{}, fmt.Errorf("report %q: %w", id, err)
	}
	return r, nil
}

// ScanNetworks implements store.Intel: one pass over the network table.
func (s *Store) ScanNetworks(ctx context.Context, fn func(store.NetRecord) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte{tNet}, UpperBound: []byte{tNet + 1}})
	if err != nil {
		return fmt.Errorf("scan networks: %w", err)
	}
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		if n++; n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		k := it.Key()
		v, err := it.ValueAndErr()
		if err != nil {
			return fmt.Errorf("scan networks: %w", err)
		}
		var rec store.NetRecord
		var dst any
		switch k[1] {
		case nCountry:
			rec.Country = new(intel.CountryRange)
			dst = rec.Country
		case nAS:
			rec.AS = new(intel.ASRange)
			dst = rec.AS
		case nWhois:
			rec.Whois = new(intel.WhoisNet)
			dst = rec.Whois
		case nListing:
			rec.NetListing = new(intel.NetListing)
			dst = rec.NetListing
		case nAllow:
			rec.Allow = new(intel.Allow)
			dst = rec.Allow
		default:
			return fmt.Errorf("scan networks: unknown record kind %q", k[1])
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return fmt.Errorf("scan networks: %w", err)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("scan networks: %w", err)
	}
	return nil
}

// NetworkVersion implements store.Intel. The version is a counter stored
// with the data and bumped by every Apply that carries network records.
func (s *Store) NetworkVersion(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	v, err := networkVersion(s.db)
	if err != nil {
		return 0, fmt.Errorf("network version: %w", err)
	}
	return v, nil
}
