package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"text/tabwriter"
	"time"

	"hybridgen/internal/jobs"
	"hybridgen/internal/ledger"
)

// usageOptions are the flags of `hybridgen usage`.
type usageOptions struct {
	db      string
	days    int
	jsonOut bool
}

func parseUsageFlags(args []string, stderr io.Writer) (usageOptions, error) {
	var o usageOptions
	fs := flag.NewFlagSet("usage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hybridgen usage [flags]")
		fmt.Fprintln(stderr, "\nPrints what the cloud renders cost and what local drafts saved, per target and per")
		fmt.Fprintln(stderr, "UTC day, read from the ledger file that `hybridgen serve` writes.")
		fmt.Fprintln(stderr, "\nflags:")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.db, "db", envOr("HYBRIDGEN_DB", "data/hybridgen.db"), "the ledger: a SQLite file or a postgres:// URL (env HYBRIDGEN_DB)")
	fs.IntVar(&o.days, "days", 30, "report the last N UTC days, today included (1-3660)")
	fs.BoolVar(&o.jsonOut, "json", false, "print the report as JSON (the shape of GET /api/usage)")
	if err := fs.Parse(args); err != nil {
		return o, usageError{err}
	}
	switch {
	case fs.NArg() > 0:
		return o, usageError{fmt.Errorf("usage: unexpected arguments %q", fs.Args())}
	case o.days < 1 || o.days > 3660:
		return o, usageError{fmt.Errorf("usage: -days must be between 1 and 3660, got %d", o.days)}
	}
	return o, nil
}

// runUsage prints the usage report of the ledger file.
func runUsage(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseUsageFlags(args, stderr)
	if err != nil {
		return err
	}
	// Never create a ledger just to report on it.
	if _, err := os.Stat(opts.db); !ledger.IsPostgresURL(opts.db) && errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("usage: no ledger at %s (run `hybridgen serve` first, or pass -db)", opts.db)
	}
	lg, err := ledger.Open(ctx, opts.db, ledger.Options{})
	if err != nil {
		return err
	}
	defer lg.Close()
	since, until := jobs.UsageWindow(time.Now(), opts.days)
	u, err := lg.Usage(ctx, since, until)
	if err != nil {
		return err
	}
	view := jobs.NewUsageView(u)
	if opts.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(view)
	}
	return printUsageReport(stdout, view)
}

func printUsageReport(w io.Writer, v jobs.UsageView) error {
	fmt.Fprintf(w, "usage from %s to %s (UTC)\n\n", v.Since.Format("2006-01-02"), v.Until.Add(-time.Second).Format("2006-01-02"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := "\tcloud jobs\tfailed\tin flight\tunconfirmed\tlocal drafts\tlocal edits\texec s\tcost USD\tin flight USD\tunconfirmed USD\tavoided USD\tall-cloud USD\tsaved\t\n"
	row := func(r jobs.UsageRowView) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%.1f\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\t%.0f%%\t\n", r.Key, r.CloudJobs, r.CloudFailed,
			r.InFlight, r.Unconfirmed, r.LocalDrafts, r.LocalUpscales+r.LocalCutouts, r.ExecutionSeconds, r.CostUSD, r.InFlightCostUSD, r.UnconfirmedCostUSD,
			r.AvoidedUSD, r.AllCloudUSD, r.SavingsRatio*100)
	}
	const blank = "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\n"
	fmt.Fprint(tw, "by target"+header)
	for _, r := range v.ByTarget {
		row(r)
	}
	fmt.Fprint(tw, blank+"by day"+header)
	for _, r := range v.ByDay {
		row(r)
	}
	fmt.Fprint(tw, blank)
	row(v.Total)
	if err := tw.Flush(); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "\nsavings vs all-cloud: $%.6f of $%.6f (%.0f%%)\n", v.Total.SavingsUSD, v.Total.AllCloudUSD, v.Total.SavingsRatio*100); err != nil {
		return err
	}
	return printUnconfirmedNote(w, v.Total)
}

// printUnconfirmedNote explains the spend the cloud never confirmed.
func printUnconfirmedNote(w io.Writer, t jobs.UsageRowView) error {
	if t.Unconfirmed > 0 {
		if _, err := fmt.Fprintf(w, "unconfirmed: %d job(s) may have run on the cloud without RunPod saying so; they count at "+
			"their worst case, $%.6f, against budgets until reconciled (not part of cost)\n", t.Unconfirmed, t.UnconfirmedCostUSD); err != nil {
			return err
		}
	}
	if t.EstimatedJobs > 0 {
		if _, err := fmt.Fprintf(w, "estimated: %d job(s) were never reported by RunPod and are charged at their estimate, "+
			"$%.6f of the cost\n", t.EstimatedJobs, t.EstimatedCostUSD); err != nil {
			return err
		}
	}
	return nil
}
