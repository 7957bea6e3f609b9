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

// span locates one list entry in the string a scan returns: the item key
// is s[item:val] and the value s[val:end].
type span struct{ item, val, end int }

// scan reads at most limit entries of one list index in key order (newest
// first) and returns their item keys and values copied into one string, so
// that every string decoded from them shares one allocation. sortLen is the
// length of the sort key between owner and item key.
func (s *Store) scan(ctx context.Context, list byte, owner []byte, sortLen, limit int) (string, []span, error) {
	if err := ctx.Err(); err != nil {
		return "", nil, err
	}
	if limit <= 0 {
		return "", nil, nil
	}
	prefix := indexPrefix(list, owner)
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return "", nil, err
	}
	var buf []byte
	var spans []span
	for ok := it.First(); ok && len(spans) < limit; ok = it.Next() {
		k := it.Key()
		if len(k) < len(prefix)+sortLen {
			_ = it.Close()
			return "", nil, errCorrupt
		}
		v, err := it.ValueAndErr()
		if err != nil {
			_ = it.Close()
			return "", nil, err
		}
		if spans == nil {
			spans = make([]span, 0, min(limit, 256))
			buf = make([]byte, 0, min(limit, 256)*(len(k)+len(v)))
		}
		sp := span{item: len(buf)}
		buf = append(buf, k[len(prefix)+sortLen:]...)
		sp.val = len(buf)
		buf = append(buf, v...)
		sp.end = len(buf)
		spans = append(spans, sp)
	}
	if err := it.Close(); err != nil {
		return "", nil, err
	}
	if len(buf) == 0 {
		return "", spans, nil
	}
	// buf is never written again: share it instead of copying it.
	return unsafe.String(&buf[0], len(buf)), spans, nil
}

// HostedURLs implements store.Intel: a scan of at most limit index entries.
func (s *Store) HostedURLs(ctx context.Context, ip netip.Addr, limit int) ([]intel.HostedURL, error) {
	ip = merge.NormIP(ip)
	str, spans, err := s.scan(ctx, lHosted, addrOwner(nil, ip), recencyKeyLen, limit)
	if err != nil || len(spans) == 0 {
		return nil, wrapErr(err, "hosted URLs of %s", ip)
	}
	out := make([]intel.HostedURL, len(spans))
	cats := make([]intel.Category, 0, len(spans))
	for i, sp := range spans {
		out[i] = intel.HostedURL{IP: ip, URL: str[sp.item:sp.val]}
		if err := decHosted(&dec{s: str[sp.val:sp.end], cats: &cats}, &out[i]); err != nil {
			return nil, wrapErr(err, "hosted URLs of %s", ip)
		}
	}
	return out, nil
}

func wrapErr(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// Files implements store.Intel.
func (s *Store) Files(ctx context.Context, ip netip.Addr, limit int) ([]intel.FileDownload, error) {
	ip = merge.NormIP(ip)
	str, spans, err := s.scan(ctx, lFiles, addrOwner(nil, ip), recencyKeyLen, limit)
	if err != nil || len(spans) == 0 {
		return nil, wrapErr(err, "files of %s", ip)
	}
	out := make([]intel.FileDownload, len(spans))
	for i, sp := range spans {
		item := str[sp.item:sp.val]
		j := strings.IndexByte(item, 0)
		if j < 0 {
			return nil, wrapErr(errCorrupt, "files of %s", ip)
		}
		out[i] = intel.FileDownload{IP: ip, MD5: item[:j], URL: item[j+1:]}
		if err := decFile(&dec{s: str[sp.val:sp.end]}, &out[i], false); err != nil {
			return nil, wrapErr(err, "files of %s", ip)
		}
	}
	return out, nil
}

// Resolutions implements store.Intel: a scan of at most limit index
// entries. Items carry their domain's zone and categories (written by Apply
// whenever either the resolution or the DomainInfo changes), so no join is
// needed.
func (s *Store) Resolutions(ctx context.Context, ip netip.Addr, limit int) ([]intel.Resolution, error) {
	ip = merge.NormIP(ip)
	str, spans, err := s.scan(ctx, lRes, addrOwner(nil, ip), recencyKeyLen, limit)
	if err != nil || len(spans) == 0 {
		return nil, wrapErr(err, "resolutions of %s", ip)
	}
	out := make([]intel.Resolution, len(spans))
	cats := make([]intel.Category, 0, len(spans))
	for i, sp := range spans {
		out[i] = intel.Resolution{IP: ip, Domain: str[sp.item:sp.val]}
		if err := decResolution(&dec{s: str[sp.val:sp.end], cats: &cats}, &out[i]); err != nil {
			return nil, wrapErr(err, "resolutions of %s", ip)
		}
		if out[i].Zone == "" {
			out[i].Zone = intel.ZoneGrey
		}
	}
	return out, nil
}

// Masks implements store.Intel.
func (s *Store) Masks(ctx context.Context, ip netip.Addr, limit int) ([]intel.FeedMask, error) {
	ip = merge.NormIP(ip)
	str, spans, err := s.scan(ctx, lMasks, addrOwner(nil, ip), 1, limit)
	if err != nil || len(spans) == 0 {
		return nil, wrapErr(err, "masks of %s", ip)
	}
	out := make([]intel.FeedMask, len(spans))
	for i, sp := range spans {
		item := str[sp.item:sp.val]
		j := strings.IndexByte(item, 0)
		if j < 0 {
			return nil, wrapErr(errCorrupt, "masks of %s", ip)
		}
		out[i] = intel.FeedMask{IP: ip, Mask: item[:j], MaskType: item[j+1:]}
		if err := decMask(&dec{s: str[sp.val:sp.end]}, &out[i]); err != nil {
			return nil, wrapErr(err, "masks of %s", ip)
		}
	}
	return out, nil
}

// DomainIPs implements store.Intel.
func (s *Store) DomainIPs(ctx context.Context, domain string, limit int) ([]netip.Addr, error) {
	str, spans, err := s.scan(ctx, lDomainIPs, strOwner(nil, domain), recencyKeyLen, limit)
	if err != nil || len(spans) == 0 {
		return nil, wrapErr(err, "addresses of %s", domain)
	}
	out := make([]netip.Addr, len(spans))
	for i, sp := range spans {
		d := dec{s: str[sp.item:sp.val]}
		out[i] = d.addr()
		if d.err != nil || d.s != "" {
			return nil, wrapErr(errCorrupt, "addresses of %s", domain)
		}
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
	str, spans, err := s.scan(ctx, lURLFiles, strOwner(nil, url), recencyKeyLen, limit)
	if err != nil || len(spans) == 0 {
		return nil, wrapErr(err, "files of url %q", url)
	}
	out := make([]intel.FileDownload, len(spans))
	for i, sp := range spans {
		out[i] = intel.FileDownload{MD5: str[sp.item:sp.val]}
		if err := decFile(&dec{s: str[sp.val:sp.end]}, &out[i], true); err != nil {
			return nil, wrapErr(err, "files of url %q", url)
		}
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
