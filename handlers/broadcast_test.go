package handlers

import (
	"slices"
	"strings"
	"testing"
	"time"

	"layerlab/engine/build"
)

// A client that never reads is dropped once its buffer is full, having got the
// buffer's worth of events in order, and publishing never waits for it. A client that
// keeps up (here paced: never more than half a buffer behind, which is all the
// broadcaster promises a reader; one that falls a whole buffer behind is dropped too and replays
// from the store) gets every event, in order, none missing.
func TestBroadcastDropsSlowClients(t *testing.T) {
	h := newBroadcaster()
	defer h.close()
	slow := h.subscribe("b1")
	fast := h.subscribe("b1")
	const (
		events = 5 * clientBuffer
		batch  = clientBuffer / 2 // how far the publisher lets the reading client fall behind
	)
	acked := make(chan int64) // the reading client has got this seq, a multiple of batch
	got := make(chan []int64)
	go func() {
		var seqs []int64
		for e := range fast.send {
			seqs = append(seqs, e.first)
			if e.first%batch == 0 {
				acked <- e.first
			}
		}
		got <- seqs
	}()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; i <= events; i++ {
			h.publish(event{build: "b1", first: int64(i), data: [][]byte{[]byte("{}")}})
			if i%batch == 0 {
				if seq := <-acked; seq != int64(i) {
					t.Errorf("reading client acknowledged %d after %d were published", seq, i)
					return
				}
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("publishing blocked on a client that does not read")
	}
	var slowSeqs []int64
	for e := range slow.send { // closed by the broadcaster when dropped
		slowSeqs = append(slowSeqs, e.first)
	}
	if !slices.Equal(slowSeqs, seqRange(clientBuffer)) {
		t.Errorf("slow client got %d events (%v...) before being dropped, want 1..%d", len(slowSeqs), slowSeqs[:min(len(slowSeqs), 3)], clientBuffer)
	}
	h.unsubscribe(fast)
	if seqs := <-got; !slices.Equal(seqs, seqRange(events)) {
		t.Errorf("reading client got %d events, want all %d in order", len(seqs), events)
	}
}

// seqRange is 1..n.
func seqRange(n int) []int64 {
	s := make([]int64, n)
	for i := range s {
		s[i] = int64(i + 1)
	}
	return s
}

func TestCancelBuild(t *testing.T) {
	srv := newPGServer(t)
	b := newPGBrowser(t, srv)
	b.put("Dockerfile", "FROM busybox\nRUN echo start\nRUN while :; do :; done\n")
	var res struct {
		ID string `json:"id"`
	}
	if code := b.json("POST", "/api/builds", map[string]any{"tags": []string{"slow:1"}}, &res); code != 202 {
		t.Fatalf("start: %d", code)
	}
	conn, _, err := b.dial(res.ID, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(8 * time.Second))
	var last build.Event
	cancelled := false
	for {
		var e build.Event
		if err := conn.ReadJSON(&e); err != nil {
			break
		}
		last = e
		if e.Type == build.EventStepStarted && e.Step == 3 && !cancelled {
			var out map[string]string
			if code := b.json("POST", "/api/builds/"+res.ID+"/cancel", nil, &out); code != 202 {
				t.Fatalf("cancel: %d %v", code, out)
			}
			cancelled = true
		}
	}
	// Without the cancel the loop would end at the sandbox's 10 s time limit, after the
	// 8 s read deadline and with another error: the event's text tells the two apart.
	if !cancelled || last.Type != build.EventBuildFailed || !strings.Contains(last.Error, "cancel") {
		t.Fatalf("last event %+v; want build.failed saying it was cancelled", last)
	}
	var bj buildJSON
	b.json("GET", "/api/builds/"+res.ID, nil, &bj)
	if bj.State != "failed" || bj.Error != "cancelled" {
		t.Errorf("recorded %+v", bj)
	}
	if code := b.json("POST", "/api/builds/"+res.ID+"/cancel", nil, nil); code != 409 {
		t.Errorf("cancel of an ended build: %d, want 409", code)
	}
}
