package pebble

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"unsafe"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// Address implements store.Intel: one point read.
func (s *Store) Address(ctx context.Context, ip netip.Addr) (intel.AddressSummary, error) {
	out, _, err := s.address(ctx, ip)
	return out, err
}

// address reads the summary of ip and the item counts of its four lists
// (addrSum.lens: all zero for an address the store does not hold).
func (s *Store) address(ctx context.Context, ip netip.Addr) (intel.AddressSummary, [4]int64, error) {
	if err := ctx.Err(); err != nil {
		return intel.AddressSummary{}, [4]int64{}, err
	}
	ip = intel.NormIP(ip)
	out := intel.AddressSummary{IP: ip}
	var sum addrSum
	found, err := getFn(s.db, addrKey(tAddr, ip), func(v []byte) error { return decAddrSum(&dec{s: string(v)}, &sum) })
	if err != nil {
		return intel.AddressSummary{}, [4]int64{}, fmt.Errorf("address %s: %w", ip, err)
	}
	if !found {
		return out, [4]int64{}, nil
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
	return out, sum.lens, nil
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

// HostedURLs implements store.Intel: the list's head when it can serve
// limit, else a scan of at most limit index entries.
func (s *Store) HostedURLs(ctx context.Context, ip netip.Addr, limit int) ([]intel.HostedURL, error) {
	return readOne(ctx, s, lHosted, recencyKeyLen, ip, limit, readHosted)
}

// Files implements store.Intel (as HostedURLs).
func (s *Store) Files(ctx context.Context, ip netip.Addr, limit int) ([]intel.FileDownload, error) {
	return readOne(ctx, s, lFiles, recencyKeyLen, ip, limit, readFiles)
}

// Resolutions implements store.Intel (as HostedURLs). Items carry their
// domain's zone and categories (written by Apply whenever either the
// resolution or the DomainInfo changes), so no join is needed.
func (s *Store) Resolutions(ctx context.Context, ip netip.Addr, limit int) ([]intel.Resolution, error) {
	return readOne(ctx, s, lRes, recencyKeyLen, ip, limit, readResolutions)
}

// Masks implements store.Intel (as HostedURLs).
func (s *Store) Masks(ctx context.Context, ip netip.Addr, limit int) ([]intel.FeedMask, error) {
	return readOne(ctx, s, lMasks, 1, ip, limit, readMasks)
}

// listNames name the address lists in errors.
var listNames = map[byte]string{lHosted: "hosted URLs", lFiles: "files", lRes: "resolutions", lMasks: "masks"}

// readOne reads one list of an address: from its head with a point read
// when the head can serve limit, else by walking the index (sortLen is the
// length of the list's sort key).
func readOne[T any](ctx context.Context, s *Store, list byte, sortLen int, ip netip.Addr, limit int,
	read func(*listIter, netip.Addr, int, []T, *listScratch) ([]T, error)) ([]T, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ip = intel.NormIP(ip)
	var owner [16]byte
	o := addrOwner(owner[:0], ip)
	l, c, ok, err := openHeadList(s.db, list, o, limit)
	if err == nil && ok {
		if c != nil {
			defer c.Close()
		}
		return read(&l, ip, limit, nil, nil)
	}
	if err == nil {
		l, err = s.openList(ctx, list, o, sortLen, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("%s of %s: %w", listNames[list], ip, err)
	}
	return read(&l, ip, limit, nil, nil)
}

// readList decodes the scan l of one list of ip into out (truncated first,
// its capacity reused), with the scratch memory sc when not nil, and closes
// l. item fills one element from the entry's item key and value and
// reports false when the key is malformed (the scan then fails).
func readList[T any](l *listIter, list byte, ip netip.Addr, limit int, out []T, sc *listScratch,
	item func(d *itemDec, key, val []byte, t *T) bool) ([]T, error) {
	out = out[:0]
	d := itemDec{limit: limit}
	sc.lend(&d)
	defer sc.keep(&d)
	for {
		key, val, ok := l.next()
		if !ok {
			break
		}
		out = grow(out, limit)
		if !item(&d, key, val, &out[len(out)-1]) {
			out = out[:len(out)-1]
			l.fail(errCorrupt)
			break
		}
		if d.err != nil {
			l.fail(errCorrupt)
		}
	}
	if err := l.close(); err != nil {
		return nil, fmt.Errorf("%s of %s: %w", listNames[list], ip, err)
	}
	return out, nil
}

// splitKey splits an item key "a 0x00 b" copied into the arena.
func splitKey(d *itemDec, key, val []byte) (a, b string, ok bool) {
	j := bytes.IndexByte(key, 0)
	if j < 0 {
		return "", "", false
	}
	k := d.item(key, val)
	return k[:j], k[j+1:], true
}

// readHosted, readFiles, readResolutions and readMasks are readList for
// each address list.
func readHosted(l *listIter, ip netip.Addr, limit int, out []intel.HostedURL, sc *listScratch) ([]intel.HostedURL, error) {
	return readList(l, lHosted, ip, limit, out, sc, func(d *itemDec, key, val []byte, h *intel.HostedURL) bool {
		h.IP = ip
		h.URL = d.item(key, val)
		decHosted(&d.dec, h)
		return true
	})
}

func readFiles(l *listIter, ip netip.Addr, limit int, out []intel.FileDownload, sc *listScratch) ([]intel.FileDownload, error) {
	return readPairList(l, lFiles, ip, limit, out, sc, func(d *itemDec, md5, url string, f *intel.FileDownload) {
		f.IP, f.MD5, f.URL = ip, md5, url
		decFile(&d.dec, f, false)
	})
}

// readPairList is readList for a list whose item key is two strings
// (files: MD5 and URL; masks: mask and type).
func readPairList[T any](l *listIter, list byte, ip netip.Addr, limit int, out []T, sc *listScratch, decode func(d *itemDec, a, b string, x *T)) ([]T, error) {
	return readList(l, list, ip, limit, out, sc, func(d *itemDec, key, val []byte, x *T) bool {
		a, b, ok := splitKey(d, key, val)
		if ok {
			decode(d, a, b, x)
		}
		return ok
	})
}

func readResolutions(l *listIter, ip netip.Addr, limit int, out []intel.Resolution, sc *listScratch) ([]intel.Resolution, error) {
	return readList(l, lRes, ip, limit, out, sc, func(d *itemDec, key, val []byte, r *intel.Resolution) bool {
		r.IP = ip
		r.Domain = d.item(key, val)
		if decResolution(&d.dec, r); r.Zone == "" {
			r.Zone = intel.ZoneGrey
		}
		return true
	})
}

func readMasks(l *listIter, ip netip.Addr, limit int, out []intel.FeedMask, sc *listScratch) ([]intel.FeedMask, error) {
	return readPairList(l, lMasks, ip, limit, out, sc, func(d *itemDec, mask, typ string, m *intel.FeedMask) {
		m.IP, m.Mask, m.MaskType = ip, mask, typ
		decMask(&d.dec, m)
	})
}

// DomainIPs implements store.Intel.
func (s *Store) DomainIPs(ctx context.Context, domain string, limit int) ([]netip.Addr, error) {
	l, err := s.openList(ctx, lDomainIPs, strOwner(nil, domain), recencyKeyLen, limit)
	if err != nil {
		return nil, fmt.Errorf("addresses of %s: %w", domain, err)
	}
	out, err := readDomainIPs(&l, nil, limit)
	if err != nil {
		return nil, fmt.Errorf("addresses of %s: %w", domain, err)
	}
	return out, nil
}

// DomainsIPs implements store.DomainsReader: the lists of the domains read
// with one iterator, re-bounded to each (no iterator to open per domain).
func (s *Store) DomainsIPs(ctx context.Context, domains []string, limit int, fn func(i int, ips []netip.Addr)) error {
	if err := ctx.Err(); err != nil || len(domains) == 0 || limit <= 0 {
		if err == nil && limit <= 0 {
			for i := range domains {
				fn(i, nil)
			}
		}
		return err
	}
	it, err := s.db.NewIterWithContext(ctx, nil)
	if err != nil {
		return err
	}
	defer it.Close()
	var owner []byte
	var out []netip.Addr
	for i, d := range domains {
		owner = strOwner(owner[:0], d)
		l, err := listOn(it, lDomainIPs, owner, recencyKeyLen, limit)
		if err == nil {
			out, err = readDomainIPs(&l, out[:0], limit)
		}
		if err != nil {
			return fmt.Errorf("addresses of %s: %w", d, err)
		}
		fn(i, out)
	}
	return nil
}

// readDomainIPs appends the addresses of a domain's list to dst and closes
// the list.
func readDomainIPs(l *listIter, dst []netip.Addr, limit int) ([]netip.Addr, error) {
	for {
		item, _, ok := l.next()
		if !ok {
			break
		}
		if dst == nil {
			dst = make([]netip.Addr, 0, min(limit, 256))
		}
		d := dec{s: bytesView(item)}
		dst = append(dst, d.addr())
		if d.err != nil || d.s != "" {
			l.fail(errCorrupt)
		}
	}
	return dst, l.close()
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
		if decFile(&d.dec, f, true); d.err != nil {
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
		switch k[1] {
		case nCountry:
			rec.Country = new(intel.CountryRange)
			err = decNet(v, rec.Country, codeCountry)
		case nAS:
			rec.AS = new(intel.ASRange)
			err = decNet(v, rec.AS, codeASRange)
		case nWhois:
			rec.Whois = new(intel.WhoisNet)
			err = decNet(v, rec.Whois, codeWhoisNet)
		case nListing:
			rec.NetListing = new(intel.NetListing)
			err = decNet(v, rec.NetListing, codeNetListing)
		case nAllow:
			rec.Allow = new(intel.Allow)
			err = decNet(v, rec.Allow, codeAllow)
		default:
			return fmt.Errorf("scan networks: unknown record kind %q", k[1])
		}
		if err != nil {
			return fmt.Errorf("scan networks: record %x: %w", k, err)
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

// IntelVersion implements store.Versioned: the count of batches Apply
// committed since the store was opened, bumped once each is readable.
func (s *Store) IntelVersion() (uint64, bool) { return s.version.Load(), true }

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
