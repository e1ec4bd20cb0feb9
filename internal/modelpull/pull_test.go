package modelpull_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hybridgen/internal/mirror"
	"hybridgen/internal/modelpull"
	"hybridgen/internal/testutil"
	"hybridgen/models"
)

type testFile struct {
	path string
	data []byte
	pin  bool
}

// manifest builds a manifest for files served under baseURL.
func manifest(t *testing.T, id, baseURL string, files ...testFile) *models.Manifest {
	t.Helper()
	var list []map[string]any
	var total int
	for _, f := range files {
		var sum any
		if f.pin {
			sum = testutil.SHA256Hex(f.data)
		}
		list = append(list, map[string]any{"role": "unet", "path": f.path, "bytes": len(f.data), "sha256": sum})
		total += len(f.data)
	}
	b, _ := json.Marshal(map[string]any{
		"schemaVersion": 1, "id": id, "displayName": id, "license": map[string]any{"name": "test"},
		"baseUrl": baseURL, "pipeline": map[string]any{"kind": "test"},
		"variants": map[string]any{"wasm": map[string]any{
			"requirements": map[string]any{"totalBytes": total, "largestBufferBytes": 0, "peakMemoryBytes": 0, "needsShaderF16": false},
			"files":        list,
		}},
	})
	m, err := models.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// upstream is a model mirror over real HTTP (httptest) with test faults.
type upstream struct {
	url    string
	dir    string
	faults *mirror.Faults
}

func newUpstream(t *testing.T, id string, files ...testFile) upstream {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		p := filepath.Join(dir, id, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	faults := mirror.NewFaults()
	h, err := mirror.New(dir, mirror.Options{Faults: faults, Logger: nil})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return upstream{url: srv.URL, dir: dir, faults: faults}
}

func checkStored(t *testing.T, dir, id string, files ...testFile) {
	t.Helper()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	for _, f := range files {
		rel := id + "/" + f.path
		got, err := root.ReadFile(rel)
		if err != nil || !bytes.Equal(got, f.data) {
			t.Fatalf("%s: %d bytes stored (%v), want the %d served", rel, len(got), err, len(f.data))
		}
		s, err := mirror.ReadSidecar(root, rel)
		if err != nil || s.SHA256 != testutil.SHA256Hex(f.data) || s.Bytes != int64(len(f.data)) {
			t.Fatalf("%s: sidecar %+v %v", rel, s, err)
		}
	}
	entries, _ := filepath.Glob(filepath.Join(dir, id, "*", ".*.partial*"))
	if len(entries) != 0 {
		t.Fatalf("partial files left: %v", entries)
	}
}

func TestPullResumesAfterDroppedConnections(t *testing.T) {
	files := []testFile{{"text_encoder/model.onnx", testutil.RandomBytes(700_001, 1), true}, {"unet/model.onnx", testutil.RandomBytes(2_000_003, 2), false}}
	up := newUpstream(t, "m", files...)
	if err := up.faults.Set(mirror.Fault{Path: "m/unet/model.onnx", DropAfterBytes: 654_321, Times: 2}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var updates []modelpull.Update
	res, err := modelpull.Pull(context.Background(), manifest(t, "m", up.url+"/models/m/", files...), modelpull.Options{
		Dir: dir, Backoff: time.Millisecond, Progress: func(u modelpull.Update) { updates = append(updates, u) },
	})
	if err != nil {
		t.Fatal(err)
	}
	checkStored(t, dir, "m", files...)
	st := up.faults.Stats()["m/unet/model.onnx"]
	if st.Dropped != 2 || st.Get != 3 || len(st.Ranges) != 2 || st.Ranges[0] != "bytes=654321-" || st.Ranges[1] != "bytes=1308642-" {
		t.Fatalf("stats %+v", st)
	}
	if res[1].Downloaded != int64(len(files[1].data)) || st.BodyBytes != int64(len(files[1].data)) {
		t.Fatalf("bytes fetched twice: downloaded %d, served %d", res[1].Downloaded, st.BodyBytes)
	}
	if res[0].VerifiedBy != "pinned" || res[1].VerifiedBy != "server" {
		t.Fatalf("results %+v", res)
	}
	last := updates[len(updates)-1]
	if last.State != "done" || last.TotalDone != last.TotalBytes || last.TotalBytes != 2_700_004 {
		t.Fatalf("last update %+v", last)
	}

	// A second pull finds everything verified and asks the server nothing.
	up.faults.Reset()
	res, err = modelpull.Pull(context.Background(), manifest(t, "m", up.url+"/models/m/", files...), modelpull.Options{Dir: dir})
	if err != nil || !res[0].Skipped || !res[1].Skipped || len(up.faults.Stats()) != 0 {
		t.Fatalf("second pull: %+v %v %+v", res, err, up.faults.Stats())
	}
}

func TestPullResumesAcrossRunsAndRestartsWhenRangeIsIgnored(t *testing.T) {
	files := []testFile{{"unet/model.onnx", testutil.RandomBytes(3_000_000, 3), true}}
	up := newUpstream(t, "r", files...)
	m := manifest(t, "r", up.url+"/models/r/", files...)
	dir := t.TempDir()
	_ = up.faults.Set(mirror.Fault{Path: "r/unet/model.onnx", BytesPerSecond: 4_000_000})
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	_, err := modelpull.Pull(ctx, m, modelpull.Options{Dir: dir, Progress: func(u modelpull.Update) {
		if u.FileDone > 1_000_000 {
			once.Do(cancel)
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled pull: %v", err)
	}
	info, err := os.Stat(filepath.Join(dir, "r", "unet", ".model.onnx.partial"))
	if err != nil || info.Size() < 1_000_000 || info.Size() >= 3_000_000 {
		t.Fatalf("partial file: %v %v", info, err)
	}
	partial := info.Size()
	up.faults.Reset()
	res, err := modelpull.Pull(context.Background(), m, modelpull.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	checkStored(t, dir, "r", files...)
	st := up.faults.Stats()["r/unet/model.onnx"]
	if len(st.Ranges) != 1 || st.Ranges[0] != fmt.Sprintf("bytes=%d-", partial) || res[0].Downloaded != 3_000_000-partial {
		t.Fatalf("resume: %+v, downloaded %d", st, res[0].Downloaded)
	}

	// Again, but the server now ignores Range: the pull starts over cleanly.
	files2 := []testFile{{"unet/model.onnx", testutil.RandomBytes(3_000_000, 4), true}}
	up2 := newUpstream(t, "i", files2...)
	m2 := manifest(t, "i", up2.url+"/models/i/", files2...)
	_ = up2.faults.Set(mirror.Fault{Path: "i/unet/model.onnx", DropAfterBytes: 1_111_111})
	_ = up2.faults.Set(mirror.Fault{Path: "i/unet/model.onnx", DropAfterBytes: 1_111_111, IgnoreRange: true})
	res, err = modelpull.Pull(context.Background(), m2, modelpull.Options{Dir: dir, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	checkStored(t, dir, "i", files2...)
	if st := up2.faults.Stats()["i/unet/model.onnx"]; st.Get != 2 || st.BodyBytes != 1_111_111+3_000_000 || res[0].Downloaded != st.BodyBytes {
		t.Fatalf("restart: %+v, downloaded %d", st, res[0].Downloaded)
	}
}

func TestPullRejectsCorruptAndUnverifiableFiles(t *testing.T) {
	good := testutil.RandomBytes(500_000, 5)
	bad := append([]byte{}, good...)
	bad[4242] ^= 1
	up := newUpstream(t, "c", testFile{"unet/model.onnx", bad, false})
	dir := t.TempDir()
	_, err := modelpull.Pull(context.Background(), manifest(t, "c", up.url+"/models/c/", testFile{"unet/model.onnx", good, true}), modelpull.Options{Dir: dir})
	if !errors.Is(err, modelpull.ErrIntegrity) {
		t.Fatalf("corrupt file: %v", err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, "c", "unet", "*")); len(leftovers) != 0 {
		t.Fatalf("left behind: %v", leftovers)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, "c", "unet", ".*")); len(leftovers) != 0 {
		t.Fatalf("left behind: %v", leftovers)
	}

	// A server that sends no SHA-256, for a manifest that pins none.
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(good))
	}))
	defer plain.Close()
	_, err = modelpull.Pull(context.Background(), manifest(t, "u", plain.URL+"/u/", testFile{"unet/model.onnx", good, false}), modelpull.Options{Dir: dir})
	if !errors.Is(err, modelpull.ErrUnverifiable) {
		t.Fatalf("unverifiable: %v", err)
	}
	// And one whose size is not the manifest's.
	_, err = modelpull.Pull(context.Background(), manifest(t, "s", plain.URL+"/s/", testFile{"unet/model.onnx", good[:1000], true}), modelpull.Options{Dir: dir})
	if !errors.Is(err, modelpull.ErrSizeMismatch) {
		t.Fatalf("size mismatch: %v", err)
	}
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	_, err = modelpull.Pull(context.Background(), manifest(t, "n", notFound.URL+"/n/", testFile{"unet/model.onnx", good, true}), modelpull.Options{Dir: dir})
	if !errors.Is(err, modelpull.ErrHTTP) || !strings.Contains(err.Error(), "404") {
		t.Fatalf("404: %v", err)
	}
}

// Hugging Face answers /resolve/<rev>/<path> with a redirect that carries the
// LFS SHA-256 (X-Linked-Etag) and size; the CDN behind it sends another ETag.
func TestPullVerifiesAgainstHuggingFaceLinkedEtag(t *testing.T) {
	data := testutil.RandomBytes(400_000, 6)
	announced := testutil.SHA256Hex(data)
	mux := http.NewServeMux()
	mux.HandleFunc("/o/r/resolve/{rev}/unet/model.onnx", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Linked-Etag", `"`+announced+`"`)
		w.Header().Set("X-Linked-Size", fmt.Sprint(len(data)))
		http.Redirect(w, r, "/cdn/blob", http.StatusFound)
	})
	mux.HandleFunc("/cdn/blob", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"d41d8cd98f00b204e9800998ecf8427e"`)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	base := srv.URL + "/o/r/resolve/0123456789abcdef0123456789abcdef01234567/"
	dir := t.TempDir()
	res, err := modelpull.Pull(context.Background(), manifest(t, "hf", base, testFile{"unet/model.onnx", data, false}), modelpull.Options{Dir: dir})
	if err != nil || res[0].VerifiedBy != "server" || res[0].SHA256 != announced {
		t.Fatalf("pull: %+v %v", res, err)
	}
	checkStored(t, dir, "hf", testFile{"unet/model.onnx", data, false})

	announced = strings.Repeat("0", 64)
	_, err = modelpull.Pull(context.Background(), manifest(t, "hf2", base, testFile{"unet/model.onnx", data, false}), modelpull.Options{Dir: dir})
	if !errors.Is(err, modelpull.ErrIntegrity) {
		t.Fatalf("wrong linked etag: %v", err)
	}
}

func TestPullFromAMirrorRoot(t *testing.T) {
	files := []testFile{{"unet/model.onnx", testutil.RandomBytes(10_000, 7), true}}
	up := newUpstream(t, "team", files...)
	// The manifest points elsewhere; -base-url names a mirror root.
	m := manifest(t, "team", "https://unreachable.invalid/team/", files...)
	dir := t.TempDir()
	if _, err := modelpull.Pull(context.Background(), m, modelpull.Options{Dir: dir, BaseURL: up.url + "/models/"}); err != nil {
		t.Fatal(err)
	}
	checkStored(t, dir, "team", files...)
}

func TestProgressBar(t *testing.T) {
	var out bytes.Buffer
	bar := modelpull.NewProgressBar(&out, false)
	bar.Update(modelpull.Update{Path: "unet/model.onnx", FileBytes: 100, TotalBytes: 200, State: "downloading"})
	bar.Update(modelpull.Update{Path: "unet/model.onnx", FileBytes: 100, FileDone: 100, TotalDone: 200, TotalBytes: 200, State: "done"})
	if !strings.Contains(out.String(), "100.0% 0.0 MB / 0.0 MB") || !strings.Contains(out.String(), "done unet/model.onnx") {
		t.Fatalf("output %q", out.String())
	}
	var tty bytes.Buffer
	modelpull.NewProgressBar(&tty, true).Update(modelpull.Update{Path: "a", TotalDone: 50, TotalBytes: 100, State: "done"})
	if !strings.HasPrefix(tty.String(), "\r[###############...............]  50.0%") {
		t.Fatalf("terminal output %q", tty.String())
	}
}

// A crash after the last byte but before the rename leaves a whole partial
// file: the next pull verifies and renames it without asking the server.
func TestPullFinishesAWholePartialFile(t *testing.T) {
	files := []testFile{{"unet/model.onnx", testutil.RandomBytes(300_000, 8), false}}
	up := newUpstream(t, "w", files...)
	m := manifest(t, "w", up.url+"/models/w/", files...)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "w", "unet"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "w", "unet", ".model.onnx.partial"), files[0].data, 0o644); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Head(up.url + "/models/w/unet/model.onnx")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	record, _ := json.Marshal(map[string]any{
		"url": up.url + "/models/w/unet/model.onnx", "etag": resp.Header.Get("ETag"), "expectedSha256": testutil.SHA256Hex(files[0].data),
		"verifiedBy": "server", "totalBytes": len(files[0].data),
	})
	if err := os.WriteFile(filepath.Join(dir, "w", "unet", ".model.onnx.partial.json"), record, 0o644); err != nil {
		t.Fatal(err)
	}
	up.faults.Reset()
	res, err := modelpull.Pull(context.Background(), m, modelpull.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	checkStored(t, dir, "w", files...)
	if res[0].Downloaded != 0 || res[0].SHA256 != testutil.SHA256Hex(files[0].data) || len(up.faults.Stats()) != 0 {
		t.Fatalf("result %+v, stats %+v", res[0], up.faults.Stats())
	}
}
