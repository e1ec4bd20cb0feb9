package runpod

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestDecodeWorkerSDXLJob(t *testing.T) {
	t.Parallel()
	var j Job
	err := json.Unmarshal([]byte(`{"delayTime": 2134, "executionTime": 3281.6, "id": "abc-u1",
		"output": {"images": ["data:image/png;base64,AAAA"], "image_url": "data:image/png;base64,AAAA", "seed": 42},
		"status": "COMPLETED", "workerId": "w1", "retries": 0}`), &j)
	if err != nil {
		t.Fatal(err)
	}
	want := Job{ID: "abc-u1", Status: StatusCompleted, DelayTime: 2134 * time.Millisecond,
		ExecutionTime: 3282 * time.Millisecond, WorkerID: "w1",
		Output: &SDXLOutput{Images: []string{"data:image/png;base64,AAAA"}, ImageURL: "data:image/png;base64,AAAA", Seed: 42}}
	if !reflect.DeepEqual(j, want) {
		t.Fatalf("got %+v\nwant %+v", j, want)
	}
}

func TestDecodeTurboOutputAndErrors(t *testing.T) {
	t.Parallel()
	var j Job
	if err := json.Unmarshal([]byte(`{"id":"t","status":"COMPLETED","output":{"images":[{"image":"iVBOR","seed":9},
		{"image":"https://bucket/x.png","seed":10}],"generation_time":0.4}}`), &j); err != nil {
		t.Fatal(err)
	}
	if o := j.Output; o.Seed != 9 || len(o.Images) != 2 || o.Images[0] != "data:image/png;base64,iVBOR" || o.Images[1] != "https://bucket/x.png" {
		t.Errorf("turbo output = %+v", o)
	}
	if err := json.Unmarshal([]byte(`{"id":"f","status":"FAILED","error":{"msg":"oom", "code": 1}}`), &j); err != nil {
		t.Fatal(err)
	}
	if j.Error != `{"msg":"oom","code":1}` || !errors.Is(j.Err(), ErrJobFailed) || j.Output != nil {
		t.Errorf("failed job = %+v", j)
	}
	// Invalid UTF-8 inside an error object (found by FuzzDecodeJob) becomes U+FFFD, as in a decoded string.
	if err := json.Unmarshal([]byte("{\"id\":\"f\",\"status\":\"FAILED\",\"error\":{\"msg\":\"\xf5\"}}"), &j); err != nil {
		t.Fatal(err)
	}
	if j.Error != "{\"msg\":\"\uFFFD\"}" {
		t.Errorf("error text with invalid UTF-8 = %q", j.Error)
	}
	for _, bad := range []string{`{"status":"COMPLETED"}`, `{"id":"x"}`, `{"id":"x","status":"IN_QUEUE","delayTime":"soon"}`,
		`{"id":"x","status":"IN_QUEUE","executionTime":1e300}`, `[]`, `nul`} {
		if err := json.Unmarshal([]byte(bad), &j); !errors.Is(err, ErrMalformedResponse) && !isSyntaxError(err) {
			t.Errorf("%s: err = %v, want ErrMalformedResponse", bad, err)
		}
	}
	// A malformed output still yields the job's other fields.
	j = Job{}
	err := j.UnmarshalJSON([]byte(`{"id":"x","status":"COMPLETED","executionTime":5,"output":"a string"}`))
	if !errors.Is(err, ErrMalformedResponse) || j.ID != "x" || j.ExecutionTime != 5*time.Millisecond || j.Output != nil {
		t.Errorf("job %+v, err %v", j, err)
	}
}

func isSyntaxError(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se)
}

func TestPolicyAndInputWireFormat(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(newRunBody(SDXLInput{Prompt: "p", Seed: Seed(0)}, "https://hook",
		Policy{ExecutionTimeout: 1500 * time.Millisecond, TTL: time.Minute, LowPriority: true}))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"input":{"prompt":"p","seed":0},"webhook":"https://hook","policy":{"executionTimeout":1500,"lowPriority":true,"ttl":60000}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	b, _ = json.Marshal(newRunBody(SDXLInput{Prompt: ""}, "", Policy{TTL: time.Microsecond}))
	if string(b) != `{"input":{"prompt":""},"policy":{"ttl":1}}` {
		t.Errorf("got %s", b)
	}
	var p Policy
	if err := json.Unmarshal([]byte(`{"executionTimeout":5000,"ttl":10}`), &p); err != nil || p.ExecutionTimeout != 5*time.Second || p.TTL != 10*time.Millisecond {
		t.Errorf("policy = %+v, %v", p, err)
	}
}

func TestStatusFinal(t *testing.T) {
	t.Parallel()
	final := map[Status]bool{StatusInQueue: false, StatusInProgress: false, StatusCompleted: true,
		StatusFailed: true, StatusCancelled: true, StatusTimedOut: true, "PAUSED": false}
	for s, want := range final {
		if s.Final() != want {
			t.Errorf("%s.Final() = %v", s, !want)
		}
	}
}
