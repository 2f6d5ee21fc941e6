package handlers

import (
	"strings"
	"testing"
	"time"

	"layerlab/engine/build"
)

// A client that never reads is dropped once its buffer is full; publishing never
// waits for it, and a reading client of the same build gets every event.
func TestHubDropsSlowClients(t *testing.T) {
	h := newHub()
	defer h.close()
	slow := h.subscribe("b1")
	fast := h.subscribe("b1")
	got := make(chan int)
	go func() {
		n := 0
		for range fast.send {
			n++
		}
		got <- n
	}()
	const events = 5 * clientBuffer
	done := make(chan struct{})
	go func() {
		for i := 1; i <= events; i++ {
			h.publish(event{build: "b1", seq: int64(i), data: []byte("{}")})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("publishing blocked on a client that does not read")
	}
	n := 0
	for range slow.send { // closed by the hub when dropped
		n++
	}
	if n != clientBuffer {
		t.Errorf("slow client got %d events before being dropped, want its buffer (%d)", n, clientBuffer)
	}
	h.unsubscribe(fast)
	if n := <-got; n < clientBuffer {
		t.Errorf("reading client got %d events", n)
	}
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
	start := time.Now()
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
	if !cancelled || last.Type != build.EventBuildFailed || !strings.Contains(last.Error, "cancel") {
		t.Fatalf("last event %+v; want build.failed saying it was cancelled", last)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancel took %v", d)
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
