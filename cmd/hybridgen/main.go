// Command hybridgen is the server half of hybridgen: it serves the canvas
// app, proxies cloud renders, keeps the cost ledger and mirrors models.
//
// Usage:
//
//	hybridgen [serve] [flags]   serve the app (the default command)
//	hybridgen usage [-json]     print cost and savings from the ledger
//	hybridgen runpod-emulator   serve a RunPod serverless emulator (test double)
//	hybridgen version           print the version
//
// Run `hybridgen help` (or -h, --help) for the list of commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one subcommand of the binary.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{name: "serve", summary: "serve the canvas app and the API (default)", run: runServe},
		{name: "usage", summary: "print cloud cost and local savings per target and day from the ledger", run: runUsage},
		{name: "models", summary: "models pull <model> [-dir DIR] [-base-url URL]: fill a model mirror folder; models check <dir>: graphs and backends; models list", run: runModels},
		{name: "runpod-emulator", summary: "serve a RunPod serverless emulator (a test double) for development and tests", run: runEmulator},
		{name: "version", summary: "print the version", run: func(_ context.Context, _ []string, stdout, _ io.Writer) error {
			_, err := fmt.Fprintln(stdout, "hybridgen", version)
			return err
		}},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "hybridgen:", err)
		}
		os.Exit(exitCode(err))
	}
}

// run dispatches args to a subcommand; with no subcommand (or a flag first)
// it serves. help, -h, -help and --help print the commands on stdout.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	name := "serve"
	if len(args) > 0 && len(args[0]) > 0 && (args[0][0] != '-' || isHelpFlag(args[0])) {
		name, args = args[0], args[1:]
	}
	if name == "help" || isHelpFlag(name) {
		printUsage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, args, stdout, stderr)
		}
	}
	printUsage(stderr)
	return usageError{fmt.Errorf("unknown command %q", name)}
}

func isHelpFlag(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: hybridgen <command> [flags]   (no command: serve; `hybridgen <command> -h`: its flags)")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-16s %s\n", c.name, c.summary)
	}
}

// usageError marks errors caused by how the binary was invoked.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// exitCode is the process's exit status for err: 0 after a command's -h
// printed its flags (as the flag package's ExitOnError does), 2 for a
// usage error, 1 otherwise.
func exitCode(err error) int {
	var ue usageError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		return 2
	}
	return 1
}
