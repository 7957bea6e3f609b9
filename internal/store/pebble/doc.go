// Package pebble is the embedded default store: one Pebble (LSM) database
// in one directory, locked against a second process, written through a
// write-ahead log so that a killed process never corrupts it.
//
// # Key layout
//
// The first byte of a key names its table. addr16 is the 16-byte form of an
// address (IPv4 as IPv4-mapped IPv6); strings inside keys end with 0x00
// where something follows them.
//
//	A addr16                     address summary: hits, first/last seen,
//	                             listings, report IDs, spam and phishing
//	                             summaries, red URL/file counts
//	S addr16 day                 hits of one sighting day (so that re-applying
//	                             a day replaces its share of the sum)
//	I list owner sort item       list index: the item itself
//	P list owner item            list primary: the item's current sort key
//	D domain                     DomainInfo
//	U url                        URL summary (from HostedURL records; file count)
//	X addr16 id, Y addr16 id     spam / phishing event IDs already counted
//	R id                         report
//	N kind prefix [extra]        network records (country, AS, WHOIS,
//	                             network listing, allow list)
//	M netv                       network version counter
//	W name, T hash, t user       users, tokens by hash, a user's token hash
//	C user 0x00 day              request count
//
// Lists and their (owner; item key; sort key):
//
//	u hosted URLs   addr16;        URL;            recency
//	f files         addr16;        MD5 0x00 URL;   recency
//	r resolutions   addr16;        domain;         recency
//	m masks         addr16;        mask 0x00 type; severity
//	d domain IPs    domain 0x00;   addr16;         recency (no primary, empty value)
//	g URL files     url 0x00;      MD5;            recency
//
// recency is 20 bytes: the bit-inverted LastSeen (seconds since year 1 and
// nanoseconds, big-endian) and the bit-inverted, sign-flipped hit count, so
// that index keys of one owner sort newest first, then most hits first,
// then by item key. severity is one byte, 255 minus the zone's severity.
// "Newest N" of a section is therefore a prefix scan that stops after N
// keys, whatever the size of the section.
//
// Apply merges each record inside one indexed batch: it reads the item's
// primary key to find its index entry, decodes and merges it, deletes the
// old index entry if the sort key moved, writes the new one, and commits
// the batch once with a WAL sync. Reads of the batch see its own writes, so
// duplicate keys inside one batch merge like separate batches. Summaries
// touched by a batch are kept decoded in memory and written once at the
// end. Applies are serialised by a mutex.
//
// Resolutions are stored without the domain's zone and categories; a read
// joins them from the D table with one iterator seeking the distinct
// domains in sorted order (a DomainInfo update is one write, however many
// addresses the domain resolved to).
//
// Values of list items and summaries use a compact binary encoding (see
// codec.go); reports, network records, users and tokens, which are read
// rarely or are small, are JSON.
//
// Request counts are written without a WAL sync: they survive a killed
// process (the write is in the OS page cache), but a machine crash may lose
// the counts of its last moments.
package pebble
