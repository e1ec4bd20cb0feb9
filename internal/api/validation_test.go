package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"hybridgen/internal/api"
	"hybridgen/internal/jobs"
)

// TestInvalidInputsNameTheField sends each kind of bad body and expects a
// 400 invalid_request naming the field, and no RunPod call.
func TestInvalidInputsNameTheField(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	long := strings.Repeat("é", jobs.MaxPromptRunes+1)
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"missing prompt", `{"client_id":"c","idempotency_key":"k"}`, "prompt"},
		{"empty prompt", imageBody("k", map[string]any{"prompt": "   "}), "prompt"},
		{"over-long prompt", imageBody("k", map[string]any{"prompt": long}), "prompt"},
		{"over-long negative prompt", imageBody("k", map[string]any{"negative_prompt": long}), "negative_prompt"},
		{"width not a multiple of 8", imageBody("k", map[string]any{"width": 1001}), "width"},
		{"height too small", imageBody("k", map[string]any{"height": 64}), "height"},
		{"width too large", imageBody("k", map[string]any{"width": 4096}), "width"},
		{"width zero", imageBody("k", map[string]any{"width": 0}), "width"},
		{"width not a number", imageBody("k", map[string]any{"width": "wide"}), "width"},
		{"width fractional", imageBody("k", map[string]any{"width": 512.5}), "width"},
		{"steps zero", imageBody("k", map[string]any{"steps": 0}), "steps"},
		{"steps too many", imageBody("k", map[string]any{"steps": 101}), "steps"},
		{"guidance negative", imageBody("k", map[string]any{"guidance": -1}), "guidance"},
		{"guidance too high", imageBody("k", map[string]any{"guidance": 31}), "guidance"},
		{"seed negative", imageBody("k", map[string]any{"seed": -5}), "seed"},
		{"init image not a data URI", imageBody("k", map[string]any{"init_image": "https://example.com/a.png"}), "init_image"},
		{"init image bad base64", imageBody("k", map[string]any{"init_image": "data:image/png;base64,@@@"}), "init_image"},
		{"init image too large", imageBody("k", map[string]any{"init_image": "data:image/png;base64," + strings.Repeat("A", jobs.MaxInitImageBytes)}), "init_image"},
		{"strength without init image", imageBody("k", map[string]any{"strength": 0.5}), "strength"},
		{"unknown target", imageBody("k", map[string]any{"target": "nowhere"}), "target"},
		{"malformed target", imageBody("k", map[string]any{"target": "a b"}), "target"},
		{"missing client id", `{"prompt":"p","idempotency_key":"k"}`, "client_id"},
		{"bad client id", imageBody("k", map[string]any{"client_id": "has space"}), "client_id"},
		{"missing idempotency key", `{"prompt":"p","client_id":"c"}`, "idempotency_key"},
		{"over-long idempotency key", imageBody(strings.Repeat("k", 129), nil), "idempotency_key"},
		{"unknown field", imageBody("k", map[string]any{"sampler": "euler"}), "sampler"},
		{"not JSON", `{"prompt":`, "body"},
		{"not an object", `["prompt"]`, "body"},
		{"two objects", `{"prompt":"a","client_id":"c","idempotency_key":"k"} {}`, "body"},
		{"empty body", ``, "body"},
		{"invalid UTF-8 in a string", []byte("{\"prompt\":\"caf\xe9\",\"client_id\":\"c\",\"idempotency_key\":\"k\"}"), "body"},
		{"duplicate key", `{"prompt":"a cat","prompt":"a dog","client_id":"c","idempotency_key":"k"}`, "prompt"},
		{"duplicate key differing in case", `{"prompt":"a cat","Prompt":"a dog","client_id":"c","idempotency_key":"k"}`, "Prompt"},
		{"oversize body", `{"prompt":"` + strings.Repeat("a", jobs.MaxImageBodyBytes) + `"}`, "body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/api/images", tc.body)
			if r.code != http.StatusBadRequest {
				t.Fatalf("status %d %s, want 400", r.code, truncate(r.body))
			}
			var body api.ErrorBody
			r.decode(t, &body)
			if body.Error.Code != api.CodeInvalidRequest {
				t.Fatalf("code %q", body.Error.Code)
			}
			for _, f := range body.Error.Fields {
				if f.Field == tc.field && f.Message != "" {
					return
				}
			}
			t.Fatalf("fields %+v do not name %q", body.Error.Fields, tc.field)
		})
	}
	t.Run("several fields at once", func(t *testing.T) {
		r := e.do("POST", "/api/images", `{"prompt":"","width":7,"steps":1000,"client_id":"c","idempotency_key":"k"}`)
		var body api.ErrorBody
		r.decode(t, &body)
		got := map[string]bool{}
		for _, f := range body.Error.Fields {
			got[f.Field] = true
		}
		if !got["prompt"] || !got["width"] || !got["steps"] {
			t.Fatalf("fields = %+v", body.Error.Fields)
		}
	})
	draftCases := []struct{ body, field string }{
		{`{"idempotency_key":"k"}`, "client_id"},
		{`{"client_id":"c","idempotency_key":"k","width":100}`, "width"},
		{`{"client_id":"c","idempotency_key":"k","model":"a b"}`, "model"},
		{`{"client_id":"c","idempotency_key":"k","target":"nowhere"}`, "target"},
		{`{"client_id":"c","idempotency_key":"k","cost":1}`, "cost"},
		{`{"client_id":"c","idempotency_key":"k","width":512,"width":1024}`, "width"},
		{`{"client_id":"c","idempotency_key":"k","task":"paint"}`, "task"},
		{`{"client_id":"c","idempotency_key":"k","task":"upscale","height":64}`, "width"},
		{`{"client_id":"c","idempotency_key":"k","task":"upscale","width":8200,"height":64}`, "width"},
	}
	for _, tc := range draftCases {
		r := e.do("POST", "/api/drafts", tc.body)
		var body api.ErrorBody
		r.decode(t, &body)
		if r.code != http.StatusBadRequest || len(body.Error.Fields) == 0 || body.Error.Fields[0].Field != tc.field {
			t.Errorf("draft %s = %d %s, want 400 naming %s", tc.body, r.code, r.body, tc.field)
		}
	}
	if r := e.do("GET", "/api/usage?days=0", nil); r.code != http.StatusBadRequest || !strings.Contains(string(r.body), `"days"`) {
		t.Errorf("usage days=0 = %d %s", r.code, r.body)
	}
	if n := e.emu.Requests().Counts["run"]; n != 0 {
		t.Fatalf("invalid requests reached RunPod %d times", n)
	}
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

// TestDecoderErrorShape pins the JSON error shape the browser parses.
func TestDecoderErrorShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	r := e.do("POST", "/api/images", imageBody("k", map[string]any{"width": 1001}))
	var raw map[string]map[string]any
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatal(err)
	}
	errObj := raw["error"]
	fields, _ := errObj["fields"].([]any)
	if errObj["code"] != "invalid_request" || errObj["message"] == "" || len(fields) != 1 {
		t.Fatalf("shape = %s", r.body)
	}
	f := fields[0].(map[string]any)
	if f["field"] != "width" || f["message"] != "must be a multiple of 8" {
		t.Fatalf("field = %v", f)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q", ct)
	}
}
