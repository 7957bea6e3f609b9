package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// `tipd bench` is a small HTTP load generator for the lookup API: a quick
// check that a running server answers under concurrent load, with the
// latencies it measured. It is no reference for the server's speed: it
// shares the machine and runs Go's HTTP client, which saturates long before
// the server does on one machine. scripts/bench-http.sh measures the server
// with wrk against nginx and a bare Go handler serving the same bytes
// (docs/benchmarks.md).

func cmdBench(ctx context.Context, e *env, args []string) error {
	fs := e.newFlags("bench", "-url BASE -token T [-c 8] [-d 10s] [-count 10] (-addresses FILE | ADDRESS...)")
	base := fs.String("url", "http://127.0.0.1:8080", "base URL of a running tipd; several, comma-separated, share the load round robin")
	token := fs.String("token", e.getenv("TIPD_TOKEN"), "API token (env TIPD_TOKEN)")
	conc := fs.Int("c", 8, "concurrent connections")
	dur := fs.Duration("d", 10*time.Second, "duration of the measurement")
	count := fs.Int("count", 10, "count parameter of each request")
	addrFile := fs.String("addresses", "", "file with one address per line")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	addrs := pos
	if *addrFile != "" {
		a, err := readLines(*addrFile)
		if err != nil {
			return err
		}
		addrs = append(addrs, a...)
	}
	if len(addrs) == 0 {
		return usagef("bench needs addresses: -addresses FILE or ADDRESS arguments")
	}
	if *conc < 1 || *dur <= 0 {
		return usagef("-c must be positive and -d longer than zero")
	}
	bases := strings.Split(*base, ",")
	targets := make([]string, 0, len(addrs)*len(bases))
	for _, a := range addrs {
		for _, b := range bases {
			targets = append(targets, fmt.Sprintf("%s/api/ip/%s?count=%d", strings.TrimRight(strings.TrimSpace(b), "/"), a, *count))
		}
	}
	res := load(ctx, benchClient(*conc), targets, "Bearer "+*token, *conc, *dur)
	fmt.Fprintf(e.stdout, "tipd:   %s\n", res)
	return res.err()
}

func benchClient(conc int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns:        conc * 2,
		MaxIdleConnsPerHost: conc * 2,
		DisableCompression:  true,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}, Timeout: 30 * time.Second}
}

type loadResult struct {
	n        int64
	statuses map[int]int64
	failures int64
	elapsed  time.Duration
	lat      []time.Duration // sorted
	bytes    int64
}

func (r loadResult) rps() float64 { return float64(r.n) / r.elapsed.Seconds() }

func (r loadResult) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, int(float64(len(r.lat))*p))]
}

func (r loadResult) String() string {
	codes := make([]int, 0, len(r.statuses))
	for c := range r.statuses {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var sb strings.Builder
	for _, c := range codes {
		fmt.Fprintf(&sb, " %d:%d", c, r.statuses[c])
	}
	return fmt.Sprintf("%d requests in %.1fs, %.0f req/s, p50 %s p90 %s p99 %s, %.0f bytes/answer, status%s, failures %d",
		r.n, r.elapsed.Seconds(), r.rps(), r.pct(0.50).Round(time.Microsecond), r.pct(0.90).Round(time.Microsecond),
		r.pct(0.99).Round(time.Microsecond), float64(r.bytes)/float64(max(r.n, 1)), sb.String(), r.failures)
}

func (r loadResult) err() error {
	if r.failures > 0 {
		return fmt.Errorf("%d requests failed", r.failures)
	}
	if n := r.statuses[http.StatusTooManyRequests]; n > 0 {
		return fmt.Errorf("%d requests answered 429: the server's burst limit refused them; benchmark a server started with -rate 0", n)
	}
	for c, n := range r.statuses {
		if c != http.StatusOK {
			return fmt.Errorf("%d requests answered %d", n, c)
		}
	}
	return nil
}

// load sends GETs to targets (round robin) from conc workers for d and
// collects every latency. The loop is bounded by d and by ctx.
func load(ctx context.Context, c *http.Client, targets []string, auth string, conc int, d time.Duration) loadResult {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var next atomic.Int64
	var mu sync.Mutex
	res := loadResult{statuses: map[int]int64{}}
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1<<16)
			codes := map[int]int64{}
			var fails, nbytes int64
			for ctx.Err() == nil {
				i := next.Add(1)
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, targets[int(i)%len(targets)], nil)
				if auth != "" {
					req.Header.Set("Authorization", auth)
				}
				t0 := time.Now()
				resp, err := c.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						fails++
					}
					continue
				}
				n, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil {
					if ctx.Err() == nil {
						fails++
					}
					continue
				}
				lat = append(lat, time.Since(t0))
				codes[resp.StatusCode]++
				nbytes += n
			}
			mu.Lock()
			res.lat = append(res.lat, lat...)
			for k, v := range codes {
				res.statuses[k] += v
			}
			res.failures += fails
			res.bytes += nbytes
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.n = int64(len(res.lat))
	slices.Sort(res.lat)
	return res
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" && !strings.HasPrefix(s, "#") {
			out = append(out, s)
		}
	}
	return out, sc.Err()
}
