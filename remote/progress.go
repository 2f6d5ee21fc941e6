package remote

import (
	"fmt"
	"io"
	"sync"
	"time"

	digest "github.com/opencontainers/go-digest"
)

// Message is one step of a pull's or push's progress, in the shape of the Docker
// Engine API's JSON stream (what the docker CLI reads from the daemon and draws):
// {"status":"Downloading","progressDetail":{"current":1024,"total":4096},"id":"a1b2c3d4e5f6"}.
// ID is a layer's short ID, or the tag for "Pulling from REPO"; lines that belong to
// no layer ("Digest: sha256:...") have none.
type Message struct {
	ID       string  `json:"id,omitempty"`
	Status   string  `json:"status"`
	Progress *Detail `json:"progressDetail,omitempty"`
}

// Detail is how far a layer's download or upload has come, in bytes.
type Detail struct {
	Current int64 `json:"current"`
	Total   int64 `json:"total,omitempty"`
}

// progressEvery is how often a layer's byte count is reported while it moves.
const progressEvery = 100 * time.Millisecond

// progress reports a pull's or push's progress two ways: as the lines the docker CLI
// prints when its output is not a terminal (one per status change, "abc123def456:
// Pull complete"; the Downloading and Pushing bars are not lines), and, when a sink is
// set, as Messages, the bars included. Safe for concurrent use; the sink is called
// with the lock held, so it sees messages in the order of the lines, and must not block.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	sink    func(Message)
	started bool
}

func newProgress(w io.Writer, sink func(Message)) *progress {
	if w == nil {
		w = io.Discard
	}
	return &progress{w: w, sink: sink}
}

// layer prints "ID: status".
func (p *progress) layer(id, status string) { p.send(Message{ID: id, Status: status}) }

// line prints a line that belongs to no layer.
func (p *progress) line(s string) { p.send(Message{Status: s}) }

func (p *progress) send(m Message) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.started = true
	if m.ID != "" {
		fmt.Fprintf(p.w, "%s: %s\n", m.ID, m.Status)
	} else {
		fmt.Fprintln(p.w, m.Status)
	}
	if p.sink != nil {
		p.sink(m)
	}
}

// bar reports a layer's byte count to the sink only: a terminal-less docker CLI
// prints no bars.
func (p *progress) bar(id, status string, current, total int64) {
	if p.sink == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sink(Message{ID: id, Status: status, Progress: &Detail{Current: current, Total: total}})
}

// Started reports whether a line was printed: an error after that is printed bare,
// before it as Docker's "Error response from daemon: ...".
func (p *progress) Started() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.started
}

// meter passes reads through and reports their running total as a bar, at most
// every progressEvery and once more at the end of the stream.
type meter struct {
	r          io.Reader
	p          *progress
	id, status string
	n, total   int64
	last       time.Time
}

func (p *progress) meter(r io.Reader, id, status string, total int64) io.Reader {
	if p.sink == nil {
		return r
	}
	p.bar(id, status, 0, total)
	return &meter{r: r, p: p, id: id, status: status, total: total, last: time.Now()}
}

func (m *meter) Read(b []byte) (int, error) {
	n, err := m.r.Read(b)
	m.n += int64(n)
	if err != nil || time.Since(m.last) >= progressEvery {
		m.last = time.Now()
		m.p.bar(m.id, m.status, min(m.n, m.total), m.total)
	}
	return n, err
}

// shortID is the 12 hex digits Docker shows for a layer.
func shortID(d digest.Digest) string {
	h := d.Encoded()
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
