package handlers

import (
	"fmt"
	"net/http"
	"sync"
)

// broadcaster fans build events out to the websocket clients watching each build (the
// "hub" of gorilla/websocket's chat example; in layerlab, "hub" is the registry). Only
// the broadcaster's goroutine touches the topic map; publishers and clients talk to it
// through channels that also select on done, so nothing blocks once it has stopped. A
// client too slow to take an event is dropped (its channel closed, by the broadcaster
// only): it catches up from the store, and the build never waits.
//
// It also counts the open event streams (watchers), per build and per workspace, so
// that watching cannot be multiplied without bound.
type broadcaster struct {
	sub    chan *client
	unsub  chan *client
	pub    chan event
	done   chan struct{}
	closed sync.Once
	wg     sync.WaitGroup

	mu           sync.Mutex
	perBuild     map[string]int // open watchers by build ID
	perWorkspace map[string]int // open watchers by workspace name
}

// event is a run of consecutive stored build events on their way to clients, as the
// build's writer stored them in one chunk: data[i] is the JSON of event first+i, one
// websocket message as the browser receives it. Clients buffer runs, not single
// events, so a burst of log lines is one entry of a client's buffer.
type event struct {
	build string
	first int64
	data  [][]byte
	last  bool // the run ends with build.done or build.failed: nothing follows
}

// client is one websocket's subscription to a build.
type client struct {
	build string
	send  chan event // closed by the broadcaster when the client is dropped or it stops
}

// clientBuffer bounds the runs of events a client may fall behind before it is
// dropped. A run holds at most about db.ChunkBytes of events (64 KiB), so what a
// client that never reads keeps alive is at most about 4 MiB, and those runs are the
// same slices every client of the build holds.
const clientBuffer = 64

func newBroadcaster() *broadcaster {
	h := &broadcaster{sub: make(chan *client), unsub: make(chan *client), pub: make(chan event, 64), done: make(chan struct{}),
		perBuild: map[string]int{}, perWorkspace: map[string]int{}}
	h.wg.Add(1)
	go h.run()
	return h
}

func (h *broadcaster) run() {
	defer h.wg.Done()
	topics := map[string]map[*client]struct{}{}
	drop := func(c *client) {
		if cs, ok := topics[c.build]; ok {
			if _, ok := cs[c]; ok {
				delete(cs, c)
				close(c.send)
				if len(cs) == 0 {
					delete(topics, c.build)
				}
			}
		}
	}
	for {
		select {
		case c := <-h.sub:
			if topics[c.build] == nil {
				topics[c.build] = map[*client]struct{}{}
			}
			topics[c.build][c] = struct{}{}
		case c := <-h.unsub:
			drop(c)
		case e := <-h.pub:
			for c := range topics[e.build] {
				select {
				case c.send <- e:
				default:
					drop(c) // too slow: it catches up from the store
				}
			}
		case <-h.done:
			for _, cs := range topics {
				for c := range cs {
					close(c.send)
				}
			}
			return
		}
	}
}

// subscribe registers a client for a build's events; nil once the broadcaster has stopped.
func (h *broadcaster) subscribe(build string) *client {
	c := &client{build: build, send: make(chan event, clientBuffer)}
	select {
	case h.sub <- c:
		return c
	case <-h.done:
		return nil
	}
}

// unsubscribe removes a client; its channel is closed by the broadcaster.
func (h *broadcaster) unsubscribe(c *client) {
	select {
	case h.unsub <- c:
	case <-h.done:
	}
}

// publish hands a run of events to the broadcaster; it returns at once when it has stopped.
func (h *broadcaster) publish(e event) {
	select {
	case h.pub <- e:
	case <-h.done:
	}
}

func (h *broadcaster) close() {
	h.closed.Do(func() { close(h.done) })
	h.wg.Wait()
}

// watch counts one more open event stream (a websocket or a replay) of a build of a
// workspace, or refuses it (429) when the build already has perBuild of them or the
// workspace perWorkspace. Call release when the stream ends. The check comes before
// anything is read or upgraded, so a refused watcher costs nothing.
func (h *broadcaster) watch(workspace, build string, perBuild, perWorkspace int) (release func(), err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.perBuild[build] >= perBuild {
		return nil, &httpError{http.StatusTooManyRequests, fmt.Sprintf(
			"too many watchers of this build: the limit is %d open event streams (pages, replays) per build; close another tab watching it and reload", perBuild)}
	}
	if h.perWorkspace[workspace] >= perWorkspace {
		return nil, &httpError{http.StatusTooManyRequests, fmt.Sprintf(
			"too many watchers in this workspace: the limit is %d open event streams (pages, replays) per workspace; close other tabs of this playground and reload", perWorkspace)}
	}
	h.perBuild[build]++
	h.perWorkspace[workspace]++
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if h.perBuild[build]--; h.perBuild[build] <= 0 {
				delete(h.perBuild, build)
			}
			if h.perWorkspace[workspace]--; h.perWorkspace[workspace] <= 0 {
				delete(h.perWorkspace, workspace)
			}
		})
	}, nil
}
