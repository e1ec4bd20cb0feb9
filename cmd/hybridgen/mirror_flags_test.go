package main

import (
	"errors"
	"io"
	"testing"
)

func TestMirrorTestFaultsNeedModelsDir(t *testing.T) {
	_, err := parseServeFlags([]string{"-mirror-test-faults"}, io.Discard)
	var ue usageError
	if !errors.As(err, &ue) {
		t.Fatalf("-mirror-test-faults without -models-dir: %v, want a usage error", err)
	}
	o, err := parseServeFlags([]string{"-models-dir", t.TempDir()}, io.Discard)
	if err != nil || o.mirrorTestFaults {
		t.Fatalf("test faults must be off by default: %+v %v", o, err)
	}
}
