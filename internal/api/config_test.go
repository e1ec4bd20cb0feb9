package api_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"hybridgen/internal/api"
)

// TestLastKnownLimitsMatchTheServer keeps the canvas app's offline copy of
// the limits (used before /api/config ever answered) equal to what the
// server answers, so it can never drift into a value no server has.
func TestLastKnownLimitsMatchTheServer(t *testing.T) {
	t.Parallel()
	const path = "../../web/apps/canvas/src/last-known-limits.json"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	var offline api.LimitsView
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&offline); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	e := newEnv(t, envOptions{})
	var cfg api.ConfigView
	e.do("GET", "/api/config", nil).decode(t, &cfg)
	served := cfg.Limits
	// The asset store's limit depends on how the server runs: offline the app keeps no assets there.
	served.MaxAssetBytes = 0
	if offline != served {
		t.Fatalf("%s = %+v, the server answers %+v", path, offline, served)
	}
	if served.DefaultSide == 0 {
		t.Fatal("config has no default_side")
	}
}
