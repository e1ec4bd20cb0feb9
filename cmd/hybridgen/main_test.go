package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"hybridgen/internal/testutil"
)

func TestServeAnswersHealthAndStopsOnCancel(t *testing.T) {
	url, stop := serveInProcess(t, &testutil.SyncBuffer{}, "-addr", "127.0.0.1:0", "-web-dir", t.TempDir(),
		"-db", filepath.Join(t.TempDir(), "l.db"))
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
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v after cancel", err)
	}
}

// TestHelpListsTheCommands: help, -h, -help and --help print every
// command on stdout and succeed.
func TestHelpListsTheCommands(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"help", "-h", "-help", "--help"} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), []string{arg}, &out, &errOut); err != nil || errOut.Len() != 0 {
			t.Fatalf("%s: err %v, stderr %q", arg, err, errOut.String())
		}
		for _, c := range commands() {
			if !strings.Contains(out.String(), "\n  "+c.name+" ") {
				t.Errorf("%s: command %s missing from\n%s", arg, c.name, out.String())
			}
		}
	}
}

// TestBinaryExitCodes runs the built binary: --help and a command's -h
// exit 0, version prints the version it was built with, and an unknown
// command exits 2 with the usage on stderr and nothing on stdout.
func TestBinaryExitCodes(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	cases := []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{"--help"}, 0, "commands:", ""},
		{[]string{"-h"}, 0, "runpod-emulator", ""},
		{[]string{"serve", "-h"}, 0, "", "-lease-ttl"},
		{[]string{"version"}, 0, "hybridgen dev\n", ""},
		{[]string{"frobnicate"}, 2, "", "usage: hybridgen"},
		{[]string{"serve", "-log-format", "xml"}, 2, "", "-log-format must be text or json"},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		cmd := exec.Command(bin, c.args...)
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			code = exitErr.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != c.code || !strings.Contains(out.String(), c.stdout) || !strings.Contains(errOut.String(), c.stderr) ||
			(c.stdout == "" && out.Len() != 0) {
			t.Errorf("hybridgen %v: exit %d, stdout %q, stderr %q; want %d, %q, %q", c.args, code, out.String(), errOut.String(),
				c.code, c.stdout, c.stderr)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"frobnicate"}, &out, &errOut)
	if err == nil || exitCode(err) != 2 || !strings.Contains(errOut.String(), "commands:") || out.Len() != 0 {
		t.Fatalf("unknown command: err %v, code %d, stderr %q", err, exitCode(err), errOut.String())
	}
	err = run(context.Background(), []string{"serve", "-log-format", "xml"}, &out, &errOut)
	if err == nil || exitCode(err) != 2 {
		t.Fatalf("bad flag value: err %v", err)
	}
	err = run(context.Background(), []string{"serve", "-h"}, &out, &errOut)
	if !errors.Is(err, flag.ErrHelp) || exitCode(err) != 0 {
		t.Fatalf("serve -h: err %v, want flag.ErrHelp and exit 0", err)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &out, io.Discard); err != nil || out.String() != "hybridgen "+version+"\n" {
		t.Fatalf("version: %q, %v", out.String(), err)
	}
}
