package mirror

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// FaultsRoute is where [Faults.Mount] serves the test-fault control API:
//
//	PUT    /_test/mirror/faults   set a Fault (JSON body), replacing any for its path
//	DELETE /_test/mirror/faults   clear every fault and counter
//	GET    /_test/mirror/stats    the per-file request counters, as JSON
const FaultsRoute = "/_test/mirror/"

// Fault is what the mirror does wrong, on purpose, to one file's responses.
type Fault struct {
	// Path is the file, relative to the folder (as in the URL after /models/).
	Path string `json:"path"`
	// DropAfterBytes, when > 0, closes the connection once that many body
	// bytes of a response were written.
	DropAfterBytes int64 `json:"dropAfterBytes,omitempty"`
	// Times is how many responses get dropped (0 means 1). Throttling applies
	// to every response until cleared.
	Times int `json:"times,omitempty"`
	// BytesPerSecond, when > 0, slows every response body of the file to
	// this rate.
	BytesPerSecond int64 `json:"bytesPerSecond,omitempty"`
	// IgnoreRange, when set, answers every request for the file with the
	// whole file (200), as servers without range support do.
	IgnoreRange bool `json:"ignoreRange,omitempty"`
}

// FileStats counts the requests for one file.
type FileStats struct {
	// Get counts GET requests (with or without Range).
	Get int `json:"get"`
	// Head counts HEAD requests.
	Head int `json:"head"`
	// Range counts requests that carried a Range header.
	Range int `json:"range"`
	// Dropped counts responses cut on purpose.
	Dropped int `json:"dropped"`
	// BodyBytes is the body bytes written to clients.
	BodyBytes int64 `json:"bodyBytes"`
	// Ranges lists the Range headers received, in order.
	Ranges []string `json:"ranges"`
}

// Faults holds test faults and request counters. It is enabled only by
// `hybridgen serve -mirror-test-faults`; the zero value is not usable, call
// [NewFaults].
type Faults struct {
	mu     sync.Mutex
	faults map[string]*Fault
	stats  map[string]*FileStats
}

// NewFaults returns an empty set of faults.
func NewFaults() *Faults {
	return &Faults{faults: map[string]*Fault{}, stats: map[string]*FileStats{}}
}

// Set installs f, replacing any fault for f.Path.
func (fs *Faults) Set(f Fault) error {
	if _, err := CleanPath(f.Path); err != nil {
		return err
	}
	if f.DropAfterBytes < 0 || f.BytesPerSecond < 0 || f.Times < 0 {
		return fmt.Errorf("mirror: fault for %s: negative values", f.Path)
	}
	if f.Times == 0 {
		f.Times = 1
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.faults[f.Path] = &f
	return nil
}

// Reset clears every fault and counter.
func (fs *Faults) Reset() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.faults = map[string]*Fault{}
	fs.stats = map[string]*FileStats{}
}

// Stats returns a copy of the counters, keyed by file path.
func (fs *Faults) Stats() map[string]FileStats {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make(map[string]FileStats, len(fs.stats))
	for k, v := range fs.stats {
		c := *v
		c.Ranges = append([]string{}, v.Ranges...)
		out[k] = c
	}
	return out
}

// Mount registers the control routes (see [FaultsRoute]) on mux.
func (fs *Faults) Mount(mux *http.ServeMux) {
	mux.HandleFunc("PUT "+FaultsRoute+"faults", func(w http.ResponseWriter, r *http.Request) {
		var f Fault
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&f); err != nil {
			http.Error(w, "bad fault: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := fs.Set(f); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE "+FaultsRoute+"faults", func(w http.ResponseWriter, _ *http.Request) {
		fs.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET "+FaultsRoute+"stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(fs.Stats())
	})
}

// wrap counts the request and returns a writer that applies the file's fault.
func (fs *Faults) wrap(w http.ResponseWriter, r *http.Request, name string, logger *slog.Logger) http.ResponseWriter {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	st := fs.stats[name]
	if st == nil {
		st = &FileStats{Ranges: []string{}}
		fs.stats[name] = st
	}
	if r.Method == http.MethodHead {
		st.Head++
	} else {
		st.Get++
	}
	if rng := r.Header.Get("Range"); rng != "" {
		st.Range++
		st.Ranges = append(st.Ranges, rng)
	}
	fw := &faultWriter{ResponseWriter: w, owner: fs, stats: st, name: name, logger: logger, drop: -1}
	if f := fs.faults[name]; f != nil {
		if f.IgnoreRange {
			r.Header.Del("Range")
			r.Header.Del("If-Range")
		}
		fw.rate = f.BytesPerSecond
		if f.DropAfterBytes > 0 && f.Times > 0 && r.Method != http.MethodHead {
			f.Times--
			fw.drop = f.DropAfterBytes
		}
	}
	fw.start = time.Now()
	return fw
}

// dropGrace is how long a cut response waits, flushed, before the connection
// is closed.
const dropGrace = 500 * time.Millisecond

// faultWriter counts body bytes, throttles and cuts the connection.
type faultWriter struct {
	http.ResponseWriter
	owner   *Faults
	stats   *FileStats
	name    string
	logger  *slog.Logger
	drop    int64 // body bytes after which to cut; -1 for never
	rate    int64
	written int64
	start   time.Time
}

func (w *faultWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *faultWriter) Write(p []byte) (int, error) {
	cut := false
	if w.drop >= 0 && w.written+int64(len(p)) >= w.drop {
		p = p[:w.drop-w.written]
		cut = true
	}
	n, err := w.ResponseWriter.Write(p)
	w.written += int64(n)
	w.owner.mu.Lock()
	w.stats.BodyBytes += int64(n)
	if cut {
		w.stats.Dropped++
	}
	w.owner.mu.Unlock()
	if w.rate > 0 {
		due := w.start.Add(time.Duration(float64(w.written) / float64(w.rate) * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			_ = http.NewResponseController(w.ResponseWriter).Flush()
			time.Sleep(d)
		}
	}
	if cut {
		_ = http.NewResponseController(w.ResponseWriter).Flush()
		// Let the client read what was sent before the connection goes: a
		// browser drops bytes still buffered when it sees the connection fail,
		// and the cut would then land earlier than asked.
		time.Sleep(dropGrace)
		w.logger.Warn("mirror: test fault: dropping connection", "path", w.name, "after_bytes", w.written)
		panic(http.ErrAbortHandler)
	}
	return n, err
}
