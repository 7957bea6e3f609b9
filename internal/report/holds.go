package report

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/tipd/tipd/internal/intel"
)

// holdLister is the part of the store that lists the legal holds. Every
// store.Store has it; a Store without it (a double of store.Intel alone)
// holds nothing, and no list is filtered.
type holdLister interface {
	Holds(ctx context.Context) ([]intel.Hold, error)
}

// holds returns the legal holds, read once per report and only when a
// list has items to filter: one read of the holds, and one FileHashes
// read per hold on a file, whose hold is repeated for each hash of the
// file so that Hold.Matches finds it by any of them.
func (j *judge) holds(ctx context.Context) ([]intel.Hold, error) {
	if j.held != nil {
		return *j.held, nil
	}
	var out []intel.Hold
	if hl, ok := j.b.Store.(holdLister); ok {
		all, err := hl.Holds(ctx)
		if err != nil {
			return nil, fmt.Errorf("legal holds: %w", err)
		}
		for _, h := range all {
			out = append(out, h)
			if h.Hash == "" {
				continue
			}
			fh, ok, err := j.b.Store.FileHashes(ctx, h.Hash)
			if err != nil {
				return nil, fmt.Errorf("legal hold %s: %w", h.Ref, err)
			}
			if !ok {
				continue
			}
			for _, x := range []string{fh.MD5, fh.SHA1, fh.SHA256} {
				if x != "" && x != h.Hash {
					h.Hash = x
					out = append(out, h)
				}
			}
		}
	}
	j.held = &out
	return out, nil
}

// leaveOutHeld returns items without those whose object (object(item):
// an address, a web address with its host, a name, a file by its MD5, or
// several of these for a compound item) a legal hold holds, so that a
// held object shows in no other object's lists. It is called by the
// builders on the lists of the domain, web address and file reports after
// they were cut to count, so a list may then hold fewer than count items;
// the counts of the general-info sections and the verdicts (zones,
// HasRedZone) are not changed. Without holds it returns items as they are.
func leaveOutHeld[T any](ctx context.Context, j *judge, items []T, object func(*T) intel.HoldQuery) ([]T, error) {
	if len(items) == 0 {
		return items, nil
	}
	holds, err := j.holds(ctx)
	if err != nil || len(holds) == 0 {
		return items, err
	}
	out := make([]T, 0, len(items))
next:
	for i := range items {
		q := object(&items[i])
		for _, h := range holds {
			if h.Matches(q) {
				continue next
			}
		}
		out = append(out, items[i])
	}
	return out, nil
}

// linkObject is the object of an item of list (see intel.LinkList), for
// leaveOutHeld.
func linkObject(list intel.LinkList) func(*intel.Link) intel.HoldQuery {
	return func(l *intel.Link) intel.HoldQuery {
		switch list {
		case intel.LinkHostIPv4, intel.LinkHostIPv6:
			a, _ := netip.ParseAddr(l.Item)
			return intel.HoldQuery{IP: a}
		case intel.LinkSubdomains:
			return intel.HoldQuery{Domain: l.Item}
		case intel.LinkHostFiles, intel.LinkHostAccessed, intel.LinkURLAccessed, intel.LinkFileStarted,
			intel.LinkFileStartedBy, intel.LinkFileDownloadedObjects, intel.LinkFileDownloadedBy:
			md5, url, _ := strings.Cut(l.Item, intel.ItemSep)
			q := urlObject(url)
			q.Hashes = []string{md5}
			return q
		}
		return urlObject(l.Item) // the lists of web addresses
	}
}

// fileDownloadObject is the object of an item of a web address's files.
func fileDownloadObject(f *intel.FileDownload) intel.HoldQuery {
	var q intel.HoldQuery
	if key, _, err := intel.NormalizeURL(f.URL); err == nil {
		q = urlObject(key)
	}
	q.Hashes = []string{strings.ToUpper(f.MD5)}
	return q
}

// urlObject is a web address by its key, with its host ("": nothing).
func urlObject(key string) intel.HoldQuery {
	if key == "" {
		return intel.HoldQuery{}
	}
	q := intel.HoldQuery{URL: key}
	host := intel.URLHost(key)
	if a, err := netip.ParseAddr(host); err == nil {
		q.IP = a.Unmap()
	} else {
		q.Domain = host
	}
	return q
}
