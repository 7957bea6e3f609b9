package pebble

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// Address implements store.Intel: one point read.
func (s *Store) Address(ctx context.Context, ip netip.Addr) (intel.AddressSummary, error) {
	if err := ctx.Err(); err != nil {
		return intel.AddressSummary{}, err
	}
	ip = normIP(ip)
	out := intel.AddressSummary{IP: ip}
	var sum addrSum
	found, err := getFn(s.db, addrKey(tAddr, ip), func(v []byte) error { return decAddrSum(v, &sum) })
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

// scan calls fn with the item key and value of at most limit entries of one
// list index, in key order (newest first). sortLen is the length of the
// sort key between owner and item key.
func (s *Store) scan(ctx context.Context, list byte, owner []byte, sortLen, limit int, fn func(item, val []byte) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if limit <= 0 {
		return nil
	}
	prefix := indexPrefix(list, owner)
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return err
	}
	n := 0
	for ok := it.First(); ok && n < limit; ok = it.Next() {
		k := it.Key()
		if len(k) < len(prefix)+sortLen {
			_ = it.Close()
			return errCorrupt
		}
		v, err := it.ValueAndErr()
		if err != nil {
			_ = it.Close()
			return err
		}
		if err := fn(k[len(prefix)+sortLen:], v); err != nil {
			_ = it.Close()
			return err
		}
		n++
	}
	return it.Close()
}

// HostedURLs implements store.Intel: a scan of at most limit index entries.
func (s *Store) HostedURLs(ctx context.Context, ip netip.Addr, limit int) ([]intel.HostedURL, error) {
	ip = normIP(ip)
	var out []intel.HostedURL
	err := s.scan(ctx, lHosted, addrOwner(nil, ip), recencyKeyLen, limit, func(item, val []byte) error {
		if out == nil {
			out = make([]intel.HostedURL, 0, min(limit, 64))
		}
		out = append(out, intel.HostedURL{IP: ip, URL: string(item)})
		return decHosted(val, &out[len(out)-1])
	})
	if err != nil {
		return nil, fmt.Errorf("hosted URLs of %s: %w", ip, err)
	}
	return out, nil
}

// Files implements store.Intel.
func (s *Store) Files(ctx context.Context, ip netip.Addr, limit int) ([]intel.FileDownload, error) {
	ip = normIP(ip)
	var out []intel.FileDownload
	err := s.scan(ctx, lFiles, addrOwner(nil, ip), recencyKeyLen, limit, func(item, val []byte) error {
		i := bytes.IndexByte(item, 0)
		if i < 0 {
			return errCorrupt
		}
		if out == nil {
			out = make([]intel.FileDownload, 0, min(limit, 64))
		}
		out = append(out, intel.FileDownload{IP: ip, MD5: string(item[:i]), URL: string(item[i+1:])})
		return decFile(val, &out[len(out)-1], false)
	})
	if err != nil {
		return nil, fmt.Errorf("files of %s: %w", ip, err)
	}
	return out, nil
}

// Resolutions implements store.Intel: a scan of at most limit index
// entries, then one forward pass of a single iterator over the domain table
// with the distinct domains in sorted order (each seek lands near the
// previous one).
func (s *Store) Resolutions(ctx context.Context, ip netip.Addr, limit int) ([]intel.Resolution, error) {
	ip = normIP(ip)
	var out []intel.Resolution
	err := s.scan(ctx, lRes, addrOwner(nil, ip), recencyKeyLen, limit, func(item, val []byte) error {
		if out == nil {
			out = make([]intel.Resolution, 0, min(limit, 64))
		}
		out = append(out, intel.Resolution{IP: ip, Domain: string(item), Zone: intel.ZoneGrey})
		return decResolution(val, &out[len(out)-1])
	})
	if err != nil {
		return nil, fmt.Errorf("resolutions of %s: %w", ip, err)
	}
	if len(out) == 0 {
		return out, nil
	}
	if err := s.fillDomains(ctx, out); err != nil {
		return nil, fmt.Errorf("resolutions of %s: %w", ip, err)
	}
	return out, nil
}

func (s *Store) fillDomains(ctx context.Context, rs []intel.Resolution) error {
	order := make([]int, len(rs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if rs[a].Domain < rs[b].Domain {
			return -1
		}
		if rs[a].Domain > rs[b].Domain {
			return 1
		}
		return 0
	})
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte{tDomain}, UpperBound: []byte{tDomain + 1}})
	if err != nil {
		return err
	}
	key := make([]byte, 0, 64)
	var di intel.DomainInfo
	for _, i := range order {
		key = append(append(key[:0], tDomain), rs[i].Domain...)
		if !it.SeekGE(key) || !bytes.Equal(it.Key(), key) {
			continue
		}
		v, err := it.ValueAndErr()
		if err == nil {
			di = intel.DomainInfo{}
			err = decDomain(v, &di)
		}
		if err != nil {
			_ = it.Close()
			return err
		}
		if di.Zone != "" {
			rs[i].Zone = di.Zone
		}
		rs[i].Categories = di.Categories
	}
	return it.Close()
}

// Masks implements store.Intel.
func (s *Store) Masks(ctx context.Context, ip netip.Addr, limit int) ([]intel.FeedMask, error) {
	ip = normIP(ip)
	var out []intel.FeedMask
	err := s.scan(ctx, lMasks, addrOwner(nil, ip), 1, limit, func(item, val []byte) error {
		i := bytes.IndexByte(item, 0)
		if i < 0 {
			return errCorrupt
		}
		out = append(out, intel.FeedMask{IP: ip, Mask: string(item[:i]), MaskType: string(item[i+1:])})
		return decMask(val, &out[len(out)-1])
	})
	if err != nil {
		return nil, fmt.Errorf("masks of %s: %w", ip, err)
	}
	return out, nil
}

// DomainIPs implements store.Intel.
func (s *Store) DomainIPs(ctx context.Context, domain string, limit int) ([]netip.Addr, error) {
	var out []netip.Addr
	err := s.scan(ctx, lDomainIPs, strOwner(nil, domain), recencyKeyLen, limit, func(item, _ []byte) error {
		if len(item) != 16 {
			return errCorrupt
		}
		out = append(out, netip.AddrFrom16([16]byte(item)).Unmap())
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
	found, err := getFn(s.db, strKey(tURL, url), func(v []byte) error { return decURLSum(v, &u) })
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
	err := s.scan(ctx, lURLFiles, strOwner(nil, url), recencyKeyLen, limit, func(item, val []byte) error {
		out = append(out, intel.FileDownload{MD5: string(item)})
		return decFile(val, &out[len(out)-1], true)
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
