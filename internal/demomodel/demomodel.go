// Package demomodel holds the built-in demo model: the tiny SD-Turbo-shaped
// model that web/tools/testmodels generates (random weights, ~3 MB), embedded
// into the binary with go:embed so a fresh clone's `make run` can make an
// image before anyone has pulled real weights. It shows the pipeline working
// (download, verification, the local engine, the ledger), not pictures.
//
// `make build` generates the model into files/ (git-ignored) before compiling;
// a binary built without it (plain `go build`) has no demo model and
// [Available] reports false.
//
// [Install] writes the model into the mirror folder under [ID], where the
// mirror serves it like any pulled model. [Mirrored] tells whether a model's
// files are in a mirror folder, so the server can say what to do when
// SD-Turbo is missing.
//
// Entry points: [Available], [Install], [Mirrored].
package demomodel

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"hybridgen/models"
)

//go:embed all:files
var files embed.FS

// embedded is where the model is read from: the files built into the binary
// (tests swap in a small model of their own).
var embedded fs.FS = files

// ID is the demo model's id: its folder in the mirror and its manifest id.
const ID = "demo-tiny-sd"

// DisplayName is what the app shows as the model's name.
const DisplayName = "Demo model (random weights)"

// source is the generator's folder inside files/.
const source = "files/test-tiny-sd"

// ErrNotEmbedded reports a binary built without the demo model.
var ErrNotEmbedded = errors.New("demomodel: this binary was built without the demo model (build it with make)")

// Available reports whether the demo model is embedded in this binary.
func Available() bool {
	_, err := fs.Stat(embedded, source+"/manifest.json")
	return err == nil
}

// Manifest returns the demo model's manifest: the generated one, renamed to
// [ID] and [DisplayName], validated.
func Manifest() (*models.Manifest, []byte, error) {
	raw, err := fs.ReadFile(embedded, source+"/manifest.json")
	if err != nil {
		return nil, nil, ErrNotEmbedded
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, nil, fmt.Errorf("demomodel: manifest: %w", err)
	}
	doc["id"] = ID
	doc["displayName"] = DisplayName
	doc["comment"] = "Built into hybridgen: random weights that show the pipeline working, not pictures."
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, nil, fmt.Errorf("demomodel: manifest: %w", err)
	}
	m, err := models.Parse(out)
	if err != nil {
		return nil, nil, fmt.Errorf("demomodel: manifest: %w", err)
	}
	return m, out, nil
}

// Install writes the demo model into dir/[ID] (manifest.json and every file
// its variants name). Files already there with the right size are kept;
// others are written to a temporary file and renamed into place, so a
// half-written file is never served. It returns how many files it wrote.
func Install(dir string) (int, error) {
	m, manifest, err := Manifest()
	if err != nil {
		return 0, err
	}
	target := filepath.Join(dir, ID)
	written := 0
	for _, f := range m.Files() {
		data, err := fs.ReadFile(embedded, path.Join(source, f.Path))
		if err != nil {
			return written, fmt.Errorf("demomodel: embedded %s: %w", f.Path, err)
		}
		wrote, err := writeIfChanged(filepath.Join(target, filepath.FromSlash(f.Path)), data)
		if err != nil {
			return written, err
		}
		if wrote {
			written++
		}
	}
	wrote, err := writeIfChanged(filepath.Join(target, "manifest.json"), manifest)
	if err != nil {
		return written, err
	}
	if wrote {
		written++
	}
	return written, nil
}

// writeIfChanged writes data to name unless the file already holds exactly it.
func writeIfChanged(name string, data []byte) (bool, error) {
	if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return false, fmt.Errorf("demomodel: install: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".demomodel-*")
	if err != nil {
		return false, fmt.Errorf("demomodel: install: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return false, fmt.Errorf("demomodel: install %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return false, fmt.Errorf("demomodel: install %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return false, fmt.Errorf("demomodel: install %s: %w", name, err)
	}
	return true, nil
}

// Mirrored reports whether dir/<m.ID> holds every file of at least one of
// m's variants at its listed size (estimated sizes only need the file), as
// `hybridgen models pull` leaves them.
func Mirrored(dir string, m *models.Manifest) bool {
	for _, v := range m.Variants {
		if variantMirrored(filepath.Join(dir, m.ID), v) {
			return true
		}
	}
	return false
}

func variantMirrored(root string, v models.Variant) bool {
	for _, f := range v.Files {
		info, err := os.Stat(filepath.Join(root, filepath.FromSlash(f.Path)))
		if err != nil || !info.Mode().IsRegular() || (!f.BytesEstimated && info.Size() != f.Bytes) {
			return false
		}
	}
	return len(v.Files) > 0
}
