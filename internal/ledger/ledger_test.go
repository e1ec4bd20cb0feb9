package ledger_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"hybridgen/internal/ledger"

	_ "modernc.org/sqlite"
)

func openAt(t *testing.T, path string, now func() time.Time) *ledger.Ledger {
	t.Helper()
	l, err := ledger.Open(context.Background(), path, ledger.Options{Now: now})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// cloudJob is a cloud row charged to identity "id-"+client.
func cloudJob(id, client, key string) ledger.NewJob {
	return ledger.NewJob{ID: id, Identity: "id-" + client, ClientID: client, IdempotencyKey: key, Target: "a100", Model: "sdxl",
		Width: 1024, Height: 1024, Steps: 25, Kind: ledger.KindCloud, EstimatedCost: 5000}
}

// TestMigrationsFromEmptyFileAndReopen: an empty SQLite path (in missing
// directories) or PostgreSQL schema is migrated to the backend's latest
// version, and a reopen finds the row written before.
func TestMigrationsFromEmptyFileAndReopen(t *testing.T) {
	eachBackend(t, testMigrationsFromEmptyFileAndReopen)
}

func testMigrationsFromEmptyFileAndReopen(t *testing.T, loc string) {
	ctx := context.Background()
	if !ledger.IsPostgresURL(loc) {
		loc = filepath.Join(filepath.Dir(loc), "sub", "dir", "ledger.db")
	}
	l, err := ledger.Open(ctx, loc, ledger.Options{})
	if err != nil {
		t.Fatalf("Open on a missing ledger: %v", err)
	}
	v, err := l.SchemaVersion(ctx)
	if err != nil || v != l.LatestSchemaVersion() || v < 1 {
		t.Fatalf("version = %d, %v; want %d", v, err, l.LatestSchemaVersion())
	}
	if _, _, err := l.CreateOrGet(ctx, cloudJob("j1", "c1", "k1")); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l2 := openAt(t, loc, nil)
	v, err = l2.SchemaVersion(ctx)
	if err != nil || v != l2.LatestSchemaVersion() {
		t.Fatalf("after reopen version = %d, %v", v, err)
	}
	j, err := l2.Get(ctx, "j1")
	if err != nil || j.ClientID != "c1" || j.Status != ledger.StatusSubmitting {
		t.Fatalf("row after reopen = %+v, %v", j, err)
	}
	if ledger.IsPostgresURL(loc) {
		return
	}
	// WAL mode persists in the file.
	db := rawDB(t, loc)
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v", mode, err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) { eachBackend(t, testOpenRefusesNewerSchema) }

func testOpenRefusesNewerSchema(t *testing.T, loc string) {
	ctx := context.Background()
	l := openAt(t, loc, nil)
	l.Close()
	if _, err := rawDB(t, loc).Exec(`UPDATE schema_version SET version = 99`); err != nil {
		t.Fatal(err)
	}
	_, err := ledger.Open(ctx, loc, ledger.Options{})
	if !errors.Is(err, ledger.ErrSchemaTooNew) {
		t.Fatalf("Open on a newer schema: %v, want ErrSchemaTooNew", err)
	}
}

func TestIdempotencyKeyCreatesOneRowUnderConcurrency(t *testing.T) {
	eachBackend(t, testIdempotencyKeyCreatesOneRowUnderConcurrency)
}

func testIdempotencyKeyCreatesOneRowUnderConcurrency(t *testing.T, loc string) {
	ctx := context.Background()
	l := openAt(t, loc, nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	ids := map[string]bool{}
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j, c, err := l.CreateOrGet(ctx, cloudJob(fmt.Sprintf("j%d", i), "c1", "same-key"))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ids[j.ID] = true
			if c {
				created++
			}
		}()
	}
	wg.Wait()
	if created != 1 || len(ids) != 1 {
		t.Fatalf("created %d rows, saw ids %v; want exactly one", created, ids)
	}
	// The same key from another client is another job.
	if _, c, err := l.CreateOrGet(ctx, cloudJob("other", "c2", "same-key")); err != nil || !c {
		t.Fatalf("other client's key: created=%v err=%v", c, err)
	}
}

func TestSettleOnceAndSpend(t *testing.T) { eachBackend(t, testSettleOnceAndSpend) }

func testSettleOnceAndSpend(t *testing.T, loc string) {
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	l := openAt(t, loc, func() time.Time { return now })
	if _, _, err := l.CreateOrGet(ctx, cloudJob("j1", "c1", "k1")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.CreateOrGet(ctx, cloudJob("j2", "c2", "k1")); err != nil {
		t.Fatal(err)
	}
	day0, day1 := ledger.DayWindow(now)
	if got, _ := l.Spend(ctx, "", day0, day1); got != 10000 {
		t.Fatalf("global spend with two in-flight jobs = %d, want 10000 (estimates)", got)
	}
	if err := l.MarkSubmitted(ctx, "j1", "remote-1", ledger.StatusInQueue); err != nil {
		t.Fatal(err)
	}
	if err := l.Progress(ctx, "j1", ledger.StatusInProgress, 2*time.Second, 0); err != nil {
		t.Fatal(err)
	}
	cost := ledger.CostOf(0.00076, 3300*time.Millisecond)
	if cost != 2508 {
		t.Fatalf("CostOf = %d, want 2508", cost)
	}
	j, now1, err := l.Settle(ctx, "j1", ledger.Settlement{Status: ledger.StatusCompleted, Queue: 2 * time.Second,
		Execution: 3300 * time.Millisecond, Cost: cost, Image: "data:image/png;base64,AAAA", Seed: 7})
	if err != nil || !now1 || !j.Settled || j.Cost != cost || j.RemoteID != "remote-1" {
		t.Fatalf("Settle = %+v, %v, %v", j, now1, err)
	}
	j, now2, err := l.Settle(ctx, "j1", ledger.Settlement{Status: ledger.StatusFailed, Cost: 999999})
	if err != nil || now2 || j.Cost != cost || j.Status != ledger.StatusCompleted {
		t.Fatalf("second Settle changed the row: %+v, %v, %v", j, now2, err)
	}
	if err := l.Progress(ctx, "j1", ledger.StatusInProgress, 0, 0); err != nil {
		t.Fatal(err)
	}
	if j, _ := l.Get(ctx, "j1"); j.Status != ledger.StatusCompleted {
		t.Fatalf("late progress reopened a settled job: %+v", j)
	}
	img, seed, ok, err := l.Output(ctx, "j1")
	if err != nil || !ok || img != "data:image/png;base64,AAAA" || seed != 7 {
		t.Fatalf("Output = %q %d %v %v", img, seed, ok, err)
	}
	if got, _ := l.Spend(ctx, "id-c1", day0, day1); got != cost {
		t.Fatalf("c1 spend = %d, want %d", got, cost)
	}
	if got, _ := l.Spend(ctx, "", day0, day1); got != cost+5000 {
		t.Fatalf("global spend = %d, want %d", got, cost+5000)
	}
	next0, next1 := ledger.DayWindow(now.AddDate(0, 0, 1))
	if got, _ := l.Spend(ctx, "", next0, next1); got != 0 {
		t.Fatalf("next day's spend = %d", got)
	}
	un, err := l.Unsettled(ctx)
	if err != nil || len(un) != 1 || un[0].ID != "j2" {
		t.Fatalf("Unsettled = %+v, %v", un, err)
	}
}

func TestCreateOrGetIfGuard(t *testing.T) { eachBackend(t, testCreateOrGetIfGuard) }

func testCreateOrGetIfGuard(t *testing.T, loc string) {
	ctx := context.Background()
	l := openAt(t, loc, nil)
	errOver := errors.New("over budget")
	refuse := func(context.Context, ledger.Querier) error { return errOver }
	if _, _, err := l.CreateOrGetIf(ctx, cloudJob("j1", "c1", "k1"), refuse); !errors.Is(err, errOver) {
		t.Fatalf("guard error = %v", err)
	}
	if _, err := l.Get(ctx, "j1"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("refused job was written: %v", err)
	}
	allow := func(context.Context, ledger.Querier) error { return nil }
	if _, c, err := l.CreateOrGetIf(ctx, cloudJob("j1", "c1", "k1"), allow); err != nil || !c {
		t.Fatalf("allowed create: %v %v", c, err)
	}
	// A replay is answered from the existing row without asking the guard.
	j, c, err := l.CreateOrGetIf(ctx, cloudJob("j9", "c1", "k1"), refuse)
	if err != nil || c || j.ID != "j1" {
		t.Fatalf("replay = %+v %v %v", j, c, err)
	}
}

func TestUsageTotalsAndSavings(t *testing.T) { eachBackend(t, testUsageTotalsAndSavings) }

func testUsageTotalsAndSavings(t *testing.T, loc string) {
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 23, 0, 0, 0, time.UTC)
	l := openAt(t, loc, func() time.Time { return now })
	mk := func(n ledger.NewJob) {
		t.Helper()
		if _, _, err := l.CreateOrGet(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	mk(cloudJob("a", "c1", "1"))
	if _, _, err := l.Settle(ctx, "a", ledger.Settlement{Status: ledger.StatusCompleted, Execution: 2 * time.Second, Cost: 1520}); err != nil {
		t.Fatal(err)
	}
	mk(ledger.NewJob{ID: "d1", ClientID: "c1", Target: "a100", Kind: ledger.KindLocal, Status: ledger.StatusCompleted, AvoidedCost: 3000})
	now = now.Add(2 * time.Hour) // next UTC day
	mk(ledger.NewJob{ID: "d2", ClientID: "c1", Target: "h100", Kind: ledger.KindLocal, Status: ledger.StatusCompleted, AvoidedCost: 4000})
	mk(cloudJob("b", "c2", "1"))
	if _, _, err := l.Settle(ctx, "b", ledger.Settlement{Status: ledger.StatusFailed, Execution: time.Second, Cost: 760}); err != nil {
		t.Fatal(err)
	}
	mk(cloudJob("c", "c2", "2")) // in flight

	u, err := l.Usage(ctx, now.AddDate(0, 0, -7), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tot := u.Total
	if tot.CloudJobs != 3 || tot.CloudFailed != 1 || tot.InFlight != 1 || tot.LocalDrafts != 2 {
		t.Fatalf("counts = %+v", tot)
	}
	if tot.Cost != 2280 || tot.InFlightCost != 5000 || tot.Avoided != 7000 || tot.AllCloud() != 9280 || tot.Execution != 3*time.Second {
		t.Fatalf("money = %+v", tot)
	}
	if len(u.ByDay) != 2 || u.ByDay[0].Key != "2026-11-25" || u.ByDay[0].Cost != 1520 || u.ByDay[1].Avoided != 4000 {
		t.Fatalf("by day = %+v", u.ByDay)
	}
	if len(u.ByTarget) != 2 || u.ByTarget[0].Key != "a100" || u.ByTarget[1].Key != "h100" || u.ByTarget[1].Avoided != 4000 {
		t.Fatalf("by target = %+v", u.ByTarget)
	}
	if r := tot.SavingsRatio(); r < 0.754 || r > 0.755 {
		t.Fatalf("savings ratio = %v", r)
	}
}

func TestLocalEditsCountApartFromDrafts(t *testing.T) {
	eachBackend(t, testLocalEditsCountApartFromDrafts)
}

func testLocalEditsCountApartFromDrafts(t *testing.T, loc string) {
	ctx := context.Background()
	l := openAt(t, loc, time.Now)
	local := func(id string, task ledger.Task, avoided ledger.Micros) ledger.NewJob {
		return ledger.NewJob{ID: id, ClientID: "c", Target: "local", Kind: ledger.KindLocal, Task: task,
			Status: ledger.StatusCompleted, AvoidedCost: avoided}
	}
	for _, n := range []ledger.NewJob{local("d", "", 100), local("u1", ledger.TaskUpscale, 20),
		local("u2", ledger.TaskUpscale, 30), local("r", ledger.TaskRemoveBackground, 5)} {
		j, _, err := l.CreateOrGet(ctx, n)
		if want := cmp.Or(n.Task, ledger.TaskGenerate); err != nil || j.Task != want {
			t.Fatalf("create %s = %+v, %v; want task %s", n.ID, j.Task, err, want)
		}
	}
	if _, _, err := l.CreateOrGet(ctx, ledger.NewJob{ID: "x", ClientID: "c", Target: "a100", Kind: ledger.KindCloud, Task: ledger.TaskUpscale}); err == nil {
		t.Fatal("a cloud upscale was recorded")
	}
	if _, _, err := l.CreateOrGet(ctx, local("y", "paint", 1)); err == nil {
		t.Fatal("an unknown task was recorded")
	}
	u, err := l.Usage(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if tot := u.Total; tot.LocalDrafts != 1 || tot.LocalUpscales != 2 || tot.LocalCutouts != 1 || tot.Avoided != 155 {
		t.Fatalf("usage = %+v", tot)
	}
}

func TestMicrosString(t *testing.T) {
	for m, want := range map[ledger.Micros]string{0: "$0.000000", 2508: "$0.002508", 1_500_000: "$1.500000", -5: "-$0.000005"} {
		if got := m.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", m, got, want)
		}
	}
	if ledger.FromUSD(0.02) != 20000 {
		t.Error("FromUSD(0.02) != 20000")
	}
}
