// Package targets owns the configuration of hybridgen's cloud render targets:
// named RunPod (or RunPod-compatible, self-hosted) endpoints with their base
// URL, endpoint id, the NAME of the environment variable holding their API
// key, the per-second GPU price and a model label.
//
// The configuration is a small JSON file, passed to `hybridgen serve -targets`:
//
//	{"default": "a100", "targets": [{"name": "a100", "endpoint_id": "abc123",
//	  "api_key_env": "RUNPOD_API_KEY", "price_per_second_usd": 0.00076,
//	  "model": "sdxl-1.0", "base_url": "https://api.runpod.ai/v2"}]}
//
// Keys are read from the environment when the file is loaded and held as
// [Secret], whose every printed or marshalled form is redacted.
//
// It must not make network calls or know HTTP routes. Entry point: [Load].
package targets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"os"
	"regexp"
	"sort"
	"time"
)

// DefaultBaseURL is RunPod's serverless API.
const DefaultBaseURL = "https://api.runpod.ai/v2"

// Defaults applied to fields a target leaves at zero.
const (
	// DefaultEstimateSeconds is the assumed execution time of a 1024x1024,
	// 25-step SDXL image (A100: ~3.3 s for 30 steps, plus margin).
	DefaultEstimateSeconds = 6
	// DefaultExecutionTimeoutSeconds bounds a job's execution on RunPod.
	DefaultExecutionTimeoutSeconds = 300
	// DefaultTTLSeconds is the job's lifetime on RunPod (policy.ttl).
	DefaultTTLSeconds = 3600
	// ReferenceSteps is the step count DefaultEstimateSeconds is for.
	ReferenceSteps = 25
)

// ErrInvalid is wrapped by every configuration error.
var ErrInvalid = errors.New("targets: invalid configuration")

// Secret is an API key. It prints, logs and marshals as "[redacted]"; only
// [Secret.Reveal] gives the value, for the Authorization header.
type Secret struct{ v string }

// Reveal returns the key itself. Call it only to build a request to the target.
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether no key is set.
func (s Secret) IsZero() bool { return s.v == "" }

// String implements fmt.Stringer without revealing the key.
func (s Secret) String() string { return "[redacted]" }

// GoString implements fmt.GoStringer without revealing the key.
func (s Secret) GoString() string { return `targets.Secret("[redacted]")` }

// LogValue implements slog.LogValuer without revealing the key.
func (s Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// MarshalJSON implements json.Marshaler without revealing the key.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }

// NewSecret wraps a key (for tests and callers that do not use [Load]).
func NewSecret(key string) Secret { return Secret{v: key} }

// Target is one named cloud endpoint.
type Target struct {
	// Name identifies the target in requests and the ledger.
	Name string `json:"name"`
	// BaseURL is the API root without the endpoint id, e.g.
	// https://api.runpod.ai/v2 (the default) or a self-hosted worker's.
	BaseURL string `json:"base_url,omitempty"`
	// EndpointID is the serverless endpoint's id.
	EndpointID string `json:"endpoint_id"`
	// APIKeyEnv is the NAME of the environment variable holding the key.
	APIKeyEnv string `json:"api_key_env"`
	// PricePerSecondUSD is the GPU's price per second of execution.
	PricePerSecondUSD float64 `json:"price_per_second_usd"`
	// Model labels what the endpoint runs, e.g. "sdxl-1.0".
	Model string `json:"model,omitempty"`
	// EstimateSeconds is the expected execution time of a 1024x1024,
	// 25-step image; budgets count in-flight jobs at this estimate
	// (scaled by size and steps) and drafts are credited with it.
	EstimateSeconds float64 `json:"estimate_seconds,omitempty"`
	// ExecutionTimeoutSeconds is sent as policy.executionTimeout.
	ExecutionTimeoutSeconds float64 `json:"execution_timeout_seconds,omitempty"`
	// TTLSeconds is sent as policy.ttl.
	TTLSeconds float64 `json:"ttl_seconds,omitempty"`
	// InputJobID sends the ledger id in the job input as
	// "hybridgen_job_id", a correlation id the worker sees. Only for
	// workers that accept unknown input fields: worker-sdxl's validator
	// fails such jobs.
	InputJobID bool `json:"input_job_id,omitempty"`
	// APIKey is read from APIKeyEnv by [Load]. Never serialised.
	APIKey Secret `json:"-"`
}

// Estimate is the expected execution time of a width×height image with
// steps steps: EstimateSeconds scaled by pixels and steps, at least 1 s.
func (t Target) Estimate(width, height, steps int) time.Duration {
	scale := float64(width*height) / (1024 * 1024) * float64(steps) / ReferenceSteps
	sec := math.Max(1, t.EstimateSeconds*scale)
	return time.Duration(sec * float64(time.Second))
}

// ExecutionTimeout is the configured policy.executionTimeout.
func (t Target) ExecutionTimeout() time.Duration {
	return time.Duration(t.ExecutionTimeoutSeconds * float64(time.Second))
}

// TTL is the configured policy.ttl.
func (t Target) TTL() time.Duration { return time.Duration(t.TTLSeconds * float64(time.Second)) }

// Config is a loaded configuration: the targets by name and the default.
type Config struct {
	// Default names the target used when a request names none.
	Default string `json:"default"`
	// Targets are the configured targets.
	Targets []Target `json:"targets"`
}

// Lookup returns the named target; name "" means the default.
func (c Config) Lookup(name string) (Target, bool) {
	if name == "" {
		name = c.Default
	}
	for _, t := range c.Targets {
		if t.Name == name {
			return t, true
		}
	}
	return Target{}, false
}

// Names lists the target names, sorted.
func (c Config) Names() []string {
	names := make([]string, 0, len(c.Targets))
	for _, t := range c.Targets {
		names = append(names, t.Name)
	}
	sort.Strings(names)
	return names
}

var (
	namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	envPattern  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Load reads the JSON configuration at path, checks it, applies defaults and
// reads each target's key from the environment with getenv (os.Getenv when
// nil). An empty path is no configuration: no targets, and the app renders
// High Quality locally. Errors name the offending field or environment
// variable, never a key.
func Load(path string, getenv func(string) string) (Config, error) {
	if path == "" {
		return Config{}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("targets: read %s: %w", path, err)
	}
	return Parse(data, getenv)
}

// Parse is [Load] on the file's content.
func Parse(data []byte, getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var c Config
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	seen := map[string]bool{}
	for i := range c.Targets {
		t := &c.Targets[i]
		if err := check(t); err != nil {
			return Config{}, fmt.Errorf("%w: targets[%d]: %v", ErrInvalid, i, err)
		}
		if seen[t.Name] {
			return Config{}, fmt.Errorf("%w: target %q is defined twice", ErrInvalid, t.Name)
		}
		seen[t.Name] = true
		key := getenv(t.APIKeyEnv)
		if key == "" {
			return Config{}, fmt.Errorf("%w: target %q: environment variable %s is empty or unset", ErrInvalid, t.Name, t.APIKeyEnv)
		}
		t.APIKey = Secret{v: key}
	}
	switch {
	case len(c.Targets) == 0 && c.Default != "":
		return Config{}, fmt.Errorf("%w: default %q names no target", ErrInvalid, c.Default)
	case len(c.Targets) > 0 && c.Default == "":
		c.Default = c.Targets[0].Name
	}
	if _, ok := c.Lookup(c.Default); !ok {
		return Config{}, fmt.Errorf("%w: default %q names no target", ErrInvalid, c.Default)
	}
	return c, nil
}

func check(t *Target) error {
	if !namePattern.MatchString(t.Name) {
		return fmt.Errorf("name %q: want 1-64 letters, digits, '.', '_' or '-'", t.Name)
	}
	if t.BaseURL == "" {
		t.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(t.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return fmt.Errorf("target %q: base_url must be an http(s) URL without credentials", t.Name)
	}
	if t.EndpointID == "" || !namePattern.MatchString(t.EndpointID) {
		return fmt.Errorf("target %q: endpoint_id is missing or malformed", t.Name)
	}
	if !envPattern.MatchString(t.APIKeyEnv) {
		return fmt.Errorf("target %q: api_key_env must name an environment variable", t.Name)
	}
	if !(t.PricePerSecondUSD > 0) || t.PricePerSecondUSD > 1 {
		return fmt.Errorf("target %q: price_per_second_usd must be in (0, 1]", t.Name)
	}
	if t.EstimateSeconds < 0 || t.ExecutionTimeoutSeconds < 0 || t.TTLSeconds < 0 {
		return fmt.Errorf("target %q: durations must not be negative", t.Name)
	}
	if t.EstimateSeconds == 0 {
		t.EstimateSeconds = DefaultEstimateSeconds
	}
	if t.ExecutionTimeoutSeconds == 0 {
		t.ExecutionTimeoutSeconds = DefaultExecutionTimeoutSeconds
	}
	if t.TTLSeconds == 0 {
		t.TTLSeconds = DefaultTTLSeconds
	}
	if t.Model == "" {
		t.Model = "sdxl"
	}
	return nil
}
