package mem

import (
	"context"
	"slices"
	"strings"

	"github.com/tipd/tipd/internal/intel"
)

// Objects: domains, web addresses and files (store.Objects), in maps
// under the same lock as the rest; lists are sorted when read.

type objKey struct {
	kind intel.ObjectKind
	key  string
}

type linkOwner struct {
	list  intel.LinkList
	owner string
}

type objData struct {
	info     intel.ObjectInfo
	listings map[listingKey]*intel.ObjectListing
	whois    intel.DomainWhois
	counts   [intel.NumLinkLists]intel.ListCount
}

type objects struct {
	objs   map[objKey]*objData
	links  map[linkOwner]map[string]*intel.Link
	hashes map[string]*intel.FileHashes
}

func (s *Store) obj(kind intel.ObjectKind, key string) *objData {
	if s.objects.objs == nil {
		s.objects.objs = map[objKey]*objData{}
		s.objects.links = map[linkOwner]map[string]*intel.Link{}
		s.objects.hashes = map[string]*intel.FileHashes{}
	}
	k := objKey{kind, key}
	o := s.objects.objs[k]
	if o == nil {
		o = &objData{info: intel.ObjectInfo{Kind: kind, Key: key}, listings: map[listingKey]*intel.ObjectListing{}}
		s.objects.objs[k] = o
	}
	return o
}

// applyObjects merges the batch's object records; the caller holds s.mu
// for writing.
func (s *Store) applyObjects(b *intel.Batch) {
	for _, r := range b.ObjectInfos {
		r.Normalize()
		o := s.obj(r.Kind, r.Key)
		r.Allows = slices.Clone(r.Allows)
		o.info.Merge(r)
		o.info.Kind, o.info.Key = r.Kind, r.Key
	}
	for _, r := range b.ObjectListings {
		r.Normalize()
		o := s.obj(r.Kind, r.Key)
		k := listingKey{r.Feed, r.Category}
		if old := o.listings[k]; old != nil {
			old.Merge(r)
		} else {
			o.listings[k] = &r
		}
	}
	for _, r := range b.Whois {
		r.Normalize()
		r.NameServers = slices.Clone(r.NameServers)
		r.Status = slices.Clone(r.Status)
		s.obj(intel.ObjectHost, r.Domain).whois = r
	}
	for _, r := range b.FileHashes {
		r.Normalize()
		for _, h := range r.Hashes() {
			s.obj(intel.ObjectFile, h) // make sure the maps exist
			if old := s.objects.hashes[h]; old != nil {
				old.Merge(r)
			} else {
				c := r
				s.objects.hashes[h] = &c
			}
		}
	}
	for _, r := range b.Links {
		r.Normalize()
		o := s.obj(r.List.Owner(), r.Owner)
		lo := linkOwner{r.List, r.Owner}
		m := s.objects.links[lo]
		if m == nil {
			m = map[string]*intel.Link{}
			s.objects.links[lo] = m
		}
		c := &o.counts[r.List]
		if old := m[r.Item]; old != nil {
			hits := old.Hits
			old.Merge(r)
			c.Hits += old.Hits - hits
			c.MaxZone = maxZone(c.MaxZone, old.Zone)
			continue
		}
		m[r.Item] = &r
		c.Items++
		c.Hits += r.Hits
		c.MaxZone = maxZone(c.MaxZone, r.Zone)
	}
}

// maxZone is the more severe of two zones, "" (no zone) yielding to any.
func maxZone(a, b intel.Zone) intel.Zone {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return intel.MaxZone(a, b)
}

// Object implements store.Objects.
func (s *Store) Object(ctx context.Context, kind intel.ObjectKind, key string) (intel.ObjectSummary, error) {
	if err := ctx.Err(); err != nil {
		return intel.ObjectSummary{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	sum := intel.ObjectSummary{Kind: kind, Key: key, Info: intel.ObjectInfo{Kind: kind, Key: key}}
	o := s.objects.objs[objKey{kind, key}]
	if o == nil {
		return sum, nil
	}
	sum.Info = o.info
	sum.Info.Allows = slices.Clone(o.info.Allows)
	for _, l := range o.listings {
		sum.Listings = append(sum.Listings, *l)
	}
	slices.SortFunc(sum.Listings, func(a, b intel.ObjectListing) int {
		if c := strings.Compare(a.Feed, b.Feed); c != 0 {
			return c
		}
		return strings.Compare(string(a.Category), string(b.Category))
	})
	sum.Whois = o.whois
	sum.Whois.NameServers = slices.Clone(o.whois.NameServers)
	sum.Whois.Status = slices.Clone(o.whois.Status)
	sum.Whois.Contacts = slices.Clone(o.whois.Contacts)
	sum.Lists = o.counts
	return sum, nil
}

// Links implements store.Objects.
func (s *Store) Links(ctx context.Context, list intel.LinkList, owner string, limit int) ([]intel.Link, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := s.objects.links[linkOwner{list, owner}]
	out := make([]intel.Link, 0, min(len(m), limit))
	for _, l := range m {
		c := *l
		c.Attrs = slices.Clone(l.Attrs)
		out = append(out, c)
	}
	intel.SortLinks(out)
	return out[:min(len(out), limit)], nil
}

// FileHashes implements store.Objects.
func (s *Store) FileHashes(ctx context.Context, hash string) (intel.FileHashes, bool, error) {
	if err := ctx.Err(); err != nil {
		return intel.FileHashes{}, false, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if h := s.objects.hashes[hash]; h != nil {
		return *h, true, nil
	}
	return intel.FileHashes{}, false, nil
}
