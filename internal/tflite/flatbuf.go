// Package tflite reads TensorFlow Lite models (the .tflite FlatBuffer of
// schema v3) and converts the float ones made of plain convolution blocks
// into ONNX graphs, so the browser runs them with the one runtime it
// already has (onnxruntime-web) and the mirror serves them like every other
// model file.
//
// What it reads: the model's first subgraph, its tensors (float32, or
// float16 constants), buffers and operators with their builtin options.
// No FlatBuffers library is needed: the few tables the converter reads are
// decoded here by field index, as schema.fbs numbers them.
//
// Entry points: [Parse], [ConvertSegmenter], [MediaPipeSelfie].
package tflite

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Errors; test with errors.Is.
var (
	// ErrModel: the bytes are not a well-formed TFLite model.
	ErrModel = errors.New("tflite: malformed model")
	// ErrUnsupported: the model uses an operator or setting this package does not convert.
	ErrUnsupported = errors.New("tflite: unsupported operator")
	// ErrMissing: a file the model needs is not in the package.
	ErrMissing = errors.New("tflite: file missing from the package")
)

// table is one FlatBuffers table: its position in buf and its vtable's.
type table struct {
	buf    []byte
	pos    int
	vtable int
	vlen   int
}

// fbError is the panic value of an out-of-range read; Parse recovers it.
type fbError struct{ msg string }

func (t table) u32(at int) uint32 {
	if at < 0 || at+4 > len(t.buf) {
		panic(fbError{fmt.Sprintf("read of 4 bytes at %d past the end (%d)", at, len(t.buf))})
	}
	return binary.LittleEndian.Uint32(t.buf[at:])
}

func (t table) u16(at int) uint16 {
	if at < 0 || at+2 > len(t.buf) {
		panic(fbError{fmt.Sprintf("read of 2 bytes at %d past the end (%d)", at, len(t.buf))})
	}
	return binary.LittleEndian.Uint16(t.buf[at:])
}

// tableAt returns the table that starts at pos.
func tableAt(buf []byte, pos int) table {
	t := table{buf: buf, pos: pos}
	t.vtable = pos - int(int32(t.u32(pos)))
	t.vlen = int(t.u16(t.vtable))
	return t
}

// field returns the absolute position of field i, or 0 when it is absent
// (and so has its schema default).
func (t table) field(i int) int {
	at := 4 + 2*i
	if at+2 > t.vlen {
		return 0
	}
	off := int(t.u16(t.vtable + at))
	if off == 0 {
		return 0
	}
	return t.pos + off
}

// deref follows the uoffset stored at pos.
func (t table) deref(pos int) int { return pos + int(t.u32(pos)) }

func (t table) int32Field(i int, def int32) int32 {
	if p := t.field(i); p != 0 {
		return int32(t.u32(p))
	}
	return def
}

func (t table) byteField(i int, def byte) byte {
	if p := t.field(i); p != 0 {
		if p >= len(t.buf) {
			panic(fbError{"byte field past the end"})
		}
		return t.buf[p]
	}
	return def
}

func (t table) boolField(i int) bool { return t.byteField(i, 0) != 0 }

// tableField returns the sub-table of field i, and whether it is present.
func (t table) tableField(i int) (table, bool) {
	p := t.field(i)
	if p == 0 {
		return table{}, false
	}
	return tableAt(t.buf, t.deref(p)), true
}

// vector returns the element count and the position of the first element
// of the vector in field i (0, 0 when absent).
func (t table) vector(i int) (n, start int) {
	p := t.field(i)
	if p == 0 {
		return 0, 0
	}
	v := t.deref(p)
	n = int(t.u32(v))
	if n < 0 || v+4+n > len(t.buf) {
		panic(fbError{fmt.Sprintf("vector of %d elements at %d past the end", n, v)})
	}
	return n, v + 4
}

func (t table) bytesField(i int) []byte {
	n, start := t.vector(i)
	return t.buf[start : start+n]
}

func (t table) stringField(i int) string { return string(t.bytesField(i)) }

func (t table) int32s(i int) []int32 {
	n, start := t.vector(i)
	out := make([]int32, n)
	for k := range out {
		out[k] = int32(t.u32(start + 4*k))
	}
	return out
}

func (t table) tables(i int) []table {
	n, start := t.vector(i)
	out := make([]table, n)
	for k := range out {
		at := start + 4*k
		out[k] = tableAt(t.buf, t.deref(at))
	}
	return out
}
