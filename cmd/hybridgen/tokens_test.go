package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hybridgen/internal/api"
	"hybridgen/internal/testutil"
)

func TestLoadTokensNamesAndBudgets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	content := "# team tokens\nalice:tok-a daily=2.5 monthly=40\n\nbob:tok-b\nbare-token-1\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := loadTokens(path, "carol:tok-c")
	if err != nil {
		t.Fatal(err)
	}
	want := []api.Token{{Name: "carol", Secret: "tok-c"}, {Name: "alice", Secret: "tok-a", DailyUSD: 2.5, MonthlyUSD: 40},
		{Name: "bob", Secret: "tok-b"}}
	if len(got) != 4 {
		t.Fatalf("tokens = %+v", got)
	}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("token %d = %+v, want %+v", i, got[i], w)
		}
	}
	if !strings.HasPrefix(got[3].Name, "token-") || got[3].Secret != "bare-token-1" {
		t.Errorf("bare token = %+v", got[3])
	}
	again, _ := loadTokens(path, "")
	if again[2].Name != got[3].Name {
		t.Error("a bare token's name changes between loads")
	}
	for _, bad := range []string{"alice:x\nalice:y", "dave:x weekly=3", "erin:x daily=-1", ":x", "frank:"} {
		if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := loadTokens(path, "")
		if err == nil {
			t.Errorf("%q: accepted", bad)
			continue
		}
		if strings.Contains(err.Error(), "x daily") || (strings.Contains(bad, ":x") && strings.Contains(err.Error(), ":x")) {
			t.Errorf("%q: the error repeats the token: %v", bad, err)
		}
	}
}

// TestRequireTokenOnLoopback: behind a reverse proxy on the same host every
// request arrives from 127.0.0.1, so -require-token must demand tokens
// there too, and the token's name is the identity.
func TestRequireTokenOnLoopback(t *testing.T) {
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokens, []byte("proxy-user:tok-proxy\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base, stop := serveInProcess(t, &testutil.SyncBuffer{}, "-addr", "127.0.0.1:0", "-web-dir", dir,
		"-db", filepath.Join(dir, "l.db"), "-require-token", "-tokens", tokens)
	get := func(auth string) int { return statusOf(t, "GET", base+"/api/usage", "", auth) }
	if code := get(""); code != http.StatusUnauthorized {
		t.Fatalf("no token on loopback with -require-token: %d", code)
	}
	if code := get("Bearer tok-proxy"); code != http.StatusOK {
		t.Fatalf("valid token: %d", code)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
