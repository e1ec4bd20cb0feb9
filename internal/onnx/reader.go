package onnx

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
)

// maxInline bounds a message read into memory whole (a value info, an
// attribute); larger fields are skipped by seeking.
const maxInline = 16 << 20

// wire reads protobuf fields from a seekable stream, keeping its position,
// and skips large payloads by seeking instead of reading them.
type wire struct {
	src io.ReadSeeker
	br  *bufio.Reader
	pos int64
}

func newWire(src io.ReadSeeker) *wire {
	return &wire{src: src, br: bufio.NewReaderSize(src, 64<<10)}
}

func (w *wire) byte() (byte, error) {
	b, err := w.br.ReadByte()
	if err == nil {
		w.pos++
	}
	return b, err
}

func (w *wire) varint() (uint64, error) {
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		b, err := w.byte()
		if err != nil {
			return 0, notONNX("truncated varint at byte %d: %v", w.pos, err)
		}
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return v, nil
		}
	}
	return 0, notONNX("varint too long at byte %d", w.pos)
}

// tag reads a field's number and wire type.
func (w *wire) tag() (protowire.Number, protowire.Type, error) {
	v, err := w.varint()
	if err != nil {
		return 0, 0, err
	}
	num, typ := protowire.DecodeTag(v)
	if num < protowire.MinValidNumber {
		return 0, 0, notONNX("invalid field number at byte %d", w.pos)
	}
	return num, typ, nil
}

// length reads a length prefix and checks it fits before end.
func (w *wire) length(end int64) (int64, error) {
	n, err := w.varint()
	if err != nil {
		return 0, err
	}
	if n > uint64(end-w.pos) {
		return 0, notONNX("a field of %d bytes at byte %d runs past its message", n, w.pos)
	}
	return int64(n), nil
}

func (w *wire) bytes(n int64) ([]byte, error) {
	if n > maxInline {
		return nil, notONNX("a %d-byte field at byte %d is too large to read", n, w.pos)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(w.br, b); err != nil {
		return nil, notONNX("truncated at byte %d: %v", w.pos, err)
	}
	w.pos += n
	return b, nil
}

// skip moves n bytes on, seeking past what is not buffered.
func (w *wire) skip(n int64) error {
	if n <= int64(w.br.Buffered()) {
		_, err := w.br.Discard(int(n))
		w.pos += n
		return err
	}
	if _, err := w.src.Seek(w.pos+n, io.SeekStart); err != nil {
		return fmt.Errorf("onnx: seek: %w", err)
	}
	w.pos += n
	w.br.Reset(w.src)
	return nil
}

// skipField skips a field's value of wire type typ inside a message ending at end.
func (w *wire) skipField(typ protowire.Type, end int64) error {
	switch typ {
	case protowire.VarintType:
		_, err := w.varint()
		return err
	case protowire.Fixed32Type:
		return w.skip(4)
	case protowire.Fixed64Type:
		return w.skip(8)
	case protowire.BytesType:
		n, err := w.length(end)
		if err != nil {
			return err
		}
		return w.skip(n)
	}
	return notONNX("unsupported wire type %d at byte %d", typ, w.pos)
}

// eachField calls fn for every field of the message ending at end; fn must
// consume the value (or return errSkip to have it skipped).
func (w *wire) eachField(end int64, fn func(num protowire.Number, typ protowire.Type) error) error {
	for w.pos < end {
		num, typ, err := w.tag()
		if err != nil {
			return err
		}
		if err := fn(num, typ); errors.Is(err, errSkip) {
			if err := w.skipField(typ, end); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
	}
	if w.pos != end {
		return notONNX("a message overran its length (at byte %d, want %d)", w.pos, end)
	}
	return nil
}

var errSkip = errors.New("skip")

// ErrNotONNX reports a file that is not a readable ONNX model.
var ErrNotONNX = errors.New("onnx: not an ONNX model")

func notONNX(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotONNX, fmt.Sprintf(format, args...))
}
