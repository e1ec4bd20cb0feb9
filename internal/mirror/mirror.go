// Package mirror serves a folder of model files over HTTP the way the browser's
// model store and `hybridgen models pull` expect from Hugging Face or a
// deployer's CDN: byte ranges (Range, If-Range), a strong ETag that is the
// file's SHA-256 in lowercase hex (as Hugging Face sends for LFS files), CORS
// and Cross-Origin-Resource-Policy headers so isolated pages on other origins
// may fetch the files.
//
// It refuses anything outside the folder: paths are checked segment by segment
// (no "..", no dotfiles, no backslashes) and opened through an [os.Root], so
// symbolic links that lead out of the folder fail too. Dotfiles are private:
// they hold hash sidecars ([SidecarPath]) and partial downloads.
//
// Test-only behaviour (dropping connections, throttling, request counters)
// lives in [Faults] and is off unless the server is started with
// -mirror-test-faults.
//
// Entry points: [New] and [Handler.Mount].
package mirror

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path"
	"strings"
)

// RoutePrefix is where [Handler.Mount] serves the folder.
const RoutePrefix = "/models/"

// Options configure a [Handler].
type Options struct {
	// Logger receives hashing and test-fault events. Nil means slog.Default().
	Logger *slog.Logger
	// Faults, when not nil, enables the test hooks (see [Faults]). Never set
	// it in production.
	Faults *Faults
}

// Handler serves the files of one folder. Create it with [New].
type Handler struct {
	root   *os.Root
	dir    string
	logger *slog.Logger
	hashes *hashCache
	faults *Faults
}

// ErrBadPath reports a request path the mirror refuses to map to a file.
var ErrBadPath = errors.New("mirror: path not allowed")

// New opens dir (which must exist and be a directory) for serving.
func New(dir string, opts Options) (*Handler, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("mirror: open models dir: %w", err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	return &Handler{root: root, dir: dir, logger: logger, hashes: newHashCache(), faults: opts.Faults}, nil
}

// Dir is the folder being served.
func (h *Handler) Dir() string { return h.dir }

// Close releases the folder.
func (h *Handler) Close() error { return h.root.Close() }

// Mount registers GET, HEAD and OPTIONS /models/{path...} on mux, and the
// test-fault control routes when faults are enabled.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.Handle("GET "+RoutePrefix+"{path...}", h)
	mux.Handle("OPTIONS "+RoutePrefix+"{path...}", h)
	if h.faults != nil {
		h.faults.Mount(mux)
	}
}

// CleanPath checks a slash-separated path relative to the folder and returns
// it cleaned, or an error wrapping [ErrBadPath]: empty paths, absolute paths,
// "." or ".." segments, empty segments, dotfiles, backslashes and NUL bytes
// are refused.
func CleanPath(p string) (string, error) {
	if p == "" || strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00") {
		return "", fmt.Errorf("%w: %q", ErrBadPath, p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || strings.HasPrefix(seg, ".") {
			return "", fmt.Errorf("%w: %q", ErrBadPath, p)
		}
	}
	if !fs.ValidPath(p) || path.Clean(p) != p {
		return "", fmt.Errorf("%w: %q", ErrBadPath, p)
	}
	return p, nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setCORS(w.Header())
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", "Range, If-Range, If-None-Match, If-Match")
		w.Header().Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	name, err := CleanPath(r.PathValue("path"))
	if err != nil {
		http.Error(w, "forbidden path", http.StatusForbidden)
		return
	}
	f, err := h.root.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			http.NotFound(w, r)
			return
		}
		// Escaping symlinks and other refusals of os.Root land here.
		h.logger.Warn("mirror: refused", "path", name, "err", err)
		http.Error(w, "forbidden path", http.StatusForbidden)
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	sum, err := h.contentHash(name, f, info)
	if err != nil {
		h.logger.Error("mirror: hash", "path", name, "err", err)
		http.Error(w, "cannot read file", http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	hdr.Set("ETag", `"`+sum+`"`)
	hdr.Set("X-Linked-Etag", `"`+sum+`"`)
	hdr.Set("Cache-Control", "no-cache")
	if path.Ext(name) == ".json" {
		hdr.Set("Content-Type", "application/json")
	} else {
		hdr.Set("Content-Type", "application/octet-stream")
	}
	if h.faults != nil {
		w = h.faults.wrap(w, r, name, h.logger)
	}
	http.ServeContent(w, r, "", info.ModTime(), f)
}

func setCORS(h http.Header) {
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "ETag, X-Linked-Etag, Content-Length, Content-Range, Accept-Ranges")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Add("Vary", "Origin")
}
