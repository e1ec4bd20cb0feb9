package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Access decides who may spend money through the API.
type Access struct {
	// RequireToken makes the guarded routes (every /api/ route but
	// /api/config) demand "Authorization: Bearer <token>" with a token from Tokens. serve
	// sets it when listening on a non-loopback address.
	RequireToken bool
	// Tokens are the accepted bearer tokens. With RequireToken and no
	// tokens, every guarded request is refused.
	Tokens []string
}

// tokenSet compares bearer tokens in constant time: every configured token
// is compared (as SHA-256 digests, so lengths never leak) on every request.
type tokenSet struct {
	require bool
	digests [][32]byte
}

func newTokenSet(a Access) tokenSet {
	ts := tokenSet{require: a.RequireToken}
	for _, t := range a.Tokens {
		if t = strings.TrimSpace(t); t != "" {
			ts.digests = append(ts.digests, sha256.Sum256([]byte(t)))
		}
	}
	return ts
}

func (ts tokenSet) allow(r *http.Request) bool {
	if !ts.require {
		return true
	}
	h := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(h[len(prefix):])))
	match := 0
	for _, d := range ts.digests {
		match |= subtle.ConstantTimeCompare(got[:], d[:])
	}
	return match == 1
}

// guard wraps a handler that spends money, writes the ledger or shows jobs
// and spend: it refuses
// cross-origin requests (CORS is closed: no Access-Control-Allow-Origin is
// ever sent), bodies that are not application/json (so a cross-site HTML form
// cannot post one), and missing or unknown bearer tokens when tokens are
// required. All refusals happen before the handler runs, so before any
// cloud call.
func (a *API) guard(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if crossOrigin(r) {
			writeError(w, http.StatusForbidden, CodeForbidden, "cross-origin requests are not allowed")
			return
		}
		if !a.tokens.allow(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hybridgen"`)
			writeError(w, http.StatusUnauthorized, CodeUnauthorized, "a valid bearer token is required")
			return
		}
		if r.Method == http.MethodPost && r.ContentLength != 0 {
			mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil || mt != "application/json" {
				writeError(w, http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "the body must be application/json")
				return
			}
		}
		next(w, r)
	}
}

// crossOrigin reports whether a browser sent r from another origin: an
// Origin header whose host differs from the request's Host, or
// Sec-Fetch-Site cross-site/same-site.
func crossOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return true // "null" or garbage: an opaque origin
	}
	return !strings.EqualFold(u.Host, r.Host)
}

// refusePreflight answers every CORS preflight with 403: no other origin may
// call the API.
func refusePreflight(w http.ResponseWriter, _ *http.Request) {
	writeError(w, http.StatusForbidden, CodeForbidden, "cross-origin requests are not allowed")
}

// IsLoopback reports whether addr (host:port, as given to -addr) binds only
// loopback interfaces. An empty host or an unspecified address binds every
// interface, so it is not loopback; "localhost" is.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
