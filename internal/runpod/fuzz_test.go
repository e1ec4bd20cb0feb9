package runpod

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzDecodeJob feeds arbitrary /status answers to the job decoder. It must
// never panic; what decodes must have an id, a status and no negative
// duration, and must survive an encode/decode round trip unchanged.
func FuzzDecodeJob(f *testing.F) {
	for _, seed := range []string{
		`{"id":"a","status":"IN_QUEUE"}`,
		`{"delayTime":2134,"executionTime":3281,"id":"abc-u1","output":{"images":["data:image/png;base64,AAAA"],"image_url":"data:image/png;base64,AAAA","seed":42},"status":"COMPLETED","workerId":"w1"}`,
		`{"id":"t","status":"COMPLETED","output":{"images":[{"image":"iVBOR","seed":9}],"generation_time":0.4}}`,
		`{"id":"f","status":"FAILED","error":{"msg":"oom"},"delayTime":-5,"executionTime":1.5}`,
		`{"id":"x","status":"TIMED_OUT","executionTime":9223372036854,"output":null,"error":null}`,
		`{"id":"x","status":"COMPLETED","output":{"images":[]}}`,
		`{"id":"\u00ff\xff","status":"?","output":{"images":[null]}}`,
		`[]`, `null`, `{}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var j Job
		err := json.Unmarshal(data, &j)
		if err != nil {
			if errors.Is(err, ErrMalformedResponse) && (j.ID == "") != (j.Status == "") {
				t.Fatalf("partial job with only one of id/status: %+v", j)
			}
			return
		}
		if j.ID == "" || j.Status == "" || j.DelayTime < 0 || j.ExecutionTime < 0 {
			t.Fatalf("decoded an invalid job: %+v", j)
		}
		if j.Output != nil && j.Output.Images != nil && len(j.Output.Images) == 0 {
			t.Fatalf("empty image list not normalised to nil")
		}
		enc, err := json.Marshal(j)
		if err != nil {
			t.Fatalf("encode %+v: %v", j, err)
		}
		var again Job
		if err := json.Unmarshal(enc, &again); err != nil {
			t.Fatalf("re-decode %s: %v", enc, err)
		}
		if !reflect.DeepEqual(j, again) {
			t.Fatalf("round trip changed the job:\n%+v\n%+v\nvia %s", j, again, enc)
		}
		if (j.Err() == nil) == (j.Status == StatusFailed || j.Status == StatusTimedOut || j.Status == StatusCancelled) {
			t.Fatalf("Err() disagrees with status %s", j.Status)
		}
	})
}
