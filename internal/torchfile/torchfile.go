// Package torchfile reads PyTorch state dicts saved by torch.save in its zip
// format (a zip holding <prefix>/data.pkl and one <prefix>/data/<key> file
// per storage), without running any pickle code: a small pickle machine
// understands only what a state dict of plain tensors needs
// (collections.OrderedDict, torch._utils._rebuild_tensor_v2 and
// _rebuild_parameter, persistent ids of FloatStorage and HalfStorage) and
// refuses everything else with a typed error.
//
// Entry point: [Read].
package torchfile

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Errors [Read] wraps; test with errors.Is.
var (
	// ErrNotTorchZip: the input is not a zip in torch.save's layout.
	ErrNotTorchZip = errors.New("torchfile: not a PyTorch zip state dict")
	// ErrUnsupported: the pickle uses something this reader refuses
	// (a disallowed global, an unknown opcode, a non-contiguous tensor...).
	ErrUnsupported = errors.New("torchfile: unsupported content")
	// ErrCorrupt: the file contradicts itself (a storage shorter than its
	// tensors, a truncated pickle...).
	ErrCorrupt = errors.New("torchfile: corrupt file")
)

// DisallowedGlobalError reports a pickle global outside the allow-list: the
// reader never imports or calls it. It wraps [ErrUnsupported].
type DisallowedGlobalError struct {
	Module, Name string
}

func (e *DisallowedGlobalError) Error() string {
	return fmt.Sprintf("torchfile: the pickle refers to %s.%s, which a state dict of tensors does not need; refused", e.Module, e.Name)
}

// Unwrap makes the error match [ErrUnsupported].
func (e *DisallowedGlobalError) Unwrap() error { return ErrUnsupported }

// DType is a tensor's element type in the file.
type DType string

// Element types the reader accepts.
const (
	Float32 DType = "float32"
	Float16 DType = "float16"
)

// Tensor is one entry of a state dict, converted to float32 (row-major).
type Tensor struct {
	Name  string
	Shape []int
	// DType is the element type the file stored (Data is always float32).
	DType DType
	Data  []float32
}

// StateDict is the tensors of a state dict in file order.
type StateDict struct {
	Tensors []*Tensor
}

// Get returns the tensor with the given name, or nil.
func (s *StateDict) Get(name string) *Tensor {
	for _, t := range s.Tensors {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// maxPickleBytes bounds data.pkl: a state dict's pickle is small (the
// tensors live in separate storages).
const maxPickleBytes = 16 << 20

// Read parses a torch.save zip of size bytes from r.
func Read(r io.ReaderAt, size int64) (*StateDict, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotTorchZip, err)
	}
	prefix, err := archivePrefix(zr)
	if err != nil {
		return nil, err
	}
	entries := map[string]*zip.File{}
	for _, f := range zr.File {
		entries[f.Name] = f
	}
	if bo, ok := entries[prefix+"byteorder"]; ok {
		b, err := readEntry(bo, 16)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(string(b)) != "little" {
			return nil, fmt.Errorf("%w: byte order %q (only little-endian files are read)", ErrUnsupported, b)
		}
	}
	pkl, err := readEntry(entries[prefix+"data.pkl"], maxPickleBytes)
	if err != nil {
		return nil, err
	}
	storages := &storageLoader{entries: entries, prefix: prefix + "data/", loaded: map[string][]byte{}}
	root, err := unpickle(pkl, storages)
	if err != nil {
		return nil, err
	}
	return toStateDict(root)
}

// archivePrefix finds the one top-level folder holding data.pkl.
func archivePrefix(zr *zip.Reader) (string, error) {
	prefix := ""
	for _, f := range zr.File {
		dir, name, ok := strings.Cut(f.Name, "/")
		if ok && name == "data.pkl" {
			if prefix != "" {
				return "", fmt.Errorf("%w: two data.pkl entries", ErrNotTorchZip)
			}
			prefix = dir + "/"
		}
	}
	if prefix == "" {
		return "", fmt.Errorf("%w: no <name>/data.pkl entry", ErrNotTorchZip)
	}
	return prefix, nil
}

// readEntry reads a whole zip entry of at most limit bytes.
func readEntry(f *zip.File, limit int64) ([]byte, error) {
	if f == nil {
		return nil, fmt.Errorf("%w: missing entry", ErrNotTorchZip)
	}
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%w: entry %s has %d bytes, more than %d", ErrUnsupported, f.Name, f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: open %s: %v", ErrCorrupt, f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read %s: %v", ErrCorrupt, f.Name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: entry %s is larger than %d bytes", ErrUnsupported, f.Name, limit)
	}
	return b, nil
}

// maxStorageBytes bounds one storage (1 GiB of weights is far past any
// decoder this reader is for).
const maxStorageBytes = 1 << 30

// storageLoader reads <prefix>data/<key> once per key.
type storageLoader struct {
	entries map[string]*zip.File
	prefix  string
	loaded  map[string][]byte
}

func (s *storageLoader) load(key string) ([]byte, error) {
	if b, ok := s.loaded[key]; ok {
		return b, nil
	}
	f := s.entries[s.prefix+key]
	if f == nil {
		return nil, fmt.Errorf("%w: storage %q has no %s%s entry", ErrCorrupt, key, s.prefix, key)
	}
	b, err := readEntry(f, maxStorageBytes)
	if err != nil {
		return nil, err
	}
	s.loaded[key] = b
	return b, nil
}

// toStateDict checks that the pickle's root is a dict of name -> tensor.
func toStateDict(root any) (*StateDict, error) {
	d, ok := root.(*pyDict)
	if !ok {
		return nil, fmt.Errorf("%w: the pickle's root is %s, not a dict of tensors", ErrUnsupported, typeName(root))
	}
	out := &StateDict{}
	for i, k := range d.keys {
		name, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("%w: a state dict key is %s, not a string", ErrUnsupported, typeName(k))
		}
		t, ok := d.values[i].(*Tensor)
		if !ok {
			return nil, fmt.Errorf("%w: %q is %s, not a tensor", ErrUnsupported, name, typeName(d.values[i]))
		}
		t.Name = name
		out.Tensors = append(out.Tensors, t)
	}
	return out, nil
}
