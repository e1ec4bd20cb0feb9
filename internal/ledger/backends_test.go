package ledger_test

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"hybridgen/internal/ledger"
	"hybridgen/internal/testutil/pgtest"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for rawDB
	_ "modernc.org/sqlite"
)

// TestMain starts a throwaway PostgreSQL cluster for the conformance suite
// (see pgtest): every eachBackend test runs against SQLite and PostgreSQL.
func TestMain(m *testing.M) { pgtest.Main(m) }

// backends are the ledger's two databases; location returns where a fresh,
// empty ledger of that kind lives (a file path or a postgres:// URL).
var backends = []struct {
	name     string
	location func(t testing.TB) string
}{
	{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "l.db") }},
	{"postgres", pgtest.URL},
}

// eachBackend runs the conformance test fn once per backend, each on an
// empty ledger: both backends must give the same answers.
func eachBackend(t *testing.T, fn func(t *testing.T, loc string)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b.location(t)) })
	}
}

// rawDB opens the database under the ledger at loc without the ledger, to
// corrupt it on purpose.
func rawDB(t *testing.T, loc string) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", "file:"+loc
	if ledger.IsPostgresURL(loc) {
		driver, dsn = "pgx", loc
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestRedactHidesThePassword(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://app:s3cret@db.internal:5432/hybridgen": "postgres://app:xxxxx@db.internal:5432/hybridgen",
		"postgresql://app@db/h?sslmode=require":            "postgresql://app@db/h?sslmode=require",
		"data/hybridgen.db":                                "data/hybridgen.db",
	} {
		if got := ledger.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOpenPostgresErrorKeepsThePasswordOut(t *testing.T) {
	_, err := ledger.Open(t.Context(), "postgres://app:s3cret@127.0.0.1:1/nodb?connect_timeout=2", ledger.Options{})
	if err == nil {
		t.Fatal("Open on a closed port succeeded")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error shows the password: %v", err)
	}
}
