package modelpull_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hybridgen/internal/mirror"
	"hybridgen/internal/modelpull"
	"hybridgen/internal/taesd"
	"hybridgen/internal/testutil"
	"hybridgen/internal/torchfile"
	"hybridgen/models"
)

// A real torch.save file of a (narrow) TAESD decoder: internal/taesd/testdata/gen.py.
func taesdFixture(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../taesd/testdata/decoder-w8.pth")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// convertedManifest lists one tiny decoder made from the source at srcURL.
func convertedManifest(t *testing.T, baseURL, srcURL, blobSHA1 string, bytes int, sha256 any) *models.Manifest {
	t.Helper()
	b, _ := json.Marshal(map[string]any{
		"schemaVersion": 1, "id": "c", "displayName": "c", "license": map[string]any{"name": "test"},
		"baseUrl": baseURL, "pipeline": map[string]any{"kind": "test"},
		"variants": map[string]any{"wasm": map[string]any{
			"requirements": map[string]any{"totalBytes": bytes, "largestBufferBytes": 0, "peakMemoryBytes": 0, "needsShaderF16": false},
			"files": []any{map[string]any{
				"role": "tiny_decoder", "path": "tiny_decoder/model.onnx", "bytes": bytes, "sha256": sha256,
				"source": map[string]any{"url": srcURL, "gitBlobSha1": blobSHA1, "convert": "taesd-decoder"},
			}},
		}},
	})
	m, err := models.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPullConvertsAPinnedSource(t *testing.T) {
	pth := taesdFixture(t)
	want, err := taesd.ConvertDecoder(pth)
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t, "src", testFile{path: "taesd_decoder.pth", data: pth})
	srcURL := up.url + "/models/src/taesd_decoder.pth"
	if err := up.faults.Set(mirror.Fault{Path: "src/taesd_decoder.pth", DropAfterBytes: 10_000}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	m := convertedManifest(t, "https://example.invalid/never-used/", srcURL, gitBlobSHA1(pth), len(want), nil)
	res, err := modelpull.Pull(context.Background(), m, modelpull.Options{Dir: dir, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	checkStored(t, dir, "c", testFile{path: "tiny_decoder/model.onnx", data: want})
	if r := res[0]; r.VerifiedBy != "source" || r.Bytes != int64(len(want)) || r.SHA256 != testutil.SHA256Hex(want) || r.Downloaded != int64(len(pth)) {
		t.Fatalf("result %+v", r)
	}
	if st := up.faults.Stats()["src/taesd_decoder.pth"]; st.Dropped != 1 || st.Get != 2 {
		t.Fatalf("the dropped source download was not retried: %+v", st)
	}

	// Pulled again: verified by its sidecar, nothing fetched.
	up.faults.Reset()
	res, err = modelpull.Pull(context.Background(), m, modelpull.Options{Dir: dir})
	if err != nil || !res[0].Skipped || len(up.faults.Stats()) != 0 {
		t.Fatalf("second pull: %+v %v %+v", res, err, up.faults.Stats())
	}

	// With the conversion's SHA-256 pinned, it is checked too.
	pinned := convertedManifest(t, "https://example.invalid/", srcURL, gitBlobSHA1(pth), len(want), testutil.SHA256Hex(want))
	res, err = modelpull.Pull(context.Background(), pinned, modelpull.Options{Dir: t.TempDir()})
	if err != nil || res[0].VerifiedBy != "pinned" {
		t.Fatalf("pinned: %+v %v", res, err)
	}

	// From another hybridgen mirror (-base-url) the made file itself is
	// downloaded, verified by the mirror's SHA-256; the source is not asked for.
	downstream := t.TempDir()
	srv := newUpstream(t, "c", testFile{path: "tiny_decoder/model.onnx", data: want})
	up.faults.Reset()
	res, err = modelpull.Pull(context.Background(), m, modelpull.Options{Dir: downstream, BaseURL: srv.url + "/models/"})
	if err != nil || res[0].VerifiedBy != "server" || len(up.faults.Stats()) != 0 {
		t.Fatalf("from a mirror: %+v %v, source requests %+v", res, err, up.faults.Stats())
	}
	checkStored(t, downstream, "c", testFile{path: "tiny_decoder/model.onnx", data: want})
}

// maliciousPth is a torch-style zip whose pickle calls os.system.
func maliciousPth(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("archive/data.pkl")
	if err == nil {
		_, err = w.Write([]byte("\x80\x02cos\nsystem\nX\x02\x00\x00\x00ls\x85R."))
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A source that is not what the manifest pins, or that does not convert to
// what it says, is refused with a typed error and leaves nothing behind.
func TestPullRefusesALyingSource(t *testing.T) {
	pth := taesdFixture(t)
	want, err := taesd.ConvertDecoder(pth)
	if err != nil {
		t.Fatal(err)
	}
	evil := maliciousPth(t)
	up := newUpstream(t, "src", testFile{path: "taesd_decoder.pth", data: pth}, testFile{path: "evil.pth", data: evil})
	good := up.url + "/models/src/taesd_decoder.pth"
	cases := map[string]struct {
		m    *models.Manifest
		want error
	}{
		"another file's SHA-1":   {convertedManifest(t, "https://x.invalid/", good, "5915a429fc08eba4adf62bf74f96705b8b0d5c1f", len(want), nil), modelpull.ErrSourceMismatch},
		"wrong size":             {convertedManifest(t, "https://x.invalid/", good, gitBlobSHA1(pth), len(want)+1, nil), modelpull.ErrSizeMismatch},
		"wrong SHA-256":          {convertedManifest(t, "https://x.invalid/", good, gitBlobSHA1(pth), len(want), testutil.SHA256Hex(pth)), modelpull.ErrIntegrity},
		"pickle calls os.system": {convertedManifest(t, "https://x.invalid/", up.url+"/models/src/evil.pth", gitBlobSHA1(evil), len(want), nil), modelpull.ErrConversion},
		"missing source":         {convertedManifest(t, "https://x.invalid/", up.url+"/models/src/nope.pth", gitBlobSHA1(pth), len(want), nil), modelpull.ErrHTTP},
	}
	for label, c := range cases {
		dir := t.TempDir()
		_, err := modelpull.Pull(context.Background(), c.m, modelpull.Options{Dir: dir, MaxRetries: 1, Backoff: time.Millisecond})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", label, err, c.want)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, "c", "tiny_decoder", "*")); len(left) != 0 {
			t.Errorf("%s: left %v", label, left)
		}
	}
	_, err = modelpull.Pull(context.Background(), cases["pickle calls os.system"].m, modelpull.Options{Dir: t.TempDir()})
	var dg *torchfile.DisallowedGlobalError
	if !errors.As(err, &dg) || dg.Module != "os" || dg.Name != "system" {
		t.Errorf("malicious pickle: %v, want a DisallowedGlobalError for os.system", err)
	}
}

// Every conversion a manifest may name has a converter, and the other way round.
func TestEveryConverterIsKnownToTheManifests(t *testing.T) {
	if got := modelpull.Converters(); !equalSets(got, models.Converters) {
		t.Errorf("modelpull converts %v, manifests may name %v", got, models.Converters)
	}
}

func equalSets(a, b []string) bool {
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		seen[s]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return len(a) == len(b)
}
