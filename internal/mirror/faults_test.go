package mirror_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"hybridgen/internal/mirror"
	"hybridgen/internal/testutil"
)

func putFault(t *testing.T, base string, f mirror.Fault) {
	t.Helper()
	b, _ := json.Marshal(f)
	req, _ := http.NewRequest("PUT", base+"/_test/mirror/faults", bytes.NewReader(b))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 {
		t.Fatalf("PUT fault: %d", resp.StatusCode)
	}
}

func stats(t *testing.T, base string) map[string]mirror.FileStats {
	t.Helper()
	resp, body := do(t, "GET", base+"/_test/mirror/stats", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("stats: %d", resp.StatusCode)
	}
	var s map[string]mirror.FileStats
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDropAfterBytesThenResume(t *testing.T) {
	dir := t.TempDir()
	data := testutil.RandomBytes(1_000_000, 5)
	writeFile(t, dir, "m/big.bin", data)
	f := start(t, dir, true)
	url := f.url + "/models/m/big.bin"
	const cut = 333_333
	putFault(t, f.url, mirror.Fault{Path: "m/big.bin", DropAfterBytes: cut})

	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil {
		t.Fatalf("the cut response ended without an error (%d bytes)", len(got))
	}
	if len(got) != cut || !bytes.Equal(got, data[:cut]) {
		t.Fatalf("received %d bytes before the cut, want exactly %d correct bytes", len(got), cut)
	}
	etag := resp.Header.Get("ETag")

	// The fault fired once: the resume gets the rest.
	resp2, rest := do(t, "GET", url, map[string]string{"Range": "bytes=333333-", "If-Range": etag})
	if resp2.StatusCode != 206 || !bytes.Equal(append(got, rest...), data) {
		t.Fatalf("resume: status %d, %d bytes", resp2.StatusCode, len(rest))
	}
	s := stats(t, f.url)["m/big.bin"]
	if s.Get != 2 || s.Range != 1 || s.Dropped != 1 || s.BodyBytes != int64(len(data)) || len(s.Ranges) != 1 || s.Ranges[0] != "bytes=333333-" {
		t.Fatalf("stats %+v", s)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, `"aborted":true`) || !strings.Contains(logs, "dropping connection") {
		t.Errorf("the cut request is not logged as aborted:\n%s", logs)
	}

	// DELETE clears faults and counters.
	req, _ := http.NewRequest("DELETE", f.url+"/_test/mirror/faults", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 204 {
		t.Fatalf("DELETE faults: %v", err)
	}
	if len(stats(t, f.url)) != 0 {
		t.Fatal("counters survive a reset")
	}
}

func TestThrottle(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "m/slow.bin", testutil.RandomBytes(200_000, 6))
	f := start(t, dir, true)
	putFault(t, f.url, mirror.Fault{Path: "m/slow.bin", BytesPerSecond: 1_000_000})
	began := time.Now()
	resp, body := do(t, "GET", f.url+"/models/m/slow.bin", nil)
	if resp.StatusCode != 200 || len(body) != 200_000 {
		t.Fatalf("status %d, %d bytes", resp.StatusCode, len(body))
	}
	if took := time.Since(began); took < 150*time.Millisecond {
		t.Fatalf("200 kB at 1 MB/s took %v", took)
	}
}

func TestFaultRoutesNeedTheFlag(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "m/a.bin", []byte("abc"))
	f := start(t, dir, false)
	for _, m := range []string{"GET /_test/mirror/stats", "PUT /_test/mirror/faults", "DELETE /_test/mirror/faults"} {
		method, path, _ := strings.Cut(m, " ")
		resp, _ := do(t, method, f.url+path, nil)
		if resp.StatusCode < 400 {
			t.Errorf("%s answered %d without test faults enabled", m, resp.StatusCode)
		}
	}
}

func TestFaultValidation(t *testing.T) {
	fs := mirror.NewFaults()
	if err := fs.Set(mirror.Fault{Path: "../x", DropAfterBytes: 1}); err == nil {
		t.Error("a fault on a bad path was accepted")
	}
	if err := fs.Set(mirror.Fault{Path: "x", DropAfterBytes: -1}); err == nil {
		t.Error("a negative fault was accepted")
	}
}

func TestIgnoreRange(t *testing.T) {
	dir := t.TempDir()
	data := testutil.RandomBytes(10_000, 7)
	writeFile(t, dir, "m/a.bin", data)
	f := start(t, dir, true)
	putFault(t, f.url, mirror.Fault{Path: "m/a.bin", IgnoreRange: true})
	resp, body := do(t, "GET", f.url+"/models/m/a.bin", map[string]string{"Range": "bytes=100-"})
	if resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Fatalf("status %d, %d bytes", resp.StatusCode, len(body))
	}
	if s := stats(t, f.url)["m/a.bin"]; s.Range != 1 || s.Ranges[0] != "bytes=100-" {
		t.Fatalf("the ignored Range is not counted: %+v", s)
	}
}
