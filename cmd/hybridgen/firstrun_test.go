package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"hybridgen/internal/demomodel"
)

func TestPrepareModelsSaysWhatToDoWithAnEmptyMirror(t *testing.T) {
	var logs bytes.Buffer
	dir := t.TempDir()
	got := prepareModels(serveOptions{modelsDir: dir, demoModel: true}, slog.New(slog.NewTextHandler(&logs, nil)))
	if !strings.Contains(logs.String(), "hybridgen models pull sd-turbo -dir "+dir) {
		t.Errorf("log does not say how to get SD-Turbo:\n%s", logs.String())
	}
	if demomodel.Available() {
		if got.Default != demomodel.ID || !got.Demo {
			t.Errorf("default model = %+v, want the demo model", got)
		}
	} else if got.Default != realModel || got.Demo {
		t.Errorf("default model = %+v, want sd-turbo without a demo model built in", got)
	}
}

func TestPrepareModelsWithoutAMirror(t *testing.T) {
	var logs bytes.Buffer
	if got := prepareModels(serveOptions{}, slog.New(slog.NewTextHandler(&logs, nil))); got.Default != "" {
		t.Errorf("default model = %+v, want none without -models-dir", got)
	}
	if !strings.Contains(logs.String(), "no model mirror") {
		t.Errorf("log = %s", logs.String())
	}
}
