package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"hybridgen/internal/onnx"
	"hybridgen/models"
)

type checkOptions struct {
	target string
	write  bool
}

func parseCheckFlags(args []string, stderr io.Writer) (checkOptions, error) {
	var o checkOptions
	fs := flag.NewFlagSet("models check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.write, "write", false, "write the graph summaries into the manifest file (as models pull does in a mirror)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hybridgen models check <mirror folder | model folder | manifest.json | model id> [-write]")
		fmt.Fprintln(stderr, "\nLists each ONNX graph's inputs, outputs, opsets and operators (read from the files")
		fmt.Fprintln(stderr, "next to the manifest, else from the summaries in it) and says which variants")
		fmt.Fprintln(stderr, "onnxruntime-web cannot run. Exit status 1 when a variant cannot run.")
		fs.PrintDefaults()
	}
	var err error
	o.target, err = onePositional(fs, args, "model folder, manifest file or model id")
	return o, err
}

// loadCheckTarget finds the manifest to check and the folder its files are
// in ("" for a built-in manifest, which has no local files).
func loadCheckTarget(target string) (*models.Manifest, string, string, error) {
	info, err := os.Stat(target)
	switch {
	case err == nil && info.IsDir():
		file := filepath.Join(target, "manifest.json")
		m, err := models.Load(file)
		return m, file, target, err
	case err == nil:
		m, err := models.Load(target)
		return m, target, filepath.Dir(target), err
	case strings.ContainsAny(target, `/\`) || strings.HasSuffix(target, ".json"):
		return nil, "", "", fmt.Errorf("models check: %w", err)
	}
	m, err := models.Lookup(target)
	return m, "", "", err
}

func runModelsCheck(args []string, stdout, stderr io.Writer) error {
	o, err := parseCheckFlags(args, stderr)
	if err != nil {
		return err
	}
	// A mirror folder (as models pull -dir fills): check each model in it.
	if found, _ := filepath.Glob(filepath.Join(o.target, "*", "manifest.json")); len(found) > 0 && !exists(filepath.Join(o.target, "manifest.json")) {
		var errs []error
		for i, file := range found {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			errs = append(errs, checkOne(file, o.write, stdout))
		}
		return errors.Join(errs...)
	}
	return checkOne(o.target, o.write, stdout)
}

func exists(file string) bool {
	_, err := os.Stat(file)
	return err == nil
}

// checkOne checks one model folder, manifest file or built-in model id.
func checkOne(target string, write bool, stdout io.Writer) error {
	m, manifestFile, dir, err := loadCheckTarget(target)
	if err != nil {
		return err
	}
	table, err := models.LoadOpSupport()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s (%s)\n", m.ID, m.DisplayName)
	changed := false
	for _, f := range m.Files() {
		if !models.IsGraphRole(f.Role) {
			continue
		}
		g, from, err := graphOf(dir, f)
		if err != nil {
			return err
		}
		if from == "file" && (f.Graph == nil || !reflect.DeepEqual(f.Graph, g)) {
			setGraph(m, f.Path, g)
			changed = true
		}
		printGraph(stdout, f, g, from)
	}
	if write && changed {
		if manifestFile == "" {
			return usageError{errors.New("models check -write: name a manifest file or model folder, not a built-in model")}
		}
		if err := writeManifest(manifestFile, m); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote the graph summaries into %s\n", manifestFile)
	}
	return reportVariants(stdout, m, table)
}

// graphOf reads the file's summary from disk when it is there, else takes
// the manifest's.
func graphOf(dir string, f models.File) (*models.GraphSummary, string, error) {
	if dir != "" {
		file, err := os.Open(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err == nil {
			defer file.Close()
			g, err := onnx.Summarize(file)
			if err != nil {
				return nil, "", fmt.Errorf("models check: %s: %w", f.Path, err)
			}
			return g, "file", nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, "", fmt.Errorf("models check: %w", err)
		}
	}
	if f.Graph != nil {
		return f.Graph, "manifest", nil
	}
	return nil, "none", nil
}

func setGraph(m *models.Manifest, path string, g *models.GraphSummary) {
	for name, v := range m.Variants {
		for i := range v.Files {
			if v.Files[i].Path == path {
				v.Files[i].Graph = g
			}
		}
		m.Variants[name] = v
	}
}

func printGraph(w io.Writer, f models.File, g *models.GraphSummary, from string) {
	fmt.Fprintf(w, "\n%s (%s)\n", f.Path, f.Role)
	if g == nil {
		fmt.Fprintln(w, "  no graph summary: the file is not here and the manifest has none (models pull writes one)")
		return
	}
	if from == "manifest" {
		fmt.Fprintln(w, "  (from the manifest's summary; the file is not here)")
	}
	var opsets []string
	for _, d := range sortedKeys(g.Opsets) {
		opsets = append(opsets, fmt.Sprintf("%s %d", d, g.Opsets[d]))
	}
	fmt.Fprintf(w, "  opsets:  %s\n", strings.Join(opsets, ", "))
	for i, t := range g.Inputs {
		fmt.Fprintf(w, "  %-8s %s\n", label(i, "inputs:"), tensorText(t))
	}
	for i, t := range g.Outputs {
		fmt.Fprintf(w, "  %-8s %s\n", label(i, "outputs:"), tensorText(t))
	}
	for i, d := range sortedKeys(g.Ops) {
		fmt.Fprintf(w, "  %-8s %s (%d): %s\n", label(i, "ops:"), d, len(g.Ops[d]), strings.Join(g.Ops[d], " "))
	}
}

func label(i int, s string) string {
	if i == 0 {
		return s
	}
	return ""
}

func tensorText(t models.TensorInfo) string {
	dims := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = d.String()
	}
	return fmt.Sprintf("%s %s [%s]", t.Name, t.Type, strings.Join(dims, ", "))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// reportVariants prints which variants can run and returns the problems
// joined (each a models.VariantProblem, matching models.ErrUnsupportedOps).
func reportVariants(w io.Writer, m *models.Manifest, table *models.OpSupport) error {
	problems := table.CheckVariants(m)
	fmt.Fprintln(w, "\nbackends (onnxruntime-web 1.30 kernels, models/ops/onnxruntime-web.json):")
	var errs []error
	for _, backend := range models.Backends {
		if _, ok := m.Variants[backend]; !ok {
			continue
		}
		var mine []string
		for _, p := range problems {
			if p.Variant == backend {
				mine = append(mine, fmt.Sprintf("%s uses %s", p.Path, models.JoinOps(p.Ops)))
				errs = append(errs, p)
			}
		}
		if len(mine) == 0 {
			fmt.Fprintf(w, "  %-10s ok\n", backend)
		} else {
			fmt.Fprintf(w, "  %-10s CANNOT RUN: %s (no onnxruntime-web kernel)\n", backend, strings.Join(mine, "; "))
		}
	}
	return errors.Join(errs...)
}

// writeManifest rewrites a manifest file atomically.
func writeManifest(file string, m *models.Manifest) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(file), "."+filepath.Base(file)+".tmp")
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("models check: write %s: %w", file, err)
	}
	if err := os.Rename(tmp, file); err != nil {
		return fmt.Errorf("models check: write %s: %w", file, err)
	}
	return nil
}
