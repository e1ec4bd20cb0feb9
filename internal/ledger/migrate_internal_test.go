package ledger

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestFailedMigrationRollsBack appends a migration that fails halfway and
// checks that none of it stays: the version is unchanged and the table its
// first statement created is gone. The file then opens with the good
// migrations.
func TestFailedMigrationRollsBack(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "l.db")
	good := migrations
	t.Cleanup(func() { migrations = good })

	migrations = append(append([]string{}, good...), `CREATE TABLE half_done (x INTEGER UNIQUE);
		INSERT INTO half_done VALUES (1);
		INSERT INTO half_done VALUES (1); -- fails when run, after the table exists`)
	_, err := Open(ctx, path, Options{})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("migration %d", len(good)+1)) {
		t.Fatalf("Open with a broken migration: %v", err)
	}

	migrations = good
	l, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if v, err := l.SchemaVersion(ctx); err != nil || v != len(good) {
		t.Fatalf("version = %d, %v; want %d", v, err, len(good))
	}
	var n int
	if err := l.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE name = 'half_done'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("half_done tables = %d, %v: the failed migration was not rolled back", n, err)
	}
}

// TestMigrateVersion2RowsKeepTheirMeaning opens a file written before the
// money-safety migration: its PENDING row reads as submitting (a restart
// treats it as unknown), with no identity, and the new idempotency index
// lets the same key be used again under an identity.
func TestMigrateVersion2RowsKeepTheirMeaning(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v2.db")
	good := migrations
	t.Cleanup(func() { migrations = good })
	migrations = good[:2]
	old, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.db.ExecContext(ctx, `INSERT INTO jobs (id, created_at, updated_at, client_id, idempotency_key,
		target, kind, status, estimated_cost_micros) VALUES ('old', 1, 1, 'c1', 'k1', 'a100', 'cloud', 'PENDING', 5000)`); err != nil {
		t.Fatal(err)
	}
	old.Close()

	migrations = good
	l, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	j, err := l.Get(ctx, "old")
	if err != nil || !j.Status.Submitting() || j.Identity != "" || j.WorstCaseCost != 0 || j.Estimated {
		t.Fatalf("migrated row = %+v, %v", j, err)
	}
	if changed, err := l.MarkUnconfirmed(ctx, "old", "unknown"); err != nil || !changed {
		t.Fatalf("a PENDING row cannot become UNCONFIRMED: %v %v", changed, err)
	}
	n, created, err := l.CreateOrGet(ctx, NewJob{ID: "new", Identity: "local", ClientID: "c1", IdempotencyKey: "k1",
		Target: "a100", Kind: KindCloud})
	if err != nil || !created || n.ID != "new" {
		t.Fatalf("same key under an identity = %+v %v %v", n, created, err)
	}
}
