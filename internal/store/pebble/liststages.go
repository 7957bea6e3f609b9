package pebble

import (
	"bytes"

	"github.com/tipd/tipd/internal/intel"
)

// upsert merges one item into a list: it finds the item's current index
// entry through the primary key, lets merge compute the new sort key and
// value from the old value (nil when new), and moves the index entry if the
// sort key changed. It returns the old sort key (nil when new) and the new.
func (a *applier) upsert(list byte, owner, item []byte, merge func(old []byte) (sort, val []byte, err error)) (oldSort, newSort []byte, err error) {
	pk := primaryKey(list, owner, item)
	oldSort, found, err := a.get(pk)
	if err != nil {
		return nil, nil, err
	}
	var oldVal, oldIK []byte
	if found {
		oldIK = indexKey(list, owner, oldSort, item)
		oldVal, found, err = a.get(oldIK)
		if err != nil {
			return nil, nil, err
		}
		if !found {
			oldSort = nil
		}
	}
	newSort, newVal, err := merge(oldVal)
	if err != nil {
		return nil, nil, err
	}
	if found && bytes.Equal(oldSort, newSort) {
		if !bytes.Equal(oldVal, newVal) {
			a.set(oldIK, newVal)
			a.markList(list, owner)
			if isAddrList(list) {
				if err := a.headChange(list, owner, oldSort, item, newSort, newVal, false); err != nil {
					return nil, nil, err
				}
			}
		}
		return oldSort, newSort, nil
	}
	a.markList(list, owner)
	if isAddrList(list) {
		if err := a.headChange(list, owner, oldSort, item, newSort, newVal, !found); err != nil {
			return nil, nil, err
		}
	}
	if found {
		a.del(oldIK)
	}
	a.set(pk, newSort)
	a.set(indexKey(list, owner, newSort, item), newVal)
	return oldSort, newSort, nil
}

func (a *applier) hostedURLs(b *intel.Batch) error {
	var owner []byte
	for _, r := range b.HostedURLs {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		ip := r.IP
		owner = addrOwner(owner[:0], ip)
		var m intel.HostedURL
		wasRed := false
		_, _, err := a.upsert(lHosted, owner, []byte(r.URL), func(old []byte) ([]byte, []byte, error) {
			if old == nil {
				m = r
			} else {
				if err := decHosted(&dec{s: string(old)}, &m); err != nil {
					return nil, nil, err
				}
				wasRed = m.Zone == intel.ZoneRed
				m.Merge(r)
			}
			return recencyKey(nil, m.LastSeen, m.Hits), encHosted(nil, &m), nil
		})
		if err != nil {
			return err
		}
		s, err := a.sum(ip)
		if err != nil {
			return err
		}
		if !wasRed && m.Zone == intel.ZoneRed {
			s.redURLs++
		}
		s.seen(r.FirstSeen)
		s.seen(r.LastSeen)

		u, err := a.url(r.URL)
		if err != nil {
			return err
		}
		u.sum.AddHosted(r, !u.hosted)
		u.hosted = true
	}
	return nil
}

// files merges each file record into two lists: its address's files
// (item MD5 and URL) and its web address's files (item MD5, across
// addresses and schemes).
func (a *applier) files(b *intel.Batch) error {
	var owner, item []byte
	for _, r := range b.Files {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		owner = addrOwner(owner[:0], r.IP)
		item = append(append(append(item[:0], r.MD5...), 0), r.URL...)
		if err := a.addrFile(r, owner, item); err != nil {
			return err
		}
		if err := a.urlFile(r); err != nil {
			return err
		}
	}
	return nil
}

// addrFile merges r into the file list of its address and the address's
// summary.
func (a *applier) addrFile(r intel.FileDownload, owner, item []byte) error {
	var m intel.FileDownload
	wasRed := false
	_, _, err := a.upsert(lFiles, owner, item, func(old []byte) ([]byte, []byte, error) {
		if old == nil {
			m = r
		} else {
			if err := decFile(&dec{s: string(old)}, &m, false); err != nil {
				return nil, nil, err
			}
			wasRed = m.Zone == intel.ZoneRed
			m.Merge(r)
		}
		return recencyKey(nil, m.LastSeen, m.Hits), encFile(nil, &m, false), nil
	})
	if err != nil {
		return err
	}
	s, err := a.sum(r.IP)
	if err != nil {
		return err
	}
	if !wasRed && m.Zone == intel.ZoneRed {
		s.redFiles++
	}
	s.seen(r.FirstSeen)
	s.seen(r.LastSeen)
	return nil
}

// urlFile merges r into the file list of its web address, counting a new
// item in the URL's summary.
func (a *applier) urlFile(r intel.FileDownload) error {
	key := intel.URLKey(r.URL)
	var f intel.FileDownload
	oldSort, _, err := a.upsert(lURLFiles, strOwner(nil, key), []byte(r.MD5), func(old []byte) ([]byte, []byte, error) {
		if old == nil {
			f = r
		} else {
			if err := decFile(&dec{s: string(old)}, &f, true); err != nil {
				return nil, nil, err
			}
			f.MergeByMD5(r)
		}
		return recencyKey(nil, f.LastSeen, f.Hits), encFile(nil, &f, true), nil
	})
	if err != nil {
		return err
	}
	if oldSort == nil {
		u, err := a.url(key)
		if err != nil {
			return err
		}
		u.sum.Files++
	}
	return nil
}

func (a *applier) masks(b *intel.Batch) error {
	var owner, item []byte
	for _, r := range b.Masks {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		ip := r.IP
		owner = addrOwner(owner[:0], ip)
		item = append(append(append(item[:0], r.Mask...), 0), r.MaskType...)
		_, _, err := a.upsert(lMasks, owner, item, func(old []byte) ([]byte, []byte, error) {
			m := r
			if old != nil {
				if err := decMask(&dec{s: string(old)}, &m); err != nil {
					return nil, nil, err
				}
				m.Merge(r)
			}
			return severityKey(nil, m.Zone), encMask(nil, &m), nil
		})
		if err != nil {
			return err
		}
		// Masks do not count towards FirstSeen/LastSeen, but the address
		// has evidence: make sure its summary exists.
		if _, err := a.sum(ip); err != nil {
			return err
		}
	}
	return nil
}
