package pebble

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
)

// In-place upgrades. A store written before the object records existed
// (domains, web addresses and files; objects.go) holds the address lists
// but no links derived from them. The upgrade "object-links" walks the
// four lists of every address (files, masks, resolutions, hosted URLs) in
// bounded batches, derives the object records each batch implies
// ((*intel.Batch).AddObjects) and applies only those, so that the domain,
// web-address and file lookups see the data imported before. After each
// batch it records the last index key it walked under keyBackfill, so that
// an interrupted upgrade resumes where it stopped (a batch applied twice
// merges to the same records); once done, it records that, and it never
// runs again. A store created by this version has nothing to upgrade and
// is marked done when it is created.
//
// What the address lists keep is what the links are derived from: a web
// address or file on several addresses is merged from them in address
// order, so the link's Source is that of the last address walked, not of
// the latest import; a file's detection names replaced by later ones on
// the same address, and report links, are not kept by the address lists
// and are not recovered. Undated links are dated by the import of the
// record they came from, as the importer dates them (an item merged from
// dated and undated records may therefore be dated where the importer,
// whose batches held them together, left it undated, or the reverse).

// upgradeObjectLinks names the in-place upgrade of the object links (the
// other one is upgradeReportAddrs, reportaddrs.go).
const upgradeObjectLinks = "object-links"

// keyBackfill holds the state of the object-links upgrade: absent (not
// started), backfillRunning followed by the last index key walked, or
// backfillDone.
var keyBackfill = []byte{tMeta, 'o', 'b', 'j', 'l', 'i', 'n', 'k', 's'}

const (
	backfillRunning = 0
	backfillDone    = 1
)

// backfillBatch is how many address list items one upgrade batch reads
// (a variable for tests).
var backfillBatch = 4096

// backfillLists are the address lists the upgrade walks, in key order.
var backfillLists = []byte{lFiles, lMasks, lRes, lHosted}

// indexUpgrades are the upgrades that fill an index, by name.
var indexUpgrades = map[string]*indexUpgrade{
	upgradeReportAddrs: &reportAddrsUpgrade,
	upgradeReportObjs:  &reportObjsUpgrade,
	upgradeNetIndex:    &netIndexUpgrade,
}

// Pending returns the names of the in-place upgrades the store has not
// had (see Migrate).
func (s *Store) Pending(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, found, err := get(s.db, keyBackfill)
	if err != nil {
		return nil, fmt.Errorf("read upgrade state: %w", err)
	}
	var out []string
	if !found || len(v) != 1 || v[0] != backfillDone {
		out = append(out, upgradeObjectLinks)
	}
	for _, name := range []string{upgradeReportAddrs, upgradeReportObjs, upgradeNetIndex} {
		done, err := indexUpgrades[name].done(s)
		if err != nil {
			return nil, err
		}
		if !done {
			out = append(out, name)
		}
	}
	legacy, err := hasHashKeys(s.db)
	if err != nil {
		return nil, fmt.Errorf("read upgrade state: %w", err)
	}
	if legacy {
		out = append(out, upgradeFileHashes)
	}
	return out, nil
}

// Migrate runs the in-place upgrades the store has not had and returns
// their names. progress, when not nil, is called after each batch with
// the upgrade's name and the number of address list items it has read in
// this run. Migrate may run while the store serves reads and imports;
// cancelled, it stops after the batch in hand and resumes from there when
// run again.
func (s *Store) Migrate(ctx context.Context, progress func(upgrade string, items int64)) ([]string, error) {
	pending, err := s.Pending(ctx)
	if err != nil || len(pending) == 0 {
		return nil, err
	}
	for _, up := range pending {
		run := s.backfill
		if up == upgradeFileHashes {
			run = s.foldHashes
		} else if u, ok := indexUpgrades[up]; ok {
			run = func(ctx context.Context, progress func(int64)) error { return u.run(ctx, s, progress) }
		}
		if err := run(ctx, func(n int64) {
			if progress != nil {
				progress(up, n)
			}
		}); err != nil {
			return nil, fmt.Errorf("upgrade %s: %w", up, err)
		}
	}
	return pending, nil
}

// backfill runs the object-links upgrade from where it stopped.
func (s *Store) backfill(ctx context.Context, progress func(int64)) error {
	v, _, err := get(s.db, keyBackfill)
	if err != nil {
		return err
	}
	var cursor []byte // the last index key walked
	if len(v) > 1 && v[0] == backfillRunning {
		cursor = v[1:]
	}
	var items int64
	for _, list := range backfillLists {
		if len(cursor) >= 2 && cursor[1] > list {
			continue
		}
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			b, last, n, err := s.readAddrLists(ctx, list, cursor)
			if err != nil {
				return err
			}
			if n == 0 {
				break
			}
			b.AddObjects()
			for i := range b.Links {
				if l := &b.Links[i]; l.FirstSeen.IsZero() && l.LastSeen.IsZero() {
					l.FirstSeen = intel.UTC(l.Source.Imported).Truncate(time.Minute)
				}
			}
			derived := &intel.Batch{Links: validLinks(b.Links), ObjectInfos: validInfos(b.ObjectInfos)}
			if err := s.Apply(ctx, derived); err != nil {
				return err
			}
			cursor = last
			if err := s.db.Set(keyBackfill, append([]byte{backfillRunning}, cursor...), pebble.Sync); err != nil {
				return err
			}
			items += int64(n)
			progress(items)
		}
	}
	return s.db.Set(keyBackfill, []byte{backfillDone}, pebble.Sync)
}

// readAddrLists reads at most backfillBatch items of one address list
// index after cursor (from its start when cursor is of an earlier list)
// as address records, and returns them, the last index key read and how
// many items it read.
func (s *Store) readAddrLists(ctx context.Context, list byte, cursor []byte) (*intel.Batch, []byte, int, error) {
	lower := []byte{tIndex, list}
	upper := []byte{tIndex, list + 1}
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, nil, 0, err
	}
	defer it.Close()
	var ok bool
	if len(cursor) >= 2 && cursor[1] == list {
		ok = it.SeekGE(cursor)
		if ok && bytes.Equal(it.Key(), cursor) {
			ok = it.Next()
		}
	} else {
		ok = it.First()
	}
	b := &intel.Batch{}
	var last []byte
	n := 0
	sortLen := listSortLen(list)
	for ; ok && n < backfillBatch; ok = it.Next() {
		k := it.Key()
		if len(k) < 2+16+sortLen {
			return nil, nil, 0, errCorrupt
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, nil, 0, err
		}
		ip := netip.AddrFrom16([16]byte(k[2:18])).Unmap()
		item := string(k[18+sortLen:])
		if err := addrRecord(b, list, ip, item, v); err != nil {
			return nil, nil, 0, fmt.Errorf("%s of %s: %w", listNames[list], ip, err)
		}
		last = append(last[:0], k...)
		n++
	}
	if err := it.Error(); err != nil {
		return nil, nil, 0, err
	}
	return b, last, n, nil
}

// addrRecord appends to b the record of one address list item (its item
// key and value as the index holds them).
func addrRecord(b *intel.Batch, list byte, ip netip.Addr, item string, v []byte) error {
	d := &dec{s: string(v)}
	pair := func() (string, string, error) {
		i := bytes.IndexByte([]byte(item), 0)
		if i < 0 {
			return "", "", errCorrupt
		}
		return item[:i], item[i+1:], nil
	}
	switch list {
	case lHosted:
		h := intel.HostedURL{IP: ip, URL: item}
		if err := decHosted(d, &h); err != nil {
			return err
		}
		b.HostedURLs = append(b.HostedURLs, h)
	case lFiles:
		md5, url, err := pair()
		if err != nil {
			return err
		}
		f := intel.FileDownload{IP: ip, MD5: md5, URL: url}
		if err := decFile(d, &f, false); err != nil {
			return err
		}
		b.Files = append(b.Files, f)
	case lRes:
		r := intel.Resolution{IP: ip, Domain: item}
		if err := decResolution(d, &r); err != nil {
			return err
		}
		b.Resolutions = append(b.Resolutions, r)
	case lMasks:
		mask, typ, err := pair()
		if err != nil {
			return err
		}
		m := intel.FeedMask{IP: ip, Mask: mask, MaskType: typ}
		if err := decMask(d, &m); err != nil {
			return err
		}
		b.Masks = append(b.Masks, m)
	}
	return nil
}

// validLinks keeps the links a store accepts: a record the import took
// may derive a link Validate refuses (a host that is no valid object key),
// which must not stop the upgrade.
func validLinks(ls []intel.Link) []intel.Link {
	out := ls[:0]
	for _, l := range ls {
		if (&intel.Batch{Links: []intel.Link{l}}).Validate() == nil {
			out = append(out, l)
		}
	}
	return out
}

// validInfos is validLinks for object infos.
func validInfos(is []intel.ObjectInfo) []intel.ObjectInfo {
	out := is[:0]
	for _, r := range is {
		if (&intel.Batch{ObjectInfos: []intel.ObjectInfo{r}}).Validate() == nil {
			out = append(out, r)
		}
	}
	return out
}
