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
	got, demo := prepareModels(serveOptions{modelsDir: dir, demoModel: true}, slog.New(slog.NewTextHandler(&logs, nil)))
	if !strings.Contains(logs.String(), "hybridgen models pull sd-turbo -dir "+dir) {
		t.Errorf("log does not say how to get SD-Turbo:\n%s", logs.String())
	}
	if demomodel.Available() {
		if got != demomodel.ID || !demo {
			t.Errorf("default model = %q (demo %v), want the demo model", got, demo)
		}
	} else if got != realModel || demo {
		t.Errorf("default model = %q (demo %v), want sd-turbo without a demo model built in", got, demo)
	}
}

func TestPrepareModelsWithoutAMirror(t *testing.T) {
	var logs bytes.Buffer
	if got, demo := prepareModels(serveOptions{}, slog.New(slog.NewTextHandler(&logs, nil))); got != "" || demo {
		t.Errorf("default model = %q (demo %v), want none without -models-dir", got, demo)
	}
	if !strings.Contains(logs.String(), "no model mirror") {
		t.Errorf("log = %s", logs.String())
	}
}
