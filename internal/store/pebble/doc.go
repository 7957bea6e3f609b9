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
//	                             summaries, red URL/file counts, item counts
//	                             of the four lists, change stamp, first
//	                             and last sighting day
//	S addr16 day                 hits of one sighting day (so that re-applying
//	                             a day replaces its share of the sum)
//	I list owner sort item       list index: the item itself
//	P list owner item            list primary: the item's current sort key
//	L list addr16                list head: the first entries of an address
//	                             list's index in one value (see below)
//	D domain                     DomainInfo
//	U url                        URL summary (from HostedURL records; file
//	                             count; change stamp)
//	O kind key                   object summary (kind: the intel.ObjectKind
//	                             byte): ObjectInfo, listings, per-list
//	                             counts of its links, DomainWhois (compact
//	                             encoding; JSON in stores written before),
//	                             then optional sections: a file's
//	                             FileHashes stored under its hash (hashes
//	                             as bytes), the items of its lists of at
//	                             most four items (inline.go); change stamp
//	                             (see changes.go). A source equal to
//	                             the one before it in the summary is
//	                             written as two bytes, and a summary
//	                             with nothing before its sections as
//	                             one (format 8, encObjSum); a source as
//	                             the number of its feed-and-file pair
//	                             and its import time as a difference
//	                             (format 10, names.go)
//	K hash(bytes)                hash index: the FileHashes records that
//	                             name an MD5 or SHA-1, merge operands
//	                             written without a read and folded by the
//	                             database's merger (hashindex.go); a
//	                             file's SHA-256 summary holds those of the
//	                             SHA-256, an MD5's or SHA-1's summary
//	                             older ones (format 8 and before, or
//	                             moved there by a batch that read the
//	                             summary anyway); sources as in
//	                             summaries
//	V id(4)                      a source's feed and file, numbered for
//	                             the summaries and index records that
//	                             refer to them, and the import time the
//	                             others are written as differences from
//	                             (names.go)
//	F hash                       FileHashes stored under one of its hashes,
//	                             change stamp of the hash's file: stores
//	                             written before summaries held them; read
//	                             while a store holds any, moved into the
//	                             summary when the file changes
//	c a stamp                    change log: the addresses stamped at stamp;
//	c u stamp                    the web addresses; c o stamp the objects
//	                             (a file by its hash as bytes from format
//	                             11; see changes.go)
//	M stamp                      the latest change stamp given
//	X addr16 id, Y addr16 id     spam / phishing event IDs already counted
//	R id                         report
//	B id 0x00 y, B id 0x00 p     a report's YARA rules, its PDF (apart from
//	                             the report; see reportfiles.go)
//	N kind prefix [extra]        network records (country, AS, WHOIS,
//	                             network listing, allow list)
//	M netv                       network version counter
//	M format                     layout version (uvarint, currently 11)
//	M objlinks                   state of the object-links upgrade (see
//	                             backfill.go); new stores: done
//	W name, T hash, t user       users, tokens by hash, a user's token hash
//	C user 0x00 day              request count
//	H ref                        legal hold (JSON)
//	G kind bucket recency host   network index: every address whose summary
//	                             has a LastSeen, in its /24 and /16 (IPv4,
//	                             kinds a, b) or /48 and /32 (IPv6, c, d)
//	                             bucket, newest first (see netindex.go)
//	M netidx                     state of the network-index upgrade
//
// Lists and their (owner; item key; sort key):
//
//	u hosted URLs   addr16;        URL;            recency
//	f files         addr16;        MD5 0x00 URL;   recency
//	r resolutions   addr16;        domain;         recency
//	m masks         addr16;        mask 0x00 type; severity
//	d domain IPs    domain 0x00;   addr16;         recency (no primary, empty value)
//	g URL files     url 0x00;      MD5;            recency
//	k object links  LinkList owner 0x00; Link.Item; recency, or severity
//	                (lists with LinkList.BySeverity) then hits; only the
//	                lists their owner's summary does not hold (inline.go)
//
// recency is 20 bytes: the bit-inverted LastSeen (seconds since year 1 and
// nanoseconds, big-endian) and the bit-inverted, sign-flipped hit count, so
// that index keys of one owner sort newest first, then most hits first,
// then by item key. severity is one byte, 255 minus the zone's severity;
// in the k lists it is followed by the hit count as in recency (9 bytes),
// so that index order is intel.CompareLinks.
// "Newest N" of a section is therefore a prefix scan that stops after N
// keys, whatever the size of the section.
//
// # List heads
//
// Each of the four lists of an address (u, f, r, m) with at least headMin
// (8) items has a head: one value under L list addr16 holding the first
// entries of the list's index, at most headItems (100), in index order: a
// format byte, flags (bit 0 "all"), the count, then per entry its sort
// key, item key and value (lengths as uvarints) — the bytes of
// I list addr16 sort item -> value. Invariant: a list of at least headMin
// items has a head and a shorter one none; the head is a prefix of the
// index (its first n entries, n <= headItems) and "all" is set iff the
// head holds every entry. A read of at most n items, or of any number when
// "all" is set, decodes the head with the same item decoders as an index
// walk (one seek and one pass over one value instead of an iterator step
// per item); any other read, and the read of a short list, walks the
// index. A page after a cursor (ListPage, pager.go) always walks the index:
// one seek to the cursor's index key, then at most limit+1 entries. The
// address summary counts the items of each list, so Apply knows which lists
// have heads without reading (and a page's total is one point read). Apply keeps the heads with the
// index in the same batch: each changed item (merged, moved, or recoloured
// by a DomainInfo) leaves its head and enters it again at its new position
// if that is not after the head's last entry, or if the head holds all; a
// head longer than headItems is cut (clearing "all"). A list shorter than
// headMin before the batch is only counted; if it reaches headMin, its
// head is made at the end of the batch from its entries in the database
// merged with the batch's sorted writes. Heads are decoded once per batch
// and written once at its end; the heads of the batch's existing addresses are read in the
// planned reads, those of new addresses are known absent. Recency keys
// only move towards the front under the merge rules, so heads of those
// lists do not shrink; see head.change for the one case of a mask moving
// back. Short lists have no head because most lists are short and a head
// copies its items: heads for every list doubled the bytes an import
// wrote for lists and made it 10-15 % slower.
//
// Apply merges each record the same way: it reads the item's primary key
// to find its index entry, decodes and merges it, deletes the old index
// entry if the sort key moved and writes the new one. The reads are
// planned: before merging, Apply collects the keys the batch will read,
// sorts them and reads them with one iterator that consults the bloom
// filters of every level (point Gets skip them on the last level, so each
// miss there reads a data block), in three rounds: the address, URL and
// domain summaries and the network listings; then the keys owned by the addresses and URLs that
// exist (sightings, primaries, event IDs); then the index entries of the
// items that exist. Every key owned by an address is written together with
// its summary, and every item of a URL's file list with the URL's summary,
// so the keys of an address or URL without a summary are known to be
// absent and are not read; nor are the items of a list the address's
// summary counts none of, or sighting days outside the first and last day
// of its sightings. The merge runs against an in-memory overlay
// that later reads see, so duplicate keys inside one batch merge like
// separate batches; summaries touched by a batch are kept decoded and
// written once. The overlay becomes one batch, written in key order (the
// memtable then inserts each key next to the previous one) and committed
// with a WAL sync.
//
// Merges are serialised by a mutex; commits are pipelined (ApplyAsync, which
// Apply calls and then waits for): a merged batch is sorted, built and
// committed on a goroutine of its own while the next batch merges on top
// of it, reading the keys it wrote from its overlay rather than from the
// database, which may or may not hold them yet (prefix scans merge its
// sorted writes with the database's keys). At most one commit runs while a
// batch merges: a merge first waits for the commit before the pending one.
// Commits run in merge order, so change stamps still increase in commit
// order, and a batch merged on top of one whose commit failed fails too.
// An import overlaps the commit of each batch (a third of Apply's time)
// with the merge of the next; a single Apply is as before.
//
// Domains, web addresses and files as objects (objects.go, objstages.go):
// Apply merges the batch's Link records into the k lists with the same
// upsert as the other lists, and its ObjectInfo, ObjectListing,
// DomainWhois records and the count, hit sum and most severe zone of each
// list into the object summary (O), which it reads in the first round of
// the planned reads and writes once at the end of the batch. Every link
// is written together with its owner's summary, so the link keys of an
// object without a summary are known to be absent, like those of a new
// address. Object lists have no heads; a read of N items is a scan of N
// index entries. Stores written before the object records existed hold
// none of these keys and open unchanged; Migrate (backfill.go) derives the
// links of their address records once, in place.
//
// The network index (netindex.go) answers store.NetworkAddresses: the
// addresses of a network, newest first, as a merge of the buckets that
// cover it (a /24 or narrower reads its /24, filtered; a /17–/23 its /24s;
// a /16 its /16; a /8–/15 its /16s; IPv6 likewise with /48 and /32
// buckets), one seek per bucket and refill. Apply keeps it in the same
// batch as the summaries: writeNetIndex deletes the two keys of an address
// summary's LastSeen and hits before the batch (kept by applier.sum as
// last0 and hits0) and writes the two of its new ones, only for summaries
// whose LastSeen or hits changed, so an import pays two to four key
// writes per such address and no read. Stores written before the index
// have the upgrade network-index pending (Migrate), whose batches run
// between Apply's merges.
//
// Resolution items carry their domain's zone and categories, so that a
// read needs no join: Apply applies the batch's DomainInfo records before
// its resolutions, each resolution copies the DomainInfo as the batch sees
// it, and a DomainInfo whose zone or categories change rewrites the
// resolution item of every address the domain resolved to, found through
// the domain's address list (whose sort keys are those of the resolution
// items). Such an update therefore costs one read and one write per
// address of the domain, inside the same atomic batch; zone and category
// changes are rare next to resolutions, and a domain seen on very many
// addresses (more than about 10,000) makes that batch correspondingly
// larger and slower, not incorrect.
//
// The layout version is written when a store is created; Open refuses a
// store with another version, or with data but no version (format 1, whose
// resolution items lacked the domain's zone and categories), with an error
// that asks for a new import. Format 2 lacked the change stamps, format 3
// the list heads, format 4 kept one change-index key per owner instead of
// one change-log value per stamp, format 5 lacked the sighting days of the
// address summary and kept network records as JSON.
//
// A list read decodes each entry straight from the iterator's memory into
// the result; the strings it keeps are copied into one arena per call (a
// few large allocations, never written again once handed out), and names
// that repeat from item to item (sources, feeds, detection names) are
// interned there.
//
// Values of list items, summaries and network records use a compact binary
// encoding (see codec.go, netcodec.go); reports, users and tokens, which are
// read rarely or are small, are JSON. Users, tokens and legal holds, which every
// request reads, are kept decoded in memory (accesscache.go, holds.go):
// the directory lock makes this Store the only writer, so the copies are
// dropped exactly when a write commits.
//
// # Engine options
//
// Memtables are 64 MiB, so that a flush carries many import batches and
// each compaction into the last level (which rewrites the tables it
// overlaps) carries many flushes. Pebble accounts memtables inside the
// block cache; the cache is created larger than Options.CacheSize by three
// memtables so that they do not crowd out the blocks. Memory use is
// therefore about CacheSize plus 192 MiB at most, and the WAL keeps up to
// three recycled log files of about a memtable's size on disk. Every level
// has a 10-bit bloom filter. Apply's point reads of keys that no memtable
// can hold (recent.go: a filter of the keys written since the memtables
// were last flushed says so) read the sstables alone, whose bloom filters
// answer for absent keys without the memtable's skip-list search; the
// filter costs 4 MiB once a process applies a batch.
//
// Request counts are counted in memory from blocks reserved with one
// synced write each (package quota, access.go): the stored count is never
// below the requests counted, so a killed process or a machine crash loses
// no count; it leaves counted the unused rest of a user's block, at most
// quota.MaxLease requests (1,024) and a 64th of the user's quota. Close
// writes the exact counts. (Pebble keeps an unsynced WAL block in the
// process's memory, not in the OS page cache, so a count must be synced
// before it is relied on: an unsynced write does not survive even a
// killed process.)
package pebble
