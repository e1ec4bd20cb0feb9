package ledger_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hybridgen/internal/ledger"
)

// clock is a time shared by two ledger handles, moved by the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestLeaseIsTakenOverWhenItExpires(t *testing.T) {
	eachBackend(t, testLeaseIsTakenOverWhenItExpires)
}

func testLeaseIsTakenOverWhenItExpires(t *testing.T, loc string) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)}
	a, b := openAt(t, loc, c.now), openAt(t, loc, c.now)
	take := func(l *ledger.Ledger, holder string, want bool) {
		t.Helper()
		got, err := l.Lease(ctx, ledger.ReconcilerLease, holder, 10*time.Second)
		if err != nil || got != want {
			t.Fatalf("Lease(%s) = %v, %v; want %v", holder, got, err, want)
		}
	}
	take(a, "A", true)
	take(b, "B", false) // A holds it
	c.add(9 * time.Second)
	take(a, "A", true) // renewed until +19 s
	c.add(9 * time.Second)
	take(b, "B", false)
	c.add(2 * time.Second) // A stopped renewing: expired
	take(b, "B", true)
	take(a, "A", false)
	if err := b.Release(ctx, ledger.ReconcilerLease, "B"); err != nil {
		t.Fatal(err)
	}
	take(a, "A", true) // released: no need to wait
}

func TestClaimOrphansTakesOnlyDeadServersJobs(t *testing.T) {
	eachBackend(t, testClaimOrphansTakesOnlyDeadServersJobs)
}

func testClaimOrphansTakesOnlyDeadServersJobs(t *testing.T, loc string) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)}
	a, b := openAt(t, loc, c.now), openAt(t, loc, c.now)
	for _, s := range []string{"A", "B"} {
		if ok, err := a.Lease(ctx, ledger.ServerLease(s), s, 10*time.Second); err != nil || !ok {
			t.Fatalf("server lease %s: %v %v", s, ok, err)
		}
	}
	create := func(id, owner string) {
		n := cloudJob(id, "c1", id)
		n.Owner = owner
		if _, _, err := a.CreateOrGet(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	create("a1", "A")
	create("a2", "A")
	create("b1", "B")
	create("legacy", "")
	if _, _, err := a.Settle(ctx, "a2", ledger.Settlement{Status: ledger.StatusCompleted, Cost: 1}); err != nil {
		t.Fatal(err)
	}
	got, err := b.ClaimOrphans(ctx, "B")
	if err != nil || len(got) != 1 || got[0].ID != "legacy" || got[0].Owner != "B" {
		t.Fatalf("claims while A lives = %+v, %v; want the ownerless row only", got, err)
	}
	c.add(11 * time.Second)                // A died; B renews
	for _, s := range []string{"B", "C"} { // B renews, C starts
		if ok, _ := b.Lease(ctx, ledger.ServerLease(s), s, 10*time.Second); !ok {
			t.Fatalf("server lease %s refused", s)
		}
	}
	// Two servers claim at once: each orphan goes to one of them.
	var claimed atomic.Int32
	var wg sync.WaitGroup
	for i, l := range []*ledger.Ledger{a, b} {
		wg.Go(func() {
			got, err := l.ClaimOrphans(ctx, []string{"C", "B"}[i])
			if err != nil {
				t.Error(err)
			}
			claimed.Add(int32(len(got)))
		})
	}
	wg.Wait()
	if claimed.Load() != 1 {
		t.Fatalf("claimed %d rows of dead A, want 1 (a1; a2 is settled)", claimed.Load())
	}
	j, _ := a.Get(ctx, "a1")
	if j.Owner != "B" && j.Owner != "C" {
		t.Fatalf("a1 owner = %q, want B or C", j.Owner)
	}
	if j.Owner == "B" {
		if got, _ := b.ClaimOrphans(ctx, "B"); len(got) != 0 {
			t.Fatalf("B claimed its own rows again: %+v", got)
		}
	}
}

func TestTokenBucketIsShared(t *testing.T) { eachBackend(t, testTokenBucketIsShared) }

func testTokenBucketIsShared(t *testing.T, loc string) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)}
	servers := []*ledger.Ledger{openAt(t, loc, c.now), openAt(t, loc, c.now)}
	var granted atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			ok, _, err := servers[i%2].TakeToken(ctx, "id-a", 5, 1)
			if err != nil {
				t.Error(err)
			}
			if ok {
				granted.Add(1)
			}
		})
	}
	wg.Wait()
	if granted.Load() != 5 {
		t.Fatalf("granted %d of 20 with a burst of 5 over two servers, want 5", granted.Load())
	}
	ok, wait, err := servers[0].TakeToken(ctx, "id-a", 5, 1)
	if err != nil || ok || wait <= 0 || wait > time.Second {
		t.Fatalf("empty bucket: ok=%v wait=%v err=%v", ok, wait, err)
	}
	if ok, _, _ := servers[1].TakeToken(ctx, "id-b", 5, 1); !ok {
		t.Fatal("another identity's bucket is empty too")
	}
	c.add(2 * time.Second)
	for i, want := range []bool{true, true, false} {
		if ok, _, _ := servers[i%2].TakeToken(ctx, "id-a", 5, 1); ok != want {
			t.Fatalf("after 2 s, take %d = %v, want %v", i, ok, want)
		}
	}
}
