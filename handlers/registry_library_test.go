package handlers

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// libraryGet is an anonymous GET of a library/ manifest.
func libraryGet(t *testing.T, env *testEnv, name, tag string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, env.HTTP.URL+"/v2/library/"+name+"/manifests/"+tag, nil)
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return res, b.String()
}

// TestLibraryBudget: library/'s stand-ins are made once (a second GET adds nothing),
// kept within LibraryBytes by evicting the least recently pulled, never one pulled in
// the last 10 minutes (a new one is refused with 429 then), and an evicted tag is
// made again when asked for.
func TestLibraryBudget(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	env := newTestServer(t, func(d *Deps) { d.Now = clock; d.Limits.LibraryBytes = 1 })
	ctx := context.Background()
	bytes := func() int64 {
		t.Helper()
		n, err := env.Store.HubLibraryBytes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if res, body := libraryGet(t, env, "alpine", "3.19"); res.StatusCode != http.StatusOK {
		t.Fatalf("first stand-in: %d %s", res.StatusCode, body)
	}
	one := bytes()
	if one <= 1 {
		t.Fatalf("library/ holds %d bytes after a stand-in was made", one)
	}
	if res, _ := libraryGet(t, env, "alpine", "3.19"); res.StatusCode != http.StatusOK || bytes() != one {
		t.Fatalf("a second GET: %d, library/ went from %d to %d bytes", res.StatusCode, one, bytes())
	}
	// Over the budget with a tag pulled a moment ago: a new one is refused.
	res, body := libraryGet(t, env, "alpine", "3.20")
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "TOOMANYREQUESTS") || !strings.Contains(body, "budget") {
		t.Fatalf("a new stand-in past the budget: %d %s", res.StatusCode, body)
	}
	if bytes() != one {
		t.Errorf("the refused stand-in changed library/ from %d to %d bytes", one, bytes())
	}
	// Later, the old one is evicted to make room; then it is made again on demand.
	advance(11 * time.Minute)
	if res, body := libraryGet(t, env, "alpine", "3.20"); res.StatusCode != http.StatusOK {
		t.Fatalf("a new stand-in once the old is evictable: %d %s", res.StatusCode, body)
	}
	tags, err := env.Store.HubLibraryTags(ctx)
	if err != nil || len(tags) != 1 || tags[0].Repo != "library/alpine" || tags[0].Tag != "3.20" {
		t.Fatalf("library/ holds %+v (%v), want only alpine:3.20", tags, err)
	}
	advance(11 * time.Minute)
	if res, body := libraryGet(t, env, "alpine", "3.19"); res.StatusCode != http.StatusOK {
		t.Fatalf("the evicted stand-in, asked for again: %d %s", res.StatusCode, body)
	}
	if got := bytes(); got != one {
		t.Errorf("library/ holds %d bytes with alpine:3.19 alone, want %d", got, one)
	}
}

// TestLibraryMakesPerClient: one client address has at most libraryMakesPerMinute
// stand-ins made a minute (429 with Retry-After past it); those made are served.
func TestLibraryMakesPerClient(t *testing.T) {
	env := newTestServer(t)
	tags := []string{"3.16", "3.17", "3.18", "3.19", "3.20"}
	for i, tag := range tags[:libraryMakesPerMinute] {
		if res, body := libraryGet(t, env, "alpine", tag); res.StatusCode != http.StatusOK {
			t.Fatalf("stand-in %d (within the limit): %d %s", i+1, res.StatusCode, body)
		}
	}
	res, body := libraryGet(t, env, "alpine", tags[libraryMakesPerMinute])
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || !strings.Contains(body, "at most 4 stand-in images a minute") {
		t.Fatalf("one stand-in past the limit: %d %q %s", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
	if res, body := libraryGet(t, env, "alpine", tags[0]); res.StatusCode != http.StatusOK {
		t.Errorf("a stand-in made already, past the limit: %d %s", res.StatusCode, body)
	}
}
