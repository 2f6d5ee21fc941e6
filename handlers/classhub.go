package handlers

import (
	"context"
	"errors"
	"sync"
	"time"

	"layerlab/db"
)

// The live side of the class dashboards (/teach/{class}, dashboard.go): what changed
// for which student, and the dashboards' websockets it goes to.
//
// classChanged is called from hot paths (the build runner's event writer calls it for
// every stored chunk that holds a step's start or end), so for a workspace in no class
// it costs a map lookup: the workspace's class is cached (classOf), filled by one
// db.MemberOf on first use and dropped by forgetMember when the class helper changes a
// membership. For a class with an open dashboard it marks the student dirty and nudges
// the class's room; the room's goroutine sends the dirty students' cards, recomputed
// from the store, at most every dashboardInterval, so a build that stores twenty
// chunks costs a dashboard one card update per interval, not twenty.

// dashboardInterval is the shortest time between two updates a dashboard gets: a build
// shows on it within this (plus the card's recompute), well within the second the
// issue asks for.
const dashboardInterval = 200 * time.Millisecond

// dashClientBuffer bounds the updates a dashboard may fall behind before it is
// dropped: it then gets every card again (a snapshot) when it is subscribed again.
const dashClientBuffer = 16

// maxClassOfCache bounds the cache of workspaces' classes: past it the cache is
// emptied and refills on use (one query per workspace that changes something).
const maxClassOfCache = 50_000

// classHub holds the class dashboards' live state. Only its mutex guards the maps; a
// dashboard client's send channel is closed only under it, once (dropClient).
type classHub struct {
	s    *Server
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup

	mu         sync.Mutex
	classOf    map[string]string     // workspace -> its class's id, "" for none
	forgets    uint64                // bumped by forgetMember: a lookup begun before it caches nothing
	afterRead  func()                // tests only: runs between lookupClass's read and its caching
	rooms      map[string]*classRoom // class id -> its open dashboards
	online     map[string]int        // workspace -> its open presence websockets (presence.go's part, dashboard.go)
	activity   map[string]time.Time  // workspace (in a class) -> the last change seen, "online" aside
	outcomes   map[string]cachedOutcome
	usage      map[string]cachedUsage
	dashboards map[string]int // class id -> its open dashboard websockets (watchClass)
}

// classRoom is one class's open dashboards and the students whose cards changed.
type classRoom struct {
	class   string
	nudge   chan struct{} // capacity 1: a pending nudge is enough
	stop    chan struct{} // closed (under classHub.mu) when its last dashboard leaves
	dirty   map[string]bool
	clients map[*dashClient]struct{}
}

// dashClient is one dashboard websocket's subscription.
type dashClient struct {
	room *classRoom
	send chan []byte // messages (JSON), closed by the hub when the client is dropped
}

// cachedOutcome is the outcome of a workspace's last finished build: a finished
// build's events never change, so a card recompute reads them once.
type cachedOutcome struct {
	build string
	o     *outcome
}

// cachedUsage is a workspace's storage use as last counted (StorageUsed costs
// milliseconds in a class's store): counted again when its last build changes state
// and the count is older than usageMinAge, on a "usage" change, or after usageMaxAge.
type cachedUsage struct {
	key   string // the last build's id and state when counted
	bytes int64
	at    time.Time
}

// usageMaxAge is how old a card's usage figure may be; usageMinAge how old it is before
// a new build of the student counts it again.
const (
	usageMaxAge = 30 * time.Second
	usageMinAge = 10 * time.Second
)

func newClassHub(s *Server) *classHub {
	return &classHub{s: s, done: make(chan struct{}), classOf: map[string]string{}, rooms: map[string]*classRoom{},
		online: map[string]int{}, activity: map[string]time.Time{}, outcomes: map[string]cachedOutcome{}, usage: map[string]cachedUsage{}, dashboards: map[string]int{}}
}

// classChanged tells the dashboards of the workspace's class that what they show of
// it changed (what: "build", "progress", "online", "usage", "files"). It never blocks
// on a dashboard, and for a workspace in no class it costs a map lookup (one
// db.MemberOf the first time the workspace is seen).
func (s *Server) classChanged(workspace, what string) {
	s.followChanged(workspace, what) // a teacher's workspace: the students following it (follow.go)
	s.classes.changed(workspace, what)
}

// forgetMember drops what the hub remembers of the workspace's class (call it when
// the workspace joins, leaves or is renamed): its old class's dashboards and its new
// one's get its card again.
func (s *Server) forgetMember(workspace string) {
	h := s.classes
	h.mu.Lock()
	old, had := h.classOf[workspace]
	delete(h.classOf, workspace)
	h.forgets++ // a lookup that read the store before this does not cache what it read
	delete(h.outcomes, workspace)
	delete(h.usage, workspace)
	if had && old != "" {
		h.markLocked(old, workspace)
	}
	h.mu.Unlock()
	h.changed(workspace, "member")
}

// changed marks the workspace's card dirty in its class's room, if one is open.
func (h *classHub) changed(workspace, what string) {
	class, ok := h.cachedClass(workspace)
	if !ok {
		class = h.lookupClass(workspace)
	}
	if class == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if what != "online" {
		h.activity[workspace] = h.s.now()
	}
	if what == "usage" {
		delete(h.usage, workspace)
	}
	h.markLocked(class, workspace)
}

func (h *classHub) cachedClass(workspace string) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.classOf[workspace]
	return c, ok
}

// lookupClass reads the workspace's class from the store and caches it. A store error
// is not cached: the next change asks again.
func (h *classHub) lookupClass(workspace string) string {
	if h.s.store == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h.mu.Lock()
	gen := h.forgets
	h.mu.Unlock()
	class := ""
	m, err := h.s.store.MemberOf(ctx, workspace)
	if h.afterRead != nil {
		h.afterRead() // tests: a join commits between the read and the cache
	}
	switch {
	case err == nil:
		class = m.Class
	case errors.Is(err, db.ErrNotFound):
	default:
		h.s.log.Error("class of workspace", "workspace", workspace, "err", err)
		return ""
	}
	h.mu.Lock()
	if len(h.classOf) >= maxClassOfCache {
		h.classOf = map[string]string{}
	}
	// A join or a removal committed while the store was read may not be in what was
	// read: then the answer is used once but not kept, and the next change asks again.
	if h.forgets == gen {
		h.classOf[workspace] = class
	}
	h.mu.Unlock()
	return class
}

func (h *classHub) markLocked(class, workspace string) {
	room := h.rooms[class]
	if room == nil {
		return
	}
	room.dirty[workspace] = true
	select {
	case room.nudge <- struct{}{}:
	default:
	}
}

// subscribe opens a dashboard of the class: the room starts with its first dashboard.
// nil once the hub has stopped.
func (h *classHub) subscribe(class string) *dashClient {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-h.done:
		return nil
	default:
	}
	room := h.rooms[class]
	if room == nil {
		room = &classRoom{class: class, nudge: make(chan struct{}, 1), stop: make(chan struct{}),
			dirty: map[string]bool{}, clients: map[*dashClient]struct{}{}}
		h.rooms[class] = room
		h.wg.Add(1)
		go h.run(room)
	}
	c := &dashClient{room: room, send: make(chan []byte, dashClientBuffer)}
	room.clients[c] = struct{}{}
	return c
}

// unsubscribe closes a dashboard; the room stops with its last one.
func (h *classHub) unsubscribe(c *dashClient) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.dropLocked(c)
}

func (h *classHub) dropLocked(c *dashClient) {
	room := c.room
	if _, ok := room.clients[c]; !ok {
		return
	}
	delete(room.clients, c)
	close(c.send)
	if len(room.clients) == 0 && h.rooms[room.class] == room {
		delete(h.rooms, room.class)
		close(room.stop)
	}
}

// run sends a room's dirty cards, at most every dashboardInterval, until its last
// dashboard leaves or the hub stops.
func (h *classHub) run(room *classRoom) {
	defer h.wg.Done()
	var last time.Time
	for {
		select {
		case <-room.nudge:
		case <-room.stop:
			return
		case <-h.done:
			return
		}
		if wait := dashboardInterval - time.Since(last); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-room.stop:
				t.Stop()
				return
			case <-h.done:
				t.Stop()
				return
			}
		}
		last = time.Now()
		h.flush(room)
	}
}

// flush recomputes the room's dirty cards and sends them to its dashboards; a
// dashboard whose buffer is full is dropped (it gets a snapshot when it comes back).
func (h *classHub) flush(room *classRoom) {
	h.mu.Lock()
	dirty := make([]string, 0, len(room.dirty))
	for ws := range room.dirty {
		dirty = append(dirty, ws)
	}
	clear(room.dirty)
	h.mu.Unlock()
	if len(dirty) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msg, err := h.s.cardsMessage(ctx, room.class, dirty)
	if err != nil {
		h.s.log.Error("class dashboard update", "class", room.class, "err", err)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range room.clients {
		select {
		case c.send <- msg:
		default:
			h.dropLocked(c)
		}
	}
}

// setOnline counts a presence websocket of workspace opening (+1) or closing (-1) and
// reports whether its online state changed.
func (h *classHub) setOnline(workspace string, delta int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	before := h.online[workspace]
	n := before + delta
	if n <= 0 {
		delete(h.online, workspace)
		n = 0
	} else {
		h.online[workspace] = n
	}
	return (before > 0) != (n > 0)
}

// presenceCount is the workspace's open presence websockets.
func (h *classHub) presenceCount(workspace string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.online[workspace]
}

// lastActivity is the last change the hub saw of workspace since the server started.
func (h *classHub) lastActivity(workspace string) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.activity[workspace]
}

// close stops the rooms and closes every dashboard's channel.
func (h *classHub) close() {
	h.once.Do(func() {
		h.mu.Lock()
		close(h.done)
		for _, room := range h.rooms {
			for c := range room.clients {
				delete(room.clients, c)
				close(c.send)
			}
		}
		h.rooms = map[string]*classRoom{}
		h.mu.Unlock()
	})
	h.wg.Wait()
}
