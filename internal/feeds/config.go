// Package feeds fetches the public feeds an operator lists in a feeds file,
// each on its interval, and hands every new version of a feed's file to an
// import. It holds the feeds file's syntax (Parse), the fetcher
// (conditional requests, retries with backoff and jitter, a size cap, the
// compressed forms) and the scheduler that runs both and keeps each feed's
// status for the metrics, /readyz and `tipd feeds status`.
package feeds

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Defaults of a feed's settings.
const (
	DefaultInterval   = time.Hour
	DefaultMaxSize    = 512 << 20 // bytes, as fetched (compressed)
	DefaultTimeout    = 10 * time.Minute
	DefaultRetries    = 3
	DefaultRetryDelay = 5 * time.Second
	MinInterval       = time.Minute
)

// Feed is one entry of the feeds file.
type Feed struct {
	// Name identifies the feed in metrics, logs and `tipd feeds run NAME`.
	Name string
	// URL is what is fetched (http or https).
	URL string
	// Format is the import format (`tipd import -format`).
	Format string
	// FeedName is the -feed name recorded as the evidence's source (empty:
	// the format's own).
	FeedName string
	// Category is the -category of list formats.
	Category string
	// Interval is the time between fetches.
	Interval time.Duration
	// Timeout bounds one fetch and import.
	Timeout time.Duration
	// MaxSize is the most bytes a fetch may transfer.
	MaxSize int64
	// Retries is how many times a failed fetch is retried (with backoff
	// and jitter) before the feed waits for its next interval.
	Retries int
	// RetryDelay is the first retry's delay; each retry doubles it, up to
	// half the interval, plus up to half again of jitter.
	RetryDelay time.Duration
	// Headers are sent with every request. Values may name environment
	// variables as ${NAME}, expanded when the request is made; a value is
	// never printed or stored.
	Headers map[string]string
}

// File is a parsed feeds file.
type File struct {
	Feeds []Feed
}

// fileSyntax is the TOML layout of a feeds file.
type fileSyntax struct {
	Defaults feedSyntax   `toml:"defaults"`
	Feed     []feedSyntax `toml:"feed"`
}

type feedSyntax struct {
	Name       string            `toml:"name"`
	URL        string            `toml:"url"`
	Format     string            `toml:"format"`
	FeedName   string            `toml:"feed"`
	Category   string            `toml:"category"`
	Interval   string            `toml:"interval"`
	Timeout    string            `toml:"timeout"`
	MaxSize    string            `toml:"max_size"`
	Retries    *int              `toml:"retries"`
	RetryDelay string            `toml:"retry_delay"`
	Headers    map[string]string `toml:"headers"`
}

var (
	nameRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	envRefRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)
)

// ReadFile reads and checks the feeds file at path. formats lists the
// import format names; checkFormat, if set, checks a feed's format options
// (a list format's category and feed name).
func ReadFile(path string, formats []string, checkFormat func(f Feed) error) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the feeds file: %w", err)
	}
	f, err := Parse(b, formats, checkFormat)
	if err != nil {
		return nil, fmt.Errorf("feeds file %s: %w", path, err)
	}
	return f, nil
}

// Parse parses and checks a feeds file: every key known, every feed named
// once, with a URL, a known format, an interval of at least a minute, and
// header values whose ${NAME} references are set in the environment.
func Parse(b []byte, formats []string, checkFormat func(f Feed) error) (*File, error) {
	var syn fileSyntax
	md, err := toml.Decode(string(b), &syn)
	if err != nil {
		return nil, err
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("unknown setting %s", strings.Join(keys, ", "))
	}
	if len(syn.Feed) == 0 {
		return nil, errors.New("it lists no [[feed]]")
	}
	def, err := syn.Defaults.settle(Feed{Interval: DefaultInterval, Timeout: DefaultTimeout, MaxSize: DefaultMaxSize, Retries: DefaultRetries, RetryDelay: DefaultRetryDelay})
	if err != nil {
		return nil, fmt.Errorf("[defaults]: %w", err)
	}
	if syn.Defaults.Name != "" || syn.Defaults.URL != "" || syn.Defaults.Format != "" {
		return nil, errors.New("[defaults] takes interval, timeout, max_size, retries, retry_delay and headers only")
	}
	out := &File{}
	seen := map[string]bool{}
	for i, fs := range syn.Feed {
		f, err := fs.settle(def)
		if err == nil {
			err = f.check(formats, checkFormat)
		}
		if err != nil {
			what := fmt.Sprintf("feed %d", i+1)
			if fs.Name != "" {
				what = fmt.Sprintf("feed %q", fs.Name)
			}
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if seen[f.Name] {
			return nil, fmt.Errorf("feed %q is listed twice", f.Name)
		}
		seen[f.Name] = true
		out.Feeds = append(out.Feeds, f)
	}
	return out, nil
}

// settle applies s's settings over def.
func (s feedSyntax) settle(def Feed) (Feed, error) {
	f := def
	f.Name, f.URL, f.Format, f.FeedName, f.Category = s.Name, s.URL, s.Format, s.FeedName, s.Category
	f.Headers = map[string]string{}
	for k, v := range def.Headers {
		f.Headers[k] = v
	}
	for k, v := range s.Headers {
		f.Headers[k] = v
	}
	var err error
	if s.Interval != "" {
		if f.Interval, err = parseDuration(s.Interval); err != nil {
			return f, fmt.Errorf("interval: %w", err)
		}
	}
	if s.Timeout != "" {
		if f.Timeout, err = parseDuration(s.Timeout); err != nil {
			return f, fmt.Errorf("timeout: %w", err)
		}
	}
	if s.MaxSize != "" {
		if f.MaxSize, err = parseSize(s.MaxSize); err != nil {
			return f, fmt.Errorf("max_size: %w", err)
		}
	}
	if s.RetryDelay != "" {
		if f.RetryDelay, err = time.ParseDuration(s.RetryDelay); err != nil || f.RetryDelay <= 0 {
			return f, fmt.Errorf("retry_delay %q is not a duration such as 5s", s.RetryDelay)
		}
	}
	if s.Retries != nil {
		if *s.Retries < 0 || *s.Retries > 20 {
			return f, fmt.Errorf("retries %d is not between 0 and 20", *s.Retries)
		}
		f.Retries = *s.Retries
	}
	return f, nil
}

func (f Feed) check(formats []string, checkFormat func(Feed) error) error {
	if !nameRE.MatchString(f.Name) {
		return fmt.Errorf("name %q is not 1 to 63 lower-case letters, digits, '.', '_' or '-'", f.Name)
	}
	u, err := url.Parse(f.URL)
	if err != nil || !(u.Scheme == "http" || u.Scheme == "https") || u.Host == "" {
		return fmt.Errorf("url %q is not an http or https address", f.URL)
	}
	if !slices.Contains(formats, f.Format) {
		return fmt.Errorf("format %q is not one of %s", f.Format, strings.Join(formats, ", "))
	}
	if f.Interval < MinInterval {
		return fmt.Errorf("interval %s is under the minimum of %s", f.Interval, MinInterval)
	}
	if f.Timeout <= 0 {
		return errors.New("timeout must be positive")
	}
	for k, v := range f.Headers {
		for _, m := range envRefRE.FindAllStringSubmatch(v, -1) {
			if _, ok := os.LookupEnv(m[1]); !ok {
				return fmt.Errorf("header %s names the environment variable %s, which is not set", k, m[1])
			}
		}
	}
	if checkFormat != nil {
		return checkFormat(f)
	}
	return nil
}

// header returns the value of header k with its ${NAME} references
// expanded from the environment.
func expand(v string) string {
	return envRefRE.ReplaceAllStringFunc(v, func(ref string) string {
		return os.Getenv(ref[2 : len(ref)-1])
	})
}

// parseDuration takes Go durations (90m, 1h30m) and days (7d).
func parseDuration(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(d, "%d", &n); err != nil || n <= 0 || fmt.Sprint(n) != d {
			return 0, fmt.Errorf("%q is not a duration such as 90m, 6h or 7d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a duration such as 90m, 6h or 7d", s)
	}
	return d, nil
}

// parseSize takes bytes with an optional KiB, MiB or GiB unit.
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}, {"", 1}}
	for _, u := range units {
		v, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		var n int64
		if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d", &n); err != nil || fmt.Sprint(n) != strings.TrimSpace(v) || n <= 0 || n > (1<<40)/u.mult {
			break
		}
		return n * u.mult, nil
	}
	return 0, fmt.Errorf("%q is not a size such as 512MiB", s)
}
