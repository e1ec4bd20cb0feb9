package runpod

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy bounds the retries of one call. Zero fields take the
// defaults: 4 attempts, 250 ms base delay, 5 s maximum delay.
type RetryPolicy struct {
	// MaxAttempts is the number of tries, the first included; 1 disables
	// retries.
	MaxAttempts int
	// BaseDelay is the pause before the first retry; it doubles for each
	// further retry, with "full jitter" (a random pause between half the
	// delay and the delay).
	BaseDelay time.Duration
	// MaxDelay caps the computed pause. A server's Retry-After is honoured
	// even when longer, up to [MaxRetryAfter].
	MaxDelay time.Duration
}

// MaxRetryAfter is the longest Retry-After the client waits for; a longer
// one ends the retries and the [APIError] carries it.
const MaxRetryAfter = time.Minute

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 4
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 250 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 5 * time.Second
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	return p
}

// backoff is the pause before retry number retry (1 for the first retry):
// BaseDelay*2^(retry-1) capped at MaxDelay, jittered into [d/2, d].
func (p RetryPolicy) backoff(retry int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < retry && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	half := d / 2
	return half + rand.N(d-half+1)
}

// retryDelay picks the pause before the next attempt: the backoff, or the
// server's Retry-After when that is longer.
func (p RetryPolicy) retryDelay(retry int, retryAfter time.Duration) time.Duration {
	return max(p.backoff(retry), retryAfter)
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
// It returns 0 when the header is absent or unreadable.
func parseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(24*time.Hour/time.Second) {
			return 24 * time.Hour
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// retryMode says which failures a call may retry.
type retryMode int

const (
	// retryIdempotent: 429, 5xx and transport failures.
	retryIdempotent retryMode = iota
	// retrySubmit: only answers proving the job was not accepted (429,
	// 503) and connections that were never made.
	retrySubmit
)

// retryableStatus reports whether an HTTP status may be retried in mode.
func retryableStatus(mode retryMode, code int) bool {
	switch {
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		return true
	case code >= 500 && code <= 599:
		return mode == retryIdempotent
	}
	return false
}

// retryableTransport reports whether a transport error may be retried in
// mode. ctx is the caller's context: once it is done nothing is retried.
func retryableTransport(ctx context.Context, mode retryMode, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if mode == retryIdempotent {
		return true
	}
	return neverConnected(err)
}

// neverConnected reports whether err happened while dialling, so no byte
// of the request reached the server.
func neverConnected(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// sleepCtx pauses for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
