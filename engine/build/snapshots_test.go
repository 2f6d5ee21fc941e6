package build

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/rootfs"
)

// fsWith is a filesystem with one file of n bytes at name (own cost: 2 entries).
func fsWith(t *testing.T, base *rootfs.FS, name string, n int) *rootfs.FS {
	t.Helper()
	f := rootfs.New()
	if base != nil {
		f = base.Clone()
	}
	if err := f.WriteFile(name, rootfs.Bytes(make([]byte, n)), 0o644, 0, 0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestSnapCacheBytes: the snapshot cache is bounded in bytes (content plus entries),
// not in snapshots. At the bound a snapshot is kept, one byte past it is not; the least
// recently used go first; contents shared by snapshots count once.
func TestSnapCacheBytes(t *testing.T) {
	const max = 1 << 20
	own := int64(2 * entryCost) // the root and the file
	id := func(s string) digest.Digest { return digest.FromString(s) }
	tests := []struct {
		name string
		run  func(t *testing.T, c *snapCache)
	}{
		{name: "a snapshot of exactly the bound is kept", run: func(t *testing.T, c *snapCache) {
			c.put(id("a"), fsWith(t, nil, "f", max-int(own)))
			if _, ok := c.get(id("a")); !ok || c.bytes() != max {
				t.Fatalf("kept %v, %d bytes counted; want kept, %d", ok, c.bytes(), max)
			}
		}},
		{name: "a snapshot one byte past the bound is not", run: func(t *testing.T, c *snapCache) {
			c.put(id("a"), fsWith(t, nil, "f", max-int(own)+1))
			if _, ok := c.get(id("a")); ok || c.bytes() != 0 {
				t.Fatalf("kept %v, %d bytes counted; want neither", ok, c.bytes())
			}
		}},
		{name: "least recently used goes first", run: func(t *testing.T, c *snapCache) {
			c.put(id("a"), fsWith(t, nil, "f", max*4/10))
			c.put(id("b"), fsWith(t, nil, "f", max*4/10))
			c.get(id("a")) // a is now more recent than b
			c.put(id("c"), fsWith(t, nil, "f", max*4/10))
			_, a := c.get(id("a"))
			_, b := c.get(id("b"))
			_, cc := c.get(id("c"))
			if !a || b || !cc {
				t.Fatalf("a %v b %v c %v; want b evicted", a, b, cc)
			}
			if c.bytes() > max {
				t.Fatalf("%d bytes counted, past %d", c.bytes(), max)
			}
		}},
		{name: "shared content counts once, and is uncounted with its last holder", run: func(t *testing.T, c *snapCache) {
			a := fsWith(t, nil, "big", max/2)
			b := fsWith(t, a, "small", 10)
			c.put(id("a"), a)
			c.put(id("b"), b)
			if want := int64(max/2) + 10 + 2*own + entryCost; c.bytes() != want {
				t.Fatalf("%d bytes counted, want %d", c.bytes(), want)
			}
			c.put(id("x"), fsWith(t, nil, "f", max-int(own))) // evicts both
			if _, ok := c.get(id("a")); ok {
				t.Fatal("a kept")
			}
			if c.bytes() != max || len(c.data) != 1 {
				t.Fatalf("%d bytes, %d arrays counted; want %d, 1", c.bytes(), len(c.data), max)
			}
		}},
		{name: "many small snapshots are all kept", run: func(t *testing.T, c *snapCache) {
			for i := range 200 {
				c.put(id(fmt.Sprint(i)), fsWith(t, nil, "f", 100))
			}
			if len(c.m) != 200 {
				t.Fatalf("%d kept, want 200 (the bound is bytes, not a count)", len(c.m))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, newSnapCache(max)) })
	}
}

// TestSnapCacheConcurrent: builds share one cache; puts and gets from many goroutines
// keep the count within the bound and consistent with what is held.
func TestSnapCacheConcurrent(t *testing.T) {
	const max = 1 << 20
	c := newSnapCache(max)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			base := rootfs.New()
			for i := range 50 {
				f := base.Clone()
				f.WriteFile(fmt.Sprint("f", i), rootfs.Bytes(make([]byte, 20<<10)), 0o644, 0, 0, time.Time{})
				c.put(digest.FromString(fmt.Sprint(g, "/", i)), f)
				c.get(digest.FromString(fmt.Sprint((g+1)%8, "/", i)))
				base = f
			}
		}()
	}
	wg.Wait()
	if c.bytes() > max {
		t.Fatalf("%d bytes counted, past %d", c.bytes(), max)
	}
	var held int64
	seen := map[*byte]bool{}
	for el := c.lru.Front(); el != nil; el = el.Next() {
		it := el.Value.(*snapItem)
		held += it.own
		for _, p := range it.arrays {
			if !seen[p] {
				seen[p] = true
				held += c.data[p].size
			}
		}
	}
	if held != c.bytes() {
		t.Fatalf("count %d, but the held snapshots add up to %d", c.bytes(), held)
	}
}

// TestParseCacheBound: a Dockerfile's parse is kept for reuse up to maxParsedSource
// bytes of source, not past it.
func TestParseCacheBound(t *testing.T) {
	src := func(n int) []byte {
		s := "FROM busybox\nRUN true\n"
		return []byte(s + strings.Repeat("#", n-len(s)-1) + "\n")
	}
	tests := []struct {
		name string
		n    int
		kept bool
	}{
		{name: "at the bound", n: maxParsedSource, kept: true},
		{name: "one byte past it", n: maxParsedSource + 1, kept: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(nil, nil)
			if _, err := b.parse(src(tt.n)); err != nil {
				t.Fatal(err)
			}
			if kept := len(b.parsed) == 1; kept != tt.kept {
				t.Fatalf("kept %v, want %v", kept, tt.kept)
			}
		})
	}
}
