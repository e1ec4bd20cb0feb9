package runpod

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultBaseURL is RunPod's serverless API.
const DefaultBaseURL = "https://api.runpod.ai/v2"

// ClientConfig configures a [Client].
type ClientConfig struct {
	// BaseURL is the API root; requests go to {BaseURL}/{EndpointID}/run
	// and so on. Empty means [DefaultBaseURL]. A self-hosted
	// RunPod-compatible worker (or the emulator) is just another base URL.
	// It must not carry credentials or a query.
	BaseURL string
	// EndpointID names the serverless endpoint.
	EndpointID string
	// APIKey is sent as "authorization: Bearer <key>". Empty sends no
	// authorization header (for a self-hosted worker without auth).
	APIKey string
	// HTTPClient sends the requests; nil uses a client with no overall
	// timeout (each attempt is bounded by RequestTimeout instead).
	HTTPClient *http.Client
	// Logger receives retries and cancellations; nil discards them.
	Logger *slog.Logger
	// Retry bounds retries of each call.
	Retry RetryPolicy
	// RequestTimeout bounds each attempt (default 30 s); /runsync attempts
	// get their wait on top.
	RequestTimeout time.Duration
}

// String describes the configuration without the API key.
func (c ClientConfig) String() string {
	key := "unset"
	if c.APIKey != "" {
		key = "set"
	}
	return fmt.Sprintf("runpod.ClientConfig{BaseURL: %q, EndpointID: %q, APIKey: %s}", c.BaseURL, c.EndpointID, key)
}

// GoString is String, so %#v does not print the key either.
func (c ClientConfig) GoString() string { return c.String() }

// LogValue logs the configuration without the API key.
func (c ClientConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("base_url", c.BaseURL),
		slog.String("endpoint_id", c.EndpointID),
		slog.Bool("api_key_set", c.APIKey != ""),
	)
}

// Client talks to one RunPod serverless endpoint. It is safe for
// concurrent use.
type Client struct {
	base    string // {BaseURL}/{EndpointID}, no trailing slash
	cfg     ClientConfig
	http    *http.Client
	log     *slog.Logger
	retry   RetryPolicy
	timeout time.Duration
	// sleep pauses between attempts and polls; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

// NewClient checks cfg and returns a client. The error never contains the
// API key.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(cfg.BaseURL)
	switch {
	case err != nil:
		return nil, errors.New("runpod: BaseURL is not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("runpod: BaseURL scheme must be http or https, got %q", u.Scheme)
	case u.Host == "":
		return nil, errors.New("runpod: BaseURL has no host")
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return nil, errors.New("runpod: BaseURL must not carry credentials, a query or a fragment")
	case cfg.APIKey != "" && strings.Contains(cfg.BaseURL, cfg.APIKey):
		return nil, errors.New("runpod: BaseURL must not contain the API key")
	}
	if cfg.EndpointID == "" || strings.ContainsAny(cfg.EndpointID, "/?#% \t\r\n") {
		return nil, fmt.Errorf("runpod: EndpointID must be a non-empty path segment, got %q", cfg.EndpointID)
	}
	if strings.ContainsAny(cfg.APIKey, "\r\n") {
		return nil, errors.New("runpod: APIKey contains a line break")
	}
	c := &Client{
		base:    strings.TrimRight(cfg.BaseURL, "/") + "/" + cfg.EndpointID,
		cfg:     cfg,
		http:    cfg.HTTPClient,
		log:     cfg.Logger,
		retry:   cfg.Retry.withDefaults(),
		timeout: cfg.RequestTimeout,
		sleep:   sleepCtx,
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.timeout <= 0 {
		c.timeout = 30 * time.Second
	}
	return c, nil
}

// String names the endpoint, never the key.
func (c *Client) String() string {
	return fmt.Sprintf("runpod.Client{%s}", c.base)
}

// BaseURL is the endpoint's URL, {BaseURL}/{EndpointID}.
func (c *Client) BaseURL() string { return c.base }

// request is one API call.
type request struct {
	op      string // run, runsync, status, cancel, retry, purge-queue, health
	method  string
	path    string // after the endpoint, starting with "/"
	query   url.Values
	body    any
	mode    retryMode
	timeout time.Duration // per attempt, on top of the client's
}

// maxResponse bounds an answer: two 1024 px PNGs as data URIs fit easily.
const maxResponse = 64 << 20

// do sends req with retries and decodes a 2xx answer into out.
func (c *Client) do(ctx context.Context, req request, out any) error {
	var body []byte
	if req.body != nil {
		var err error
		if body, err = json.Marshal(req.body); err != nil {
			return fmt.Errorf("runpod: %s: encode request: %w", req.op, err)
		}
	}
	target := c.base + req.path
	if len(req.query) > 0 {
		target += "?" + req.query.Encode()
	}
	for attempt := 1; ; attempt++ {
		data, retryAfter, err := c.attempt(ctx, req, target, body)
		if err == nil {
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(data, out); err != nil {
				return c.decodeError(req.op, err)
			}
			return nil
		}
		var apiErr *APIError
		retry := false
		switch {
		case errors.As(err, &apiErr):
			retry = retryableStatus(req.mode, apiErr.StatusCode) && retryAfter <= MaxRetryAfter
		case ctx.Err() != nil:
			if req.mode == retrySubmit && !neverConnected(err) {
				// The request may have reached RunPod before the caller gave up.
				return fmt.Errorf("runpod: %s: %w: %w", req.op, ctx.Err(), ErrSubmitUncertain)
			}
			return fmt.Errorf("runpod: %s: %w", req.op, ctx.Err())
		default:
			retry = retryableTransport(ctx, req.mode, err)
			err = c.transportError(req, err)
		}
		if !retry || attempt >= c.retry.MaxAttempts {
			return err
		}
		delay := c.retry.retryDelay(attempt, retryAfter)
		c.log.Warn("runpod: retrying", "op", req.op, "attempt", attempt+1, "max_attempts", c.retry.MaxAttempts,
			"delay", delay, "retry_after", retryAfter, "error", err.Error())
		if err := c.sleep(ctx, delay); err != nil {
			return fmt.Errorf("runpod: %s: %w", req.op, err)
		}
	}
}

// attempt sends one request. It returns the body of a 2xx answer, or an
// *APIError (with the server's Retry-After), or a transport error.
func (c *Client) attempt(ctx context.Context, req request, target string, body []byte) ([]byte, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout+req.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, target, rd)
	if err != nil {
		return nil, 0, err
	}
	hr.Header.Set("Accept", "application/json")
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if c.cfg.APIKey != "" {
		hr.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	resp, err := c.http.Do(hr)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, 0, err
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		if len(data) > maxResponse {
			return nil, 0, fmt.Errorf("answer larger than %d bytes", maxResponse)
		}
		return data, 0, nil
	}
	retryAfter := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	return nil, retryAfter, &APIError{
		Op:         req.op,
		StatusCode: resp.StatusCode,
		Message:    truncate(c.scrub(errorMessage(data)), 300),
		RetryAfter: retryAfter,
	}
}

// transportError wraps a failure that got no HTTP answer, scrubbed of the
// key; for submissions it also matches ErrSubmitUncertain unless the
// connection was never made.
func (c *Client) transportError(req request, err error) error {
	wrapped := &scrubbedError{err: err, text: c.scrub(err.Error())}
	if req.mode == retrySubmit && !neverConnected(err) {
		return fmt.Errorf("runpod: %s: %w: %w", req.op, ErrSubmitUncertain, wrapped)
	}
	return fmt.Errorf("runpod: %s: %w", req.op, wrapped)
}

func (c *Client) decodeError(op string, err error) error {
	if errors.Is(err, ErrMalformedResponse) {
		return fmt.Errorf("runpod: %s: %w", op, &scrubbedError{err: err, text: c.scrub(err.Error())})
	}
	return fmt.Errorf("runpod: %s: %w: %s", op, ErrMalformedResponse, c.scrub(err.Error()))
}

// scrub removes the API key from text that came from elsewhere.
func (c *Client) scrub(s string) string {
	if c.cfg.APIKey == "" {
		return s
	}
	return strings.ReplaceAll(s, c.cfg.APIKey, "[redacted]")
}

// scrubbedError keeps err for errors.Is/As but prints text.
type scrubbedError struct {
	err  error
	text string
}

// Error is the scrubbed text.
func (e *scrubbedError) Error() string { return e.text }

// Unwrap keeps the original error for errors.Is/As.
func (e *scrubbedError) Unwrap() error { return e.err }

// errorMessage extracts the explanation from an error answer: the "error"
// or "message" field of a JSON body, or else the text.
func errorMessage(data []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	msg := ""
	if json.Unmarshal(data, &v) == nil {
		if text := decodeErrorText(v.Error); text != "" {
			msg = text
		} else {
			msg = v.Message
		}
	} else {
		msg = strings.TrimSpace(string(data))
	}
	return msg
}

// truncate shortens s to at most n bytes plus "...", on a rune boundary.
// Scrub before truncating, so no partial key survives.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
