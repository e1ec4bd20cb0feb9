package modelpull

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// ProgressBar renders [Update]s for people: a redrawn bar on a terminal,
// or one line per file event (and every 10 %) otherwise.
type ProgressBar struct {
	w        io.Writer
	terminal bool
	mu       sync.Mutex
	start    time.Time
	samples  []sample
	last     time.Time
	lastTen  int64
}

type sample struct {
	t    time.Time
	done int64
}

// NewProgressBar writes to w; terminal selects the redrawn bar.
func NewProgressBar(w io.Writer, terminal bool) *ProgressBar {
	return &ProgressBar{w: w, terminal: terminal, start: time.Now(), lastTen: -1}
}

// Update renders u; it is safe to pass as [Options.Progress].
func (b *ProgressBar) Update(u Update) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	b.samples = append(b.samples, sample{now, u.TotalDone})
	for len(b.samples) > 2 && now.Sub(b.samples[0].t) > 3*time.Second {
		b.samples = b.samples[1:]
	}
	speed := 0.0
	if first := b.samples[0]; now.Sub(first.t) > 100*time.Millisecond {
		speed = float64(u.TotalDone-first.done) / now.Sub(first.t).Seconds()
	}
	pct := 100.0
	if u.TotalBytes > 0 {
		pct = 100 * float64(u.TotalDone) / float64(u.TotalBytes)
	}
	eta := "--:--"
	if speed > 0 {
		left := time.Duration(float64(u.TotalBytes-u.TotalDone) / speed * float64(time.Second)).Round(time.Second)
		eta = fmt.Sprintf("%d:%02d", int(left.Minutes()), int(left.Seconds())%60)
	}
	line := fmt.Sprintf("%5.1f%% %s / %s  %s/s  ETA %s  %s %s", pct, mb(u.TotalDone), mb(u.TotalBytes), mb(int64(speed)), eta, u.State, u.Path)
	if u.State == "downloading" && u.ResumedFrom > 0 {
		line += fmt.Sprintf(" (resumed at byte %d)", u.ResumedFrom)
	}
	if b.terminal {
		if u.State == "downloading" && now.Sub(b.last) < 100*time.Millisecond && u.ResumedFrom == 0 {
			return
		}
		b.last = now
		const width = 30
		filled := min(width, int(pct/100*width))
		fmt.Fprintf(b.w, "\r[%s%s] %s\x1b[K", strings.Repeat("#", filled), strings.Repeat(".", width-filled), line)
		if u.State == "done" || u.State == "skipped" {
			fmt.Fprintln(b.w)
		}
		return
	}
	ten := int64(pct / 10)
	if u.State != "downloading" || ten != b.lastTen || u.ResumedFrom > 0 {
		b.lastTen = ten
		fmt.Fprintln(b.w, line)
	}
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
