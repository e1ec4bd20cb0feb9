package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hybridgen/internal/ledger"
)

// TestBudgetAdmissionIsAtomicAcrossServers opens the same ledger twice, as
// two servers would, and sends 50 concurrent admissions through both under a
// global daily budget that fits exactly 3 estimates: exactly 3 are admitted.
func TestBudgetAdmissionIsAtomicAcrossServers(t *testing.T) {
	eachBackend(t, func(t *testing.T, loc string) { testBudgetAdmissionIsAtomicAcrossServers(t, loc, nil) })
}

// TestScopedBudgetAdmissionIsAtomicAcrossServers is the same with the
// admissions naming their budget scope, as the API does.
func TestScopedBudgetAdmissionIsAtomicAcrossServers(t *testing.T) {
	eachBackend(t, func(t *testing.T, loc string) {
		testBudgetAdmissionIsAtomicAcrossServers(t, loc, []string{"global", "identity:x"})
	})
}

func testBudgetAdmissionIsAtomicAcrossServers(t *testing.T, loc string, scopes []string) {
	ctx := context.Background()
	servers := []*ledger.Ledger{openAt(t, loc, nil), openAt(t, loc, nil)}
	const estimate, budget = 5000, 3*5000 + 4999
	errOver := errors.New("over budget")
	day0, day1 := ledger.DayWindow(time.Now())
	admit := func(ctx context.Context, q ledger.Querier) error {
		spent, err := q.Spend(ctx, "", day0, day1)
		if err != nil {
			return err
		}
		// Widen the window between the check and the insert, as a
		// slower check would: without the lock, others would slip in.
		time.Sleep(5 * time.Millisecond)
		if spent+estimate > budget {
			return errOver
		}
		return nil
	}
	var admitted, refused atomic.Int32
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			n := cloudJob(fmt.Sprintf("j%d", i), fmt.Sprintf("c%d", i), "k")
			n.AdmissionScopes = scopes
			_, created, err := servers[i%2].CreateOrGetIf(ctx, n, admit)
			switch {
			case errors.Is(err, errOver):
				refused.Add(1)
			case err != nil:
				t.Error(err)
			case created:
				admitted.Add(1)
			}
		})
	}
	wg.Wait()
	if admitted.Load() != 3 || refused.Load() != 47 {
		t.Fatalf("admitted %d, refused %d; want 3 and 47", admitted.Load(), refused.Load())
	}
	if spent, _ := servers[0].Spend(ctx, "", day0, day1); spent != 3*estimate {
		t.Fatalf("spend = %d, want %d", spent, 3*estimate)
	}
}

// TestIdempotencyKeyIsUniqueAcrossServers: the same key sent to two servers
// at once makes one row, which both return.
func TestIdempotencyKeyIsUniqueAcrossServers(t *testing.T) {
	eachBackend(t, testIdempotencyKeyIsUniqueAcrossServers)
}

func testIdempotencyKeyIsUniqueAcrossServers(t *testing.T, loc string) {
	ctx := context.Background()
	servers := []*ledger.Ledger{openAt(t, loc, nil), openAt(t, loc, nil)}
	allow := func(context.Context, ledger.Querier) error { return nil }
	var created atomic.Int32
	ids := make([]string, 20)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			j, c, err := servers[i%2].CreateOrGetIf(ctx, cloudJob(fmt.Sprintf("j%d", i), "c1", "same"), allow)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = j.ID
			if c {
				created.Add(1)
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("servers returned different rows for one key: %v", ids)
		}
	}
	if created.Load() != 1 {
		t.Fatalf("created %d rows, want 1", created.Load())
	}
}

// TestServersStartingTogetherMigrateOnce opens one empty ledger from four
// handles at once, as servers started together would: every open succeeds
// at the latest version.
func TestServersStartingTogetherMigrateOnce(t *testing.T) {
	eachBackend(t, testServersStartingTogetherMigrateOnce)
}

func testServersStartingTogetherMigrateOnce(t *testing.T, loc string) {
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			l, err := ledger.Open(ctx, loc, ledger.Options{})
			if err != nil {
				t.Error(err)
				return
			}
			defer l.Close()
			if v, err := l.SchemaVersion(ctx); err != nil || v != l.LatestSchemaVersion() {
				t.Errorf("version = %d, %v; want %d", v, err, l.LatestSchemaVersion())
			}
		})
	}
	wg.Wait()
}
