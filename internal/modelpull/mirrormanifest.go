package modelpull

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"

	"hybridgen/internal/onnx"
	"hybridgen/models"
)

// ManifestName is the mirror's copy of a model's manifest, in the model's
// folder (<dir>/<model id>/manifest.json, served as
// /models/<model id>/manifest.json). `models pull` writes into it the exact
// size, SHA-256, git blob SHA-1 and graph summary of every file it
// verified, so every later download from the mirror is pinned, and a later
// pull refuses a file that changed upstream (trust on first pull).
const ManifestName = "manifest.json"

// ErrManifestPath: a manifest lists a file where the mirror keeps its
// manifest copy.
var ErrManifestPath = errors.New("modelpull: a file may not be named " + ManifestName + " at the top of the model folder")

// earlierPins reads the mirror's manifest copy of m, when an earlier pull of
// the same upstream (the same baseUrl) wrote one, and returns its pinned
// files by path.
func earlierPins(root *os.Root, m *models.Manifest) map[string]models.File {
	b, err := root.ReadFile(path.Join(m.ID, ManifestName))
	if err != nil {
		return nil
	}
	copyM, err := models.Parse(b)
	if err != nil || copyM.ID != m.ID || copyM.BaseURL != m.BaseURL {
		return nil
	}
	pins := map[string]models.File{}
	for _, f := range copyM.Files() {
		if f.Pinned() && !f.BytesEstimated {
			pins[f.Path] = f
		}
	}
	return pins
}

// adoptPins gives f the pins an earlier pull recorded, when the manifest
// itself pins nothing, and reports whether it did.
func adoptPins(f models.File, pins map[string]models.File) (models.File, bool) {
	e, ok := pins[f.Path]
	if f.Pinned() || !ok {
		return f, false
	}
	f.SHA256, f.GitBlobSHA1, f.Bytes, f.BytesEstimated = e.SHA256, e.GitBlobSHA1, e.Bytes, false
	return f, true
}

// seedCopy gives the copy what an earlier pull pinned for files the
// manifest leaves unpinned, so a failed pull never unpins them.
func seedCopy(c *models.Manifest, pins map[string]models.File) {
	for name, v := range c.Variants {
		var total int64
		for i := range v.Files {
			if pinned, ok := adoptPins(v.Files[i], pins); ok {
				pinned.Graph = pins[pinned.Path].Graph
				v.Files[i] = pinned
			}
			total += v.Files[i].Bytes
		}
		v.Requirements.TotalBytes = total
		c.Variants[name] = v
	}
}

// cloneManifest deep-copies m through JSON.
func cloneManifest(m *models.Manifest) (*models.Manifest, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var c models.Manifest
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// recordVerified writes what was verified about one file into every
// variant of the copy that lists it, and fixes the variants' totals.
func recordVerified(c *models.Manifest, res FileResult, filePath string, graph *models.GraphSummary) {
	for name, v := range c.Variants {
		var total int64
		for i := range v.Files {
			f := &v.Files[i]
			if f.Path == filePath {
				sum, blob := res.SHA256, res.GitBlobSHA1
				f.Bytes, f.BytesEstimated, f.SHA256, f.GitBlobSHA1 = res.Bytes, false, &sum, &blob
				if graph != nil {
					f.Graph = graph
				}
			}
			total += f.Bytes
		}
		v.Requirements.TotalBytes = total
		c.Variants[name] = v
	}
}

// writeManifestCopy validates c and writes it atomically as the mirror's
// manifest copy.
func writeManifestCopy(root *os.Root, c *models.Manifest) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("modelpull: the manifest copy would be invalid: %w", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		return err
	}
	final := path.Join(c.ID, ManifestName)
	tmp := path.Join(c.ID, "."+ManifestName+".tmp")
	if err := root.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("modelpull: write manifest copy: %w", err)
	}
	if err := root.Rename(tmp, final); err != nil {
		return fmt.Errorf("modelpull: write manifest copy: %w", err)
	}
	return nil
}

// checkNoManifestClash refuses a manifest whose files would overwrite the
// manifest copy.
func checkNoManifestClash(m *models.Manifest) error {
	for _, f := range m.Files() {
		if f.Path == ManifestName {
			return fmt.Errorf("%w (%s)", ErrManifestPath, m.ID)
		}
	}
	return nil
}

// summarize reads the graph summary of a verified ONNX file; other roles
// have none.
func summarize(root *os.Root, rel string, f models.File) (*models.GraphSummary, string) {
	if !models.IsGraphRole(f.Role) {
		return nil, ""
	}
	file, err := root.Open(rel)
	if err != nil {
		return nil, err.Error()
	}
	defer file.Close()
	g, err := onnx.Summarize(file)
	if err != nil {
		return nil, err.Error()
	}
	return g, ""
}
