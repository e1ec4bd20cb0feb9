// Package webapp serves the browser app: the Vite build of web/apps/canvas,
// embedded into the binary with go:embed, or a directory on disk during
// development and tests.
//
// It owns static file serving only (ETags, caching rules, the single-page-app
// fallback to index.html). It must not know about the API or models.
package webapp

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed all:dist
var embedded embed.FS

// Embedded returns the app built into the binary. Before `make build` has
// copied a Vite build into dist/, it holds only a placeholder and
// [HasIndex] reports false.
func Embedded() fs.FS {
	sub, err := fs.Sub(embedded, "dist")
	if err != nil {
		panic(fmt.Sprintf("webapp: embedded dist: %v", err)) // cannot happen: dist is embedded
	}
	return sub
}

// HasIndex reports whether fsys holds an index.html to serve.
func HasIndex(fsys fs.FS) bool {
	_, err := fs.Stat(fsys, "index.html")
	return err == nil
}

// Handler serves fsys. Paths that name no file and have no extension fall
// back to index.html so client-side routes work; files under assets/ (content
// hashed by Vite) are cached for a year, everything else is revalidated with
// a strong ETag on every load.
func Handler(fsys fs.FS) http.Handler {
	return &handler{fsys: fsys, etags: map[string]string{}}
}

type handler struct {
	fsys  fs.FS
	mu    sync.Mutex
	etags map[string]string
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	f, err := h.fsys.Open(name)
	if errors.Is(err, fs.ErrNotExist) && path.Ext(name) == "" {
		name = "index.html"
		f, err = h.fsys.Open(name)
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && name == "index.html" {
			http.Error(w, "the web app is not built into this binary: run `make run`", http.StatusNotFound)
			return
		}
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || info.IsDir() {
		http.NotFound(w, r)
		return
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		http.Error(w, "file is not seekable", http.StatusInternalServerError)
		return
	}
	etag, err := h.etag(fmt.Sprintf("%s|%d|%d", name, info.Size(), info.ModTime().UnixNano()), rs)
	if err != nil {
		http.Error(w, "cannot read file", http.StatusInternalServerError)
		return
	}
	w.Header().Set("ETag", etag)
	switch {
	case strings.HasPrefix(name, "assets/"):
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	default:
		w.Header().Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, name, time.Time{}, rs)
}

// etag returns a strong ETag for the file identified by key (name, size and
// modification time, so a rebuilt file on disk gets a new tag), hashing its
// content once.
func (h *handler) etag(key string, rs io.ReadSeeker) (string, error) {
	h.mu.Lock()
	tag, ok := h.etags[key]
	h.mu.Unlock()
	if ok {
		return tag, nil
	}
	sum := sha256.New()
	if _, err := io.Copy(sum, rs); err != nil {
		return "", fmt.Errorf("webapp: hash %s: %w", key, err)
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("webapp: rewind %s: %w", key, err)
	}
	tag = `"` + hex.EncodeToString(sum.Sum(nil))[:32] + `"`
	h.mu.Lock()
	h.etags[key] = tag
	h.mu.Unlock()
	return tag, nil
}
