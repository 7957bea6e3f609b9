package pebble

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/tipd/tipd/internal/intel"
)

func (a *applier) domains(b *intel.Batch) error {
	for _, r := range b.Domains {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		k := strKey(tDomain, r.Domain)
		old := intel.DomainInfo{Domain: r.Domain}
		found, err := getFn(a, k, func(v []byte) error { return decDomain(&dec{s: string(v)}, &old) })
		if err != nil {
			return err
		}
		if found {
			m := old
			m.Merge(r)
			r = m
		}
		a.set(k, encDomain(nil, &r))
		if r.Zone != old.Zone || !slices.Equal(r.Categories, old.Categories) {
			if err := a.restampResolutions(r.Domain, r.Zone, r.Categories); err != nil {
				return fmt.Errorf("domain %q: %w", r.Domain, err)
			}
		}
	}
	return nil
}

// domainZone returns the zone and categories of a domain as the batch sees
// them (none when the domain has no DomainInfo).
func (a *applier) domainZone(domain string) (intel.Zone, []intel.Category, error) {
	var di intel.DomainInfo
	if _, err := getFn(a, strKey(tDomain, domain), func(v []byte) error { return decDomain(&dec{s: string(v)}, &di) }); err != nil {
		return "", nil, fmt.Errorf("domain %q: %w", domain, err)
	}
	return di.Zone, di.Categories, nil
}

// restampResolutions copies a domain's new zone and categories into the
// resolution items of every address the domain resolved to before the
// batch (found through the domain's address list, whose sort keys are those
// of the resolution items). Resolutions of the batch itself read the
// DomainInfo when they are merged, after this step.
func (a *applier) restampResolutions(domain string, zone intel.Zone, cats []intel.Category) error {
	prefix := indexPrefix(lDomainIPs, strOwner(nil, domain))
	type ref struct{ sort, addr []byte }
	var refs []ref
	err := a.scan(prefix, func(k, _ []byte) error {
		k = k[len(prefix):]
		if len(k) != recencyKeyLen+16 {
			return errCorrupt
		}
		k = bytes.Clone(k)
		refs = append(refs, ref{k[:recencyKeyLen], k[recencyKeyLen:]})
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range refs {
		if err := a.tick(); err != nil {
			return err
		}
		ik := indexKey(lRes, r.addr, r.sort, []byte(domain))
		v, found, err := a.get(ik)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		var m intel.Resolution
		if err := decResolution(&dec{s: string(v)}, &m); err != nil {
			return err
		}
		m.Zone, m.Categories = zone, cats
		v = encResolution(nil, &m)
		a.set(ik, v)
		if err := a.headChange(lRes, r.addr, r.sort, []byte(domain), r.sort, v, false); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) resolutions(b *intel.Batch) error {
	var owner []byte
	for _, r := range b.Resolutions {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		ip := r.IP
		zone, cats, err := a.domainZone(r.Domain)
		if err != nil {
			return err
		}
		r.Zone, r.Categories = zone, cats
		owner = addrOwner(owner[:0], ip)
		var m intel.Resolution
		oldSort, newSort, err := a.upsert(lRes, owner, []byte(r.Domain), func(old []byte) ([]byte, []byte, error) {
			if old == nil {
				m = r
			} else {
				if err := decResolution(&dec{s: string(old)}, &m); err != nil {
					return nil, nil, err
				}
				m.Merge(r)
				m.Zone, m.Categories = zone, cats
			}
			return recencyKey(nil, m.LastSeen, m.Hits), encResolution(nil, &m), nil
		})
		if err != nil {
			return err
		}
		if !bytes.Equal(oldSort, newSort) {
			dOwner := strOwner(nil, r.Domain)
			if oldSort != nil {
				a.del(indexKey(lDomainIPs, dOwner, oldSort, owner))
			}
			a.set(indexKey(lDomainIPs, dOwner, newSort, owner), nil)
		}
		s, err := a.sum(ip)
		if err != nil {
			return err
		}
		s.seen(r.FirstSeen)
		s.seen(r.LastSeen)
	}
	return nil
}
