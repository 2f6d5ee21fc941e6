package handlers

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// rateLimiter allows each key (a client address) at most n events in any window of a
// minute: it keeps the times of the last n events per key, so a refusal can say exactly
// when the oldest leaves the window. Keys with no event in the last minute are
// forgotten at the next sweep, so its memory is bounded by the keys active in one minute.
type rateLimiter struct {
	mu     sync.Mutex
	n      int
	window time.Duration
	now    func() time.Time
	hits   map[string][]time.Time
	swept  time.Time
	msg    func(key string) string // what a refusal says, before when to retry
}

func newRateLimiter(n int, now func() time.Time, msg func(key string) string) *rateLimiter {
	return &rateLimiter{n: n, window: time.Minute, now: now, hits: map[string][]time.Time{}, msg: msg}
}

// limitError is a refusal by a rateLimiter: a 429 whose message says when to retry.
type limitError struct {
	msg   string
	retry time.Duration
}

func (e *limitError) Error() string { return e.msg }

// Unwrap makes the refusal a 429 for status, with its message.
func (e *limitError) Unwrap() error { return &httpError{http.StatusTooManyRequests, e.msg} }

// take records an event for key, or refuses it (a *limitError) when key has had n in
// the last minute.
func (l *rateLimiter) take(key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.swept) >= l.window {
		for k, ts := range l.hits {
			if now.Sub(ts[len(ts)-1]) >= l.window {
				delete(l.hits, k)
			}
		}
		l.swept = now
	}
	ts := l.hits[key]
	for len(ts) > 0 && now.Sub(ts[0]) >= l.window {
		ts = ts[1:]
	}
	if len(ts) >= l.n {
		retry := ts[0].Add(l.window).Sub(now)
		return &limitError{
			msg:   fmt.Sprintf("%s: try again in %d s", l.msg(key), int(retry.Seconds()+0.999)),
			retry: retry,
		}
	}
	l.hits[key] = append(ts, now)
	return nil
}

// clientAddr is the address a limit per client counts: the connection's IP (a proxy's
// headers are not trusted: any client can send them), and for IPv6 its /64, the
// block one host is usually given.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
