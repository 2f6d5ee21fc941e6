package bufpipe

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"
)

// testPool is a chunk pool that reuses what comes back at once (the last chunk put is
// the next one got), poisons a chunk when it comes back, so that a chunk still read
// after it was given back shows as wrong bytes, and counts what is out.
type testPool struct {
	size int
	mu   sync.Mutex
	idle []*[]byte
	out  map[*[]byte]bool
	made int
	err  error // the first misuse
}

func newTestPool(size int) *testPool {
	return &testPool{size: size, out: map[*[]byte]bool{}}
}

func (t *testPool) Get() any {
	t.mu.Lock()
	defer t.mu.Unlock()
	var c *[]byte
	if n := len(t.idle); n > 0 {
		c, t.idle = t.idle[n-1], t.idle[:n-1]
	} else {
		b := make([]byte, 0, t.size)
		c = &b
		t.made++
	}
	t.out[c] = true
	return c
}

func (t *testPool) Put(x any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := x.(*[]byte)
	if !t.out[c] && t.err == nil {
		t.err = errors.New("a chunk came back that was not out (given back twice?)")
	}
	if cap(*c) != t.size && t.err == nil {
		t.err = fmt.Errorf("a chunk of %d bytes came back, want %d", cap(*c), t.size)
	}
	delete(t.out, c)
	full := (*c)[:cap(*c)]
	for i := range full {
		full[i] = 0xA5
	}
	t.idle = append(t.idle, c)
}

// outstanding is how many chunks are out, and the first misuse.
func (t *testPool) outstanding() (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.out), t.err
}

// writeAll writes src to p in pieces of the given sizes, in turn, then closes p's
// writing side with the first error, or nil.
func writeAll(p *Pipe, src []byte, pieces ...int) {
	for i := 0; len(src) > 0; i++ {
		k := min(pieces[i%len(pieces)], len(src))
		if _, err := p.Write(src[:k]); err != nil {
			p.CloseWrite(err)
			return
		}
		src = src[k:]
	}
	p.CloseWrite(nil)
}

// smallReader reads at most max bytes at a time.
type smallReader struct {
	r   io.Reader
	max int
}

func (s smallReader) Read(b []byte) (int, error) {
	if len(b) > s.max {
		b = b[:s.max]
	}
	return s.r.Read(b)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// What is written is read, in order and whole, however both sides slice it; then
// io.EOF. Every chunk goes back to the pool and the pipe never holds more than n+1.
func TestOrder(t *testing.T) {
	tests := []struct {
		n, size  int
		len      int
		pieces   []int
		readSize int
	}{
		{3, 128 << 10, 3<<20 + 12345, []int{100_000}, 7},
		{4, 1 << 20, 5<<20 + 1, []int{512, 3, 70_000, 2 << 20}, 32 << 10},
		{1, 7, 10_000, []int{1, 6, 7, 8, 13}, 5},
		{2, 16, 16 * 40, []int{16}, 16},              // exactly whole chunks
		{8, 128 << 10, 300 << 10, []int{1 << 20}, 1}, // one write, many chunks
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("n%d-size%d-len%d", tc.n, tc.size, tc.len), func(t *testing.T) {
			src := randomBytes(tc.len)
			pool := newTestPool(tc.size)
			p := newPipe(tc.n, tc.size, pool)
			go writeAll(p, src, tc.pieces...)
			got, err := io.ReadAll(smallReader{p, tc.readSize})
			if err != nil || !bytes.Equal(got, src) {
				t.Fatalf("read %d of %d bytes (equal %v): %v", len(got), len(src), bytes.Equal(got, src), err)
			}
			if n, err := p.Read(make([]byte, 10)); n != 0 || err != io.EOF {
				t.Errorf("a read after the end: %d, %v; want 0, io.EOF", n, err)
			}
			p.CloseRead(nil)
			if out, err := pool.outstanding(); out != 0 || err != nil {
				t.Errorf("%d chunks not given back; %v", out, err)
			}
			if pool.made > tc.n+1 {
				t.Errorf("the pipe took %d chunks; want at most %d", pool.made, tc.n+1)
			}
		})
	}
}

// An empty stream is io.EOF at once; a short one takes one chunk.
func TestEOF(t *testing.T) {
	pool := newTestPool(1 << 20)
	p := newPipe(4, 1<<20, pool)
	p.CloseWrite(nil)
	if n, err := p.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Errorf("empty pipe: %d, %v; want 0, io.EOF", n, err)
	}
	if pool.made != 0 {
		t.Errorf("an empty stream took %d chunks", pool.made)
	}

	p = newPipe(4, 1<<20, pool)
	p.Write([]byte("abc"))
	p.Write([]byte("def"))
	p.CloseWrite(nil)
	got, err := io.ReadAll(p)
	if string(got) != "abcdef" || err != nil {
		t.Errorf("got %q, %v", got, err)
	}
	if pool.made != 1 {
		t.Errorf("a 6-byte stream took %d chunks, want 1", pool.made)
	}
	if _, err := p.Write([]byte("x")); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("a write after CloseWrite: %v", err)
	}
	p.CloseWrite(errors.New("again")) // does nothing
	if n, err := p.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("a read after a second CloseWrite: %d, %v; want 0, io.EOF", n, err)
	}
}

// The writer's error reaches the reader after what was written, the bytes still in
// the writer's chunk included.
func TestWriterError(t *testing.T) {
	boom := errors.New("boom")
	src := randomBytes(3*64 + 10)
	pool := newTestPool(64)
	p := newPipe(2, 64, pool)
	go func() {
		p.Write(src)
		p.CloseWrite(boom)
	}()
	got, err := io.ReadAll(p)
	if !bytes.Equal(got, src) || !errors.Is(err, boom) {
		t.Errorf("got %d of %d bytes, %v; want them all, then boom", len(got), len(src), err)
	}
	if _, err := p.Read(make([]byte, 1)); !errors.Is(err, boom) {
		t.Errorf("a second read after the end: %v", err)
	}
	p.CloseRead(nil)
	if out, err := pool.outstanding(); out != 0 || err != nil {
		t.Errorf("%d chunks not given back; %v", out, err)
	}
}

// A reader that gives up stops a writer waiting on a full pipe, with the reader's
// error; later writes get it too, even with room in the writer's chunk, and later
// reads io.ErrClosedPipe.
func TestReaderError(t *testing.T) {
	for _, tc := range []struct {
		name      string
		give, get error
	}{
		{"error", errors.New("disk full"), nil},
		{"nil", nil, io.ErrClosedPipe},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.get
			if want == nil {
				want = tc.give
			}
			pool := newTestPool(128 << 10)
			p := newPipe(1, 128<<10, pool)
			done := make(chan error)
			go func() {
				_, err := p.Write(make([]byte, 3*128<<10))
				done <- err
			}()
			// Let the writer fill the pipe and wait (the test passes without it too).
			time.Sleep(10 * time.Millisecond)
			p.CloseRead(tc.give)
			select {
			case err := <-done:
				if !errors.Is(err, want) {
					t.Errorf("the waiting writer got %v, want %v", err, want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the writer is still waiting after CloseRead")
			}
			if n, err := p.Write([]byte("x")); n != 0 || !errors.Is(err, want) {
				t.Errorf("a later write: %d, %v; want 0, %v", n, err, want)
			}
			if _, err := p.Read(make([]byte, 1)); !errors.Is(err, io.ErrClosedPipe) {
				t.Errorf("a read after CloseRead: %v", err)
			}
			p.CloseWrite(nil)
			p.CloseRead(errors.New("again")) // does nothing
			if _, err := p.Write([]byte("x")); !errors.Is(err, io.ErrClosedPipe) {
				t.Errorf("a write after both closed: %v", err)
			}
			// A writer that lost the race between its send and CloseRead leaves its
			// chunk in the pipe, to the garbage collector: at most that one is lost.
			if out, err := pool.outstanding(); out > 1 || err != nil {
				t.Errorf("%d chunks not given back; %v", out, err)
			}
		})
	}
}

// A writer with room in its chunk learns that the reader is gone at its next write.
func TestWriteAfterCloseRead(t *testing.T) {
	pool := newTestPool(1 << 20)
	p := newPipe(4, 1<<20, pool)
	if _, err := p.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	p.CloseRead(boom)
	if n, err := p.Write([]byte("def")); n != 0 || !errors.Is(err, boom) {
		t.Errorf("write after CloseRead: %d, %v; want 0, boom", n, err)
	}
	p.CloseWrite(nil)
	if out, err := pool.outstanding(); out != 0 || err != nil {
		t.Errorf("%d chunks not given back; %v", out, err)
	}
}

// A reader that stops half way gives back what the pipe holds: a long stream after it
// takes no new chunks.
func TestReuseAfterEarlyStop(t *testing.T) {
	pool := newTestPool(1 << 10)
	for range 50 {
		p := newPipe(4, 1<<10, pool)
		done := make(chan struct{})
		go func() {
			defer close(done)
			writeAll(p, make([]byte, 100<<10), 1000)
		}()
		io.CopyN(io.Discard, p, 7<<10)
		p.CloseRead(nil)
		<-done
	}
	if _, err := pool.outstanding(); err != nil {
		t.Fatal(err)
	}
	// Each stop may leave one chunk to the garbage collector; the rest is reused.
	if max := 5 + 50; pool.made > max {
		t.Errorf("50 streams of 5 chunks at most took %d chunks, want at most %d", pool.made, max)
	}
}

// Pipes of one chunk size share a pool (New's), and their chunks have that size.
func TestSharedPool(t *testing.T) {
	if a, b := poolFor(4096), poolFor(4096); a != b || a == poolFor(8192) {
		t.Fatal("want one pool per chunk size")
	}
	c := poolFor(4096).Get().(*[]byte)
	if cap(*c) != 4096 {
		t.Errorf("a chunk of %d bytes from the pool of 4096", cap(*c))
	}
	poolFor(4096).Put(c)

	// Many pipes at once over the shared pool, each its own bytes: no chunk is used
	// by two pipes (the race detector, and the bytes, would show it).
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			src := randomBytes(1<<20 + i*1000)
			p := New(3, 4096)
			go writeAll(p, src, 1000+i, 5000)
			got, err := io.ReadAll(smallReader{p, 3000})
			p.CloseRead(nil)
			if err != nil || !bytes.Equal(got, src) {
				errs <- fmt.Errorf("pipe %d: read %d of %d bytes: %v", i, len(got), len(src), err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestNewPanics(t *testing.T) {
	for _, a := range [][2]int{{0, 1}, {1, 0}, {-1, 10}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%d, %d) did not panic", a[0], a[1])
				}
			}()
			New(a[0], a[1])
		}()
	}
}

// ContextReader reads until its context ends, then says why.
func TestContextReader(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := ContextReader(ctx, bytes.NewReader([]byte("abcdef")))
	b := make([]byte, 3)
	if n, err := r.Read(b); n != 3 || err != nil || string(b) != "abc" {
		t.Fatalf("read %q, %v", b[:n], err)
	}
	cancel()
	if n, err := r.Read(b); n != 0 || !errors.Is(err, context.Canceled) {
		t.Errorf("after cancel: %d, %v", n, err)
	}

	// It stops a copy of an endless stream.
	ctx, cancel = context.WithCancel(context.Background())
	reads := 0
	endless := readerFunc(func(b []byte) (int, error) {
		if reads++; reads == 100 {
			cancel()
		}
		return len(b), nil
	})
	if _, err := io.Copy(io.Discard, ContextReader(ctx, endless)); !errors.Is(err, context.Canceled) {
		t.Errorf("copy: %v", err)
	}
	if reads != 100 {
		t.Errorf("%d reads, want 100", reads)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(b []byte) (int, error) { return f(b) }
