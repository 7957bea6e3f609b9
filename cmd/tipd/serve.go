package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tipd/tipd/internal/access"
	"github.com/tipd/tipd/internal/feeds"
	"github.com/tipd/tipd/internal/httpapi"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/opsock"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/reqlog"
	"github.com/tipd/tipd/internal/score"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/pebble"
	"github.com/tipd/tipd/internal/web"
)

// serveConfig is what `tipd serve` and `tipd demo` share.
type serveConfig struct {
	addr            string
	tlsCert, tlsKey string
	noHTTP2         bool   // offer HTTP/1.1 only over TLS
	noLane          bool   // every connection to net/http, none to the lookup lane
	clientCA        string // CA file for client certificates (mutual TLS)
	maxCount        int
	rate            float64 // burst limit: requests per second per user (0: off)
	burst           int     // burst limit: requests at once per user
	authFailures    int     // failed authentications per client address in 10 s (0: no limit)
	lookupMemoryMiB int64   // memory of lookup answers in flight (0: no bound)
	userInFlight    int     // lookups in flight per user (0: no cap)
	logFormat       string
	score           score.Config
	refresh         time.Duration // how often to check the store for new network data
	verdicts        int           // verdicts kept between lookups (0: none)
	answerCacheMiB  int64         // rendered answers kept between lookups (0: none)
	feedsFile       string        // the feeds file to fetch on schedule ("" none)
	readyMaxAge     int           // /readyz fails when a feed is this many intervals old (0: never)
	// announce prints the stable lines before serving (default: the url line).
	announce func(baseURL string) error
}

func (e *env) serveFlags(fs *flag.FlagSet, c *serveConfig) func() {
	scoring := e.scoreFlags(fs)
	addr := fs.String("addr", envOr(e.getenv, "TIPD_ADDR", "127.0.0.1:8080"), "listen address (env TIPD_ADDR)")
	cert := fs.String("tls-cert", e.getenv("TIPD_TLS_CERT"), "TLS certificate file (PEM)")
	key := fs.String("tls-key", e.getenv("TIPD_TLS_KEY"), "TLS private key file (PEM)")
	http2 := fs.Bool("http2", true, "over TLS, serve clients that negotiate HTTP/2 in it (false: HTTP/1.1 only)")
	lane := fs.Bool("lane", true, "serve plain HTTP/1.1 lookups on each connection's own loop (false: net/http serves every request)")
	maxCount := fs.Int("max-count", 10000, "the largest count a request may ask for")
	logFormat := fs.String("log", envOr(e.getenv, "TIPD_LOG", "json"), "log format: json, text or none (no log lines, no audit record; env TIPD_LOG)")
	refresh := fs.Duration("refresh", 5*time.Second, "how often to look for network data changed by other processes")
	rate := fs.Float64("rate", 50, "burst limit: requests per second each user may send on average (0: no limit)")
	burst := fs.Int("burst", 100, "burst limit: requests each user may send at once")
	lookupMemory := fs.Int64("lookup-memory", httpapi.DefaultLookupMemory>>20, "MiB that the answers of lookups in flight may hold together, half of it for one user (0: no bound)")
	userInFlight := fs.Int("user-inflight", httpapi.DefaultUserInFlight, "lookups each user may have in flight at once; more wait for a place (0: no cap)")
	authFailures := fs.Int("auth-failures", 20, "failed authentications a client address may have in 10 s before it is refused for a while (0: no limit)")
	verdicts := fs.Int("verdicts", report.DefaultVerdicts, "verdicts of list items kept between lookups until the next import or minute (0: none)")
	answerCache := fs.Int64("answer-cache", httpapi.DefaultAnswerCache>>20, "MiB of rendered answers kept between lookups until the next import, network refresh, minute or legal hold change (0: none)")
	feedsFile := feedsFlag(e, fs)
	readyMaxAge := fs.Int("ready-max-age", 0, "/readyz fails when a feed's last successful fetch is more than this many intervals old (0: never)")
	return func() {
		c.feedsFile, c.readyMaxAge = *feedsFile, *readyMaxAge
		c.addr, c.tlsCert, c.tlsKey, c.maxCount, c.logFormat, c.refresh = *addr, *cert, *key, *maxCount, *logFormat, *refresh
		c.score = scoring()
		c.rate, c.burst, c.authFailures = *rate, *burst, *authFailures
		c.lookupMemoryMiB, c.userInFlight = *lookupMemory, *userInFlight
		c.verdicts = *verdicts
		c.answerCacheMiB = *answerCache
		c.noHTTP2 = !*http2
		c.noLane = !*lane
	}
}

// orOff maps a flag's 0 (off) to httpapi.Config's negative (off).
func orOff(v int64) int64 {
	if v <= 0 {
		return -1
	}
	return v
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

func cmdServe(ctx context.Context, e *env, args []string) error {
	fs := e.newFlags("serve", "[-addr 127.0.0.1:8080] [-store URL] [-tls-cert F -tls-key F [-client-ca F]]")
	storeURL, cacheMB, clientCA, maxConns, migrate := e.serveStoreFlags(fs)
	var c serveConfig
	apply := e.serveFlags(fs, &c)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("serve takes no arguments, got %q", pos[0])
	}
	apply()
	if *clientCA != "" && (c.tlsCert == "" || c.tlsKey == "") {
		return usagef("-client-ca needs -tls-cert and -tls-key")
	}
	c.clientCA = *clientCA
	st, loc, err := openStore(ctx, *storeURL, storeOptions{cacheSize: *cacheMB << 20, maxConns: int32(*maxConns), migrate: *migrate})
	if err != nil {
		return err
	}
	defer st.Close()
	if ps, ok := st.(*pebble.Store); ok {
		if err := e.upgradePebble(ctx, ps, *migrate, newLogger(e.stderr, c.logFormat)); err != nil {
			return err
		}
	}
	return e.serve(ctx, st, loc, c)
}

// storeEmpty reports whether st holds no intelligence: no network data and
// no address, web address or object in its change order (three reads of
// one entry each). A read error counts as not empty: /readyz reports
// errors itself.
func storeEmpty(ctx context.Context, st store.Store, net *netdata.Holder) bool {
	if net.Load().Stats().Prefixes > 0 {
		return false
	}
	for _, k := range []store.ChangeKind{store.ChangedAddresses, store.ChangedURLs, store.ChangedObjects} {
		ch, err := st.Changes(ctx, k, store.Change{}, 1)
		if err != nil || len(ch) > 0 {
			return false
		}
	}
	return true
}

// serveStoreFlags adds the flags of serve that demo does not take: the
// store, its cache and pool, mutual TLS's CA file, and -migrate.
func (e *env) serveStoreFlags(fs *flag.FlagSet) (storeURL *string, cacheMB *int64, clientCA *string, maxConns *int, migrate *bool) {
	storeURL = e.storeFlag(fs)
	cacheMB = fs.Int64("cache-mb", 64, "Pebble block cache size in MiB")
	clientCA = fs.String("client-ca", "", "CA file for client certificates (mutual TLS)")
	maxConns = fs.Int("pg-max-conns", 0, "PostgreSQL: connections of this process's pool (0: max(4, CPUs))")
	migrate = fs.Bool("migrate", false, "apply pending schema migrations (PostgreSQL) or in-place upgrades (Pebble) at start")
	return storeURL, cacheMB, clientCA, maxConns, migrate
}

// upgradePebble runs the store's pending in-place upgrades when migrate is
// set, and otherwise warns that some are pending: the server answers
// without them, from what the store holds.
func (e *env) upgradePebble(ctx context.Context, st *pebble.Store, migrate bool, logger *slog.Logger) error {
	pending, err := st.Pending(ctx)
	if err != nil || len(pending) == 0 {
		return err
	}
	if !migrate {
		logger.Warn("the store has pending upgrades: run tipd migrate, or serve -migrate", "upgrades", pending)
		return nil
	}
	logger.Info("upgrading the store", "upgrades", pending)
	applied, err := st.Migrate(ctx, upgradeProgress(func(name string, items int64) {
		logger.Info("upgrading the store", "upgrade", name, "items", items)
	}))
	if err != nil {
		return err
	}
	logger.Info("upgraded the store", "upgrades", applied)
	return nil
}

// serve runs the HTTP server (and, for a Pebble store, the operator socket)
// until ctx ends or SIGINT/SIGTERM arrives, then shuts down gracefully.
func (e *env) serve(ctx context.Context, st store.Store, loc storeLocation, c serveConfig) error {
	if c.authFailures < 0 {
		return usagef("-auth-failures must be 0 (no limit) or more, not %d", c.authFailures)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	logs := newLogBuffer(e.stderr)
	defer logs.Close()
	logger := newLogger(logs, c.logFormat)
	net0 := netdata.NewHolder()
	if err := net0.Refresh(ctx, st, true); err != nil {
		return fmt.Errorf("load network data: %w", err)
	}
	shared := &sharedStore{st: st, net: net0}
	if c.readyMaxAge < 0 {
		return usagef("-ready-max-age must be 0 (never) or more, not %d", c.readyMaxAge)
	}
	if c.feedsFile != "" {
		file, err := readFeeds(c.feedsFile)
		if err != nil {
			return err
		}
		shared.feeds = e.newScheduler(file, st, net0, logger)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := httpapi.NewMetrics(reg)
	if shared.feeds != nil {
		reg.MustRegister(shared.feeds.Collector())
	}
	var counts *storeCounts
	if sc, ok := st.(store.Counter); ok {
		counts = &storeCounts{st: sc}
		reg.MustRegister(counts)
	}
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tipd_netdata_prefixes", Help: "Distinct prefixes in the network snapshot."},
			func() float64 { return float64(net0.Load().Stats().Prefixes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tipd_netdata_version", Help: "Store network version the snapshot was built from."},
			func() float64 { return float64(net0.Load().Version()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tipd_intel_version",
			Help: "The store's intel data version as this process knows it (-1: unknown; PostgreSQL learns of other processes' imports from notifications): kept answers and verdicts belong to one version."},
			func() float64 {
				if v, ok := store.IntelVersion(st); ok {
					return float64(v)
				}
				return -1
			}),
	)
	acc := &access.Service{Store: st, Now: e.now}
	builder := &report.Builder{Store: st, Net: net0, Now: e.now, Score: c.score}
	if c.verdicts > 0 {
		builder.Verdicts = report.NewVerdicts(c.verdicts)
	}
	var tlsConfig *tls.Config
	var clientCAs *x509.CertPool
	if c.clientCA != "" {
		var err error
		if tlsConfig, err = clientCAConfig(c.clientCA); err != nil {
			return err
		}
		clientCAs = tlsConfig.ClientCAs
	}
	handler := httpapi.NewServer(logger, httpapi.Config{MaxCount: c.maxCount, RatePerSecond: c.rate, Burst: c.burst,
		AuthFailures: c.authFailures,
		LookupMemory: orOff(c.lookupMemoryMiB << 20), UserInFlight: int(orOff(int64(c.userInFlight))),
		AnswerCache: orOff(c.answerCacheMiB << 20)}, httpapi.Deps{
		Access:  acc,
		Reports: builder,
		Changes: st,
		Ready: func(ctx context.Context) error {
			if _, err := st.NetworkVersion(ctx); err != nil {
				return err
			}
			if shared.feeds != nil {
				return shared.feeds.Stale(c.readyMaxAge)
			}
			return nil
		},
		ReadyNote: func(ctx context.Context) string {
			if storeEmpty(ctx, st, net0) {
				return "the store holds no intelligence yet, so every lookup answers Grey: import some (tipd import) or list feeds (tipd serve -feeds)"
			}
			return ""
		},
		Metrics:   metrics,
		Registry:  reg,
		UI:        web.Handler(),
		Now:       e.now,
		ClientCAs: clientCAs,
		Feeds:     feedStatuses(shared.feeds),
	})

	if c.clientCA != "" {
		handler = httpapi.WithBasicChallenge(handler)
	}
	// Handlers may outlive a shutdown that timed out; the store is closed
	// only after the last of them returned.
	var running handlers
	handler = running.wrap(handler)

	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.addr, err)
	}
	scheme := "http"
	if c.tlsCert != "" || c.tlsKey != "" {
		if c.tlsCert == "" || c.tlsKey == "" {
			ln.Close()
			return usagef("-tls-cert and -tls-key go together")
		}
		cert, err := tls.LoadX509KeyPair(c.tlsCert, c.tlsKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("load the TLS certificate and key: %w", err)
		}
		if tlsConfig == nil {
			tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		tlsConfig.Certificates = []tls.Certificate{cert}
		scheme = "https"
	}
	baseURL := fmt.Sprintf("%s://%s", scheme, ln.Addr())
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	// The edge listener terminates TLS itself and answers net/http's own
	// refusals in JSON (httpapi/edge.go); the server speaks HTTP/1.1.
	ln = httpapi.NewEdgeListener(srv, ln, httpapi.EdgeOptions{TLS: tlsConfig, Metrics: metrics, NoHTTP2: c.noHTTP2, NoLane: c.noLane})

	var wg sync.WaitGroup
	errc := make(chan error, 2)
	var admin *http.Server
	if loc.kind == "pebble" {
		sl, err := opsock.Listen(loc.socketPath())
		if err != nil {
			ln.Close()
			return err
		}
		admin = &http.Server{Handler: running.wrap(execHandler(logger, shared, e.getenv, e.now)), ReadHeaderTimeout: 10 * time.Second}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := admin.Serve(sl); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("operator socket: %w", err)
			}
		}()
	}
	if c.announce == nil {
		c.announce = func(baseURL string) error {
			_, err := fmt.Fprintf(e.stdout, "url: %s\n", baseURL)
			return err
		}
	}
	{
		if err := c.announce(baseURL); err != nil {
			ln.Close()
			if admin != nil {
				admin.Close()
			}
			wg.Wait()
			return err
		}
	}
	logger.Info("serving", "url", baseURL, "store", loc.kind)

	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	refreshCtx, cancelRefresh := context.WithCancel(ctx)
	if shared.feeds != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			shared.feeds.Run(refreshCtx)
		}()
	}
	if counts != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts.run(refreshCtx, logger)
		}()
	}
	go func() {
		defer wg.Done()
		t := time.NewTicker(c.refresh)
		defer t.Stop()
		for {
			select {
			case <-refreshCtx.Done():
				return
			case <-t.C:
				if err := net0.Refresh(refreshCtx, st, false); err != nil && refreshCtx.Err() == nil {
					logger.Warn("refresh network data", "err", err)
				}
			}
		}
	}()

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	cancelRefresh()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Warn("shutdown", "err", err)
		srv.Close() // cut the connections that did not finish in time
	}
	if admin != nil {
		if admin.Shutdown(sctx) != nil {
			admin.Close()
		}
	}
	wg.Wait()
	if !running.wait(handlerGrace) {
		logger.Error("handlers still running after the shutdown deadline; closing the store under them")
	}
	logger.Info("stopped")
	return runErr
}

// handlerGrace is how long a stop waits, after the connections were cut,
// for the handlers still running to return before the store is closed.
const handlerGrace = 10 * time.Second

// handlers counts the HTTP handlers running. A graceful shutdown that times
// out leaves handlers running (a lookup writing to a client that does not
// read, an import through the operator socket); the store must outlive
// them, or they read a closed store.
type handlers struct{ n atomic.Int64 }

func (h *handlers) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.n.Add(1)
		defer h.n.Add(-1)
		next.ServeHTTP(w, r)
	})
}

// wait waits at most d for every handler to return and reports whether
// they did.
func (h *handlers) wait(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for h.n.Load() > 0 {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// clientCAConfig is the TLS configuration of mutual TLS: client
// certificates are asked for (with the CA certificates in file named as
// acceptable issuers) but not verified during the handshake: the API
// verifies them per request (httpapi.Deps.ClientCAs), so that an expired or
// foreign certificate is answered 401 rather than a failed handshake. A
// client without a certificate still connects, so Bearer tokens keep
// working; Basic authentication needs a verified one.
func clientCAConfig(file string) (*tls.Config, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read client CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("the client CA file %s holds no PEM certificate", file)
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		ClientCAs:  pool, // offered to clients as acceptable issuers
		ClientAuth: tls.RequestClientCert,
	}, nil
}

func newLogger(w interface{ Write([]byte) (int, error) }, format string) *slog.Logger {
	if format == "none" {
		return slog.New(slog.DiscardHandler)
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(reqlog.New(w))
}

// feedStatuses is the status of the server's scheduled feeds, for the
// feed pages of the API; nil when it fetches none.
func feedStatuses(s *feeds.Scheduler) func() []feeds.Status {
	if s == nil {
		return nil
	}
	return s.Statuses
}
