package models

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
)

// GraphSummary is what a backend needs to know about an ONNX graph before
// downloading it: its inputs and outputs, the opsets it imports and the
// operator types it uses, per domain ("ai.onnx" for the standard domain).
type GraphSummary struct {
	Opsets  map[string]int64    `json:"opsets"`
	Inputs  []TensorInfo        `json:"inputs"`
	Outputs []TensorInfo        `json:"outputs"`
	Ops     map[string][]string `json:"ops"`
}

// TensorInfo is one graph input or output.
type TensorInfo struct {
	Name string `json:"name"`
	// Type is the element type in onnxruntime-web's spelling ("float32",
	// "float16", "int64", ...).
	Type  string `json:"type"`
	Shape []Dim  `json:"shape"`
}

// Dim is one dimension: a fixed size, a symbolic name, or unknown.
type Dim struct {
	Value int64  // when Param is "" and Known
	Param string // a symbolic dimension such as "batch_size"
	Known bool   // Value or Param is set
}

// MarshalJSON writes a number, a string or null.
func (d Dim) MarshalJSON() ([]byte, error) {
	switch {
	case d.Param != "":
		return json.Marshal(d.Param)
	case d.Known:
		return []byte(strconv.FormatInt(d.Value, 10)), nil
	}
	return []byte("null"), nil
}

// UnmarshalJSON reads a non-negative integer, a non-empty string or null.
func (d *Dim) UnmarshalJSON(b []byte) error {
	*d = Dim{}
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &d.Param); err != nil || d.Param == "" {
			return fmt.Errorf("a symbolic dimension must be a non-empty string, got %s", b)
		}
		d.Known = true
		return nil
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || v < 0 {
		return fmt.Errorf("a dimension must be an integer >= 0, a name or null, got %s", b)
	}
	d.Value, d.Known = v, true
	return nil
}

func (d Dim) String() string {
	switch {
	case d.Param != "":
		return d.Param
	case d.Known:
		return strconv.FormatInt(d.Value, 10)
	}
	return "?"
}

// ElementTypes are the element types a graph summary may name (ONNX
// TensorProto.DataType in onnxruntime-web's spelling).
var ElementTypes = []string{
	"float32", "uint8", "int8", "uint16", "int16", "int32", "int64", "string", "bool", "float16",
	"float64", "uint32", "uint64", "complex64", "complex128", "bfloat16", "float8e4m3fn",
	"float8e4m3fnuz", "float8e5m2", "float8e5m2fnuz", "uint4", "int4", "float4e2m1", "unknown",
}

var domainPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)

// validateGraph checks a file's graph summary.
func validateGraph(field string, f File, bad func(field, format string, args ...any)) {
	g := f.Graph
	if g == nil {
		return
	}
	if slices.Contains(nonGraphRoles, f.Role) {
		bad(field, "a %s file is not an ONNX graph", f.Role)
	}
	for domain, v := range g.Opsets {
		if !domainPattern.MatchString(domain) || v <= 0 {
			bad(field+".opsets", "want domain names mapped to versions > 0, got %q: %d", domain, v)
		}
	}
	for kind, list := range map[string][]TensorInfo{"inputs": g.Inputs, "outputs": g.Outputs} {
		if len(list) == 0 {
			bad(field+"."+kind, "must list at least one tensor")
		}
		for i, t := range list {
			if t.Name == "" || !slices.Contains(ElementTypes, t.Type) {
				bad(fmt.Sprintf("%s.%s[%d]", field, kind, i), "needs a name and a type (one of %v), got %q %q", ElementTypes, t.Name, t.Type)
			}
		}
	}
	if len(g.Ops) == 0 {
		bad(field+".ops", "must list the operators of at least one domain")
	}
	for domain, ops := range g.Ops {
		if !domainPattern.MatchString(domain) || len(ops) == 0 || slices.Contains(ops, "") {
			bad(field+".ops", "want domain names mapped to non-empty lists of operator names, got %q: %q", domain, ops)
		}
	}
}
