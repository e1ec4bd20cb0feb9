package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServeAnswersHealthAndStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-web-dir", t.TempDir(), "-db", filepath.Join(t.TempDir(), "l.db")}, pw, &stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the listen line: %v (stderr %s)", err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	url := strings.TrimSpace(line[strings.LastIndex(line, " ")+1:])
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if body["status"] != "ok" || resp.Header.Get("Cross-Origin-Embedder-Policy") != "require-corp" {
		t.Fatalf("health %v, headers %v", body, resp.Header)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not stop after cancel")
	}
}

func TestUsageErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"frobnicate"}, &out, &errOut)
	if err == nil || exitCode(err) != 2 || !strings.Contains(errOut.String(), "commands:") {
		t.Fatalf("unknown command: err %v, code %d, stderr %q", err, exitCode(err), errOut.String())
	}
	err = run(context.Background(), []string{"serve", "-log-format", "xml"}, &out, &errOut)
	if err == nil || exitCode(err) != 2 {
		t.Fatalf("bad flag value: err %v", err)
	}
	err = run(context.Background(), []string{"serve", "-h"}, &out, &errOut)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: err %v, want flag.ErrHelp", err)
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "hybridgen ") {
		t.Fatalf("version: %q, %v", out.String(), err)
	}
}
