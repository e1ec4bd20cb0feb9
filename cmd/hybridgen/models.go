package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"hybridgen/internal/modelpull"
	"hybridgen/models"
)

// runModels dispatches `hybridgen models <pull|check|list>`.
func runModels(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "usage: hybridgen models pull <model id | manifest.json> [-dir DIR] [-base-url URL] [-npm-packs DIR]")
		fmt.Fprintln(w, "       hybridgen models check <mirror folder | model folder | manifest.json | model id> [-write]")
		fmt.Fprintln(w, "       hybridgen models list")
	}
	if len(args) == 0 {
		usage(stderr)
		return usageError{errors.New("models: name a subcommand")}
	}
	switch args[0] {
	case "pull":
		return runModelsPull(ctx, args[1:], stdout, stderr)
	case "check":
		return runModelsCheck(args[1:], stdout, stderr)
	case "list":
		all, err := models.All()
		if err != nil {
			return err
		}
		for _, m := range all {
			var total int64
			for _, f := range m.Files() {
				total += f.Bytes
			}
			fmt.Fprintf(stdout, "%-16s %-24s %8.1f MB  %s\n", m.ID, m.DisplayName, float64(total)/1e6, m.BaseURL)
		}
		return nil
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return nil
	}
	usage(stderr)
	return usageError{fmt.Errorf("models: unknown subcommand %q", args[0])}
}

type pullOptions struct {
	model    string
	dir      string
	baseURL  string
	npmPacks string
}

func parsePullFlags(args []string, stderr io.Writer) (pullOptions, error) {
	var o pullOptions
	fs := flag.NewFlagSet("models pull", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.dir, "dir", envOr("HYBRIDGEN_MODELS_DIR", "data/models"), "the mirror folder to fill, as served by hybridgen serve -models-dir (env HYBRIDGEN_MODELS_DIR)")
	fs.StringVar(&o.baseURL, "base-url", "", "download from this mirror root (one folder per model id, e.g. http://team:8080/models/) instead of the manifest's pinned URLs")
	fs.StringVar(&o.npmPacks, "npm-packs", "", "read npm: sources from the tarballs `npm pack` left in this folder instead of running npm pack")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hybridgen models pull <model id | manifest.json> [-dir DIR] [-base-url URL] [-npm-packs DIR]")
		fmt.Fprintln(stderr, "\nDownloads every file of the model into DIR/<model id>/, resuming partial files,")
		fmt.Fprintln(stderr, "verifying SHA-256 (pinned, else the server's) and renaming each into place.")
		fs.PrintDefaults()
	}
	var err error
	o.model, err = onePositional(fs, args, "model id or manifest file")
	return o, err
}

// onePositional parses fs's flags anywhere in args and returns the one
// positional argument; a usage error naming what is wanted otherwise.
func onePositional(fs *flag.FlagSet, args []string, what string) (string, error) {
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return "", err
	}
	if len(positional) != 1 {
		fs.Usage()
		return "", usageError{fmt.Errorf("%s: want one %s, got %q", fs.Name(), what, positional)}
	}
	return positional[0], nil
}

// allConverted reports whether pull makes every file of m from a source,
// so no download reads its baseUrl.
func allConverted(m *models.Manifest) bool {
	for _, f := range m.Files() {
		if f.Source == nil {
			return false
		}
	}
	return true
}

// parseInterspersed parses fs's flags wherever they stand among the
// positional arguments (before or after the model) and returns the
// positional ones in order.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{err}
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func runModelsPull(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parsePullFlags(args, stderr)
	if err != nil {
		return err
	}
	var m *models.Manifest
	if strings.HasSuffix(o.model, ".json") {
		m, err = models.Load(o.model)
	} else {
		m, err = models.Lookup(o.model)
	}
	if err != nil {
		return err
	}
	if strings.HasPrefix(m.BaseURL, "/") && o.baseURL == "" && !allConverted(m) {
		return usageError{fmt.Errorf("models pull: %s's baseUrl %q is a path on a server: give -base-url", m.ID, m.BaseURL)}
	}
	bar := modelpull.NewProgressBar(stderr, isTerminal(stderr))
	fmt.Fprintf(stdout, "pulling %s into %s\n", m.ID, o.dir)
	results, err := modelpull.Pull(ctx, m, modelpull.Options{Dir: o.dir, BaseURL: o.baseURL, Progress: bar.Update, NPMPacks: o.npmPacks})
	if err != nil {
		return fmt.Errorf("models pull %s: %w", m.ID, err)
	}
	for _, r := range results {
		fmt.Fprintf(stdout, "%s  %d bytes  sha256 %s  git blob %s  (%s)\n", r.Path, r.Bytes, r.SHA256, r.GitBlobSHA1, verifiedText(r))
		if r.GraphProblem != "" {
			fmt.Fprintf(stdout, "  not readable as ONNX: %s\n", r.GraphProblem)
		}
	}
	copyPath := filepath.Join(o.dir, m.ID, modelpull.ManifestName)
	fmt.Fprintf(stdout, "pinned every size and hash above in %s (served as /models/%s/%s)\n", copyPath, m.ID, modelpull.ManifestName)
	pinned, err := models.Load(copyPath)
	if err != nil {
		return err
	}
	table, err := models.LoadOpSupport()
	if err != nil {
		return err
	}
	// The files are verified either way; a variant that cannot run is worth saying.
	if err := reportVariants(stdout, pinned, table); err != nil {
		fmt.Fprintf(stderr, "warning: %v\n", err)
	}
	return nil
}

func verifiedText(r modelpull.FileResult) string {
	how := map[string]string{
		"pinned":       "verified against the manifest's pinned hash",
		"earlier-pull": "verified against the hash an earlier pull pinned",
		"source":       "converted from its source, verified by the pinned git blob SHA-1",
	}[r.VerifiedBy]
	if how == "" {
		how = "verified against the hash the server announced (trust on first pull)"
	}
	if r.Skipped {
		how = "already there, " + how
	}
	return how
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
