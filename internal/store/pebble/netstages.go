package pebble

import (
	"encoding/binary"

	"github.com/tipd/tipd/internal/intel"
)

func (a *applier) network(b *intel.Batch) error {
	for _, r := range b.Countries {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		a.set(netKey(nCountry, r.Prefix), encNet(nil, &r, codeCountry))
	}
	for _, r := range b.ASRanges {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		a.set(netKey(nAS, r.Prefix, binary.BigEndian.AppendUint32(nil, r.ASN)...), encNet(nil, &r, codeASRange))
	}
	for _, r := range b.WhoisNets {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		a.set(netKey(nWhois, r.Prefix), encNet(nil, &r, codeWhoisNet))
	}
	for _, r := range b.NetListings {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		k := netListingKey(&r)
		var old intel.NetListing
		found, err := getFn(a, k, func(v []byte) error { return decNet(v, &old, codeNetListing) })
		if err != nil {
			return err
		}
		if found {
			old.Merge(r)
			r = old
		}
		a.set(k, encNet(nil, &r, codeNetListing))
	}
	for _, r := range b.Allows {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		a.set(netKey(nAllow, r.Prefix, []byte(r.List)...), encNet(nil, &r, codeAllow))
	}
	return nil
}

// netListingKey is the key of a network listing (its prefix masked).
func netListingKey(r *intel.NetListing) []byte {
	return netKey(nListing, r.Prefix.Masked(), append(append([]byte(r.Feed), 0), r.Category...)...)
}

func networkVersion(r reader) (uint64, error) {
	var v uint64
	_, err := getFn(r, keyNetVersion, func(b []byte) error {
		var n int
		v, n = binary.Uvarint(b)
		if n <= 0 {
			return errCorrupt
		}
		return nil
	})
	return v, err
}
