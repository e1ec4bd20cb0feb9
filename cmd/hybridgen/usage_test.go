package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hybridgen/internal/jobs"
	"hybridgen/internal/ledger"
)

func TestUsageCommand(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "ledger.db")
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"usage", "-db", db}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "no ledger") {
		t.Fatalf("usage on a missing file: %v", err)
	}
	lg, err := ledger.Open(ctx, db, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := lg.CreateOrGet(ctx, ledger.NewJob{ID: "a", ClientID: "c", Target: "a100", Kind: ledger.KindCloud}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := lg.Settle(ctx, "a", ledger.Settlement{Status: ledger.StatusCompleted, Execution: 3 * time.Second, Cost: 2280}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := lg.CreateOrGet(ctx, ledger.NewJob{ID: "d", ClientID: "c", Target: "local", Kind: ledger.KindLocal,
		Status: ledger.StatusCompleted, AvoidedCost: 6840}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := lg.CreateOrGet(ctx, ledger.NewJob{ID: "u", ClientID: "c", Target: "a100", Kind: ledger.KindCloud,
		EstimatedCost: 1000, WorstCaseCost: 456000}); err != nil {
		t.Fatal(err)
	}
	if _, err := lg.MarkUnconfirmed(ctx, "u", "outcome unknown"); err != nil {
		t.Fatal(err)
	}
	lg.Close()

	out.Reset()
	if err := run(ctx, []string{"usage", "-db", db}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"a100", "local", time.Now().UTC().Format("2006-01-02"), "0.002280", "0.006840", "0.009120", "75%",
		"0.456000", "unconfirmed: 1 job(s) may have run"} {
		if !strings.Contains(text, want) {
			t.Errorf("usage output lacks %q:\n%s", want, text)
		}
	}
	out.Reset()
	if err := run(ctx, []string{"usage", "-db", db, "-json", "-days", "1"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	var v jobs.UsageView
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if v.Total.CostUSD != 0.00228 || v.Total.AvoidedUSD != 0.00684 || v.Total.SavingsRatio != 0.75 || len(v.ByTarget) != 2 ||
		v.Total.Unconfirmed != 1 || v.Total.UnconfirmedCostUSD != 0.456 || v.Total.InFlight != 0 {
		t.Fatalf("usage -json = %+v", v)
	}
	if err := run(ctx, []string{"usage", "-days", "0"}, &out, &errOut); exitCode(err) != 2 {
		t.Fatalf("-days 0: %v", err)
	}
}
