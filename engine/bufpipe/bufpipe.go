// Package bufpipe has a pipe with a buffer, for a producer and a consumer that should
// run on different cores: io.Pipe has no buffer, so its writer waits for every read
// and the two take turns. Here the writer goes on while up to n chunks wait for the
// reader. The archive loader uses it between the tar scanner and the store, a push
// between the tar reader, the compressor and the hub's store.
//
// It also has ContextReader, which stops such long copies when their context ends.
package bufpipe

import (
	"context"
	"io"
	"sync"
)

// Pipe is a buffered pipe for one writer and one reader. Write and CloseWrite belong
// to the writer, Read and CloseRead to the reader: each side is used by one goroutine
// at a time, and the two sides may run at the same time.
//
// Written bytes are gathered into chunks; the reader gets a chunk when it is full or
// when the writer closes. That suits a stream read to its end (a layer, a blob), not a
// conversation: a reader waiting for a short message would wait for the chunk to fill.
//
// Chunks are taken as needed (a short stream takes one) from a pool shared by all
// pipes of the same chunk size, and go back to it when the reader reaches the end or
// closes (the few still on their way when a side stops early are left to the garbage
// collector). A push of a big image goes through thousands of chunks but holds few.
type Pipe struct {
	full chan *[]byte  // filled chunks, in order; closed by CloseWrite
	free chan *[]byte  // chunks the reader is done with, for the writer
	done chan struct{} // closed by CloseRead
	pool chunkPool
	max  int // chunks the pipe may hold at once

	// The writer's side.
	fill    *[]byte // the chunk being filled
	taken   int     // chunks taken from the pool, at most max
	wclosed bool
	werr    error // what the reader gets after the last chunk; set before full closes

	// The reader's side.
	cur     []byte  // the unread rest of the chunk being read
	buf     *[]byte // the chunk being read, to give back
	rclosed bool
	rerr    error // what the writer gets once the reader is gone; set before done closes
}

// New returns a pipe whose writer may run up to n chunks of size bytes ahead of its
// reader: it holds at most n+1 chunks, the one being read included. n and size must
// be positive.
func New(n, size int) *Pipe {
	if n < 1 || size < 1 {
		panic("bufpipe: New needs n >= 1 and size >= 1")
	}
	return newPipe(n, size, poolFor(size))
}

func newPipe(n, size int, pool chunkPool) *Pipe {
	return &Pipe{
		full: make(chan *[]byte, n),
		free: make(chan *[]byte, n+1), // never full: the pipe holds at most n+1 chunks
		done: make(chan struct{}),
		pool: pool,
		max:  n + 1,
	}
}

// Write copies b into the pipe's chunks, waiting for the reader when all of them are
// in use. Once the reader has closed its side, Write returns the error CloseRead was
// given; after CloseWrite it returns io.ErrClosedPipe.
func (p *Pipe) Write(b []byte) (int, error) {
	if p.wclosed {
		return 0, io.ErrClosedPipe
	}
	if p.readerGone() {
		return 0, p.rerr
	}
	n := 0
	for len(b) > 0 {
		if p.fill == nil {
			c, err := p.chunk()
			if err != nil {
				return n, err
			}
			p.fill = c
		}
		f := *p.fill
		k := copy(f[len(f):cap(f)], b)
		*p.fill = f[:len(f)+k]
		b, n = b[k:], n+k
		if len(*p.fill) == cap(*p.fill) {
			if err := p.send(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// chunk is an empty chunk for the writer: one the reader gave back, else a new one
// from the pool while the pipe holds fewer than max, else the next one the reader
// gives back.
func (p *Pipe) chunk() (*[]byte, error) {
	var c *[]byte
	select {
	case c = <-p.free:
	default:
		if p.taken < p.max {
			p.taken++
			c = p.pool.Get().(*[]byte)
			break
		}
		select {
		case c = <-p.free:
		case <-p.done:
			return nil, p.rerr
		}
	}
	*c = (*c)[:0]
	return c, nil
}

// send hands the chunk being filled to the reader; when the reader is gone the chunk
// goes back to the pool.
func (p *Pipe) send() error {
	select {
	case p.full <- p.fill:
		p.fill = nil
		return nil
	case <-p.done:
		p.pool.Put(p.fill)
		p.fill = nil
		return p.rerr
	}
}

func (p *Pipe) readerGone() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// CloseWrite ends the stream: the reader gets what was written, then err, or io.EOF
// when err is nil. It may wait for the reader to take the last chunk (or to close its
// side). Later calls do nothing.
func (p *Pipe) CloseWrite(err error) {
	if p.wclosed {
		return
	}
	p.wclosed = true
	if p.fill != nil {
		if len(*p.fill) > 0 && !p.readerGone() {
			p.send() // an error only means the reader is gone: nothing to tell it
		}
		if p.fill != nil {
			p.pool.Put(p.fill)
			p.fill = nil
		}
	}
	p.werr = err
	close(p.full)
}

// Read copies buffered bytes into b, waiting for the writer when there are none. After
// the last of them it returns the error CloseWrite was given, or io.EOF; after
// CloseRead, io.ErrClosedPipe.
func (p *Pipe) Read(b []byte) (int, error) {
	if p.rclosed {
		return 0, io.ErrClosedPipe
	}
	for len(p.cur) == 0 {
		if p.buf != nil {
			p.free <- p.buf // never blocks: the pipe holds at most cap(free) chunks
			p.buf = nil
		}
		c, ok := <-p.full
		if !ok {
			// The writer is done: its spare chunks go back for other pipes.
			p.release()
			if p.werr != nil {
				return 0, p.werr
			}
			return 0, io.EOF
		}
		p.buf, p.cur = c, *c
	}
	k := copy(b, p.cur)
	p.cur = p.cur[k:]
	return k, nil
}

// CloseRead stops the reader's side: the writer's waiting and later writes return
// err (io.ErrClosedPipe when nil), later reads io.ErrClosedPipe. The chunks the pipe
// holds go back to the pool. Later calls do nothing.
func (p *Pipe) CloseRead(err error) {
	if p.rclosed {
		return
	}
	p.rclosed = true
	if err == nil {
		err = io.ErrClosedPipe
	}
	p.rerr = err
	close(p.done)
	p.cur = nil
	if p.buf != nil {
		p.pool.Put(p.buf)
		p.buf = nil
	}
	p.release()
	for {
		select {
		case c, ok := <-p.full:
			if !ok {
				return
			}
			p.pool.Put(c)
		default:
			return
		}
	}
}

// release gives the chunks the reader gave back, and the writer did not take again,
// to the pool.
func (p *Pipe) release() {
	for {
		select {
		case c := <-p.free:
			p.pool.Put(c)
		default:
			return
		}
	}
}

// chunkPool is where a pipe's chunks come from and go back to: a *sync.Pool of
// *[]byte, whose capacity is the chunk size.
type chunkPool interface {
	Get() any
	Put(any)
}

// pools has one *sync.Pool per chunk size.
var pools sync.Map

func poolFor(size int) *sync.Pool {
	if p, ok := pools.Load(size); ok {
		return p.(*sync.Pool)
	}
	p, _ := pools.LoadOrStore(size, &sync.Pool{New: func() any {
		b := make([]byte, 0, size)
		return &b
	}})
	return p.(*sync.Pool)
}

// ContextReader returns a reader that reads from r until ctx is done, then returns
// ctx.Err(). It looks at ctx before each Read, so it stops a long copy between two
// reads; it does not interrupt a Read that is waiting.
func ContextReader(ctx context.Context, r io.Reader) io.Reader {
	return contextReader{ctx, r}
}

type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}
