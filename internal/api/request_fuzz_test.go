package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"hybridgen/internal/jobs"
)

// FuzzDecodeImageRequest checks the decoder and validator on arbitrary
// bodies: it never panics, every refusal is a *RequestError naming at least
// one field, and every accepted request satisfies the documented bounds and
// decodes again, re-encoded, to the same request.
func FuzzDecodeImageRequest(f *testing.F) {
	seeds := []string{
		`{"prompt":"a cat","client_id":"c1","idempotency_key":"k1"}`,
		`{"prompt":"a cat","width":1024,"height":768,"steps":30,"guidance":7,"seed":42,"target":"a100","client_id":"c","idempotency_key":"k"}`,
		`{"prompt":"x","init_image":"data:image/png;base64,iVBORw0KGgo=","strength":0.5,"client_id":"c","idempotency_key":"k"}`,
		`{"prompt":"","width":1001}`,
		`{"prompt":"a","nope":1}`,
		`{"prompt":"a"} {}`,
		`[1,2]`,
		`{"width":"big"}`,
		`{"seed":-1,"steps":0,"guidance":1e400}`,
		``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeImageRequest(bytes.NewReader(body))
		if err != nil {
			var re *RequestError
			if !errors.As(err, &re) || len(re.Fields) == 0 {
				t.Fatalf("error %v is not a RequestError with fields", err)
			}
			for _, fe := range re.Fields {
				if fe.Field == "" || fe.Message == "" {
					t.Fatalf("empty field error in %+v", re.Fields)
				}
			}
			return
		}
		if strings.TrimSpace(req.Prompt) == "" || len([]rune(req.Prompt)) > jobs.MaxPromptRunes {
			t.Fatalf("accepted prompt %q", req.Prompt)
		}
		for _, side := range []int{req.Width, req.Height} {
			if side < jobs.MinSide || side > jobs.MaxSide || side%jobs.SideMultiple != 0 {
				t.Fatalf("accepted side %d", side)
			}
		}
		if req.Steps < jobs.MinSteps || req.Steps > jobs.MaxSteps || req.Guidance < 0 || req.Guidance > jobs.MaxGuidance {
			t.Fatalf("accepted steps %d guidance %v", req.Steps, req.Guidance)
		}
		if req.ClientID == "" || req.IdempotencyKey == "" {
			t.Fatal("accepted a request without client_id or idempotency_key")
		}
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		req2, err := DecodeImageRequest(bytes.NewReader(again))
		if err != nil {
			t.Fatalf("re-encoded request %s refused: %v", again, err)
		}
		if req2.Hash() != req.Hash() {
			t.Fatalf("round trip changed the request: %+v vs %+v", req, req2)
		}
	})
}
