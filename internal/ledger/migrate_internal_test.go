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
