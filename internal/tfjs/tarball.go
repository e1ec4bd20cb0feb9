// Package tfjs turns TensorFlow.js models shipped in npm packages into ONNX
// graphs, so the browser runs them with the one runtime it already has
// (onnxruntime-web) and the mirror serves them like every other model file.
//
// What it reads: an npm package tarball (.tgz), a Keras "layers-model"
// model.json in it and the weight shards beside it (float32, no
// quantization). What it writes: an ONNX model (opset 17) in NCHW layout:
// input `image` float32 [1, 3, height, width], output `upscaled` float32
// [1, 3, height*scale, width*scale], values in the model's own range.
//
// Layers it converts: InputLayer, Conv2D (stride 1, dilation 1, padding
// same or valid, activation linear or relu), Activation (relu),
// Concatenate (channel axis), Add, UpSampling2D (nearest). That is every
// layer of UpscalerJS's ESRGAN "slim" and "medium" RDN models; anything
// else is refused with [ErrUnsupported].
//
// Entry points: [ConvertLayersModel], [ReadTarball].
package tfjs

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Errors; test with errors.Is.
var (
	// ErrTarball: the bytes are not a readable gzipped tar.
	ErrTarball = errors.New("tfjs: not a readable npm tarball")
	// ErrMissing: a file the model needs is not in the tarball.
	ErrMissing = errors.New("tfjs: file missing from the tarball")
	// ErrModel: model.json or its weights are malformed.
	ErrModel = errors.New("tfjs: malformed model")
	// ErrUnsupported: the model uses a layer or setting this package does not convert.
	ErrUnsupported = errors.New("tfjs: unsupported layer")
)

// maxEntryBytes bounds one file read from a tarball.
const maxEntryBytes = 64 << 20

// ReadTarball returns the regular files of a gzipped tar whose path starts
// with prefix (e.g. "package/models/x2/"), keyed by their path below it.
func ReadTarball(tgz []byte, prefix string) (map[string][]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTarball, err)
	}
	tr := tar.NewReader(zr)
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrTarball, err)
		}
		name := path.Clean(h.Name)
		if h.Typeflag != tar.TypeReg || !strings.HasPrefix(name, prefix) {
			continue
		}
		if h.Size > maxEntryBytes {
			return nil, fmt.Errorf("%w: %s is %d bytes", ErrTarball, name, h.Size)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%w: reading %s: %w", ErrTarball, name, err)
		}
		files[strings.TrimPrefix(name, prefix)] = data
	}
}
