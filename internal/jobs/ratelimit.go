package jobs

import (
	"context"
	"math"
	"sync"
	"time"

	"hybridgen/internal/ledger"
)

// RateLimit is a per-client token bucket: Burst requests at once, refilled
// at PerMinute requests a minute. PerMinute 0 disables the limit.
type RateLimit struct {
	PerMinute float64
	Burst     int
}

// takeToken spends one token of the identity's bucket: the ledger's
// bucket, inside the admission transaction, when several servers share the
// ledger (so the limit is theirs together); this process's otherwise.
func (m *Manager) takeToken(ctx context.Context, q ledger.Querier, identity string) (bool, time.Duration, error) {
	cfg := m.limiter.cfg
	if m.instance == "" || cfg.PerMinute <= 0 {
		ok, wait := m.limiter.take(identity)
		return ok, wait, nil
	}
	return q.TakeToken(ctx, "rate:"+identity, cfg.Burst, cfg.PerMinute/60)
}

// rateLimiter holds one bucket per client id.
type rateLimiter struct {
	cfg     RateLimit
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(cfg RateLimit, now func() time.Time) *rateLimiter {
	if cfg.Burst < 1 {
		cfg.Burst = 1
	}
	return &rateLimiter{cfg: cfg, now: now, buckets: map[string]*bucket{}}
}

// take spends one token of client's bucket. When the bucket is empty it
// reports false and how long until a token is back.
func (l *rateLimiter) take(client string) (ok bool, retryAfter time.Duration) {
	if l.cfg.PerMinute <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	perSec := l.cfg.PerMinute / 60
	l.sweepIdle(now, perSec)
	b, found := l.buckets[client]
	if !found {
		b = &bucket{tokens: float64(l.cfg.Burst), last: now}
		l.buckets[client] = b
	}
	b.tokens = math.Min(float64(l.cfg.Burst), b.tokens+now.Sub(b.last).Seconds()*perSec)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / perSec * float64(time.Second))
	return false, wait
}

// sweepIdle forgets, at most once a minute, buckets that have refilled
// completely: they are indistinguishable from new ones.
func (l *rateLimiter) sweepIdle(now time.Time, perSec float64) {
	if now.Sub(l.sweep) < time.Minute {
		return
	}
	l.sweep = now
	full := time.Duration(float64(l.cfg.Burst) / perSec * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.last) > full {
			delete(l.buckets, k)
		}
	}
}
