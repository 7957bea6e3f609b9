package feeds

import (
	"archive/zip"
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"time"
)

// Validators are what a fetch remembers of the version it last got, for
// a conditional request.
type Validators struct {
	ETag         string
	LastModified string
}

// Result is one fetch's outcome.
type Result struct {
	// NotModified: the server answered 304; there is no file.
	NotModified bool
	// Path is a temporary file holding the new version, whole and checked
	// (a gzip stream's checksum verified, a zip archive's one member
	// extracted); the caller removes it.
	Path string
	// Name is the file's name for provenance: the last element of the URL
	// path (without .zip when a member was extracted).
	Name string
	// Bytes is what was transferred.
	Bytes int64
	// Validators are the new version's.
	Validators Validators
}

// fetchError is a failed fetch; retry says whether trying again soon may
// help (network errors, 5xx, 429, a body cut short), after is the
// server's Retry-After when it gave one.
type fetchError struct {
	err   error
	retry bool
	after time.Duration
}

func (e *fetchError) Error() string { return e.err.Error() }
func (e *fetchError) Unwrap() error { return e.err }

// Fetcher fetches feeds over HTTP.
type Fetcher struct {
	// Client makes the requests (nil: a client with no overall timeout;
	// each fetch is bounded by its feed's Timeout).
	Client *http.Client
	// TempDir is where fetched files are kept until imported (os.TempDir
	// if empty).
	TempDir string
	// UserAgent is sent with every request.
	UserAgent string
}

// maxUnpackFactor bounds what a zip member may unpack to: this many times
// the feed's MaxSize.
const maxUnpackFactor = 16

// Fetch gets the feed's current version unless it is the one v describes.
func (fe *Fetcher) Fetch(ctx context.Context, f Feed, v Validators) (Result, error) {
	client := fe.Client
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.URL, nil)
	if err != nil {
		return Result{}, &fetchError{err: err}
	}
	for k, val := range f.Headers {
		req.Header.Set(k, expand(val))
	}
	if fe.UserAgent != "" {
		req.Header.Set("User-Agent", fe.UserAgent)
	}
	// Asked for explicitly, a gzip body arrives as sent and is checked
	// whole before anything of it is imported.
	req.Header.Set("Accept-Encoding", "gzip")
	if v.ETag != "" {
		req.Header.Set("If-None-Match", v.ETag)
	}
	if v.LastModified != "" {
		req.Header.Set("If-Modified-Since", v.LastModified)
	}
	resp, err := client.Do(req)
	if err != nil {
		return Result{}, &fetchError{err: fmt.Errorf("fetch %s: %w", RedactURL(f.URL), unwrapURLError(err)), retry: ctx.Err() == nil}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return Result{NotModified: true, Validators: v}, nil
	case resp.StatusCode != http.StatusOK:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		retry := resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout
		return Result{}, &fetchError{err: fmt.Errorf("fetch %s: the server answered %s", RedactURL(f.URL), resp.Status),
			retry: retry, after: retryAfter(resp.Header.Get("Retry-After"))}
	}
	if resp.ContentLength > f.MaxSize {
		return Result{}, &fetchError{err: fmt.Errorf("fetch %s: the file is %d bytes, over max_size %d", RedactURL(f.URL), resp.ContentLength, f.MaxSize)}
	}
	tmp, err := os.CreateTemp(fe.TempDir, "tipd-feed-*")
	if err != nil {
		return Result{}, &fetchError{err: err}
	}
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, f.MaxSize+1))
	if err != nil {
		return Result{}, &fetchError{err: fmt.Errorf("fetch %s: the transfer broke off after %d bytes: %w", RedactURL(f.URL), n, err), retry: ctx.Err() == nil}
	}
	if n > f.MaxSize {
		return Result{}, &fetchError{err: fmt.Errorf("fetch %s: the file is over max_size %d bytes", RedactURL(f.URL), f.MaxSize)}
	}
	if err := tmp.Close(); err != nil {
		return Result{}, &fetchError{err: err}
	}
	res := Result{Path: tmp.Name(), Name: path.Base(req.URL.Path), Bytes: n,
		Validators: Validators{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}}
	if res.Name == "/" || res.Name == "." {
		res.Name = f.Name
	}
	unpacked, name, err := fe.unpack(tmp.Name(), res.Name, f.MaxSize*maxUnpackFactor)
	if err != nil {
		// A damaged archive is most often a transfer cut short.
		return Result{}, &fetchError{err: fmt.Errorf("fetch %s: %w", RedactURL(f.URL), err), retry: true}
	}
	if unpacked != tmp.Name() {
		os.Remove(tmp.Name())
		res.Path, res.Name = unpacked, name
	}
	keep = true
	return res, nil
}

// unpack checks a gzip file whole (its checksum) and extracts the one
// member of a zip archive into a new file; anything else is kept as it
// is. It returns the file to import and its name.
func (fe *Fetcher) unpack(p, name string, limit int64) (string, string, error) {
	fh, err := os.Open(p)
	if err != nil {
		return "", "", err
	}
	defer fh.Close()
	magic := make([]byte, 4)
	n, _ := io.ReadFull(fh, magic)
	magic = magic[:n]
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		if _, err := fh.Seek(0, io.SeekStart); err != nil {
			return "", "", err
		}
		zr, err := gzip.NewReader(bufio.NewReader(fh))
		if err != nil {
			return "", "", fmt.Errorf("damaged gzip file: %w", err)
		}
		if _, err := io.Copy(io.Discard, io.LimitReader(zr, limit+1)); err != nil {
			return "", "", fmt.Errorf("damaged gzip file: %w", err)
		}
		return p, name, nil
	case string(magic) == "PK\x03\x04":
		st, err := fh.Stat()
		if err != nil {
			return "", "", err
		}
		zr, err := zip.NewReader(fh, st.Size())
		if err != nil {
			return "", "", fmt.Errorf("damaged zip archive: %w", err)
		}
		var member *zip.File
		for _, m := range zr.File {
			if strings.HasSuffix(m.Name, "/") {
				continue
			}
			if member != nil {
				return "", "", errors.New("the zip archive holds more than one file")
			}
			member = m
		}
		if member == nil {
			return "", "", errors.New("the zip archive holds no file")
		}
		rc, err := member.Open()
		if err != nil {
			return "", "", fmt.Errorf("zip member %s: %w", member.Name, err)
		}
		defer rc.Close()
		out, err := os.CreateTemp(fe.TempDir, "tipd-feed-*")
		if err != nil {
			return "", "", err
		}
		w, err := io.Copy(out, io.LimitReader(rc, limit+1))
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err == nil && w > limit {
			err = fmt.Errorf("zip member %s unpacks to over %d bytes", member.Name, limit)
		}
		if err != nil {
			os.Remove(out.Name())
			return "", "", fmt.Errorf("zip member %s: %w", member.Name, err)
		}
		return out.Name(), path.Base(member.Name), nil
	}
	return p, name, nil
}

// retryAfter parses a Retry-After header given in seconds or as an HTTP
// date (0 when absent or malformed).
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}

// RedactURL drops a URL's query and user information, where API keys
// sometimes travel.
func RedactURL(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, "://"); i >= 0 {
		if j := strings.IndexByte(s[i+3:], '@'); j >= 0 && !strings.Contains(s[i+3:i+3+j], "/") {
			s = s[:i+3] + s[i+3+j+1:]
		}
	}
	return s
}

// unwrapURLError drops the method and URL that *url.Error repeats.
func unwrapURLError(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && strings.HasPrefix(err.Error(), "Get ") {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}
