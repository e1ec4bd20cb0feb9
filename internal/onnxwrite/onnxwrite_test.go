package onnxwrite_test

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"hybridgen/internal/onnxwrite"
)

// fields decodes one protobuf message level into field number -> values
// (varints as uint64, length-delimited as []byte, fixed32 as uint32).
func fields(t *testing.T, b []byte) map[protowire.Number][]any {
	t.Helper()
	out := map[protowire.Number][]any{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		var v any
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		case protowire.Fixed32Type:
			v, n = protowire.ConsumeFixed32(b)
		default:
			t.Fatalf("unexpected wire type %d", typ)
		}
		if n < 0 {
			t.Fatalf("bad field %d: %v", num, protowire.ParseError(n))
		}
		b = b[n:]
		out[num] = append(out[num], v)
	}
	return out
}

// The encoding follows onnx.proto's field numbers (the taesd tests run the
// result in onnxruntime; this pins the layout without it).
func TestMarshalUsesOnnxFieldNumbers(t *testing.T) {
	m := &onnxwrite.Model{
		IRVersion: 8, Opset: 17, ProducerName: "p", DocString: "d",
		Graph: onnxwrite.Graph{
			Name: "g",
			Nodes: []onnxwrite.Node{{Name: "n", OpType: "Resize", Inputs: []string{"x", "", "s"}, Outputs: []string{"y"}, Attrs: []onnxwrite.Attr{
				onnxwrite.String("mode", "nearest"), onnxwrite.Ints("pads", 1, 2), onnxwrite.Int("group", 0), onnxwrite.Float32("alpha", 0.5),
			}}},
			Initializers: []onnxwrite.Tensor{onnxwrite.FloatTensor("s", []int64{2}, []float32{1, 2})},
			Inputs:       []onnxwrite.ValueInfo{{Name: "x", ElemType: onnxwrite.Float, Dims: []onnxwrite.Dim{{Value: 1}, {Param: "h"}}}},
			Outputs:      []onnxwrite.ValueInfo{{Name: "y", ElemType: onnxwrite.Float}},
		},
	}
	b := m.Marshal()
	if !bytes.Equal(b, m.Marshal()) {
		t.Fatal("Marshal is not deterministic")
	}
	model := fields(t, b)
	if model[1][0] != uint64(8) || string(model[2][0].([]byte)) != "p" || string(model[6][0].([]byte)) != "d" {
		t.Fatalf("model fields %v", model)
	}
	if opset := fields(t, model[8][0].([]byte)); opset[2][0] != uint64(17) || opset[1] != nil {
		t.Errorf("opset_import %v, want version 17 of the default domain", opset)
	}
	graph := fields(t, model[7][0].([]byte))
	node := fields(t, graph[1][0].([]byte))
	if len(node[1]) != 3 || string(node[1][1].([]byte)) != "" || string(node[4][0].([]byte)) != "Resize" || len(node[5]) != 4 {
		t.Errorf("node %v", node)
	}
	attr := func(i int) map[protowire.Number][]any { return fields(t, node[5][i].([]byte)) }
	if a := attr(0); string(a[4][0].([]byte)) != "nearest" || a[20][0] != uint64(3) {
		t.Errorf("string attribute %v", a)
	}
	if a := attr(1); !bytes.Equal(a[8][0].([]byte), []byte{1, 2}) || a[20][0] != uint64(7) {
		t.Errorf("ints attribute %v", a)
	}
	if a := attr(2); a[3][0] != uint64(0) || a[20][0] != uint64(2) {
		t.Errorf("an int attribute of 0 must still be written: %v", a)
	}
	if a := attr(3); a[2][0] != uint32(0x3f000000) || a[20][0] != uint64(1) {
		t.Errorf("float attribute %v", a)
	}
	init := fields(t, graph[5][0].([]byte))
	if !bytes.Equal(init[1][0].([]byte), []byte{2}) || init[2][0] != uint64(onnxwrite.Float) || !bytes.Equal(init[9][0].([]byte), []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40}) {
		t.Errorf("initializer %v", init)
	}
	in := fields(t, graph[11][0].([]byte))
	tensorType := fields(t, fields(t, in[2][0].([]byte))[1][0].([]byte))
	shape := fields(t, tensorType[2][0].([]byte))
	if tensorType[1][0] != uint64(onnxwrite.Float) || len(shape[1]) != 2 ||
		fields(t, shape[1][0].([]byte))[1][0] != uint64(1) || string(fields(t, shape[1][1].([]byte))[2][0].([]byte)) != "h" {
		t.Errorf("input type %v shape %v", tensorType, shape)
	}
}
