package remote

import (
	"archive/tar"
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
)

// collect gathers Progress messages (from several goroutines).
type collect struct {
	mu   sync.Mutex
	msgs []Message
}

func (c *collect) add(m Message) { c.mu.Lock(); c.msgs = append(c.msgs, m); c.mu.Unlock() }

// lines renders the messages without bars as the docker CLI prints them without a
// terminal.
func (c *collect) lines() string {
	var b strings.Builder
	for _, m := range c.msgs {
		switch {
		case m.Progress != nil:
		case m.ID != "":
			b.WriteString(m.ID + ": " + m.Status + "\n")
		default:
			b.WriteString(m.Status + "\n")
		}
	}
	return b.String()
}

// checkBars: every layer's bars count up to its total and end there, before the
// layer's next status.
func checkBars(t *testing.T, msgs []Message, status string, next map[string]bool) map[string]int64 {
	t.Helper()
	last := map[string]int64{}
	total := map[string]int64{}
	for _, m := range msgs {
		if m.Progress == nil {
			if next[m.Status] && last[m.ID] != total[m.ID] {
				t.Errorf("%s: %s after %d of %d bytes", m.ID, m.Status, last[m.ID], total[m.ID])
			}
			continue
		}
		if m.Status != status || m.ID == "" {
			t.Errorf("bar %+v", m)
		}
		if m.Progress.Current < last[m.ID] || m.Progress.Current > m.Progress.Total {
			t.Errorf("%s: bar went %d -> %d of %d", m.ID, last[m.ID], m.Progress.Current, m.Progress.Total)
		}
		last[m.ID], total[m.ID] = m.Progress.Current, m.Progress.Total
	}
	return total
}

func TestPullPushProgress(t *testing.T) {
	ctx := context.Background()
	reg := newMemRegistry()
	big := bytes.Repeat([]byte("layerlab "), 100_000)
	ti := newTestImage(t,
		mkTar(t, tf{name: "a.txt", body: big}),
		mkTar(t, tf{name: "b/", typ: tar.TypeDir}, tf{name: "b/c.txt", body: []byte("c\n")}))
	ti.publish(t, reg, "team/app", "1")
	ws := openStore(t)
	ref := mustRef(t, "127.0.0.1:5000/team/app:1")

	var out bytes.Buffer
	var c collect
	if _, err := Pull(ctx, ws, reg, ref, PullOptions{Out: &out, Progress: c.add}); err != nil {
		t.Fatal(err)
	}
	if got := c.lines(); got != out.String() {
		t.Errorf("messages without bars:\n%s\nprinted:\n%s", got, out.String())
	}
	if c.msgs[0].ID != "1" || c.msgs[0].Status != "Pulling from team/app" {
		t.Errorf("first message %+v, want Docker's {id: tag, status: Pulling from REPO}", c.msgs[0])
	}
	totals := checkBars(t, c.msgs, "Downloading", map[string]bool{"Verifying Checksum": true, "Download complete": true})
	for i, l := range ti.layers {
		if totals[shortID(l.Digest)] != l.Size {
			t.Errorf("layer %d: bar total %d, its blob is %d bytes", i, totals[shortID(l.Digest)], l.Size)
		}
	}

	// Push it to an empty registry: Pushing bars, then Pushed.
	out.Reset()
	c = collect{}
	if _, err := Push(ctx, ws, newMemRegistry(), ref, PushOptions{Out: &out, Progress: c.add}); err != nil {
		t.Fatal(err)
	}
	if got := c.lines(); got != out.String() {
		t.Errorf("push messages without bars:\n%s\nprinted:\n%s", got, out.String())
	}
	if totals := checkBars(t, c.msgs, "Pushing", map[string]bool{"Pushed": true}); len(totals) != 2 {
		t.Errorf("bars for %d layers, want 2", len(totals))
	}
}
