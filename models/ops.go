package models

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

//go:embed ops/onnxruntime-web.json
var opSupportJSON []byte

// OpSupport is the table of what onnxruntime-web can run per backend
// (ops/onnxruntime-web.json, shared with the browser; its comment cites the
// sources).
type OpSupport struct {
	Comment string `json:"comment"`
	// FullDomains never block a backend (the CPU EP covers them).
	FullDomains []string `json:"fullDomains"`
	// Backends maps a variant's backend to the execution providers that
	// may run its nodes, in order.
	Backends map[string][]string `json:"backends"`
	// Kernels maps an execution provider to its operators per domain.
	Kernels map[string]map[string][]string `json:"kernels"`
}

var (
	opSupportOnce sync.Once
	opSupport     *OpSupport
	opSupportErr  error
)

// LoadOpSupport returns the embedded operator table.
func LoadOpSupport() (*OpSupport, error) {
	opSupportOnce.Do(func() {
		var t OpSupport
		if err := json.Unmarshal(opSupportJSON, &t); err != nil {
			opSupportErr = fmt.Errorf("models: ops/onnxruntime-web.json: %w", err)
			return
		}
		opSupport = &t
	})
	return opSupport, opSupportErr
}

// UnsupportedOp is an operator no execution provider of a backend has.
type UnsupportedOp struct {
	Domain string
	Op     string
}

func (u UnsupportedOp) String() string { return u.Domain + "." + u.Op }

// Unsupported lists the operators of g that backend cannot run, sorted.
func (t *OpSupport) Unsupported(backend string, g *GraphSummary) []UnsupportedOp {
	var out []UnsupportedOp
	providers := t.Backends[backend]
	for domain, ops := range g.Ops {
		if slices.Contains(t.FullDomains, domain) {
			continue
		}
		for _, op := range ops {
			if !t.has(providers, domain, op) {
				out = append(out, UnsupportedOp{Domain: domain, Op: op})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func (t *OpSupport) has(providers []string, domain, op string) bool {
	for _, p := range providers {
		if slices.Contains(t.Kernels[p][domain], op) {
			return true
		}
	}
	return false
}

// JoinOps writes ops as "com.microsoft.GroupNorm, com.microsoft.NhwcConv".
func JoinOps(ops []UnsupportedOp) string {
	s := make([]string, len(ops))
	for i, o := range ops {
		s[i] = o.String()
	}
	return strings.Join(s, ", ")
}

// ErrUnsupportedOps reports a variant with a graph that uses operators its
// backend cannot run.
var ErrUnsupportedOps = errors.New("models: a graph uses operators the backend lacks")

// VariantProblem is one file of a variant that its backend cannot run.
type VariantProblem struct {
	Variant string
	Path    string
	Ops     []UnsupportedOp
}

func (p VariantProblem) Error() string {
	return fmt.Sprintf("%s cannot run %s: onnxruntime-web has no kernel for %s", p.Variant, p.Path, JoinOps(p.Ops))
}

// Unwrap makes every VariantProblem match [ErrUnsupportedOps].
func (p VariantProblem) Unwrap() error { return ErrUnsupportedOps }

// CheckVariants lists, per variant in backend order, the files whose graph
// summary names operators the variant's backend lacks. Files without a
// summary are not judged.
func (t *OpSupport) CheckVariants(m *Manifest) []VariantProblem {
	var out []VariantProblem
	for _, backend := range Backends {
		v, ok := m.Variants[backend]
		if !ok {
			continue
		}
		for _, f := range v.Files {
			if f.Graph == nil {
				continue
			}
			if ops := t.Unsupported(backend, f.Graph); len(ops) > 0 {
				out = append(out, VariantProblem{Variant: backend, Path: f.Path, Ops: ops})
			}
		}
	}
	return out
}
