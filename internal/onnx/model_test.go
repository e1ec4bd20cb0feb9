package onnx_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"hybridgen/internal/onnx"
	ot "hybridgen/internal/onnx/onnxtest"
	"hybridgen/models"
)

// testModel is a UNet-like model: a large initializer before the inputs, a
// com.microsoft op and an If node whose subgraph uses Relu.
func testModel(weightBytes int) []byte {
	subgraph := ot.Msg(6, ot.Node("Relu", ""), ot.Str(2, "then"))
	return ot.Model(map[string]uint64{"": 17, "com.microsoft": 1},
		ot.Node("Conv", ""),
		ot.Node("GroupNorm", "com.microsoft"),
		ot.Node("If", "", ot.Msg(5, ot.Str(1, "then_branch"), subgraph)),
		ot.Initializer("w", weightBytes),
		ot.Input("sample", ot.Float32, "batch_size", 4, "height", "width"),
		ot.Input("w", ot.Float16, 4),
		ot.Input("timestep", ot.Int64, 1),
		ot.Output("out_sample", ot.Float16, "batch_size", 4, nil, 64),
	)
}

// countingReader counts the bytes read through it.
type countingReader struct {
	io.ReadSeeker
	read int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.ReadSeeker.Read(p)
	c.read += int64(n)
	return n, err
}

func TestSummarizeSkipsWeightsAndListsTheGraph(t *testing.T) {
	model := testModel(8 << 20)
	src := &countingReader{ReadSeeker: bytes.NewReader(model)}
	g, err := onnx.Summarize(src)
	if err != nil {
		t.Fatal(err)
	}
	if src.read > 1<<20 {
		t.Errorf("read %d bytes of a %d-byte model: the weights were not skipped", src.read, len(model))
	}
	want := &models.GraphSummary{
		Opsets: map[string]int64{"ai.onnx": 17, "com.microsoft": 1},
		Inputs: []models.TensorInfo{
			{Name: "sample", Type: "float32", Shape: []models.Dim{{Param: "batch_size", Known: true}, {Value: 4, Known: true}, {Param: "height", Known: true}, {Param: "width", Known: true}}},
			{Name: "timestep", Type: "int64", Shape: []models.Dim{{Value: 1, Known: true}}},
		},
		Outputs: []models.TensorInfo{
			{Name: "out_sample", Type: "float16", Shape: []models.Dim{{Param: "batch_size", Known: true}, {Value: 4, Known: true}, {}, {Value: 64, Known: true}}},
		},
		Ops: map[string][]string{"ai.onnx": {"Conv", "If", "Relu"}, "com.microsoft": {"GroupNorm"}},
	}
	if !reflect.DeepEqual(g, want) {
		t.Fatalf("summary\n got %+v\nwant %+v", g, want)
	}
}

func TestSummarizeRefusesWhatIsNotONNX(t *testing.T) {
	model := testModel(1000)
	for name, b := range map[string][]byte{
		"truncated":     model[:len(model)-7],
		"random":        bytes.Repeat([]byte{0xff, 0x13, 0x88}, 3000),
		"json":          []byte(`{"not": "onnx"}`),
		"empty":         nil,
		"no nodes":      ot.Model(nil, ot.Input("a", ot.Float32), ot.Output("b", ot.Float32)),
		"field overrun": append(ot.Varint(1, 8), protowire.AppendVarint(protowire.AppendTag(nil, 7, protowire.BytesType), 1<<40)...),
	} {
		if _, err := onnx.Summarize(bytes.NewReader(b)); !errors.Is(err, onnx.ErrNotONNX) {
			t.Errorf("%s: %v, want ErrNotONNX", name, err)
		}
	}
}
