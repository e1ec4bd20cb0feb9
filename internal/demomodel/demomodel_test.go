package demomodel

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"hybridgen/models"
)

// useTinyModel swaps the embedded files for a two-file model for one test.
func useTinyModel(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{"unet/model.onnx": []byte("unet-bytes"), "tokenizer/tokenizer.json": []byte(`{"v":1}`)}
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	manifest := fmt.Sprintf(`{"schemaVersion":1,"id":"test-tiny-sd","displayName":"Tiny","license":{"name":"CC0"},"baseUrl":"./",
"pipeline":{"kind":"sd-turbo","textMaxLength":77,"padTokenId":0,"latentChannels":4,"vaeScaleFactor":8,"vaeScalingFactor":0.18215,"defaultSize":512},"variants":{"wasm":{"requirements":{"totalBytes":%d,"largestBufferBytes":1,"peakMemoryBytes":1,"needsShaderF16":false},
"files":[{"role":"tokenizer","path":"tokenizer/tokenizer.json","bytes":%d,"sha256":%q},{"role":"unet","path":"unet/model.onnx","bytes":%d,"sha256":%q}]}}}`,
		len(files["unet/model.onnx"])+len(files["tokenizer/tokenizer.json"]),
		len(files["tokenizer/tokenizer.json"]), sum(files["tokenizer/tokenizer.json"]),
		len(files["unet/model.onnx"]), sum(files["unet/model.onnx"]))
	fsys := fstest.MapFS{source + "/manifest.json": {Data: []byte(manifest)}}
	for p, b := range files {
		fsys[source+"/"+p] = &fstest.MapFile{Data: b}
	}
	old := embedded
	embedded = fsys
	t.Cleanup(func() { embedded = old })
	return files
}

func TestInstallWritesTheRenamedModelOnce(t *testing.T) {
	files := useTinyModel(t)
	dir := t.TempDir()
	n, err := Install(dir)
	if err != nil || n != 3 {
		t.Fatalf("Install = %d, %v; want 3 files written", n, err)
	}
	m, err := models.Load(filepath.Join(dir, ID, "manifest.json"))
	if err != nil {
		t.Fatalf("installed manifest: %v", err)
	}
	if m.ID != ID || m.DisplayName != DisplayName {
		t.Errorf("manifest id/name = %q/%q, want %q/%q", m.ID, m.DisplayName, ID, DisplayName)
	}
	for p, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, ID, p))
		if err != nil || string(got) != string(want) {
			t.Errorf("%s = %q, %v; want %q", p, got, err, want)
		}
	}
	if !Mirrored(dir, m) {
		t.Error("Mirrored = false after Install")
	}
	// A second start writes nothing; a damaged file is replaced.
	if n, err := Install(dir); err != nil || n != 0 {
		t.Fatalf("second Install = %d, %v; want 0", n, err)
	}
	if err := os.WriteFile(filepath.Join(dir, ID, "unet/model.onnx"), []byte("broken"), 0o644); err != nil {
		t.Fatal(err)
	}
	if Mirrored(dir, m) {
		t.Error("Mirrored = true with a file of the wrong size")
	}
	if n, err := Install(dir); err != nil || n != 1 {
		t.Fatalf("repair Install = %d, %v; want 1", n, err)
	}
}

func TestWithoutTheEmbeddedModel(t *testing.T) {
	old := embedded
	embedded = fstest.MapFS{}
	t.Cleanup(func() { embedded = old })
	if Available() {
		t.Fatal("Available = true with no files")
	}
	if _, err := Install(t.TempDir()); !errors.Is(err, ErrNotEmbedded) {
		t.Fatalf("Install err = %v, want ErrNotEmbedded", err)
	}
}

func TestMirroredIsFalseForAnEmptyFolder(t *testing.T) {
	m, err := models.Lookup("sd-turbo")
	if err != nil {
		t.Fatal(err)
	}
	if Mirrored(t.TempDir(), m) {
		t.Fatal("Mirrored = true for an empty folder")
	}
}
