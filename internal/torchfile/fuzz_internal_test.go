package torchfile

import (
	"archive/zip"
	"bytes"
	"errors"
	"maps"
	"os"
	"strings"
	"testing"
)

// FuzzUnpickle runs arbitrary pickles (seeded with a real torch.save
// pickle) against the real fixture's storages: the result is a state dict or
// an error of the package's kinds, never a panic.
func FuzzUnpickle(f *testing.F) {
	src, err := os.ReadFile("../taesd/testdata/decoder-w8.pth")
	if err != nil {
		f.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		f.Fatal(err)
	}
	entries := map[string]*zip.File{}
	for _, e := range zr.File {
		entries[e.Name] = e
	}
	storages := &storageLoader{entries: entries, prefix: "decoder-w8/data/", loaded: map[string][]byte{}}
	for name := range entries {
		if key, ok := strings.CutPrefix(name, storages.prefix); ok {
			if _, err := storages.load(key); err != nil {
				f.Fatal(err)
			}
		}
	}
	pkl, err := readEntry(entries["decoder-w8/data.pkl"], maxPickleBytes)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pkl)
	f.Add(pkl[:len(pkl)/2])
	f.Add([]byte("\x80\x02cos\nsystem\n."))
	f.Fuzz(func(t *testing.T, data []byte) {
		loader := &storageLoader{entries: entries, prefix: storages.prefix, loaded: maps.Clone(storages.loaded)}
		root, err := unpickle(data, loader)
		if err == nil {
			_, err = toStateDict(root)
		}
		if err != nil && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("untyped error %v", err)
		}
	})
}
