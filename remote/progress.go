package remote

import (
	"fmt"
	"io"
	"sync"

	digest "github.com/opencontainers/go-digest"
)

// progress prints what the docker CLI prints of a pull's or push's progress stream
// when its output is not a terminal: one line per status change ("abc123def456:
// Pull complete"), and no progress bars (Downloading, Pushing, Extracting are bars,
// so they are not printed). Safe for concurrent use.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	started bool
}

func newProgress(w io.Writer) *progress {
	if w == nil {
		w = io.Discard
	}
	return &progress{w: w}
}

// layer prints "ID: status".
func (p *progress) layer(id, status string) { p.line(id + ": " + status) }

// line prints one line.
func (p *progress) line(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.started = true
	fmt.Fprintln(p.w, s)
}

// Started reports whether a line was printed: an error after that is printed bare,
// before it as Docker's "Error response from daemon: ...".
func (p *progress) Started() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.started
}

// shortID is the 12 hex digits Docker shows for a layer.
func shortID(d digest.Digest) string {
	h := d.Encoded()
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
