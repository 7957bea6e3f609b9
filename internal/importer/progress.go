package importer

import (
	"fmt"
	"io"
	"time"
)

// progressInterval is the time between two redraws of the progress line.
const progressInterval = 250 * time.Millisecond

// progress draws "label FILE: 12.3 MiB / 40.0 MiB (30%), 245000 lines/s,
// ETA 0:12" on a terminal, redrawn in place with "\r".
type progress struct {
	w     io.Writer
	label string
	name  string
	src   io.Reader
	size  int64
	start time.Time
	last  time.Time
	drawn bool
}

func newProgress(o Options, r io.Reader, label string) *progress {
	return &progress{w: o.Progress, label: label, name: o.displayName(), src: r, size: o.Size, start: time.Now()}
}

// position returns the bytes read and the total (0: unknown).
func (p *progress) position() (int64, int64) {
	if pr, ok := p.src.(progressReporter); ok {
		done, total := pr.Progress()
		if total > 0 {
			return done, total
		}
		return done, p.size
	}
	return -1, p.size
}

// update redraws the line if it is due; lines is the number of lines read
// (negative: none are counted, as while gzip content is verified).
func (p *progress) update(lines int) {
	if p.w == nil {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < progressInterval {
		return
	}
	p.last = now
	el := now.Sub(p.start).Seconds()
	if el <= 0 {
		return
	}
	rate := "" // no lines counted (lines < 0): no rate
	if lines >= 0 {
		rate = fmt.Sprintf(", %.0f lines/s", float64(lines)/el)
	}
	done, total := p.position()
	var s string
	switch {
	case done >= 0 && total > 0:
		frac := float64(done) / float64(total)
		if frac > 1 {
			frac = 1
		}
		eta := "?"
		if frac > 0 {
			eta = fmtDuration(time.Duration(el/frac*(1-frac)) * time.Second)
		}
		s = fmt.Sprintf("%s %s: %s / %s (%.0f%%)%s, ETA %s", p.label, p.name,
			fmtBytes(done), fmtBytes(total), frac*100, rate, eta)
	case done >= 0:
		s = fmt.Sprintf("%s %s: %s%s", p.label, p.name, fmtBytes(done), rate)
	default:
		s = fmt.Sprintf("%s %s: %d lines%s", p.label, p.name, lines, rate)
	}
	fmt.Fprintf(p.w, "\r%-79s", s)
	p.drawn = true
}

// done erases the progress line.
func (p *progress) done() {
	if p.w != nil && p.drawn {
		fmt.Fprintf(p.w, "\r%79s\r", "")
		p.drawn = false
	}
}

func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func fmtDuration(d time.Duration) string {
	s := int64(d.Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
