package report

import (
	"context"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// The items of an address report's list sections (FilesDownloadedFromIp,
// HostedUrls, IpDnsResolutions) as the answer shows them: each with its
// object's own zone, as that object's lookup gives it on the same
// evidence and clock (gen and now, the address's own).

// itemVerdicts gives the returned list items of r their objects' own
// zones (a file's is never Orange; an item whose MD5 is malformed is
// Grey) and their dates (see itemDates). The verdicts kept by earlier reports are looked up first, all
// items in one pass (see verdictGen.itemZones); a judge computes the
// others, each object once, only the returned items. The keys the judge
// is given are copies: the items' strings may live in the store's memory
// for the lists, reused once the report is released, and the judge keeps
// them in the verdicts and evidence of the generation.
func (b *Builder) itemVerdicts(ctx context.Context, r *IPReport, gen *verdictGen, now time.Time) error {
	if gen.itemZones(r) == 0 {
		return nil
	}
	j := b.judgeAt(gen, now)
	for i := range r.Files {
		f := &r.Files[i]
		if f.Zone != "" {
			continue
		}
		z, err := j.fileZone(ctx, strings.Clone(itemMD5(f.MD5)))
		if err != nil {
			return err
		}
		f.Zone = z
	}
	for i := range r.HostedURLs {
		u := &r.HostedURLs[i]
		if u.Zone != "" {
			continue
		}
		z, err := j.urlZone(ctx, strings.Clone(u.URL))
		if err != nil {
			return err
		}
		u.Zone = z
	}
	for i := range r.Resolutions {
		d := &r.Resolutions[i]
		if d.Zone != "" {
			continue
		}
		z, err := j.hostZone(ctx, strings.Clone(d.Domain))
		if err != nil {
			return err
		}
		d.Zone = z
	}
	return nil
}

// itemMD5 is the key of a file item's verdict: its MD5 in upper case, ""
// when it is not an MD5 (such an item is Grey).
func itemMD5(md5 string) string {
	if intel.HashKind(md5) != "MD5" {
		return ""
	}
	for i := 0; i < len(md5); i++ {
		if 'a' <= md5[i] && md5[i] <= 'z' {
			return strings.ToUpper(md5) // stores keep them upper case: rare
		}
	}
	return md5
}

// itemZones dates each list item of r (see itemDates), sets the zone of
// those whose object's verdict g keeps and clears the zone of the others;
// it returns how many it cleared. The items are dated and looked up in
// one pass over the published set, without locks, and those not found
// there in one pass over the verdicts waiting to be published, under one
// read lock. Nothing is allocated.
func (g *verdictGen) itemZones(r *IPReport) int {
	missing := 0
	set := func(z *intel.Zone, kept intel.Zone, ok bool) {
		switch {
		case !ok:
			*z = ""
			missing++
		case *z != kept:
			*z = kept
		}
	}
	var pub *verdictSet
	if g != nil && g.keep {
		pub = g.read.Load()
	}
	if pub == nil {
		pub = &verdictSet{} // nil maps: nothing found
	}
	for i := range r.Files {
		f := &r.Files[i]
		f.FirstSeen, f.LastSeen = itemDates(f.FirstSeen, f.LastSeen, f.Source.Imported)
		// Stores keep MD5s upper case: the item's own is the key, and
		// only an item not found is normalised.
		z, ok := pub.files[f.MD5]
		if !ok {
			if md5 := itemMD5(f.MD5); md5 == "" {
				z, ok = intel.ZoneGrey, true
			} else if md5 != f.MD5 {
				z, ok = pub.files[md5]
			}
		}
		set(&f.Zone, z, ok)
	}
	for i := range r.HostedURLs {
		u := &r.HostedURLs[i]
		u.FirstSeen, u.LastSeen = itemDates(u.FirstSeen, u.LastSeen, u.Source.Imported)
		z, ok := pub.urls[u.URL]
		set(&u.Zone, z, ok)
	}
	for i := range r.Resolutions {
		d := &r.Resolutions[i]
		d.FirstSeen, d.LastSeen = itemDates(d.FirstSeen, d.LastSeen, d.Source.Imported)
		v, ok := pub.hosts[d.Domain]
		set(&d.Zone, v.zone, ok)
	}
	if missing == 0 || g == nil || !g.keep {
		return missing
	}
	found := 0
	g.mu.RLock()
	if g.dirty.len() > 0 {
		d := &g.dirty
		for i := range r.Files {
			f := &r.Files[i]
			if f.Zone == "" {
				if z, ok := d.files[itemMD5(f.MD5)]; ok {
					f.Zone = z
					found++
				}
			}
		}
		for i := range r.HostedURLs {
			u := &r.HostedURLs[i]
			if u.Zone == "" {
				if z, ok := d.urls[u.URL]; ok {
					u.Zone = z
					found++
				}
			}
		}
		for i := range r.Resolutions {
			res := &r.Resolutions[i]
			if res.Zone == "" {
				if v, ok := d.hosts[res.Domain]; ok {
					res.Zone = v.zone
					found++
				}
			}
		}
	}
	g.mu.RUnlock()
	g.foundDirty(found)
	return missing - found
}
