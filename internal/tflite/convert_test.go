package tflite_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"hybridgen/internal/onnx"
	"hybridgen/internal/tflite"
)

// A minimal forward FlatBuffer writer for test models: a table's fields are
// nil (absent), u8, u32 or a child object (tbl, vec, vecT, []byte, string),
// each in a 4-byte slot; children follow their parent, as uoffsets need.
type (
	u8   byte
	u32  uint32
	tbl  []any
	vec  []int32
	vecT []tbl
)

type writer struct{ buf []byte }

func (w *writer) put32(at int, v uint32) { binary.LittleEndian.PutUint32(w.buf[at:], v) }

func (w *writer) object(v any) int {
	switch v := v.(type) {
	case tbl:
		return w.table(v)
	case vec:
		pos := len(w.buf)
		w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(len(v)))
		for _, x := range v {
			w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(x))
		}
		return pos
	case vecT:
		pos := len(w.buf)
		w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(len(v)))
		w.buf = append(w.buf, make([]byte, 4*len(v))...)
		for i, t := range v {
			w.put32(pos+4+4*i, uint32(w.table(t)-(pos+4+4*i)))
		}
		return pos
	case []byte:
		pos := len(w.buf)
		w.buf = append(binary.LittleEndian.AppendUint32(w.buf, uint32(len(v))), v...)
		return pos
	case string:
		return w.object([]byte(v))
	}
	panic(fmt.Sprintf("no object %T", v))
}

func (w *writer) table(fields tbl) int {
	vt := len(w.buf)
	w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(4+2*len(fields)))
	w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(4+4*len(fields)))
	for i, f := range fields {
		off := uint16(0)
		if f != nil {
			off = uint16(4 + 4*i)
		}
		w.buf = binary.LittleEndian.AppendUint16(w.buf, off)
	}
	pos := len(w.buf)
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(pos-vt))
	w.buf = append(w.buf, make([]byte, 4*len(fields))...)
	for i, f := range fields {
		slot := pos + 4 + 4*i
		switch f := f.(type) {
		case nil:
		case u8:
			w.buf[slot] = byte(f)
		case u32:
			w.put32(slot, uint32(f))
		default:
			w.put32(slot, uint32(w.object(f)-slot))
		}
	}
	return pos
}

func file(model tbl) []byte {
	w := &writer{buf: append(make([]byte, 4), "TFL3"...)}
	w.put32(0, uint32(w.table(model)))
	return w.buf
}

func f16s(v ...uint16) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint16(b, x)
	}
	return b
}

// tinySegmenter: input [1,2,2,3] -> DEQUANTIZE'd float16 1x1 filter -> CONV_2D (VALID) -> op -> [1,2,2,1].
func tinySegmenter(lastOp int32) []byte {
	tensor := func(name string, typ byte, buffer uint32, shape ...int32) tbl {
		return tbl{vec(shape), u8(typ), u32(buffer), name}
	}
	op := func(code uint32, in, out vec, options ...any) tbl {
		if len(options) == 0 {
			return tbl{u32(code), in, out}
		}
		return tbl{u32(code), in, out, options[0], options[1]}
	}
	bias := binary.LittleEndian.AppendUint32(nil, math.Float32bits(0.5))
	return file(tbl{
		u32(3),
		vecT{{u8(tflite.OpDequantize), nil, u32(1), u32(tflite.OpDequantize)}, {u8(tflite.OpConv2D), nil, u32(1), u32(tflite.OpConv2D)}, {u8(0), nil, u32(1), u32(lastOp)}},
		vecT{{
			vecT{
				tensor("input", tflite.TypeFloat32, 0, 1, 2, 2, 3),
				tensor("filter16", tflite.TypeFloat16, 1, 1, 1, 1, 3),
				tensor("filter", tflite.TypeFloat32, 0, 1, 1, 1, 3),
				tensor("bias", tflite.TypeFloat32, 2, 1),
				tensor("conv", tflite.TypeFloat32, 0, 1, 2, 2, 1),
				tensor("mask", tflite.TypeFloat32, 0, 1, 2, 2, 1),
			},
			vec{0}, vec{5},
			vecT{
				op(0, vec{1}, vec{2}),
				op(1, vec{0, 2, 3}, vec{4}, u8(1), tbl{u8(1), u32(1), u32(1), u8(0)}),
				op(2, vec{4}, vec{5}),
			},
		}},
		nil,
		vecT{{}, {f16s(0x3c00, 0xc000, 0x0001)}, {bias}},
	})
}

func TestConvertSegmenterWritesAnNCHWGraph(t *testing.T) {
	out, err := tflite.ConvertSegmenter(tinySegmenter(tflite.OpLogistic), "doc")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := onnx.Summarize(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%s %v %s %v", sum.Inputs[0].Name, sum.Inputs[0].Shape, sum.Outputs[0].Name, sum.Outputs[0].Shape); got != "image [1 3 2 2] mask [1 1 2 2]" {
		t.Errorf("inputs and outputs: %s", got)
	}
	if ops := sum.Ops["ai.onnx"]; !slices.Equal(ops, []string{"Conv", "Identity", "Sigmoid"}) {
		t.Errorf("ops %v, want Conv, Identity, Sigmoid (DEQUANTIZE folded into the weights)", ops)
	}
	again, _ := tflite.ConvertSegmenter(tinySegmenter(tflite.OpLogistic), "doc")
	if !bytes.Equal(out, again) {
		t.Error("two conversions differ: the manifest could not pin a SHA-256")
	}
}

func TestConvertSegmenterRefusesWhatItCannotConvert(t *testing.T) {
	const fullyConnected = 9
	if _, err := tflite.ConvertSegmenter(tinySegmenter(fullyConnected), ""); !errors.Is(err, tflite.ErrUnsupported) {
		t.Errorf("FULLY_CONNECTED: %v, want ErrUnsupported", err)
	}
	if _, err := tflite.Parse([]byte("not a tflite file")); !errors.Is(err, tflite.ErrModel) {
		t.Errorf("no identifier: %v, want ErrModel", err)
	}
	whole := tinySegmenter(tflite.OpLogistic)
	for _, n := range []int{12, 40, len(whole) / 2} {
		if _, err := tflite.Parse(whole[:n]); !errors.Is(err, tflite.ErrModel) {
			t.Errorf("cut at %d bytes: %v, want ErrModel", n, err)
		}
	}
}

func TestFloat16ConstantsWidenExactly(t *testing.T) {
	m, err := tflite.Parse(tinySegmenter(tflite.OpLogistic))
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Tensors[1].Floats()
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{1, -2, 1.0 / (1 << 24)}; !slices.Equal(got, want) {
		t.Errorf("float16 filter %v, want %v", got, want)
	}
}
