// Package pgtest starts a throwaway PostgreSQL cluster for a test binary:
// [Main] runs initdb and postgres in a temporary directory (unix socket
// only, owned by nobody when the tests run as root), the tests take a fresh
// schema each with [URL], and the cluster is stopped and deleted at exit.
//
// A cluster is started when HYBRIDGEN_TEST_PG=1 or when initdb is found; with
// HYBRIDGEN_TEST_PG=1 (which `make test` sets) a missing or broken
// PostgreSQL fails the tests instead of skipping their PostgreSQL half.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvRequire is the variable that makes a missing PostgreSQL a failure.
const EnvRequire = "HYBRIDGEN_TEST_PG"

var (
	baseURL  string // the cluster's postgres database; "" when none
	whyNone  string // why there is no cluster
	schemaID atomic.Int64
)

// Main starts the cluster (when PostgreSQL is there or required), runs the
// tests and removes the cluster. Call it from TestMain.
func Main(m *testing.M) {
	os.Exit(Run(m))
}

// Run is [Main] without the exit: it returns the tests' exit code, for a
// TestMain with cleanup of its own.
func Run(m *testing.M) int {
	initdb := findInitdb()
	required := os.Getenv(EnvRequire) == "1"
	if initdb == "" {
		whyNone = "initdb not found (install Debian's postgresql, or set " + EnvRequire + "=1 to require it)"
		if required {
			fmt.Fprintln(os.Stderr, "pgtest: "+EnvRequire+"=1 but "+whyNone)
			return 1
		}
		return m.Run()
	}
	c, err := start(filepath.Dir(initdb))
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: start PostgreSQL: %v\n", err)
		return 1
	}
	defer c.stop()
	baseURL = c.url()
	return m.Run()
}

// Available reports whether a cluster is running for this test binary.
func Available() bool { return baseURL != "" }

// URL returns the URL of a new, empty schema of the cluster (its
// search_path), dropped when t ends; it skips t, saying why, when no
// cluster runs (never when [EnvRequire] is set: [Main] fails first).
func URL(t testing.TB) string {
	t.Helper()
	if baseURL == "" {
		t.Skip("PostgreSQL: " + whyNone)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), schemaID.Add(1))
	if err := admin(ctx, `CREATE SCHEMA `+name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := admin(ctx, `DROP SCHEMA `+name+` CASCADE`); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return baseURL + "&search_path=" + name
}

func admin(ctx context.Context, stmt string) error {
	conn, err := pgx.Connect(ctx, baseURL)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	return nil
}

// findInitdb looks on PATH, then in Debian's /usr/lib/postgresql/N/bin
// (the newest), where the postgresql package puts it.
func findInitdb() string {
	if p, err := exec.LookPath("initdb"); err == nil {
		return p
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Strings(found)
	if len(found) == 0 {
		return ""
	}
	return found[len(found)-1]
}
