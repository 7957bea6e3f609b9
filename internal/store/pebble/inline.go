package pebble

import (
	"bytes"
	"slices"
	"strings"

	"github.com/tipd/tipd/internal/intel"
)

// Lists held inline. Most lists of an object hold one item or a few (a
// file's names and detections, a host's files and web addresses): instead
// of a primary and an index key per item, the object's summary holds the
// items of such a list itself, up to inlineMax of them, in the order of
// the list's index. A list that outgrows that moves to primary and index
// keys for good (a list never shrinks). Which of the two holds a list's
// items: the summary if it holds any item of the list, the keys otherwise
// (stores written before summaries held items have every list in keys).
// Report lists stay in keys (their items are indexed by report,
// reportobjs.go).

// inlineMax is how many items of a list a summary holds at most.
const inlineMax = 4

// inlineList reports whether the items of list may be held inline.
func inlineList(list intel.LinkList) bool {
	return list.Valid() && !isReportList(list)
}

// inlined returns the items of list the summary holds, nil if none.
func (s *objSum) inlined(list intel.LinkList) []intel.Link {
	for i := range s.inline {
		if s.inline[i].list == list {
			return s.inline[i].links
		}
	}
	return nil
}

// setInlined replaces the items of list the summary holds; none removes
// the list.
func (s *objSum) setInlined(list intel.LinkList, links []intel.Link) {
	i, found := slices.BinarySearchFunc(s.inline, list, func(x inlineItems, l intel.LinkList) int { return int(x.list) - int(l) })
	switch {
	case found && len(links) == 0:
		s.inline = slices.Delete(s.inline, i, i+1)
	case found:
		s.inline[i].links = links
	case len(links) > 0:
		s.inline = slices.Insert(s.inline, i, inlineItems{list: list, links: links})
	}
}

// sortInline sorts links in the order of their list's index: sort key,
// then item key.
func sortInline(links []intel.Link) {
	if len(links) < 2 {
		return
	}
	var ka, kb [32]byte
	slices.SortFunc(links, func(a, b intel.Link) int {
		if c := bytes.Compare(linkSortKey(ka[:0], &a), linkSortKey(kb[:0], &b)); c != 0 {
			return c
		}
		return strings.Compare(a.Item, b.Item)
	})
}

// inlineLink merges the link r (normalized) into its owner's summary s if
// s holds the list inline or the list has no item yet, and updates the
// list's counts; it reports false if the list is in keys, or when r would
// be one item too many, after moving the items s held to keys: r is then
// merged as a keyed item.
func (a *applier) inlineLink(s *objSum, r intel.Link) bool {
	c := s.countRef(r.List)
	links := s.inlined(r.List)
	if links == nil && c.Items > 0 {
		return false
	}
	j := slices.IndexFunc(links, func(l intel.Link) bool { return l.Item == r.Item })
	switch {
	case j >= 0:
		m := links[j]
		oldHits := m.Hits
		m.Merge(r)
		links[j] = m
		c.Hits += m.Hits - oldHits
		c.MaxZone = countZone(c.MaxZone, m.Zone)
	case len(links) < inlineMax:
		r.Owner = ""
		links = append(slices.Clip(links), r)
		c.Items++
		c.Hits += r.Hits
		c.MaxZone = countZone(c.MaxZone, r.Zone)
	default:
		a.spill(r.List, r.Owner, links)
		s.setInlined(r.List, nil)
		return false
	}
	sortInline(links)
	s.setInlined(r.List, links)
	return true
}

// spill writes the items of a list its owner's summary held as keyed
// items.
func (a *applier) spill(list intel.LinkList, owner string, links []intel.Link) {
	o := linkOwner(nil, list, owner)
	for i := range links {
		l := &links[i]
		buf := linkSortKey(make([]byte, 0, 64), l)
		n := len(buf)
		buf = encLink(buf, l)
		sort, val := buf[:n:n], buf[n:]
		a.set(primaryKey(lLinks, o, []byte(l.Item)), sort)
		a.set(indexKey(lLinks, o, sort, []byte(l.Item)), val)
	}
}
