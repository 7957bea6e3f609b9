package mem

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// changeLog holds the change stamps of the store (see store.Intel.Changes).
// It is guarded by Store.mu.
type changeLog struct {
	addrs map[netip.Addr]time.Time
	urls  map[string]time.Time
	objs  map[objKey]time.Time
	last  time.Time // the latest stamp given
}

// touchedObjects lists the objects a batch may change.
func touchedObjects(b *intel.Batch) map[objKey]bool {
	objs := map[objKey]bool{}
	for _, r := range b.ObjectInfos {
		objs[objKey{r.Kind, r.Key}] = true
	}
	for _, r := range b.ObjectListings {
		objs[objKey{r.Kind, r.Key}] = true
	}
	for _, r := range b.Links {
		objs[objKey{r.List.Owner(), r.Owner}] = true
	}
	for _, r := range b.FileHashes {
		for _, h := range r.Hashes() {
			objs[objKey{intel.ObjectFile, h}] = true
		}
	}
	for _, r := range b.Whois {
		objs[objKey{intel.ObjectHost, r.Domain}] = true
	}
	return objs
}

// objectFingerprints renders what the object reads answer for the
// objects (their summaries, every list of their kind, and a SHA-256's
// hashes: an MD5's or SHA-1's object is not stamped for its hashes, see
// store.Store.Changes).
func (s *Store) objectFingerprints(ctx context.Context, objs map[objKey]bool) (map[objKey]string, error) {
	out := make(map[objKey]string, len(objs))
	var sb strings.Builder
	for o := range objs {
		sb.Reset()
		sum, err := s.Object(ctx, o.kind, o.key)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&sb, "%#v", sum)
		for l := intel.LinkList(1); l < intel.NumLinkLists; l++ {
			if l.Owner() != o.kind || sum.Lists[l].Items == 0 {
				continue
			}
			links, err := s.Links(ctx, l, o.key, allItems)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(&sb, "|%d:%#v", l, links)
		}
		if o.kind == intel.ObjectFile && intel.HashKind(o.key) == "SHA-256" {
			h, ok, err := s.FileHashes(ctx, o.key)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(&sb, "|%v:%#v", ok, h)
		}
		out[o] = sb.String()
	}
	return out, nil
}

// touched lists the owners a batch may change: its addresses and the web
// addresses of its hosted URLs and file downloads.
func touched(b *intel.Batch) (ips map[netip.Addr]bool, urls map[string]bool) {
	ips, urls = map[netip.Addr]bool{}, map[string]bool{}
	b.EachAddress(func(ip netip.Addr) { ips[intel.NormIP(ip)] = true })
	for _, r := range b.HostedURLs {
		urls[r.URL] = true
	}
	for _, r := range b.Files {
		urls[intel.URLKey(r.URL)] = true
	}
	return ips, urls
}

// allItems is the limit used to read whole lists for fingerprints.
const allItems = 1 << 30

// fingerprints renders what the reads answer for the owners, so that a
// change can be told by comparing two renderings. It costs the size of
// the owners' lists: this backend is a reference, not a fast one.
func (s *Store) fingerprints(ctx context.Context, ips map[netip.Addr]bool, urls map[string]bool) (map[netip.Addr]string, map[string]string, error) {
	fa, fu := make(map[netip.Addr]string, len(ips)), make(map[string]string, len(urls))
	var sb strings.Builder
	for ip := range ips {
		sb.Reset()
		sum, err := s.Address(ctx, ip)
		if err != nil {
			return nil, nil, err
		}
		fmt.Fprintf(&sb, "%#v", sum)
		for _, read := range []func() (any, error){
			func() (any, error) { return s.HostedURLs(ctx, ip, allItems) },
			func() (any, error) { return s.Files(ctx, ip, allItems) },
			func() (any, error) { return s.Resolutions(ctx, ip, allItems) },
			func() (any, error) { return s.Masks(ctx, ip, allItems) },
		} {
			v, err := read()
			if err != nil {
				return nil, nil, err
			}
			fmt.Fprintf(&sb, "|%#v", v)
		}
		fa[ip] = sb.String()
	}
	for u := range urls {
		sb.Reset()
		sum, err := s.URL(ctx, u)
		if err != nil && !isNotFound(err) {
			return nil, nil, err
		}
		files, err := s.URLFiles(ctx, u, allItems)
		if err != nil {
			return nil, nil, err
		}
		fmt.Fprintf(&sb, "%#v|%#v", sum, files)
		fu[u] = sb.String()
	}
	return fa, fu, nil
}

// stamp records the change time of every owner whose fingerprint moved.
// The caller holds s.mu for writing.
func (s *Store) stamp(beforeA, afterA map[netip.Addr]string, beforeU, afterU map[string]string, beforeO, afterO map[objKey]string) {
	var at time.Time
	next := func() time.Time {
		if at.IsZero() {
			at = time.Now().UTC().Truncate(time.Microsecond)
			if !at.After(s.changes.last) {
				at = s.changes.last.Add(time.Microsecond)
			}
			s.changes.last = at
		}
		return at
	}
	for ip, f := range afterA {
		if beforeA[ip] != f {
			s.changes.addrs[ip] = next()
		}
	}
	for u, f := range afterU {
		if beforeU[u] != f {
			s.changes.urls[u] = next()
		}
	}
	for o, f := range afterO {
		if beforeO[o] != f {
			if s.changes.objs == nil {
				s.changes.objs = map[objKey]time.Time{}
			}
			s.changes.objs[o] = next()
		}
	}
}

// Changes implements store.Intel. It sorts every stamp of the kind on each
// call.
func (s *Store) Changes(ctx context.Context, kind store.ChangeKind, after store.Change, limit int) ([]store.Change, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	s.mu.RLock()
	var all []store.Change
	switch kind {
	case store.ChangedAddresses:
		for ip, at := range s.changes.addrs {
			all = append(all, store.Change{At: at, IP: ip})
		}
	case store.ChangedURLs:
		for u, at := range s.changes.urls {
			all = append(all, store.Change{At: at, URL: u})
		}
	case store.ChangedObjects:
		for o, at := range s.changes.objs {
			all = append(all, store.Change{At: at, Kind: o.kind, Key: o.key})
		}
	default:
		s.mu.RUnlock()
		return nil, intel.Invalid("unknown change kind %d", kind)
	}
	s.mu.RUnlock()
	order := func(a, b store.Change) int {
		return cmp.Or(a.At.Compare(b.At), a.IP.Compare(b.IP), strings.Compare(a.URL, b.URL),
			cmp.Compare(a.Kind, b.Kind), strings.Compare(a.Key, b.Key))
	}
	slices.SortFunc(all, order)
	start := 0
	switch kind {
	case store.ChangedAddresses:
		after.URL, after.Kind, after.Key = "", 0, ""
	case store.ChangedURLs:
		after.IP, after.Kind, after.Key = netip.Addr{}, 0, ""
	default:
		after.IP, after.URL = netip.Addr{}, ""
		if after.Kind == 0 {
			after.Key = ""
		}
	}
	if !after.At.IsZero() || after.IP.IsValid() || after.URL != "" || after.Kind != 0 {
		hasKey := after.IP.IsValid() || after.URL != "" || after.Kind != 0
		start, _ = slices.BinarySearchFunc(all, after, func(c, a store.Change) int {
			if n := c.At.Compare(a.At); n != 0 || !hasKey {
				if n == 0 {
					return -1 // every entry stamped at a.At is before the cursor
				}
				return n
			}
			if n := order(c, a); n != 0 {
				return n
			}
			return -1 // the cursor's own entry is before it
		})
	}
	all = all[start:]
	return slices.Clone(all[:min(len(all), limit)]), nil
}

func isNotFound(err error) bool { return errors.Is(err, intel.ErrNotFound) }
