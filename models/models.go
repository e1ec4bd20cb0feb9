// Package models holds the model manifests (the *.json files beside this
// file, embedded into the binary) and their validation. The browser reads the
// same JSON files through @hybridgen/core; README.md in this folder describes
// the format. Nothing here downloads: `hybridgen models pull` (cmd/hybridgen)
// and the browser's model store do.
//
// Entry points: [All], [Lookup], [Parse], [Load] and [Manifest.FileURL].
package models

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
)

//go:embed *.json
var embedded embed.FS

// SchemaVersion is the manifest format this package reads.
const SchemaVersion = 1

// Backends a variant may target, in preference order.
var Backends = []string{"webgpu-f16", "webgpu-f32", "wasm"}

// Roles a file may play in a pipeline.
var Roles = []string{"tokenizer", "text_encoder", "unet", "vae_decoder", "vae_encoder", "tiny_decoder", "tiny_encoder", "external_data", "upscaler", "segmenter"}

// Converters are the conversions a file's [Source] may ask for:
// "taesd-decoder" and "taesd-encoder" turn the TAESD decoder's or encoder's
// PyTorch state dict into ONNX (internal/taesd); "upscalerjs-esrgan-slim-x2"
// and "-x4" convert UpscalerJS's TF.js ESRGAN models from their npm tarball
// (internal/tfjs); "mediapipe-selfie-segmentation" converts MediaPipe's
// TFLite selfie segmenter from its npm tarball (internal/tflite).
var Converters = []string{"mediapipe-selfie-segmentation", "taesd-decoder", "taesd-encoder", "upscalerjs-esrgan-slim-x2", "upscalerjs-esrgan-slim-x4"}

// nonGraphRoles are the roles whose file is not an ONNX graph (no graph summary).
var nonGraphRoles = []string{"tokenizer", "external_data"}

// ErrUnknownModel reports a model id no manifest has.
var ErrUnknownModel = errors.New("models: unknown model")

// ErrInvalidManifest is wrapped by every validation failure.
var ErrInvalidManifest = errors.New("models: invalid manifest")

// Manifest describes one model: where its files live and what it needs.
type Manifest struct {
	SchemaVersion int                `json:"schemaVersion"`
	ID            string             `json:"id"`
	DisplayName   string             `json:"displayName"`
	License       License            `json:"license"`
	Comment       string             `json:"comment,omitempty"`
	BaseURL       string             `json:"baseUrl"`
	Pipeline      json.RawMessage    `json:"pipeline"`
	Variants      map[string]Variant `json:"variants"`
}

// License names the model's licence.
type License struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

// Variant is the set of files one backend runs.
type Variant struct {
	Requirements Requirements `json:"requirements"`
	Files        []File       `json:"files"`
}

// Requirements is what a variant needs from the device.
type Requirements struct {
	TotalBytes         int64 `json:"totalBytes"`
	LargestBufferBytes int64 `json:"largestBufferBytes"`
	PeakMemoryBytes    int64 `json:"peakMemoryBytes"`
	NeedsShaderF16     bool  `json:"needsShaderF16"`
}

// File is one file of a variant.
type File struct {
	Role string `json:"role"`
	// Path is relative to the manifest's baseUrl, and the file's place in
	// the mirror folder (under the model id).
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
	// BytesEstimated marks Bytes as an estimate (a rounded listing): the
	// server's Content-Length is then the size, and Bytes serves quota
	// checks and progress only.
	BytesEstimated bool `json:"bytesEstimated,omitempty"`
	// SHA256 is the pinned lowercase hex digest, or nil.
	SHA256 *string `json:"sha256"`
	// GitBlobSHA1 is the file's git blob SHA-1 (sha1 of "blob <len>\x00"
	// and the bytes; Hugging Face's ETag for a file not kept in LFS), or
	// nil. With neither hash pinned, the download is verified against the
	// hash the server announces (trust on first pull, see README.md).
	GitBlobSHA1 *string `json:"gitBlobSha1,omitempty"`
	// Graph summarises an ONNX file's graph (written by `models pull` and
	// `models check`), so a backend can be refused before the download.
	Graph *GraphSummary `json:"graph,omitempty"`
	// Source, when set, says the file is made by `hybridgen models pull`
	// from another, pinned file: only a mirror serves it.
	Source *Source `json:"source,omitempty"`
}

// Source is the published file a mirror's file is converted from.
type Source struct {
	// URL is an http(s) URL, or "npm:<package>@<exact version>": the
	// package's published tarball, fetched with `npm pack`.
	URL string `json:"url"`
	// GitBlobSHA1 pins the source's bytes: the SHA-1 of "blob <size>\x00"
	// followed by the bytes, as git (and GitHub) name the file (40 hex).
	GitBlobSHA1 string `json:"gitBlobSha1"`
	// Convert names the conversion (one of [Converters]).
	Convert string `json:"convert"`
}

// npmSourcePattern is an exact published version of an npm package.
var npmSourcePattern = regexp.MustCompile(`^npm:((?:@[a-z0-9][a-z0-9._-]*/)?[a-z0-9][a-z0-9._-]*)@([0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?)$`)

// SplitNPMSource returns the package name and version of an
// "npm:<package>@<version>" source URL, or two empty strings.
func SplitNPMSource(url string) (name, version string) {
	m := npmSourcePattern.FindStringSubmatch(url)
	if m == nil {
		return "", ""
	}
	return m[1], m[2]
}

// IsGraphRole reports whether a file of this role is an ONNX graph.
func IsGraphRole(role string) bool { return !slices.Contains(nonGraphRoles, role) }

// Pinned reports whether the file has a pinned hash of either kind.
func (f File) Pinned() bool { return f.SHA256 != nil || f.GitBlobSHA1 != nil }

// All returns the embedded manifests, sorted by id.
func All() ([]*Manifest, error) {
	names, err := fs.Glob(embedded, "*.json")
	if err != nil {
		return nil, err
	}
	out := make([]*Manifest, 0, len(names))
	for _, name := range names {
		b, err := embedded.ReadFile(name)
		if err != nil {
			return nil, err
		}
		m, err := Parse(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if m.ID+".json" != name {
			return nil, fmt.Errorf("%w: %s holds id %q", ErrInvalidManifest, name, m.ID)
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Lookup returns the embedded manifest with the given id, or an error
// wrapping [ErrUnknownModel].
func Lookup(id string) (*Manifest, error) {
	all, err := All()
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(all))
	for _, m := range all {
		if m.ID == id {
			return m, nil
		}
		ids = append(ids, m.ID)
	}
	return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownModel, id, strings.Join(ids, ", "))
}

// Load reads and validates a manifest file on disk.
func Load(file string) (*Manifest, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("models: read manifest: %w", err)
	}
	m, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return m, nil
}

// Parse decodes and validates one manifest. Unknown fields are errors, so a
// misspelt field never passes silently.
func Parse(b []byte) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidManifest, err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// FileURL is where to download f: from base (a mirror root holding one
// folder per model id, such as "http://host:8080/models/") when base is not
// empty, else from the manifest's baseUrl.
func (m *Manifest) FileURL(base string, f File) string {
	if base != "" {
		return strings.TrimSuffix(base, "/") + "/" + m.ID + "/" + f.Path
	}
	return m.BaseURL + f.Path
}

// Files returns every distinct file of every variant (a file shared by
// variants appears once), in manifest order.
func (m *Manifest) Files() []File {
	seen := map[string]bool{}
	var out []File
	for _, b := range Backends {
		v, ok := m.Variants[b]
		if !ok {
			continue
		}
		for _, f := range v.Files {
			if !seen[f.Path] {
				seen[f.Path] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// cleanRelPath mirrors the mirror's path rules: relative, slash-separated,
// no empty, "." or ".." segments and no dotfiles.
func cleanRelPath(p string) bool {
	if p == "" || strings.ContainsAny(p, "\\\x00") || !fs.ValidPath(p) || path.Clean(p) != p {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if strings.HasPrefix(seg, ".") {
			return false
		}
	}
	return true
}
