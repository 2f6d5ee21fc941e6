package handlers

import "sync"

// broadcaster fans build events out to the websocket clients watching each build (the
// "hub" of gorilla/websocket's chat example; in layerlab, "hub" is the registry). Only
// the broadcaster's goroutine touches the topic map; publishers and clients talk to it
// through channels that also select on done, so nothing blocks once it has stopped. A
// client too slow to take an event is dropped (its channel closed, by the broadcaster
// only): it reconnects with ?after=<seq> and replays from the store, and the build
// never waits.
type broadcaster struct {
	sub    chan *client
	unsub  chan *client
	pub    chan event
	done   chan struct{}
	closed sync.Once
	wg     sync.WaitGroup
}

// event is one stored build event on its way to clients.
type event struct {
	build string
	seq   int64
	data  []byte
	last  bool // build.done or build.failed: nothing follows
}

// client is one websocket's subscription to a build.
type client struct {
	build string
	send  chan event // closed by the broadcaster when the client is dropped or it stops
}

// clientBuffer bounds what a client may fall behind before it is dropped.
const clientBuffer = 256

func newBroadcaster() *broadcaster {
	h := &broadcaster{sub: make(chan *client), unsub: make(chan *client), pub: make(chan event, 64), done: make(chan struct{})}
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

// publish hands an event to the broadcaster; it returns at once when it has stopped.
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
