package targets_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"hybridgen/internal/targets"
)

const key = "rp_SECRET_KEY_123"

func env(name string) string {
	if name == "RUNPOD_API_KEY" {
		return key
	}
	return ""
}

func TestParseDefaultsAndKey(t *testing.T) {
	c, err := targets.Parse([]byte(`{"targets":[{"name":"a100","endpoint_id":"ep1","api_key_env":"RUNPOD_API_KEY","price_per_second_usd":0.00076}]}`), env)
	if err != nil {
		t.Fatal(err)
	}
	tg, ok := c.Lookup("")
	if !ok || tg.Name != "a100" || c.Default != "a100" || tg.BaseURL != targets.DefaultBaseURL || tg.Model != "sdxl" {
		t.Fatalf("target = %+v", tg)
	}
	if tg.APIKey.Reveal() != key {
		t.Fatal("key not loaded")
	}
	if got := tg.Estimate(1024, 1024, 25); got != 6*time.Second {
		t.Fatalf("Estimate = %v", got)
	}
	if got := tg.Estimate(512, 512, 1); got != time.Second {
		t.Fatalf("Estimate floor = %v", got)
	}
	// No printed, logged or marshalled form shows the key.
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("t", "target", tg, "key", tg.APIKey)
	js, _ := json.Marshal(c)
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %s", tg, tg, tg, tg.APIKey), buf.String(), string(js)} {
		if strings.Contains(s, key) {
			t.Fatalf("key leaked in %q", s)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := map[string]string{
		"unknown field": `{"targets":[],"x":1}`,
		"bad name":      `{"targets":[{"name":"a b","endpoint_id":"e","api_key_env":"RUNPOD_API_KEY","price_per_second_usd":0.001}]}`,
		"no key":        `{"targets":[{"name":"a","endpoint_id":"e","api_key_env":"MISSING","price_per_second_usd":0.001}]}`,
		"no price":      `{"targets":[{"name":"a","endpoint_id":"e","api_key_env":"RUNPOD_API_KEY"}]}`,
		"bad url":       `{"targets":[{"name":"a","base_url":"ftp://x","endpoint_id":"e","api_key_env":"RUNPOD_API_KEY","price_per_second_usd":0.001}]}`,
		"dup":           `{"targets":[{"name":"a","endpoint_id":"e","api_key_env":"RUNPOD_API_KEY","price_per_second_usd":0.001},{"name":"a","endpoint_id":"e","api_key_env":"RUNPOD_API_KEY","price_per_second_usd":0.001}]}`,
		"bad default":   `{"default":"zz","targets":[{"name":"a","endpoint_id":"e","api_key_env":"RUNPOD_API_KEY","price_per_second_usd":0.001}]}`,
	}
	for name, in := range cases {
		_, err := targets.Parse([]byte(in), env)
		if !errors.Is(err, targets.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if c, err := targets.Load("", env); err != nil || len(c.Targets) != 0 {
		t.Fatalf("empty path = %+v, %v", c, err)
	}
}
