package pebble

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/quota"
)

// DefaultCacheSize is the block cache size when Options.CacheSize is 0.
const DefaultCacheSize = 64 << 20

// memTableSize is the size of a memtable: an import batch is a few MiB, so
// that a flush to L0 carries many batches and a compaction into the last
// level, which rewrites the tables it overlaps, carries more. 64 MiB
// instead of 32 cut an import's CPU time by a tenth (fewer flushes and
// compactions; docs/benchmarks.md).
const memTableSize = 64 << 20

// memTableReserve is how many memtables (the one being written, the one
// being flushed and one more while writes wait) the cache makes room for.
const memTableReserve = 3

// Options tune a store.
type Options struct {
	// CacheSize is the block cache size in bytes (default 64 MiB).
	CacheSize int64
	// Logger receives the engine's own messages (nil: discarded).
	Logger *slog.Logger
	// MustExist refuses to create a store: Open fails with a KindNotFound
	// error (code "store_missing") naming dir when it holds none. Commands
	// that only read use it, so that a mistyped path is an error, not a
	// new empty store.
	MustExist bool
	// fs is the file system the store lives on (nil: the operating
	// system's); tests simulate crashes with a crashable one.
	fs vfs.FS
}

// Store is a store.Store on a Pebble database in one directory.
type Store struct {
	dir  string
	db   *pebble.DB
	lock *pebble.Lock

	// olderValues: the store was written with a format before
	// storeFormat, so a summary may be encoded as that format wrote it
	// (see applier.sameSummary).
	olderValues bool

	// names numbers the feed-and-file pairs of sources (names.go).
	names *names

	applyMu sync.Mutex // serialises Apply (read-modify-write of summaries and lists)
	// The newest batch handed to its commit and the one before it, while
	// their commits may run (see ApplyAsync); guarded by applyMu.
	last, older *pending
	// For tests: how many batches merged on top of a pending one, and a
	// function each commit calls before it commits.
	layered      int
	beforeCommit func()
	// slotsPerRecord is how many overlay slots the last batch merged used
	// per record (0: none merged yet), to size the next batch's overlay;
	// guarded by applyMu.
	slotsPerRecord float64
	// The latest change stamp given (see changes.go); guarded by applyMu.
	lastStamp   time.Time
	stampLoaded bool
	// version counts the committed batches of Apply (store.Versioned);
	// one process opens a store at a time, so it sees every change.
	version  atomic.Uint64
	accessMu sync.Mutex    // serialises token changes
	countMu  sync.Mutex    // serialises the writes of request counts
	counts   *quota.Ledger // counts requests in blocks (access.go)

	feedVerMu sync.Mutex // serialises PutFeedVersions (feedversions.go)

	holdMu sync.Mutex // guards holds
	holds  holdCache
	access accessCache // users and tokens

	// recent filters the keys in the memtables, for Apply's reads
	// (recent.go).
	recent recentKeys

	// hashKeys is set when the store may hold FileHashes under F keys, as
	// stores written before file summaries held them did (see
	// objstages.go): only then do Apply and FileHashes read them.
	hashKeys atomic.Bool

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed, unless opts.MustExist) the store in dir. It fails with a
// KindUnavailable error with code "store_in_use" when another process (or
// another Store in this process) has the directory open.
func Open(dir string, opts Options) (*Store, error) {
	fs := opts.fs
	if fs == nil {
		fs = vfs.Default
	}
	if opts.MustExist {
		desc, err := pebble.Peek(dir, fs)
		if err != nil || !desc.Exists {
			return nil, &intel.Error{
				Kind:    intel.KindNotFound,
				Code:    "store_missing",
				Message: fmt.Sprintf("there is no store at %s: import data into it first, or name another with -store", dir),
				Err:     err,
			}
		}
	}
	if err := fs.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	lock, err := pebble.LockDirectory(dir, fs)
	if err != nil {
		return nil, &intel.Error{
			Kind:    intel.KindUnavailable,
			Code:    "store_in_use",
			Message: fmt.Sprintf("the store at %s is in use by another tipd process", dir),
			Err:     err,
		}
	}
	size := opts.CacheSize
	if size <= 0 {
		size = DefaultCacheSize
	}
	// Pebble accounts memtables inside the block cache: make room for them
	// so that they do not evict every block.
	cache := pebble.NewCache(size + memTableReserve*memTableSize)
	defer cache.Unref()
	mergerNames := new(atomic.Pointer[names])
	po := &pebble.Options{
		FS:           fs,
		Cache:        cache,
		Lock:         lock,
		Logger:       engineLogger{opts.Logger},
		MemTableSize: memTableSize,
		Merger:       newHashMerger(mergerNames),
	}
	for i := range po.Levels {
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	db, err := pebble.Open(dir, po)
	if err != nil {
		_ = lock.Close()
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	older, err := checkFormat(db)
	if err != nil {
		_ = db.Close()
		_ = lock.Close()
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	nm, err := loadNames(db)
	if err != nil {
		_ = db.Close()
		_ = lock.Close()
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	mergerNames.Store(nm)
	s := &Store{dir: dir, db: db, lock: lock, olderValues: older, names: nm}
	s.counts = quota.New(countWriter{s}, quota.Options{First: firstLease})
	legacy, err := hasHashKeys(db)
	if err != nil {
		_ = db.Close()
		_ = lock.Close()
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	s.hashKeys.Store(legacy)
	return s, nil
}

// storeFormat is the version of the key layout and value encodings (see
// doc.go). A store written with another version is refused: it must be
// imported again into a new directory. Formats 7 to 11 differ from 6 only
// in what they may write, which older binaries cannot read: 7 domain WHOIS
// in the compact encoding (objwhois.go), 8 object summaries with repeated
// sources written once and bare summaries (encObjSum), 9 the hash index
// of MD5s and SHA-1s (hashindex.go) and object summaries with repeated
// dates written once (enc.date), 10 sources of object summaries and hash
// index records by the number of their feed and file (names.go), 11 files
// in the change log by their hash as bytes (appendChangeObject). This
// build reads all six, and stamps a format 6 to 10 store 11 when it
// opens it, so that an older binary refuses it with its format error
// instead of failing on the records it cannot decode.
const (
	storeFormat = 11
	// oldestFormat is the oldest format this build opens (and stamps
	// storeFormat).
	oldestFormat = 6
	// summaryFormat is the format that last changed how summaries are
	// encoded (10: sources by the number of their feed and file,
	// names.go): a store of an older one may hold summaries in older
	// encodings (Store.olderValues).
	summaryFormat = 10
)

// FormatVersion is the version of the key layout and value encodings this
// build writes (`tipd version`).
func FormatVersion() int { return storeFormat }

var keyFormat = []byte{tMeta, 'f', 'o', 'r', 'm', 'a', 't'}

// keyOldSummaries holds the format a store had when a build whose
// summaryFormat was newer first opened it (uvarint): its summaries may be
// in that format's encodings for as long as the store lives, whatever
// format it is stamped with since (Store.olderValues).
var keyOldSummaries = []byte{tMeta, 'o', 'l', 'd', 's', 'u', 'm'}

// checkFormat stamps an empty database with storeFormat and refuses one
// written with another format (a database without the stamp predates it).
// older reports a store that may hold summaries in the encodings of a
// format before summaryFormat: one written with such a format, now or
// before (keyOldSummaries).
func checkFormat(db *pebble.DB) (older bool, err error) {
	v, found, err := get(db, keyFormat)
	if err != nil {
		return false, fmt.Errorf("read format: %w", err)
	}
	if found {
		f, n := binary.Uvarint(v)
		if n <= 0 || n != len(v) || f < oldestFormat || f > storeFormat {
			return false, fmt.Errorf("the store has data format %d, this tipd reads formats %d to %d only: import the data again into a new store directory", f, oldestFormat, storeFormat)
		}
		_, old, err := get(db, keyOldSummaries)
		if err != nil {
			return false, fmt.Errorf("read format: %w", err)
		}
		if f < storeFormat {
			b := db.NewBatch()
			defer b.Close()
			if err := b.Set(keyFormat, binary.AppendUvarint(nil, storeFormat), nil); err != nil {
				return false, fmt.Errorf("write format: %w", err)
			}
			if f < summaryFormat && !old {
				if err := b.Set(keyOldSummaries, binary.AppendUvarint(nil, f), nil); err != nil {
					return false, fmt.Errorf("write format: %w", err)
				}
				old = true
			}
			if err := b.Commit(pebble.Sync); err != nil {
				return false, fmt.Errorf("write format: %w", err)
			}
		}
		return old, nil
	}
	it, err := db.NewIter(nil)
	if err != nil {
		return false, fmt.Errorf("read format: %w", err)
	}
	empty := !it.First()
	if err := it.Close(); err != nil {
		return false, fmt.Errorf("read format: %w", err)
	}
	if !empty {
		return false, fmt.Errorf("the store has data format 1, this tipd reads formats %d to %d only: import the data again into a new store directory", oldestFormat, storeFormat)
	}
	// A new store has no address records without their object links:
	// the object-links upgrade (backfill.go) has nothing to do.
	b := db.NewBatch()
	defer b.Close()
	if err := b.Set(keyFormat, binary.AppendUvarint(nil, storeFormat), nil); err != nil {
		return false, fmt.Errorf("write format: %w", err)
	}
	if err := b.Set(keyBackfill, []byte{backfillDone}, nil); err != nil {
		return false, fmt.Errorf("write format: %w", err)
	}
	// Nor report links outside their index by report (reportaddrs.go,
	// reportobjs.go).
	if err := b.Set(keyReportAddrs, []byte{backfillDone}, nil); err != nil {
		return false, fmt.Errorf("write format: %w", err)
	}
	if err := b.Set(keyReportObjs, []byte{backfillDone}, nil); err != nil {
		return false, fmt.Errorf("write format: %w", err)
	}
	// Nor address summaries outside the network index (netindex.go).
	if err := b.Set(keyNetIndex, []byte{backfillDone}, nil); err != nil {
		return false, fmt.Errorf("write format: %w", err)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return false, fmt.Errorf("write format: %w", err)
	}
	return false, nil
}

// Flush writes the memtable to sstables and waits for it. Writes are
// durable without it (the WAL); it is for tests and benchmarks that read
// from sstables, and for the end of a large import.
func (s *Store) Flush() error {
	s.applyMu.Lock()
	s.settle()
	s.applyMu.Unlock()
	if err := s.db.Flush(); err != nil {
		return fmt.Errorf("flush store %s: %w", s.dir, err)
	}
	return nil
}

// Close closes the database and releases the directory.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.applyMu.Lock()
		s.settle()
		s.applyMu.Unlock()
		err := s.counts.Close(context.Background())
		if cerr := s.db.Close(); err == nil {
			err = cerr
		}
		if lerr := s.lock.Close(); err == nil {
			err = lerr
		}
		if err != nil {
			s.closeErr = fmt.Errorf("close store %s: %w", s.dir, err)
		}
	})
	return s.closeErr
}

// engineLogger passes Pebble's messages to a slog.Logger.
type engineLogger struct{ l *slog.Logger }

func (e engineLogger) Infof(format string, args ...any) {
	if e.l != nil {
		e.l.Debug(fmt.Sprintf(format, args...), "component", "pebble")
	}
}

func (e engineLogger) Errorf(format string, args ...any) {
	if e.l != nil {
		e.l.Error(fmt.Sprintf(format, args...), "component", "pebble")
	}
}

// Fatalf is called by the engine on unrecoverable corruption; it panics
// rather than exiting so that the program's own handling runs.
func (e engineLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if e.l != nil {
		e.l.Error(msg, "component", "pebble")
	}
	panic("pebble: " + msg)
}

// reader is what point reads need: the DB or an indexed batch.
type reader interface {
	Get(key []byte) ([]byte, io.Closer, error)
}

// get returns a copy of the value of key, or nil and false if absent.
func get(r reader, key []byte) ([]byte, bool, error) {
	v, c, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	out := append([]byte(nil), v...)
	_ = c.Close()
	return out, true, nil
}

// getFn calls fn with the value of key without copying it.
func getFn(r reader, key []byte, fn func([]byte) error) (bool, error) {
	v, c, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer c.Close()
	return true, fn(v)
}
