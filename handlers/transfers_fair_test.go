package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"layerlab/remote"
)

// TestTransferSlotsFair: with 4 slots and 2 per workspace, a workspace's second
// transfer takes a slot only while more than a quarter are free; a workspace with
// none running gets a free slot even while others wait; a freed slot goes to the
// waiting workspace that runs the fewest; a third transfer of one workspace is
// refused (429) naming the limit; a waiting transfer is told its place and can be
// cancelled.
func TestTransferSlotsFair(t *testing.T) {
	ts := newTransfers(time.Now)
	ts.slots, ts.perWorkspace = 4, 2
	t.Cleanup(func() { ts.close(context.Background()) })
	type job struct {
		t       *transfer
		started chan struct{}
		finish  chan struct{}
	}
	start := func(ws string) *job {
		t.Helper()
		j := &job{started: make(chan struct{}), finish: make(chan struct{})}
		tr, err := ts.start(ws, "pull", "x", "docker pull x", "library/x", func(ctx context.Context, _ func(remote.Message)) error {
			close(j.started)
			select {
			case <-j.finish:
			case <-ctx.Done():
				return ctx.Err()
			}
			return nil
		})
		if err != nil {
			t.Fatalf("start a transfer of %s: %v", ws, err)
		}
		j.t = tr
		return j
	}
	running := func(j *job) bool {
		select {
		case <-j.started:
			return true
		case <-time.After(50 * time.Millisecond):
			return false
		}
	}
	mustRun := func(name string, j *job) {
		t.Helper()
		select {
		case <-j.started:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s never started", name)
		}
	}
	a1, a2, b1 := start("a"), start("a"), start("b")
	mustRun("a's first", a1)
	mustRun("a's second (3 of 4 slots free)", a2)
	mustRun("b's first", b1)
	b2 := start("b") // 1 slot free, not more than a quarter: b has one already
	if running(b2) {
		t.Fatal("b's second took the last slot")
	}
	c1 := start("c") // none running: takes the last slot, past b2
	mustRun("c's first, while b's second waits", c1)
	d1 := start("d")
	if running(d1) {
		t.Fatal("d's first ran with every slot held")
	}
	if _, err := ts.start("a", "pull", "x", "docker pull x", "library/x", nil); err == nil {
		t.Fatal("a's third transfer was accepted")
	} else if code, msg, _ := status(err); code != http.StatusTooManyRequests || !strings.Contains(msg, "limit per workspace (2)") {
		t.Errorf("a's third: %d %q", code, msg)
	}
	if snap := b2.t.snapshot(); !strings.Contains(snap.Output, "waiting for a transfer slot: 1st in the queue (4 pulls and pushes run at once") {
		t.Errorf("b's waiting transfer says %q", snap.Output)
	}
	close(a1.finish) // d runs none, b runs one: d goes first
	mustRun("d's first, after a slot freed", d1)
	if running(b2) {
		t.Fatal("b's second took the slot d was owed")
	}
	b2.t.cancel()
	for deadline := time.Now().Add(10 * time.Second); b2.t.end() == nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the cancelled waiting transfer never ended")
		}
	}
	if e := b2.t.end(); !e.Canceled {
		t.Errorf("the cancelled waiting transfer ended %+v", e)
	}
	for _, j := range []*job{a2, b1, c1, d1} {
		close(j.finish)
	}
}
