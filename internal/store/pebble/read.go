package pebble

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/tipd/tipd/internal/store/merge"
	"net/netip"
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

// HostedURLs implements store.Intel: a scan of at most limit index entries.
func (s *Store) HostedURLs(ctx context.Context, ip netip.Addr, limit int) ([]intel.HostedURL, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ip = merge.NormIP(ip)
	var owner [16]byte
	o := addrOwner(owner[:0], ip)
	l, c, ok, err := openHeadList(s.db, lHosted, o, limit)
	if err != nil {
		return nil, fmt.Errorf("hosted URLs of %s: %w", ip, err)
	}
	if ok {
		if c != nil {
			defer c.Close()
		}
		return readHosted(&l, ip, limit, nil, nil)
	}
	l, err = s.openList(ctx, lHosted, o, recencyKeyLen, limit)
	if err != nil {
		return nil, fmt.Errorf("hosted URLs of %s: %w", ip, err)
	}
	return readHosted(&l, ip, limit, nil, nil)
}

// readHosted decodes the scan l of hosted URLs into out (truncated first)
// and closes it.
func readHosted(l *listIter, ip netip.Addr, limit int, out []intel.HostedURL, sc *listScratch) ([]intel.HostedURL, error) {
	out = out[:0]
	d := itemDec{limit: limit}
	sc.lend(&d)
	defer sc.keep(&d)
	for {
		item, val, ok := l.next()
		if !ok {
			break
		}
		out = grow(out, limit)
		h := &out[len(out)-1]
		h.IP = ip
		h.URL = d.item(item, val)
		if d.hosted(h); d.bad {
			l.fail(errCorrupt)
		}
	}
	if err := l.close(); err != nil {
		return nil, fmt.Errorf("hosted URLs of %s: %w", ip, err)
	}
	return out, nil
}

// Files implements store.Intel.
func (s *Store) Files(ctx context.Context, ip netip.Addr, limit int) ([]intel.FileDownload, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ip = merge.NormIP(ip)
	var owner [16]byte
	o := addrOwner(owner[:0], ip)
	l, c, ok, err := openHeadList(s.db, lFiles, o, limit)
	if err != nil {
		return nil, fmt.Errorf("files of %s: %w", ip, err)
	}
	if ok {
		if c != nil {
			defer c.Close()
		}
		return readFiles(&l, ip, limit, nil, nil)
	}
	l, err = s.openList(ctx, lFiles, o, recencyKeyLen, limit)
	if err != nil {
		return nil, fmt.Errorf("files of %s: %w", ip, err)
	}
	return readFiles(&l, ip, limit, nil, nil)
}

// readFiles decodes the scan l of files into out (truncated first) and
// closes it.
func readFiles(l *listIter, ip netip.Addr, limit int, out []intel.FileDownload, sc *listScratch) ([]intel.FileDownload, error) {
	out = out[:0]
	d := itemDec{limit: limit}
	sc.lend(&d)
	defer sc.keep(&d)
	for {
		item, val, ok := l.next()
		if !ok {
			break
		}
		j := bytes.IndexByte(item, 0)
		if j < 0 {
			l.fail(errCorrupt)
			break
		}
		out = grow(out, limit)
		f := &out[len(out)-1]
		key := d.item(item, val)
		f.IP, f.MD5, f.URL = ip, key[:j], key[j+1:]
		if d.file(f, false); d.bad {
			l.fail(errCorrupt)
		}
	}
	if err := l.close(); err != nil {
		return nil, fmt.Errorf("files of %s: %w", ip, err)
	}
	return out, nil
}

// Resolutions implements store.Intel: a scan of at most limit index
// entries. Items carry their domain's zone and categories (written by Apply
// whenever either the resolution or the DomainInfo changes), so no join is
// needed.
func (s *Store) Resolutions(ctx context.Context, ip netip.Addr, limit int) ([]intel.Resolution, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ip = merge.NormIP(ip)
	var owner [16]byte
	o := addrOwner(owner[:0], ip)
	l, c, ok, err := openHeadList(s.db, lRes, o, limit)
	if err != nil {
		return nil, fmt.Errorf("resolutions of %s: %w", ip, err)
	}
	if ok {
		if c != nil {
			defer c.Close()
		}
		return readResolutions(&l, ip, limit, nil, nil)
	}
	l, err = s.openList(ctx, lRes, o, recencyKeyLen, limit)
	if err != nil {
		return nil, fmt.Errorf("resolutions of %s: %w", ip, err)
	}
	return readResolutions(&l, ip, limit, nil, nil)
}

// readResolutions decodes the scan l of resolutions into out (truncated
// first) and closes it.
func readResolutions(l *listIter, ip netip.Addr, limit int, out []intel.Resolution, sc *listScratch) ([]intel.Resolution, error) {
	out = out[:0]
	d := itemDec{limit: limit}
	sc.lend(&d)
	defer sc.keep(&d)
	for {
		item, val, ok := l.next()
		if !ok {
			break
		}
		out = grow(out, limit)
		r := &out[len(out)-1]
		r.IP = ip
		r.Domain = d.item(item, val)
		if d.resolution(r); d.bad {
			l.fail(errCorrupt)
		}
		if r.Zone == "" {
			r.Zone = intel.ZoneGrey
		}
	}
	if err := l.close(); err != nil {
		return nil, fmt.Errorf("resolutions of %s: %w", ip, err)
	}
	return out, nil
}

// Masks implements store.Intel.
func (s *Store) Masks(ctx context.Context, ip netip.Addr, limit int) ([]intel.FeedMask, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ip = merge.NormIP(ip)
	var owner [16]byte
	o := addrOwner(owner[:0], ip)
	l, c, ok, err := openHeadList(s.db, lMasks, o, limit)
	if err != nil {
		return nil, fmt.Errorf("masks of %s: %w", ip, err)
	}
	if ok {
		if c != nil {
			defer c.Close()
		}
		return readMasks(&l, ip, limit, nil, nil)
	}
	l, err = s.openList(ctx, lMasks, o, 1, limit)
	if err != nil {
		return nil, fmt.Errorf("masks of %s: %w", ip, err)
	}
	return readMasks(&l, ip, limit, nil, nil)
}

// readMasks decodes the scan l of masks into out (truncated first) and
// closes it.
func readMasks(l *listIter, ip netip.Addr, limit int, out []intel.FeedMask, sc *listScratch) ([]intel.FeedMask, error) {
	out = out[:0]
	d := itemDec{limit: limit}
	sc.lend(&d)
	defer sc.keep(&d)
	for {
		item, val, ok := l.next()
		if !ok {
			break
		}
		j := bytes.IndexByte(item, 0)
		if j < 0 {
			l.fail(errCorrupt)
			break
		}
		out = grow(out, limit)
		m := &out[len(out)-1]
		key := d.item(item, val)
		m.IP, m.Mask, m.MaskType = ip, key[:j], key[j+1:]
		if d.mask(m); d.bad {
			l.fail(errCorrupt)
		}
	}
	if err := l.close(); err != nil {
		return nil, fmt.Errorf("masks of %s: %w", ip, err)
	}
	return out, nil
}

// DomainIPs implements store.Intel.
func (s *Store) DomainIPs(ctx context.Context, domain string, limit int) ([]netip.Addr, error) {
	l, err := s.openList(ctx, lDomainIPs, strOwner(nil, domain), recencyKeyLen, limit)
	if err != nil {
		return nil, fmt.Errorf("addresses of %s: %w", domain, err)
	}
	var out []netip.Addr
	for {
		item, _, ok := l.next()
		if !ok {
			break
		}
		if out == nil {
			out = make([]netip.Addr, 0, min(limit, 256))
		}
		d := dec{s: bytesView(item)}
		out = append(out, d.addr())
		if d.err != nil || d.s != "" {
			l.fail(errCorrupt)
		}
	}
	if err := l.close(); err != nil {
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
	l, err := s.openList(ctx, lURLFiles, strOwner(nil, url), recencyKeyLen, limit)
	if err != nil {
		return nil, fmt.Errorf("files of url %q: %w", url, err)
	}
	var out []intel.FileDownload
	d := itemDec{limit: limit}
	for {
		item, val, ok := l.next()
		if !ok {
			break
		}
		out = grow(out, limit)
		f := &out[len(out)-1]
		f.MD5 = d.item(item, val)
		if d.file(f, true); d.bad {
			l.fail(errCorrupt)
		}
	}
	if err := l.close(); err != nil {
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

// Report implements store.Intel. Reports are stored as JSON; the plain
// JSON that Apply writes is decoded by decReportJSON, anything else by
// encoding/json.
func (s *Store) Report(ctx context.Context, id string) (intel.Report, error) {
	var r intel.Report
	err := ctx.Err()
	if err == nil {
		var found bool
		found, err = getFn(s.db, strKey(tReport, id), func(b []byte) error {
			if decReportJSON(string(b), &r) {
				return nil
			}
			r = intel.Report{}
			return json.Unmarshal(b, &r)
		})
		if err == nil && !found {
			err = intel.ErrNotFound
		}
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
