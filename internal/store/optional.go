package store

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// Optional capabilities. A backend may implement a faster way to do what
// the contract can already do (several reads in one scan or round trip, a
// commit overlapping the next merge). Callers never check for them: they
// call the helpers below (ReadLists, ReportsByID, TokenUser, ApplyAsync),
// which use the capability when the backend has it and otherwise do the
// same with the contract's methods, so every caller has one code path and
// the conformance suite checks each helper on every backend.

// ListsReader is an optional interface of a backend that reads the four
// list sections of one address together (one scan where the backend can)
// into caller-owned slices, as ReadLists documents.
type ListsReader interface {
	AddressLists(ctx context.Context, ip netip.Addr, limits ListLimits, dst *AddressLists) error
}

// SummaryListsReader is an optional interface of a backend that reads an
// address's summary and its lists together, as AddressWithLists
// documents, reading no list its summary counts empty.
type SummaryListsReader interface {
	AddressWithLists(ctx context.Context, ip netip.Addr, limits ListLimits, dst *AddressLists) (intel.AddressSummary, error)
}

// QuotaHolder is an optional interface of an Access backend that counts
// requests in blocks it reserves (internal/store/quota): HoldsCount
// reports whether it holds a count of user on day that it would hand out
// under quota now, so that a request of the user is within the quota
// without a read.
type QuotaHolder interface {
	HoldsCount(user, day string, quota int64) bool
}

// ReportsReader is an optional interface of a backend that reads several
// reports at once (one round trip), as ReportsByID documents.
type ReportsReader interface {
	ReportsByID(ctx context.Context, ids []string) ([]intel.Report, error)
}

// TokenUserReader is an optional interface of an Access backend that reads
// an active token and the user it belongs to together (one round trip
// instead of two), as TokenUser documents.
type TokenUserReader interface {
	TokenUser(ctx context.Context, hash string) (intel.Token, intel.User, error)
}

// Pipeliner is an optional interface of a backend that can merge a batch
// while the batch before it is still being committed, as ApplyAsync
// documents.
type Pipeliner interface {
	ApplyAsync(ctx context.Context, b *intel.Batch, done func(error)) error
}

// Preparer is an optional interface of a Pipeliner that can do part of
// ApplyAsync's work on a batch ahead of it, on the caller's goroutine:
// validating the batch and planning what merging it reads. A bulk import
// prepares the next batch so while one merges (see PrepareBatch).
type Preparer interface {
	Pipeliner
	// PrepareBatch validates b and plans its merge.
	PrepareBatch(b *intel.Batch) (Plan, error)
	// ApplyPlanned is ApplyAsync of a batch PrepareBatch planned; b must
	// not have changed since. On a Syncer its commit need not wait for
	// the disk: the batch is durable once a Sync called after done
	// returns (see Syncer).
	ApplyPlanned(ctx context.Context, b *intel.Batch, p Plan, done func(error)) error
}

// Syncer is an optional interface of a Preparer whose ApplyPlanned commits
// without waiting for the disk, which a bulk import's many batches would
// otherwise each wait for. A crash (of the process or of the machine)
// before Sync may lose the latest of those batches, never part of one and
// never a batch that Sync or a commit of Apply made durable before: the
// store is left as if the import had stopped earlier, and importing the
// file again completes it.
type Syncer interface {
	// Sync returns once every batch committed before the call is durable.
	Sync(ctx context.Context) error
}

// Sync makes the batches committed on st so far durable, where st is a
// Syncer; elsewhere every commit is durable already and it does nothing.
func Sync(ctx context.Context, st Intel) error {
	if s, ok := st.(Syncer); ok {
		return s.Sync(ctx)
	}
	return nil
}

// Plan is what a Preparer's PrepareBatch did of a batch's merge; nil
// stands for nothing.
type Plan any

// DomainsReader is an optional interface of a backend that reads the
// addresses of several domains in one pass, as DomainsIPs documents.
type DomainsReader interface {
	DomainsIPs(ctx context.Context, domains []string, limit int, fn func(i int, ips []netip.Addr)) error
}

// DomainsIPs calls fn with each domain's index in domains and exactly what
// DomainIPs answers for it with limit, in the order of domains (sorted
// domains read fastest); ips is valid during the call only. Where st is a
// DomainsReader it is one pass: an import joins thousands of web
// addresses per batch to the addresses of their hosts.
func DomainsIPs(ctx context.Context, st Intel, domains []string, limit int, fn func(i int, ips []netip.Addr)) error {
	if r, ok := st.(DomainsReader); ok {
		return r.DomainsIPs(ctx, domains, limit, fn)
	}
	for i, d := range domains {
		ips, err := st.DomainIPs(ctx, d, limit)
		if err != nil {
			return err
		}
		fn(i, ips)
	}
	return nil
}

// Versioned is an optional interface of a backend that knows the changes
// of its intel data, as IntelVersion documents.
type Versioned interface {
	IntelVersion() (uint64, bool)
}

// IntelVersion returns a number that changes after every committed Apply
// that may have changed what the intel reads answer, and whether st can
// tell now. The embedded store, which one process opens at a time, and the
// memory store see every change as it commits; PostgreSQL learns of the
// changes of every process from notifications, a few milliseconds after
// they commit, and cannot tell while it is not listening for them. The
// number is read without I/O and is meaningful within one process.
func IntelVersion(st Intel) (uint64, bool) {
	if v, ok := st.(Versioned); ok {
		return v.IntelVersion()
	}
	return 0, false
}

// ListLimits are the limits of the four list sections of AddressLists.
type ListLimits struct {
	HostedURLs, Files, Resolutions, Masks int
}

// AddressLists holds the four list sections of an address.
type AddressLists struct {
	HostedURLs  []intel.HostedURL
	Files       []intel.FileDownload
	Resolutions []intel.Resolution
	Masks       []intel.FeedMask
	// Scratch is the backend's reusable memory; callers leave it alone.
	Scratch any
}

// ReadLists reads the four list sections of ip into dst: exactly what
// HostedURLs, Files, Resolutions and Masks answer with the limits of lim
// (a limit <= 0 reads nothing for that list), in one read where st is a
// ListsReader. Each slice of dst is truncated and refilled, reusing its
// capacity, so that a caller can keep dst in a pool between reads. The
// items (their strings and lists too) may live in memory the backend keeps
// in dst.Scratch: they are valid until dst is passed to ReadLists again,
// and nothing taken from them may be kept longer without copying it.
// Errors name the list and the address.
func ReadLists(ctx context.Context, st Intel, ip netip.Addr, lim ListLimits, dst *AddressLists) error {
	if lr, ok := st.(ListsReader); ok {
		return lr.AddressLists(ctx, ip, lim, dst)
	}
	var err error
	if dst.HostedURLs, err = readList(ctx, ip, lim.HostedURLs, dst.HostedURLs, st.HostedURLs); err != nil {
		return err
	}
	if dst.Files, err = readList(ctx, ip, lim.Files, dst.Files, st.Files); err != nil {
		return err
	}
	if dst.Resolutions, err = readList(ctx, ip, lim.Resolutions, dst.Resolutions, st.Resolutions); err != nil {
		return err
	}
	dst.Masks, err = readList(ctx, ip, lim.Masks, dst.Masks, st.Masks)
	return err
}

// AddressWithLists reads the summary of ip, exactly what Address answers,
// and its four lists into dst, exactly as ReadLists does. Where st is a
// SummaryListsReader the lists the summary counts empty (all four, for an
// address the store knows nothing of) cost no read at all.
func AddressWithLists(ctx context.Context, st Intel, ip netip.Addr, lim ListLimits, dst *AddressLists) (intel.AddressSummary, error) {
	if r, ok := st.(SummaryListsReader); ok {
		return r.AddressWithLists(ctx, ip, lim, dst)
	}
	sum, err := st.Address(ctx, ip)
	if err != nil {
		return intel.AddressSummary{}, err
	}
	return sum, ReadLists(ctx, st, ip, lim, dst)
}

// readList reads one list into dst[:0]. The items are copied, so that dst
// never shares an array with the store's answer when it goes back to a
// caller's pool.
func readList[T any](ctx context.Context, ip netip.Addr, limit int, dst []T,
	read func(context.Context, netip.Addr, int) ([]T, error)) ([]T, error) {
	dst = dst[:0]
	if limit <= 0 {
		return dst, nil
	}
	items, err := read(ctx, ip, limit)
	if err != nil {
		return nil, err
	}
	return append(dst, items...), nil
}

// ReportsByID reads the reports of ids that exist, in any order, in one
// round trip where st is a ReportsReader; unknown ids are left out, not an
// error.
func ReportsByID(ctx context.Context, st Intel, ids []string) ([]intel.Report, error) {
	if rr, ok := st.(ReportsReader); ok {
		return rr.ReportsByID(ctx, ids)
	}
	out := make([]intel.Report, 0, len(ids))
	for _, id := range ids {
		r, err := st.Report(ctx, id)
		if errors.Is(err, intel.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// ReportAddressesReader is an optional interface of a backend that lists
// the linked addresses of several reports in one round trip.
type ReportAddressesReader interface {
	// ReportAddressesOf returns, for each id of ids with links, what
	// ReportAddresses(ctx, id, limit) returns.
	ReportAddressesOf(ctx context.Context, ids []string, limit int) (map[string][]netip.Addr, error)
}

// ReportAddressesOf lists the linked addresses of each report of ids (as
// Intel.ReportAddresses, at most limit each; reports without links are
// left out of the map), in one round trip where st is a
// ReportAddressesReader.
func ReportAddressesOf(ctx context.Context, st Intel, ids []string, limit int) (map[string][]netip.Addr, error) {
	if rr, ok := st.(ReportAddressesReader); ok {
		return rr.ReportAddressesOf(ctx, ids, limit)
	}
	out := make(map[string][]netip.Addr, len(ids))
	for _, id := range ids {
		ips, err := st.ReportAddresses(ctx, id, limit)
		if err != nil {
			return nil, err
		}
		if len(ips) > 0 {
			out[id] = ips
		}
	}
	return out, nil
}

// ReportObjectsReader is an optional interface of a backend that lists
// the linked objects of several reports in one round trip.
type ReportObjectsReader interface {
	// ReportObjectsOf returns, for each id of ids with links, what
	// ReportObjects(ctx, id, limit) returns.
	ReportObjectsOf(ctx context.Context, ids []string, limit int) (map[string][]ObjectRef, error)
}

// ReportObjectsOf lists the linked objects of each report of ids (as
// Intel.ReportObjects, at most limit each; reports without links are
// left out of the map), in one round trip where st is a
// ReportObjectsReader.
func ReportObjectsOf(ctx context.Context, st Intel, ids []string, limit int) (map[string][]ObjectRef, error) {
	if rr, ok := st.(ReportObjectsReader); ok {
		return rr.ReportObjectsOf(ctx, ids, limit)
	}
	out := make(map[string][]ObjectRef, len(ids))
	for _, id := range ids {
		objs, err := st.ReportObjects(ctx, id, limit)
		if err != nil {
			return nil, err
		}
		if len(objs) > 0 {
			out[id] = objs
		}
	}
	return out, nil
}

// TokenUser reads the active token with this hash and the user it belongs
// to, together where st is a TokenUserReader. It returns intel.ErrNotFound
// when the token is unknown or its user does not exist; the caller then
// reads the token alone to say which. Expiry is the caller's to check.
func TokenUser(ctx context.Context, st Access, hash string) (intel.Token, intel.User, error) {
	if tu, ok := st.(TokenUserReader); ok {
		return tu.TokenUser(ctx, hash)
	}
	t, err := st.TokenByHash(ctx, hash)
	if err != nil {
		return intel.Token{}, intel.User{}, err
	}
	u, err := st.User(ctx, t.User)
	if err != nil {
		return intel.Token{}, intel.User{}, err
	}
	return t, u, nil
}

// ApplyAsync is Apply returning once b is merged, so that a bulk import
// can merge the next batch while b commits where st is a Pipeliner (else
// it is Apply, and done runs before ApplyAsync returns). It returns an
// error if b could not be merged (and then never calls done), or nil and
// calls done exactly once with the result of the commit. Batches commit in
// the order of the calls, atomically each, and are visible to readers once
// committed; a batch merged on top of one whose commit fails fails too. b
// must not be changed until done is called. done may run on a goroutine of
// the backend and must not call the store.
func ApplyAsync(ctx context.Context, st Intel, b *intel.Batch, done func(error)) error {
	if pl, ok := st.(Pipeliner); ok {
		return pl.ApplyAsync(ctx, b, done)
	}
	if err := st.Apply(ctx, b); err != nil {
		return err
	}
	done(nil)
	return nil
}

// PrepareBatch does, where st is a Preparer, the part of merging b that
// can be done ahead of it on the caller's goroutine (ApplyPlannedAsync
// then skips it), and returns its plan; b's validation error is returned
// here then. Elsewhere it returns a nil plan and no error.
func PrepareBatch(st Intel, b *intel.Batch) (Plan, error) {
	if pr, ok := st.(Preparer); ok {
		return pr.PrepareBatch(b)
	}
	return nil, nil
}

// ApplyPlannedAsync is ApplyAsync of a batch PrepareBatch planned as p (b
// unchanged since).
func ApplyPlannedAsync(ctx context.Context, st Intel, b *intel.Batch, p Plan, done func(error)) error {
	if pr, ok := st.(Preparer); ok && p != nil {
		return pr.ApplyPlanned(ctx, b, p, done)
	}
	return ApplyAsync(ctx, st, b, done)
}

// Pipelines reports whether ApplyAsync overlaps a commit with the next
// merge on st (importers size their batches by it).
func Pipelines(st Intel) bool {
	_, ok := st.(Pipeliner)
	return ok
}

// ReportFilesReader is an optional interface of a backend that keeps the
// files of reports (intel.Report's YARA rules and PDF document), stored
// apart from the reports so that reading reports never reads them. Every
// backend of tipd implements it; ReportYARA and ReportPDF read through it.
type ReportFilesReader interface {
	// ReportYARAOf returns the YARA rules of each report of ids that has
	// some (reports without rules, and unknown ids, are left out).
	ReportYARAOf(ctx context.Context, ids []string) (map[string]string, error)
	// ReportPDF returns the PDF document of the report id: nil when the
	// report has none or is unknown.
	ReportPDF(ctx context.Context, id string) ([]byte, error)
}

// ReportYARA returns the YARA rules of each report of ids that has some,
// or an empty map where st keeps no report files.
func ReportYARA(ctx context.Context, st Intel, ids []string) (map[string]string, error) {
	if rf, ok := st.(ReportFilesReader); ok {
		return rf.ReportYARAOf(ctx, ids)
	}
	return map[string]string{}, nil
}

// ReportPDF returns the PDF document of report id, or nil when it has none
// or st keeps no report files.
func ReportPDF(ctx context.Context, st Intel, id string) ([]byte, error) {
	if rf, ok := st.(ReportFilesReader); ok {
		return rf.ReportPDF(ctx, id)
	}
	return nil, nil
}

// FeedLocker is an optional interface of a backend that several processes
// share (PostgreSQL): TakeFeedLock takes, or keeps, the lock of a scheduled
// feed for this process and reports false when another process holds it,
// so that each feed is fetched by one of the processes, not by all. A
// process keeps the feeds it took until it exits.
type FeedLocker interface {
	TakeFeedLock(ctx context.Context, name string) (bool, error)
}

// FeedVersioner is an optional interface of a backend that keeps, per
// feed, the date of the latest version of its file that was imported: the
// date every listing of a snapshot feed's file carries (the file's own
// date, or the minute of its import). A listing of the feed last seen
// before that date is no longer in the feed's latest version. One date per
// feed name is kept, the latest given; every backend of tipd implements it.
type FeedVersioner interface {
	// PutFeedVersions records each feed's version date, keeping the later
	// of the stored and the given one.
	PutFeedVersions(ctx context.Context, versions map[string]time.Time) error
	// FeedVersions returns every feed's latest version date.
	FeedVersions(ctx context.Context) (map[string]time.Time, error)
}

// PutFeedVersions records feed versions where st keeps them.
func PutFeedVersions(ctx context.Context, st Intel, versions map[string]time.Time) error {
	if fv, ok := st.(FeedVersioner); ok && len(versions) > 0 {
		return fv.PutFeedVersions(ctx, versions)
	}
	return nil
}

// FeedVersions returns the feed versions st keeps (none where it keeps
// none).
func FeedVersions(ctx context.Context, st Intel) (map[string]time.Time, error) {
	if fv, ok := st.(FeedVersioner); ok {
		return fv.FeedVersions(ctx)
	}
	return map[string]time.Time{}, nil
}

// Counter is an optional interface of a backend that can count what it
// holds: addresses with a summary, and objects (hosts, web addresses,
// files) by kind. The count reads every key or row of those tables, so it
// is for a background task, not for a request.
type Counter interface {
	CountStored(ctx context.Context) (Counts, error)
}

// Counts are what Counter counts.
type Counts struct {
	Addresses int64
	Objects   map[intel.ObjectKind]int64
}
