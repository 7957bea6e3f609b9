package pebble

import (
	"encoding/binary"
	"maps"
	"net/netip"
	"slices"
	"time"
)

// Tables: the first byte of every key.
const (
	tAddr     = 'A' // A addr16                         -> address summary
	tSighting = 'S' // S addr16 day(8)                   -> hits (varint)
	tPrimary  = 'P' // P list owner itemkey              -> sort key of the item
	tIndex    = 'I' // I list owner sortkey itemkey      -> item
	tDomain   = 'D' // D domain                          -> DomainInfo
	tURL      = 'U' // U url                             -> URL summary
	tSpam     = 'X' // X addr16 id                       -> (empty) seen spam event
	tPhish    = 'Y' // Y addr16 id                       -> (empty) seen phishing event
	tReport   = 'R' // R id                              -> report (JSON)
	tNet      = 'N' // N kind netkey                     -> network record
	tMeta     = 'M' // M name                            -> metadata
	tUser     = 'W' // W name                            -> user (JSON)
	tToken    = 'T' // T hash                            -> token (JSON)
	tUserTok  = 't' // t user                            -> hash of the user's token
	tCount    = 'C' // C user 0x00 day                   -> request count (uvarint)
	tHold     = 'H' // H ref                             -> legal hold (JSON)
)

// Lists (second byte of P and I keys).
const (
	lHosted    = 'u' // owner addr16, item URL, sort recency
	lFiles     = 'f' // owner addr16, item MD5 0x00 URL, sort recency
	lRes       = 'r' // owner addr16, item domain, sort recency
	lMasks     = 'm' // owner addr16, item mask 0x00 type, sort severity
	lDomainIPs = 'd' // owner domain 0x00, item addr16, sort recency; no primary, value empty
	lURLFiles  = 'g' // owner URL 0x00, item MD5, sort recency
)

// Network record kinds (second byte of N keys).
const (
	nCountry = 'c' // prefix
	nAS      = 'a' // prefix asn(4)
	nWhois   = 'w' // prefix
	nListing = 'l' // prefix feed 0x00 category
	nAllow   = 'o' // prefix list
)

var keyNetVersion = []byte{tMeta, 'n', 'e', 't', 'v'}

func addr16(ip netip.Addr) [16]byte { return ip.As16() }

func addrKey(table byte, ip netip.Addr) []byte {
	a := addr16(ip)
	k := make([]byte, 0, 17)
	k = append(k, table)
	return append(k, a[:]...)
}

// addrOwner is the owner part of address lists.
func addrOwner(dst []byte, ip netip.Addr) []byte {
	a := addr16(ip)
	return append(dst, a[:]...)
}

// strOwner is the owner part of domain and URL lists.
func strOwner(dst []byte, s string) []byte {
	dst = append(dst, s...)
	return append(dst, 0)
}

func primaryKey(list byte, owner, item []byte) []byte {
	k := make([]byte, 0, 2+len(owner)+len(item))
	k = append(k, tPrimary, list)
	k = append(k, owner...)
	return append(k, item...)
}

func indexKey(list byte, owner, sort, item []byte) []byte {
	k := make([]byte, 0, 2+len(owner)+len(sort)+len(item))
	k = append(k, tIndex, list)
	k = append(k, owner...)
	k = append(k, sort...)
	return append(k, item...)
}

func indexPrefix(list byte, owner []byte) []byte {
	k := make([]byte, 0, 2+len(owner))
	k = append(k, tIndex, list)
	return append(k, owner...)
}

func sightingKey(ip netip.Addr, day time.Time) []byte {
	k := addrKey(tSighting, ip)
	return binary.BigEndian.AppendUint64(k, uint64(day.Unix()+unixToInternal))
}

func strKey(table byte, s ...string) []byte {
	n := 1
	for _, x := range s {
		n += len(x) + 1
	}
	k := make([]byte, 0, n)
	k = append(k, table)
	for i, x := range s {
		if i > 0 {
			k = append(k, 0)
		}
		k = append(k, x...)
	}
	return k
}

func eventKey(table byte, ip netip.Addr, id string) []byte {
	return append(addrKey(table, ip), id...)
}

func netKey(kind byte, p netip.Prefix, extra ...byte) []byte {
	pb, _ := p.MarshalBinary()
	k := make([]byte, 0, 3+len(pb)+len(extra))
	k = append(k, tNet, kind, byte(len(pb)))
	k = append(k, pb...)
	return append(k, extra...)
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
