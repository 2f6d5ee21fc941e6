package handlers

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// buildQueue is the server's bound on builds: at most slots run at once, the rest wait
// in one first-in-first-out queue that tells each its place, and a workspace starts
// at most perMinute builds in any minute. A build is CPU work on the machine the class
// shares: without the bound, thirty builds at once slow every one of them (and every
// page) to a crawl; with it, each runs at its usual speed in turn.
type buildQueue struct {
	slots     int
	perMinute int
	now       func() time.Time

	mu      sync.Mutex
	running int                    // slots held
	waiting []*queued              // in arrival order
	starts  map[string][]time.Time // per workspace: its starts in the last minute
	// drained is closed when the last waiting build leaves the queue (nil while none
	// waits): work that yields to builds waits on it (quiet).
	drained chan struct{}
}

// queued is a build waiting for a slot.
type queued struct {
	ws      string        // the workspace whose build it is ("" when not told)
	granted chan struct{} // closed when the slot is handed to it
	moved   chan struct{} // nudged (at most one pending) when the queue moves
}

func newBuildQueue(slots, perMinute int, now func() time.Time) *buildQueue {
	return &buildQueue{slots: max(slots, 1), perMinute: max(perMinute, 1), now: now, starts: map[string][]time.Time{}}
}

// allow counts a build workspace ws starts now, or refuses it (429) when ws started
// perMinute builds in the last minute, saying when it may start the next.
func (q *buildQueue) allow(ws string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now()
	if len(q.starts) > 4096 { // forget the workspaces that have not built for a minute
		for k, ts := range q.starts {
			if len(ts) == 0 || now.Sub(ts[len(ts)-1]) >= time.Minute {
				delete(q.starts, k)
			}
		}
	}
	ts := q.starts[ws]
	for len(ts) > 0 && now.Sub(ts[0]) >= time.Minute {
		ts = ts[1:]
	}
	if len(ts) >= q.perMinute {
		q.starts[ws] = ts
		wait := time.Minute - now.Sub(ts[0])
		secs := int((wait + time.Second - 1) / time.Second)
		return &httpError{http.StatusTooManyRequests, fmt.Sprintf(
			"this workspace started %d builds in the last minute, the server's limit (%d builds per minute): try again in %d s",
			len(ts), q.perMinute, secs)}
	}
	q.starts[ws] = append(ts, now)
	return nil
}

// acquire waits for a build slot, in turn, and returns the function that gives it
// back (call it once, when the build ends). While the build waits, notify gets a
// line for the student with its place (when it joins, when the place halves, and in
// the last three), and one when it starts. It fails
// only with ctx's error (the build was cancelled while it waited, or the server stops).
func (q *buildQueue) acquire(ctx context.Context, notify func(string)) (func(), error) {
	return q.acquireAs(ctx, "", notify)
}

// acquireAs is acquire for a build of workspace ws, which waitingOf then counts.
func (q *buildQueue) acquireAs(ctx context.Context, ws string, notify func(string)) (func(), error) {
	q.mu.Lock()
	if q.running < q.slots && len(q.waiting) == 0 {
		q.running++
		q.mu.Unlock()
		return q.releaser(), nil
	}
	me := &queued{ws: ws, granted: make(chan struct{}), moved: make(chan struct{}, 1)}
	q.waiting = append(q.waiting, me)
	if q.drained == nil {
		q.drained = make(chan struct{})
	}
	q.mu.Unlock()

	shown := 0
	for {
		q.mu.Lock()
		place := 0
		for i, w := range q.waiting {
			if w == me {
				place = i + 1
				break
			}
		}
		q.mu.Unlock()
		if place != 0 && tellPlace(shown, place) {
			shown = place
			runs := fmt.Sprintf("%d builds run", q.slots)
			if q.slots == 1 {
				runs = "1 build runs"
			}
			notify(fmt.Sprintf("[layerlab] waiting for a build slot: %s in the queue (%s at once on this server)",
				ordinal(place), runs))
		}
		select {
		case <-me.granted:
			notify("[layerlab] a build slot is free: the build starts")
			return q.releaser(), nil
		case <-me.moved:
		case <-ctx.Done():
			q.mu.Lock()
			select {
			case <-me.granted: // handed over meanwhile: pass it on
				q.mu.Unlock()
				q.releaser()()
			default:
				q.removeLocked(me)
				q.mu.Unlock()
			}
			return nil, fmt.Errorf("wait for a build slot: %w", ctx.Err())
		}
	}
}

// tellPlace says whether a waiting build last told it was shown-th (0: not yet) is
// told its place now: when it joins, each time the place halves, and each step of the
// last three. A build 100th in the queue is told about 8 times, not 100: every slot
// freed moves every waiting build, and each line is an event stored, sent and shown on
// a class's dashboard; told at each move, a long queue made work that grew with its
// square and slowed the very builds it was made of.
func tellPlace(shown, place int) bool {
	return place != shown && (shown == 0 || place <= 3 || place <= shown/2)
}

// waitingOf returns the places (1 = next) of workspace ws's builds waiting for a
// slot, in order; none when it has no build waiting. It only reads the queue (a class
// dashboard shows it).
func (q *buildQueue) waitingOf(ws string) []int {
	q.mu.Lock()
	defer q.mu.Unlock()
	var places []int
	for i, w := range q.waiting {
		if w.ws == ws && ws != "" {
			places = append(places, i+1)
		}
	}
	return places
}

// releaser returns the function that gives a slot back once: to the first waiting
// build if any (the slot passes on, still held), else to the pool.
func (q *buildQueue) releaser() func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			q.mu.Lock()
			defer q.mu.Unlock()
			if len(q.waiting) == 0 {
				q.running--
				return
			}
			next := q.waiting[0]
			q.waiting = q.waiting[1:]
			close(next.granted)
			q.nudgeLocked()
			q.drainedLocked()
		})
	}
}

func (q *buildQueue) removeLocked(me *queued) {
	for i, w := range q.waiting {
		if w == me {
			q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
			q.nudgeLocked()
			q.drainedLocked()
			return
		}
	}
}

// drainedLocked closes drained once no build waits.
func (q *buildQueue) drainedLocked() {
	if len(q.waiting) == 0 && q.drained != nil {
		close(q.drained)
		q.drained = nil
	}
}

// quiet returns a channel closed once no build waits for a slot (at once when none
// does). Work the builds should not compete with (a lesson's checks) waits on it.
func (q *buildQueue) quiet() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.drained == nil {
		return closedChan
	}
	return q.drained
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// nudgeLocked tells every waiting build that its place may have changed.
func (q *buildQueue) nudgeLocked() {
	for _, w := range q.waiting {
		select {
		case w.moved <- struct{}{}:
		default:
		}
	}
}

// ordinal is n as "1st", "2nd", "3rd", "4th", "11th", "22nd".
func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return fmt.Sprintf("%d%s", n, suffix)
}
