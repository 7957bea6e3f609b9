package pebble

import (
	"encoding/binary"
	"encoding/json"
	"net/netip"
	"slices"
	"strings"

	"github.com/tipd/tipd/internal/intel"
)

func (a *applier) sightings(b *intel.Batch) error {
	for _, r := range b.Sightings {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		ip, d := r.IP, r.Day
		k := sightingKey(ip, d)
		old, found, err := a.get(k)
		if err != nil {
			return err
		}
		var oldHits int64
		if found {
			oldHits, _ = binary.Varint(old)
		}
		a.set(k, binary.AppendVarint(nil, r.Hits))
		s, err := a.sum(ip)
		if err != nil {
			return err
		}
		s.hits += r.Hits - oldHits
		s.seen(d)
		s.sighted(binary.BigEndian.Uint64(k[17:]))
	}
	return nil
}

func (a *applier) listings(b *intel.Batch) error {
	for _, r := range b.Listings {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		s, err := a.sum(r.IP)
		if err != nil {
			return err
		}
		r.IP = netip.Addr{}
		i, found := slices.BinarySearchFunc(s.listings, r, func(x, y intel.Listing) int {
			if c := strings.Compare(x.Feed, y.Feed); c != 0 {
				return c
			}
			return strings.Compare(string(x.Category), string(y.Category))
		})
		if found {
			s.listings[i].Merge(r)
		} else {
			s.listings = slices.Insert(s.listings, i, r)
		}
		s.seen(r.FirstSeen)
		s.seen(r.LastSeen)
	}
	return nil
}

// firstSeenEvent records an event ID and reports whether it was new.
func (a *applier) firstSeenEvent(table byte, ip netip.Addr, id string) (bool, error) {
	k := eventKey(table, ip, id)
	_, found, err := a.get(k)
	if err != nil || found {
		return false, err
	}
	a.set(k, nil)
	return true, nil
}

// event returns the summary of the address of a spam or phishing event
// the store has not counted yet (ok false for a known event id).
func (a *applier) event(table byte, ip netip.Addr, id string) (s *addrSum, ok bool, err error) {
	if err := a.tick(); err != nil {
		return nil, false, err
	}
	if ok, err = a.firstSeenEvent(table, ip, id); err != nil || !ok {
		return nil, false, err
	}
	s, err = a.sum(ip)
	return s, err == nil, err
}

func (a *applier) spam(b *intel.Batch) error {
	for _, r := range b.SpamEvents {
		r.Normalize()
		s, ok, err := a.event(tSpam, r.IP, r.ID)
		if err != nil {
			return err
		}
		if ok {
			s.spam.Add(r)
			s.seen(r.Time)
		}
	}
	return nil
}

func (a *applier) phishing(b *intel.Batch) error {
	for _, r := range b.PhishingEvents {
		r.Normalize()
		s, ok, err := a.event(tPhish, r.IP, r.ID)
		if err != nil {
			return err
		}
		if ok {
			s.phish.Add(r)
			s.seen(r.Time)
		}
	}
	return nil
}

func (a *applier) reports(b *intel.Batch) error {
	for _, r := range b.Reports {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		if err := a.indexReport(&r); err != nil {
			return err
		}
		if err := a.setJSON(strKey(tReport, r.ID), r); err != nil {
			return err
		}
	}
	for _, r := range b.ReportLinks {
		if err := a.tick(); err != nil {
			return err
		}
		s, err := a.sum(intel.NormIP(r.IP))
		if err != nil {
			return err
		}
		if i, found := slices.BinarySearch(s.reportIDs, r.ReportID); !found {
			s.reportIDs = slices.Insert(s.reportIDs, i, r.ReportID)
			a.set(reportAddrKey(r.ReportID, intel.NormIP(r.IP)), nil)
		}
	}
	return nil
}

func (a *applier) setJSON(k []byte, v any) error {
	j, err := json.Marshal(v)
	if err != nil {
		return err
	}
	a.set(k, j)
	return nil
}
