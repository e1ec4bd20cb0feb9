package modelpull_test

import (
	"bytes"
	"crypto/sha1" //nolint:gosec // git's blob id
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"hybridgen/internal/testutil"
	"hybridgen/models"
)

// hfFile is one file of a fake Hugging Face repository.
type hfFile struct {
	data []byte
	lfs  bool
}

// hfServer answers like Hugging Face: GET resolve/<rev>/<path> of an LFS
// file redirects (302) to a CDN on another host, with X-Linked-Etag (the
// SHA-256, quoted), X-Linked-Size and ETag; a plain file is served directly
// with its git blob SHA-1 as ETag. The CDN honours Range and If-Range.
// Lies and cuts are set per path.
type hfServer struct {
	hub, cdn *httptest.Server
	mu       sync.Mutex
	files    map[string]hfFile
	// Lies: the announced hash or size differs from the bytes served.
	lieHash, lieSize map[string]bool
	// cutAfter drops the next CDN/plain response of a path after n bytes.
	cutAfter map[string]int
	// onCut runs when a path's response is cut.
	onCut  map[string]func()
	gets   map[string]int      // GETs of resolve/<path>
	ranges map[string][]string // Range headers the bytes were asked with
}

func newHFServer(files map[string]hfFile) *hfServer {
	s := &hfServer{files: files, lieHash: map[string]bool{}, lieSize: map[string]bool{}, cutAfter: map[string]int{}, onCut: map[string]func(){}, gets: map[string]int{}, ranges: map[string][]string{}}
	s.cdn = httptest.NewServer(http.HandlerFunc(s.serveCDN))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /org/repo/resolve/{rev}/{path...}", s.serveResolve)
	s.hub = httptest.NewServer(mux)
	return s
}

func (s *hfServer) close() { s.hub.Close(); s.cdn.Close() }

// baseURL is the manifest's pinned baseUrl.
func (s *hfServer) baseURL() string {
	return s.hub.URL + "/org/repo/resolve/0123456789abcdef0123456789abcdef01234567/"
}

func gitBlobSHA1(b []byte) string {
	h := sha1.New() //nolint:gosec
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

func (s *hfServer) file(p string) (hfFile, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[p]
	return f, ok
}

func (s *hfServer) set(p string, f hfFile) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[p] = f
}

func (s *hfServer) serveResolve(w http.ResponseWriter, r *http.Request) {
	p := r.PathValue("path")
	f, ok := s.file(p)
	if !ok {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	s.gets[p]++
	lieHash, lieSize := s.lieHash[p], s.lieSize[p]
	s.mu.Unlock()
	if !f.lfs {
		etag := gitBlobSHA1(f.data)
		if lieHash {
			etag = gitBlobSHA1(append([]byte("x"), f.data...))
		}
		w.Header().Set("ETag", `"`+etag+`"`)
		s.serveBytes(w, r, p, f.data)
		return
	}
	sum, size := testutil.SHA256Hex(f.data), len(f.data)
	if lieHash {
		sum = testutil.SHA256Hex(append([]byte("x"), f.data...))
	}
	if lieSize {
		size++
	}
	w.Header().Set("X-Linked-Etag", `"`+sum+`"`)
	w.Header().Set("X-Linked-Size", fmt.Sprint(size))
	w.Header().Set("ETag", `"`+sum+`"`)
	http.Redirect(w, r, s.cdn.URL+"/blob/"+testutil.SHA256Hex(f.data)+"?path="+p, http.StatusFound)
}

func (s *hfServer) serveCDN(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Query().Get("path")
	f, ok := s.file(p)
	if !ok || "/blob/"+testutil.SHA256Hex(f.data) != r.URL.Path {
		http.NotFound(w, r) // a CDN URL of content that is gone
		return
	}
	w.Header().Set("ETag", `"cdn-`+testutil.SHA256Hex(f.data)[:16]+`"`)
	s.serveBytes(w, r, p, f.data)
}

// serveBytes serves data with Range support, cutting the connection when asked.
func (s *hfServer) serveBytes(w http.ResponseWriter, r *http.Request, p string, data []byte) {
	s.mu.Lock()
	s.ranges[p] = append(s.ranges[p], r.Header.Get("Range"))
	cut, cutting := s.cutAfter[p]
	after := s.onCut[p]
	delete(s.cutAfter, p)
	s.mu.Unlock()
	if cutting {
		w = &cuttingWriter{ResponseWriter: w, left: cut, after: after}
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}

// cuttingWriter drops the connection after left bytes of body.
type cuttingWriter struct {
	http.ResponseWriter
	left  int
	after func()
}

func (c *cuttingWriter) Write(b []byte) (int, error) {
	if len(b) > c.left {
		n, _ := c.ResponseWriter.Write(b[:c.left])
		c.left = 0
		if fl, ok := c.ResponseWriter.(http.Flusher); ok {
			fl.Flush()
		}
		_ = n
		if c.after != nil {
			c.after()
		}
		panic(http.ErrAbortHandler)
	}
	c.left -= len(b)
	return c.ResponseWriter.Write(b)
}

// hfManifest lists the files unpinned, with rounded (estimated) sizes, as
// sd-turbo.json does.
func hfManifest(id, baseURL string, files map[string]hfFile, roles map[string]string) *models.Manifest {
	var list []map[string]any
	total := 0
	for _, p := range slices.Sorted(maps.Keys(files)) {
		estimate := len(files[p].data)/1000*1000 + 1000
		total += estimate
		list = append(list, map[string]any{"role": roles[p], "path": p, "bytes": estimate, "bytesEstimated": true, "sha256": nil})
	}
	b, _ := json.Marshal(map[string]any{
		"schemaVersion": 1, "id": id, "displayName": id, "license": map[string]any{"name": "test"},
		"baseUrl": baseURL, "pipeline": map[string]any{"kind": "test"},
		"variants": map[string]any{"webgpu-f16": map[string]any{
			"requirements": map[string]any{"totalBytes": total, "largestBufferBytes": 0, "peakMemoryBytes": 0, "needsShaderF16": true},
			"files":        list,
		}},
	})
	m, err := models.Parse(b)
	if err != nil {
		panic(err)
	}
	return m
}
