// Package modelpull fills a model mirror folder (the one `hybridgen serve
// -models-dir` serves) from a manifest's URLs, with the guarantees the
// browser's model store has: resume with Range + If-Range into a partial
// file, verification of the SHA-256 and git blob SHA-1 (the manifest's
// pins, else an earlier pull's, else the hashes the server announces as
// Hugging Face does: X-Linked-Etag / X-Linked-Size on the redirect to its
// CDN, a git blob ETag for plain files), an atomic rename into place, and
// progress for a terminal. What it verified is pinned in the folder's
// manifest copy ([ManifestName]): trust on first pull.
//
// A file with a source (models.Source) is made instead from its pinned
// source: downloaded, checked by git blob SHA-1 and converted (source.go),
// unless BaseURL points at another mirror, which serves it made.
//
// Layout, under the folder: <model id>/<file path> for verified files, with a
// sidecar (see [mirror.SidecarPath]) recording their hash; downloads in
// progress live in dotfiles beside them (.<name>.partial and its .json
// record), which the mirror never serves.
//
// Resuming re-hashes the partial file once from disk (Go's hashes run at
// disk speed, so no hasher state is saved) and then asks for the rest.
//
// Entry point: [Pull].
package modelpull

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path"
	"time"

	"hybridgen/internal/mirror"
	"hybridgen/models"
)

// Errors a pull reports; test with errors.Is.
var (
	// ErrIntegrity: the downloaded bytes do not have the expected hash (the
	// partial file is deleted), or the server announces another hash than
	// the pinned one (nothing is downloaded).
	ErrIntegrity = errors.New("modelpull: hash mismatch")
	// ErrChangedUpstream: the server's file is not the one an earlier pull
	// verified and pinned in the mirror's manifest copy; wraps ErrIntegrity
	// or ErrSizeMismatch too.
	ErrChangedUpstream = errors.New("modelpull: the file changed upstream since an earlier pull")
	// ErrUnverifiable: no pinned hash and no SHA-256 from the server.
	ErrUnverifiable = errors.New("modelpull: cannot verify")
	// ErrSizeMismatch: the server's size is not the manifest's exact size.
	ErrSizeMismatch = errors.New("modelpull: size mismatch")
	// ErrHTTP: an HTTP status the pull cannot use.
	ErrHTTP = errors.New("modelpull: unexpected HTTP status")
	// ErrGaveUp: too many network failures in a row.
	ErrGaveUp = errors.New("modelpull: too many network failures")
)

// Options configure [Pull].
type Options struct {
	// Dir is the mirror folder; it is created when missing.
	Dir string
	// BaseURL, when set, is a mirror root holding one folder per model id
	// (for example "http://team-server:8080/models/"), used instead of the
	// manifest's baseUrl.
	BaseURL string
	// Client makes the requests; nil means a client with sane timeouts.
	Client *http.Client
	// MaxRetries is how many network failures per file are retried
	// (resuming each time). Zero means 8.
	MaxRetries int
	// Backoff is the first wait between retries (doubling, at most 5 s).
	// Zero means 200 ms.
	Backoff time.Duration
	// Progress receives progress updates; nil means none.
	Progress func(Update)
	// NPMPacks, when set, is a folder where `npm pack` already left the
	// tarballs of "npm:" sources (by npm's file name); else pull runs
	// `npm pack` itself.
	NPMPacks string
}

// Update is one progress report.
type Update struct {
	Path       string
	FileBytes  int64 // -1 while unknown
	FileDone   int64
	TotalBytes int64
	TotalDone  int64
	// State is "checking", "downloading", "verifying", "done" or "skipped".
	State string
	// ResumedFrom is the byte a resumed request started at (downloading).
	ResumedFrom int64
}

// FileResult tells what happened to one file.
type FileResult struct {
	Path        string
	Bytes       int64
	SHA256      string
	GitBlobSHA1 string
	// VerifiedBy is "pinned" (the manifest's hash), "earlier-pull" (the
	// mirror's manifest copy), "server" (the hash the server announced) or
	// "source" (converted from a source matching its pinned git blob SHA-1).
	VerifiedBy string
	// Downloaded counts the bytes that came over the network in this pull.
	Downloaded int64
	Skipped    bool
	// Graph summarises an ONNX file (nil for other roles, or when the file
	// could not be read as ONNX: then GraphProblem says why).
	Graph        *models.GraphSummary
	GraphProblem string
}

// Pull makes sure every file of every variant of m is in opts.Dir, verified.
// It returns what it did per file, or the first error (wrapping one of the
// package's Err values, context errors or I/O errors).
func Pull(ctx context.Context, m *models.Manifest, opts Options) ([]FileResult, error) {
	if opts.Client == nil {
		opts.Client = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			ResponseHeaderTimeout: 60 * time.Second,
			IdleConnTimeout:       90 * time.Second,
		}}
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 8
	}
	if opts.Backoff == 0 {
		opts.Backoff = 200 * time.Millisecond
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("modelpull: create %s: %w", opts.Dir, err)
	}
	root, err := os.OpenRoot(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("modelpull: open %s: %w", opts.Dir, err)
	}
	defer root.Close()

	if err := checkNoManifestClash(m); err != nil {
		return nil, err
	}
	pins := earlierPins(root, m)
	mirrorCopy, err := cloneManifest(m)
	if err != nil {
		return nil, fmt.Errorf("modelpull: copy manifest: %w", err)
	}
	seedCopy(mirrorCopy, pins)
	files := m.Files()
	var total int64
	for _, f := range files {
		total += f.Bytes
	}
	t := &tracker{total: total, report: opts.Progress}
	var results []FileResult
	for _, f := range files {
		rel := path.Join(m.ID, f.Path)
		if _, err := mirror.CleanPath(rel); err != nil {
			return results, fmt.Errorf("modelpull: %w", err)
		}
		pinned, earlier := adoptPins(f, pins)
		p := &filePull{ctx: ctx, opts: opts, root: root, rel: rel, file: pinned, pinnedEarlier: earlier, url: m.FileURL(opts.BaseURL, f), t: t}
		run := p.run
		if f.Source != nil && opts.BaseURL == "" {
			run = p.runConverted // made from its pinned source; a mirror (BaseURL) has it made already
		}
		res, err := run()
		if err != nil {
			return results, fmt.Errorf("%s: %w", rel, err)
		}
		res.Graph, res.GraphProblem = summarize(root, rel, f)
		results = append(results, res)
		recordVerified(mirrorCopy, res, f.Path, res.Graph)
		if err := writeManifestCopy(root, mirrorCopy); err != nil {
			return results, err
		}
	}
	return results, nil
}

// tracker adds file progress up to model totals.
type tracker struct {
	total, doneBefore int64
	report            func(Update)
}

func (t *tracker) send(u Update) {
	if t.report == nil {
		return
	}
	u.TotalBytes, u.TotalDone = t.total, t.doneBefore+u.FileDone
	t.report(u)
}

// fileDone moves a finished file's bytes into the total, correcting the
// total when the real size differs from the manifest's estimate.
func (t *tracker) fileDone(estimated, real int64) {
	t.total += real - estimated
	t.doneBefore += real
}
