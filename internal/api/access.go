package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"

	"hybridgen/internal/jobs"
)

// Access decides who may spend money through the API, and as whom.
type Access struct {
	// RequireToken makes the guarded routes (every /api/ route but
	// /api/config and the signed webhook) demand "Authorization: Bearer
	// <token>" with a token from Tokens. serve sets it off loopback, and on
	// loopback with -require-token (a reverse proxy in front).
	RequireToken bool
	// Tokens are the accepted bearer tokens. With RequireToken and no
	// tokens, every guarded request is refused.
	Tokens []Token
}

// Token is a bearer token and the identity it stands for.
type Token struct {
	// Name is the identity ([jobs.Identity]): per-identity budgets and
	// rate limits key on it.
	Name string
	// Secret is the bearer token itself.
	Secret string
	// DailyUSD and MonthlyUSD, when positive, replace the per-client
	// budgets for this identity.
	DailyUSD, MonthlyUSD float64
}

// tokenSet compares bearer tokens in constant time: every configured token
// is compared (as SHA-256 digests, so lengths never leak) on every request.
type tokenSet struct {
	require bool
	tokens  []Token
	digests [][32]byte
}

func newTokenSet(a Access) tokenSet {
	ts := tokenSet{require: a.RequireToken}
	for _, t := range a.Tokens {
		if t.Secret = strings.TrimSpace(t.Secret); t.Secret != "" && t.Name != "" {
			ts.tokens = append(ts.tokens, t)
			ts.digests = append(ts.digests, sha256.Sum256([]byte(t.Secret)))
		}
	}
	return ts
}

// identify returns the identity of r: the token's when it carries a valid
// one; [LocalIdentity] when it carries none and none is required. ok is
// false for a missing (when required) or unknown token.
func (ts tokenSet) identify(r *http.Request) (jobs.Identity, bool) {
	h := r.Header.Get("Authorization")
	if h == "" && !ts.require {
		return jobs.Identity{Name: jobs.LocalIdentity}, true
	}
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return jobs.Identity{}, false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(h[len(prefix):])))
	found := -1
	for i, d := range ts.digests {
		if subtle.ConstantTimeCompare(got[:], d[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return jobs.Identity{}, false
	}
	t := ts.tokens[found]
	return jobs.Identity{Name: t.Name, DailyUSD: t.DailyUSD, MonthlyUSD: t.MonthlyUSD}, true
}

type identityKey struct{}

// identityOf is the identity guard stored in r's context.
func identityOf(r *http.Request) jobs.Identity {
	if id, ok := r.Context().Value(identityKey{}).(jobs.Identity); ok {
		return id
	}
	return jobs.Identity{Name: jobs.LocalIdentity}
}

// guard wraps a handler that spends money, writes the ledger or shows jobs
// and spend: it refuses
// cross-origin requests (CORS is closed: no Access-Control-Allow-Origin is
// ever sent), bodies that are not application/json (so a cross-site HTML form
// cannot post one), and missing or unknown bearer tokens when tokens are
// required. All refusals happen before the handler runs, so before any
// cloud call.
func (a *API) guard(next handler) handler {
	return func(w http.ResponseWriter, r *http.Request) (int, any, error) {
		if crossOrigin(r) {
			return 0, nil, ErrCrossOrigin
		}
		who, ok := a.tokens.identify(r)
		if !ok {
			return 0, nil, ErrUnauthorized
		}
		if r.Method == http.MethodPost && r.ContentLength != 0 {
			mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil || mt != "application/json" {
				return 0, nil, ErrUnsupportedMedia
			}
		}
		return next(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, who)))
	}
}

// crossOrigin reports whether a browser sent r from another origin: an
// Origin header whose host differs from the request's Host, or
// Sec-Fetch-Site cross-site/same-site, or (for a request that changes
// state) a browser's request (it sends Sec-Fetch-Site) without an Origin.
// Requests from programs (no Origin, no Sec-Fetch-Site) pass: tokens guard
// those.
func crossOrigin(r *http.Request) bool {
	site := r.Header.Get("Sec-Fetch-Site")
	switch site {
	case "cross-site", "same-site":
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return site != "" && r.Method != http.MethodGet && r.Method != http.MethodHead
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return true // "null" or garbage: an opaque origin
	}
	return !strings.EqualFold(u.Host, r.Host)
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
