package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBuildQueue: with 2 slots, 2 builds start at once; the others wait first in,
// first out, each told its place as it changes; a cancelled waiter leaves the queue
// and the slot passes on.
func TestBuildQueue(t *testing.T) {
	q := newBuildQueue(2, 100, time.Now)
	ctx := context.Background()
	r1, err := q.acquire(ctx, func(s string) { t.Errorf("the first build was told %q", s) })
	if err != nil {
		t.Fatal(err)
	}
	r2, err := q.acquire(ctx, func(s string) { t.Errorf("the second build (at the bound) was told %q", s) })
	if err != nil {
		t.Fatal(err)
	}

	type waiter struct {
		mu      sync.Mutex
		lines   []string
		release func()
		err     error
		done    chan struct{}
	}
	wait := func(ctx context.Context) *waiter {
		w := &waiter{done: make(chan struct{})}
		go func() {
			defer close(w.done)
			w.release, w.err = q.acquire(ctx, func(s string) { w.mu.Lock(); w.lines = append(w.lines, s); w.mu.Unlock() })
		}()
		return w
	}
	linesOf := func(w *waiter) []string { w.mu.Lock(); defer w.mu.Unlock(); return append([]string(nil), w.lines...) }
	until := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	w3 := wait(ctx)
	until("the third build's place", func() bool { return len(linesOf(w3)) == 1 })
	cctx, cancel := context.WithCancel(ctx)
	w4 := wait(cctx)
	until("the fourth build's place", func() bool { return len(linesOf(w4)) == 1 })
	w5 := wait(ctx)
	until("the fifth build's place", func() bool { return len(linesOf(w5)) == 1 })
	want := "[layerlab] waiting for a build slot: 1st in the queue (2 builds run at once on this server)"
	if got := linesOf(w3)[0]; got != want {
		t.Errorf("third build told %q, want %q", got, want)
	}
	if got := linesOf(w5)[0]; !strings.Contains(got, "3rd in the queue") {
		t.Errorf("fifth build told %q, want 3rd", got)
	}

	cancel() // the fourth leaves the queue: the fifth moves up
	<-w4.done
	if !errors.Is(w4.err, context.Canceled) || w4.release != nil {
		t.Errorf("cancelled waiter: %v", w4.err)
	}
	until("the fifth build moving up", func() bool { l := linesOf(w5); return len(l) == 2 && strings.Contains(l[1], "2nd") })

	r1() // the third starts (first in, first out), the fifth is 1st
	<-w3.done
	if w3.err != nil || !strings.Contains(linesOf(w3)[1], "a build slot is free") {
		t.Fatalf("third build: %v %q", w3.err, linesOf(w3))
	}
	until("the fifth build at the head", func() bool { l := linesOf(w5); return strings.Contains(l[len(l)-1], "1st") })
	select {
	case <-w5.done:
		t.Fatal("the fifth build started with both slots held")
	default:
	}
	r1() // a second call gives nothing back twice
	r2()
	<-w5.done
	if w5.err != nil {
		t.Fatal(w5.err)
	}
	w3.release()
	w5.release()
	if q.running != 0 || len(q.waiting) != 0 {
		t.Errorf("after every release: %d running, %d waiting", q.running, len(q.waiting))
	}
}

// TestBuildsPerMinute: a workspace starts its limit's number of builds in a minute,
// the next is refused (429) with when to retry, others are not, and a minute later
// it may start again.
func TestBuildsPerMinute(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	q := newBuildQueue(4, 3, func() time.Time { return now })
	for i := range 3 {
		if err := q.allow("alice"); err != nil {
			t.Fatalf("build %d (within the limit): %v", i+1, err)
		}
		now = now.Add(10 * time.Second)
	}
	err := q.allow("alice")
	code, msg, _ := status(err)
	if code != http.StatusTooManyRequests || !strings.Contains(msg, "3 builds per minute") || !strings.Contains(msg, "try again in 30 s") {
		t.Fatalf("the 4th build: %d %q", code, msg)
	}
	if err := q.allow("bob"); err != nil {
		t.Errorf("another workspace: %v", err)
	}
	now = now.Add(30 * time.Second)
	if err := q.allow("alice"); err != nil {
		t.Errorf("a minute after the first: %v", err)
	}
}

func TestOrdinal(t *testing.T) {
	tests := []struct {
		name string
		n    int
		want string
	}{
		{"one", 1, "1st"}, {"two", 2, "2nd"}, {"three", 3, "3rd"}, {"four", 4, "4th"},
		{"eleven", 11, "11th"}, {"twelve", 12, "12th"}, {"thirteen", 13, "13th"},
		{"twenty-one", 21, "21st"}, {"twenty-two", 22, "22nd"}, {"hundred and eleven", 111, "111th"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ordinal(tt.n); got != tt.want {
				t.Errorf("ordinal(%d) = %q, want %q", tt.n, got, tt.want)
			}
		})
	}
}

// TestQueuedBuild: on a server that runs one build at a time, a second workspace's
// build waits, its events say its place, and cancelling it ends it while it waits.
func TestQueuedBuild(t *testing.T) {
	env := newTestServer(t, func(d *Deps) { d.Limits.MaxBuilds = 1 })
	a, b := env.browser, env.newBrowser()
	busy := a.startBuild("FROM busybox\nRUN echo start\nRUN while :; do :; done\n")
	defer a.postJSON("/api/builds/"+busy+"/cancel", nil)
	id := b.startBuild("FROM busybox\nRUN echo queued\n")
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := b.get("/api/builds/" + id + "/events")
		if strings.Contains(r.Body, "waiting for a build slot: 1st in the queue (1 build runs at once on this server)") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queued build's events never said its place: %s", r.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.postJSON("/api/builds/"+id+"/cancel", nil).wantCode(http.StatusAccepted)
	if bj := b.waitBuild(id); bj.State != "failed" {
		t.Errorf("the cancelled queued build is %s, want failed", bj.State)
	}
}

// TestQueuePlacesHalve: a build far back in a long queue is told its place when it
// joins, when the place halves and in the last three, not at every move: each line is
// an event stored and sent, and every freed slot moves every waiting build.
func TestQueuePlacesHalve(t *testing.T) {
	q := newBuildQueue(1, 1000, time.Now)
	hold, err := q.acquire(context.Background(), func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	var mu sync.Mutex
	var lines []string
	var wg sync.WaitGroup
	releases := make(chan func(), n)
	for i := range n {
		wg.Add(1)
		notify := func(string) {}
		if i == n-1 {
			notify = func(l string) { mu.Lock(); lines = append(lines, l); mu.Unlock() }
		}
		go func() {
			defer wg.Done()
			r, err := q.acquire(context.Background(), notify)
			if err != nil {
				t.Error(err)
				return
			}
			releases <- r
		}()
		// In order: the next joins once this one waits.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			q.mu.Lock()
			k := len(q.waiting)
			q.mu.Unlock()
			if k == i+1 || time.Now().After(deadline) {
				break
			}
		}
	}
	hold()
	for range n {
		(<-releases)()
	}
	wg.Wait()
	// How many moves the waiter sees depends on the scheduler (a nudge it has not
	// taken yet stands for several), so the count is bounded, not exact: tellPlace's
	// sequence is checked exactly below.
	told := 0
	for _, l := range lines {
		if regexp.MustCompile(`\d+(st|nd|rd|th) in the queue`).MatchString(l) {
			told++
		}
	}
	if told < 1 || told > 9 {
		t.Errorf("the 40th build was told its place %d times, want 1 to 9 (40 20 10 5 3 2 1 at most): %q", told, lines)
	}
	var seq []string
	shown := 0
	for place := 40; place >= 1; place-- {
		if tellPlace(shown, place) {
			seq, shown = append(seq, fmt.Sprint(place)), place
		}
	}
	if got, want := strings.Join(seq, " "), "40 20 10 5 3 2 1"; got != want {
		t.Errorf("moving from 40th to 1st one place at a time, told %s, want %s", got, want)
	}
}

// TestBuildQueueQuiet: quiet is closed while no build waits for a slot, open while one
// does, and closes when the last waiting build leaves the queue, started or cancelled.
func TestBuildQueueQuiet(t *testing.T) {
	q := newBuildQueue(1, 100, time.Now)
	ctx := context.Background()
	isQuiet := func() bool {
		select {
		case <-q.quiet():
			return true
		default:
			return false
		}
	}
	if !isQuiet() {
		t.Fatal("an empty queue is not quiet")
	}
	release, err := q.acquire(ctx, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	if !isQuiet() {
		t.Fatal("a running build with none waiting: not quiet")
	}
	started := make(chan func())
	go func() {
		r, err := q.acquire(ctx, func(string) {})
		if err != nil {
			t.Error(err)
		}
		started <- r
	}()
	for deadline := time.Now().Add(10 * time.Second); isQuiet(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a waiting build did not make the queue busy")
		}
	}
	quiet := q.quiet()
	release()
	select {
	case <-quiet:
	case <-time.After(10 * time.Second):
		t.Fatal("quiet did not close when the waiting build started")
	}
	(<-started)()

	// A cancelled waiter leaves the queue quiet too.
	release, _ = q.acquire(ctx, func(string) {})
	cctx, cancel := context.WithCancel(ctx)
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		if _, err := q.acquire(cctx, func(string) {}); err == nil {
			t.Error("a cancelled wait got a slot")
		}
	}()
	for deadline := time.Now().Add(10 * time.Second); isQuiet(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second waiting build did not make the queue busy")
		}
	}
	cancel()
	<-gone
	if !isQuiet() {
		t.Fatal("the queue is not quiet after its only waiter was cancelled")
	}
	release()
}
