package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"

	"hybridgen/internal/api"
)

// loadTokens reads bearer tokens from path and from list (comma-separated
// entries of the same form). A line is
//
//	name:token [daily=USD] [monthly=USD]
//
// where name is the identity budgets and rate limits key on, and the
// optional caps replace the per-client budgets for it. Blank lines and lines
// starting with # are skipped. A line without a name (a bare token, the old
// format) gets the name "token-" and 8 hex digits of the token's SHA-256,
// stable across restarts.
func loadTokens(path, list string) ([]api.Token, error) {
	var tokens []api.Token
	for _, entry := range strings.Split(list, ",") {
		if entry = strings.TrimSpace(entry); entry != "" {
			t, err := parseTokenLine(entry)
			if err != nil {
				return nil, fmt.Errorf("serve: HYBRIDGEN_TOKENS: %w", err)
			}
			tokens = append(tokens, t)
		}
	}
	if path == "" {
		return checkTokenNames(tokens)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("serve: tokens: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		t, err := parseTokenLine(line)
		if err != nil {
			return nil, fmt.Errorf("serve: tokens: %s line %d: %w", path, n, err)
		}
		tokens = append(tokens, t)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("serve: tokens: read %s: %w", path, err)
	}
	return checkTokenNames(tokens)
}

// parseTokenLine reads "name:token [daily=USD] [monthly=USD]". The error
// never repeats the token.
func parseTokenLine(line string) (api.Token, error) {
	fields := strings.Fields(line)
	var t api.Token
	name, secret, found := strings.Cut(fields[0], ":")
	if !found {
		sum := sha256.Sum256([]byte(fields[0]))
		name, secret = "token-"+hex.EncodeToString(sum[:4]), fields[0]
	}
	if name == "" || secret == "" {
		return t, fmt.Errorf("want name:token")
	}
	t.Name, t.Secret = name, secret
	for _, f := range fields[1:] {
		k, v, _ := strings.Cut(f, "=")
		usd, err := strconv.ParseFloat(v, 64)
		if err != nil || usd <= 0 {
			return t, fmt.Errorf("token %q: %q must be a positive amount in USD", name, k)
		}
		switch k {
		case "daily":
			t.DailyUSD = usd
		case "monthly":
			t.MonthlyUSD = usd
		default:
			return t, fmt.Errorf("token %q: unknown setting %q (want daily=USD or monthly=USD)", name, k)
		}
	}
	return t, nil
}

// checkTokenNames refuses two tokens with one name: their budgets would
// merge without anyone meaning it.
func checkTokenNames(tokens []api.Token) ([]api.Token, error) {
	seen := map[string]bool{}
	for _, t := range tokens {
		if seen[t.Name] {
			return nil, fmt.Errorf("serve: tokens: the name %q is used twice", t.Name)
		}
		seen[t.Name] = true
	}
	return tokens, nil
}
