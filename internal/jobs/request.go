package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"hybridgen/internal/ledger"
)

// Limits of a render and a draft. They are part of the API: the HTTP layer
// validates requests against them, GET /api/config repeats them and the
// browser client checks the same bounds before sending.
const (
	MaxImageBodyBytes  = 8 << 20 // a whole POST /api/images body
	MaxDraftBodyBytes  = 4 << 10 // a whole POST /api/drafts body
	MaxInitImageBytes  = 6 << 20 // the init_image data URI, as sent
	MaxPromptRunes     = 2000    // prompt and negative_prompt each
	MinSide, MaxSide   = 256, 2048
	SideMultiple       = 8
	DefaultSide        = 1024
	MinSteps, MaxSteps = 1, 100
	DefaultSteps       = 25
	MaxGuidance        = 30
	DefaultGuidance    = 7.5
	DefaultStrength    = 0.3
	MaxSeed            = 1<<53 - 1 // exact in a JavaScript number
	// MaxDraftAge is how long before its report a draft may have been made
	// (made_at): a draft made offline waits in the browser until the server
	// is back. MaxClockSkew is how far in the future made_at may lie.
	MaxDraftAge  = 30 * 24 * time.Hour
	MaxClockSkew = 5 * time.Minute
	// MaxEditSide is the longest side of an image edited on the device
	// (upscaled or cut out) that a draft report records: the browser's
	// upscaler stops there (8192, its canvas budget).
	MaxEditSide = 8192
)

// ImageRequest is a validated cloud render request with defaults applied.
type ImageRequest struct {
	Prompt         string   `json:"prompt"`
	NegativePrompt string   `json:"negative_prompt,omitempty"`
	Width          int      `json:"width"`
	Height         int      `json:"height"`
	Steps          int      `json:"steps"`
	Guidance       float64  `json:"guidance"`
	Seed           *int64   `json:"seed,omitempty"` // nil: the worker picks one
	InitImage      string   `json:"init_image,omitempty"`
	Strength       *float64 `json:"strength,omitempty"`
	Target         string   `json:"target,omitempty"` // "" is the default target
	ClientID       string   `json:"client_id"`
	IdempotencyKey string   `json:"idempotency_key"`
}

// Hash fingerprints the request (idempotency key aside) so that a key reused
// with a different request is detected.
func (r ImageRequest) Hash() string {
	r.IdempotencyKey = ""
	b, _ := json.Marshal(r) // cannot fail: plain fields
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// DraftRequest is a validated draft the browser rendered locally, to be
// recorded at cost 0 with the cloud price avoided.
type DraftRequest struct {
	ClientID       string
	IdempotencyKey string
	Width, Height  int
	Steps          int
	Model          string // the local model, e.g. "sd-turbo"
	Target         string // the cloud target whose price was avoided; "" is the default
	// MadeAt is when the browser made the draft; zero when the request
	// says nothing, i.e. now. [Manager.RecordDraft] dates the row by it,
	// within [MaxDraftAge] back and [MaxClockSkew] ahead.
	MadeAt time.Time
	// Task is what the browser made: [ledger.TaskGenerate] (a draft, the
	// default) or an edit of an image, whose width and height are the
	// output's (any size up to [MaxEditSide]).
	Task ledger.Task
}

// Hash fingerprints the draft (idempotency key and client aside). Drafts
// keep the fingerprint older rows have; an edit adds its task.
func (d DraftRequest) Hash() string {
	fingerprint := fmt.Appendf(nil, "%d|%d|%d|%s|%s", d.Width, d.Height, d.Steps, d.Model, d.Target)
	if d.Task != "" && d.Task != ledger.TaskGenerate {
		fingerprint = fmt.Appendf(fingerprint, "|%s", d.Task)
	}
	sum := sha256.Sum256(fingerprint)
	return hex.EncodeToString(sum[:16])
}
