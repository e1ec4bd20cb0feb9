package ledger

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// dialect is what differs between the two backends. Every query is written
// once, in SQLite's spelling with ? placeholders; conn rewrites it for
// PostgreSQL, so both backends run the same statements.
type dialect struct {
	name string
	// postgres: placeholders become $n and bool arguments integers.
	postgres bool
	// dayExpr is the UTC day (YYYY-MM-DD) of created_at (unix ms).
	dayExpr string
	// serialWrites: this process queues its writes on a mutex (SQLite
	// admits one writer at a time; PostgreSQL takes row locks instead).
	serialWrites bool
}

var (
	sqliteDialect = dialect{name: "sqlite", serialWrites: true,
		dayExpr: `strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')`}
	postgresDialect = dialect{name: "postgres", postgres: true,
		dayExpr: `to_char(to_timestamp(created_at / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')`}
)

// sqlConn is what *sql.DB and *sql.Tx have in common.
type sqlConn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// conn runs queries written in the ledger's one spelling on a database or
// transaction of either backend.
type conn struct {
	c sqlConn
	d *dialect
}

func (c conn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	q, a := c.d.rewrite(query, args)
	return c.c.ExecContext(ctx, q, a...)
}

func (c conn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	q, a := c.d.rewrite(query, args)
	return c.c.QueryRowContext(ctx, q, a...)
}

func (c conn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, a := c.d.rewrite(query, args)
	return c.c.QueryContext(ctx, q, a...)
}

// rewrite turns ? placeholders into $1, $2... and bools into 0/1 for
// PostgreSQL (whose flag columns are integers, as SQLite's are). The
// ledger's queries hold no ? inside string literals.
func (d *dialect) rewrite(query string, args []any) (string, []any) {
	if !d.postgres {
		return query, args
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	out := make([]any, len(args))
	for i, a := range args {
		if v, ok := a.(bool); ok {
			out[i] = boolInt(v)
			continue
		}
		out[i] = a
	}
	return b.String(), out
}

func boolInt(v bool) int64 {
	if v {
		return 1
	}
	return 0
}
