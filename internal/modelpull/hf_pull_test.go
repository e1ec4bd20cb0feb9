package modelpull_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hybridgen/internal/modelpull"
	ot "hybridgen/internal/onnx/onnxtest"
	"hybridgen/internal/testutil"
	"hybridgen/models"
)

// A tiny UNet-shaped ONNX graph with 600 kB of weights, kept in LFS, and
// the plain tokenizer files.
func hfRepo() (map[string]hfFile, map[string]string) {
	unet := ot.Model(map[string]uint64{"": 17}, ot.Node("Conv", ""), ot.Initializer("w", 600_000),
		ot.Input("sample", ot.Float32, "batch_size", 4, "height", "width"), ot.Input("timestep", ot.Int64, 1),
		ot.Output("out_sample", ot.Float32, "batch_size", 4, "height", "width"))
	files := map[string]hfFile{
		"unet/model.onnx":      {data: unet, lfs: true},
		"tokenizer/vocab.json": {data: testutil.RandomBytes(90_001, 11)},
		"tokenizer/merges.txt": {data: []byte("#version: 0.2\ni n\nt h</w>\n")},
	}
	roles := map[string]string{"unet/model.onnx": "unet", "tokenizer/vocab.json": "tokenizer", "tokenizer/merges.txt": "tokenizer"}
	return files, roles
}

func pullOpts(dir string) modelpull.Options {
	return modelpull.Options{Dir: dir, Backoff: time.Millisecond}
}

// The mirror's manifest copy pins what was verified: exact sizes, both
// hashes, and the UNet's graph summary.
func checkManifestCopy(t *testing.T, dir, id string, files map[string]hfFile) *models.Manifest {
	t.Helper()
	c, err := models.Load(filepath.Join(dir, id, modelpull.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range c.Files() {
		want := files[f.Path].data
		if f.BytesEstimated || f.Bytes != int64(len(want)) || f.SHA256 == nil || *f.SHA256 != testutil.SHA256Hex(want) ||
			f.GitBlobSHA1 == nil || *f.GitBlobSHA1 != gitBlobSHA1(want) {
			t.Fatalf("manifest copy of %s: %+v", f.Path, f)
		}
	}
	var total int64
	for _, f := range c.Variants["webgpu-f16"].Files {
		total += f.Bytes
	}
	if c.Variants["webgpu-f16"].Requirements.TotalBytes != total {
		t.Fatalf("totalBytes %d, files add up to %d", c.Variants["webgpu-f16"].Requirements.TotalBytes, total)
	}
	return c
}

func TestPullFromHuggingFacePinsWhatItVerified(t *testing.T) {
	files, roles := hfRepo()
	hf := newHFServer(files)
	defer hf.close()
	hf.cutAfter["unet/model.onnx"] = 250_000 // the CDN drops the first response
	m := hfManifest("hf", hf.baseURL(), files, roles)
	dir := t.TempDir()
	res, err := modelpull.Pull(context.Background(), m, pullOpts(dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		f := files[strings.TrimPrefix(r.Path, "hf/")]
		if r.VerifiedBy != "server" || r.SHA256 != testutil.SHA256Hex(f.data) || r.GitBlobSHA1 != gitBlobSHA1(f.data) || r.Bytes != int64(len(f.data)) {
			t.Fatalf("result %+v", r)
		}
	}
	if got := hf.ranges["unet/model.onnx"]; len(got) != 2 || got[0] != "" || got[1] != "bytes=250000-" {
		t.Fatalf("the cut was not resumed with a Range on the CDN: %q", got)
	}
	if unet := res[len(res)-1]; unet.Downloaded != int64(len(files["unet/model.onnx"].data)) {
		t.Fatalf("the resumed UNet came over the network as %d bytes, want %d", unet.Downloaded, len(files["unet/model.onnx"].data))
	}
	c := checkManifestCopy(t, dir, "hf", files)
	for _, f := range c.Files() {
		if f.Role == "unet" && (f.Graph == nil || f.Graph.Inputs[1].Name != "timestep" || f.Graph.Inputs[1].Type != "int64") {
			t.Fatalf("UNet graph summary %+v", f.Graph)
		}
		if f.Role == "tokenizer" && f.Graph != nil {
			t.Fatalf("a tokenizer file got a graph summary")
		}
	}

	// Pulling again finds everything verified and asks nothing.
	before := hf.gets["unet/model.onnx"]
	res, err = modelpull.Pull(context.Background(), m, pullOpts(dir))
	if err != nil || !res[0].Skipped || hf.gets["unet/model.onnx"] != before {
		t.Fatalf("second pull: %+v %v", res, err)
	}
}

func TestPullRefusesALyingServer(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		lie        func(*hfServer, string)
		want       error
	}{
		{"wrong LFS SHA-256", "unet/model.onnx", func(s *hfServer, p string) { s.lieHash[p] = true }, modelpull.ErrIntegrity},
		{"wrong LFS size", "unet/model.onnx", func(s *hfServer, p string) { s.lieSize[p] = true }, modelpull.ErrSizeMismatch},
		{"wrong git blob SHA-1", "tokenizer/vocab.json", func(s *hfServer, p string) { s.lieHash[p] = true }, modelpull.ErrIntegrity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, roles := hfRepo()
			hf := newHFServer(files)
			defer hf.close()
			tc.lie(hf, tc.path)
			dir := t.TempDir()
			_, err := modelpull.Pull(context.Background(), hfManifest("lie", hf.baseURL(), files, roles), pullOpts(dir))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.path) {
				t.Fatalf("got %v, want %v naming %s", err, tc.want, tc.path)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, "lie", filepath.Dir(tc.path), "*model.onnx*")); strings.HasPrefix(tc.path, "unet") && len(left) != 0 {
				t.Fatalf("kept a refused file: %v", left)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, "lie", filepath.Dir(tc.path), ".*.partial*")); len(left) != 0 {
				t.Fatalf("kept a partial file: %v", left)
			}
		})
	}
}

// Trust on first pull: a second machine pulling from the same upstream with
// the first pull's manifest copy refuses a file that changed since, before
// downloading it.
func TestPullRefusesAFileChangedSinceTheFirstPull(t *testing.T) {
	files, roles := hfRepo()
	hf := newHFServer(files)
	defer hf.close()
	m := hfManifest("tofu", hf.baseURL(), files, roles)
	dir := t.TempDir()
	if _, err := modelpull.Pull(context.Background(), m, pullOpts(dir)); err != nil {
		t.Fatal(err)
	}
	original := files["unet/model.onnx"].data
	changed := append([]byte{}, original...)
	changed[len(changed)-1] ^= 0xff
	hf.set("unet/model.onnx", hfFile{data: changed, lfs: true})
	if err := os.Remove(filepath.Join(dir, "tofu", "unet", "model.onnx")); err != nil {
		t.Fatal(err)
	}
	cdnGets := len(hf.ranges["unet/model.onnx"])
	_, err := modelpull.Pull(context.Background(), m, pullOpts(dir))
	if !errors.Is(err, modelpull.ErrChangedUpstream) || !errors.Is(err, modelpull.ErrIntegrity) || !strings.Contains(err.Error(), "an earlier pull") {
		t.Fatalf("changed upstream: %v", err)
	}
	if len(hf.ranges["unet/model.onnx"]) != cdnGets {
		t.Fatalf("the changed file was downloaded before being refused")
	}
	// The manifest copy still pins the first pull's file.
	checkManifestCopy(t, dir, "tofu", map[string]hfFile{
		"unet/model.onnx": {data: original}, "tokenizer/vocab.json": files["tokenizer/vocab.json"], "tokenizer/merges.txt": files["tokenizer/merges.txt"],
	})

	// A file that changes in the middle of an unpinned download (between a
	// cut and the resume) is fetched again whole and verified as it is now.
	files2, roles2 := hfRepo()
	hf2 := newHFServer(files2)
	defer hf2.close()
	hf2.cutAfter["unet/model.onnx"] = 100_000
	hf2.onCut["unet/model.onnx"] = func() { hf2.set("unet/model.onnx", hfFile{data: changed, lfs: true}) }
	res, err := modelpull.Pull(context.Background(), hfManifest("mid", hf2.baseURL(), files2, roles2), pullOpts(t.TempDir()))
	if err != nil || res[len(res)-1].SHA256 != testutil.SHA256Hex(changed) {
		t.Fatalf("changed mid-download: %+v %v", res, err)
	}
	// The resume asked for the rest with If-Range; the new file came whole.
	if got := hf2.ranges["unet/model.onnx"]; len(got) != 2 || res[len(res)-1].Downloaded != int64(100_000+len(changed)) {
		t.Fatalf("the changed file was not fetched whole: ranges %q, downloaded %d", got, res[len(res)-1].Downloaded)
	}
}

func TestGitBlobSHA1MatchesGit(t *testing.T) {
	// `printf 'hello\n' | git hash-object --stdin` and git's empty blob.
	for data, want := range map[string]string{"hello\n": "ce013625030ba8dba906f756967f9e9ca394464a", "": "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"} {
		got, err := modelpull.GitBlobSHA1(strings.NewReader(data), int64(len(data)))
		if err != nil || got != want {
			t.Errorf("GitBlobSHA1(%q) = %s %v, want %s", data, got, err, want)
		}
	}
}

// A manifest may pin a plain file by git blob SHA-1 alone (what Hugging
// Face publishes for it): the pull verifies it, and refuses a wrong pin as
// soon as the server's ETag disagrees, before reading the body.
func TestPullVerifiesGitBlobPins(t *testing.T) {
	files, roles := hfRepo()
	hf := newHFServer(files)
	defer hf.close()
	vocab := files["tokenizer/vocab.json"].data
	pin := func(blob string) *models.Manifest {
		m := hfManifest("pin", hf.baseURL(), files, roles)
		v := m.Variants["webgpu-f16"]
		for i, f := range v.Files {
			if f.Path == "tokenizer/vocab.json" {
				v.Files[i].GitBlobSHA1, v.Files[i].Bytes, v.Files[i].BytesEstimated = &blob, int64(len(vocab)), false
			}
		}
		v.Requirements.TotalBytes = 0
		for _, f := range v.Files {
			v.Requirements.TotalBytes += f.Bytes
		}
		m.Variants["webgpu-f16"] = v
		if err := m.Validate(); err != nil {
			t.Fatal(err)
		}
		return m
	}
	res, err := modelpull.Pull(context.Background(), pin(gitBlobSHA1(vocab)), pullOpts(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if strings.HasSuffix(r.Path, "vocab.json") && (r.VerifiedBy != "pinned" || r.GitBlobSHA1 != gitBlobSHA1(vocab)) {
			t.Fatalf("pinned vocab: %+v", r)
		}
	}
	wrong := gitBlobSHA1([]byte("another vocabulary"))
	_, err = modelpull.Pull(context.Background(), pin(wrong), pullOpts(t.TempDir()))
	if !errors.Is(err, modelpull.ErrIntegrity) || errors.Is(err, modelpull.ErrChangedUpstream) || !strings.Contains(err.Error(), "the manifest pins git blob "+wrong) {
		t.Fatalf("wrong git blob pin: %v", err)
	}
}
