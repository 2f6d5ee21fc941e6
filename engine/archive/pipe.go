package archive

import "io"

// blobPipe hands a layer's bytes from the scanner to the store's PutBlob through a few
// 1 MiB buffers (io.Pipe has none), so reading and checking the tar overlaps hashing
// and writing it: the two run on different cores.
type blobPipe struct {
	full chan []byte   // filled buffers, in order; closed by CloseWrite
	free chan []byte   // empty buffers
	done chan struct{} // closed by CloseRead
	fill []byte        // the buffer being filled (writer side)
	cur  []byte        // the rest of the buffer being read (reader side)
	buf  []byte        // the buffer cur points into
	made int           // buffers allocated, at most cap(free)
	werr error         // set before full is closed
	rerr error         // set before done is closed
}

const pipeChunk = 1 << 20

func newBlobPipe(n int) *blobPipe {
	return &blobPipe{full: make(chan []byte, n), free: make(chan []byte, n+1), done: make(chan struct{})}
}

// Write copies b into the buffers, waiting for a free one when all are full.
func (p *blobPipe) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		if p.fill == nil && p.made < cap(p.free) {
			// Buffers are made as needed: a small layer needs one.
			select {
			case p.fill = <-p.free:
			default:
				p.fill = make([]byte, 0, pipeChunk)
				p.made++
			}
		}
		if p.fill == nil {
			select {
			case p.fill = <-p.free:
			case <-p.done:
				return n, p.rerr
			}
		}
		k := copy(p.fill[len(p.fill):cap(p.fill)], b)
		p.fill = p.fill[:len(p.fill)+k]
		b, n = b[k:], n+k
		if len(p.fill) == cap(p.fill) {
			if err := p.flush(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func (p *blobPipe) flush() error {
	if len(p.fill) == 0 {
		return nil
	}
	select {
	case p.full <- p.fill:
		p.fill = nil
		return nil
	case <-p.done:
		return p.rerr
	}
}

// CloseWrite ends the stream: the reader gets io.EOF after the data when err is nil,
// else err (and the data not yet read is dropped). Call it once.
func (p *blobPipe) CloseWrite(err error) {
	if err == nil {
		err = p.flush()
	}
	p.werr = err
	close(p.full)
}

// Read returns buffered bytes, waiting for the writer when there are none.
func (p *blobPipe) Read(b []byte) (int, error) {
	for len(p.cur) == 0 {
		if p.buf != nil {
			p.free <- p.buf[:0] // never blocks: there are only cap(free) buffers
			p.buf = nil
		}
		c, ok := <-p.full
		if !ok {
			if p.werr != nil {
				return 0, p.werr
			}
			return 0, io.EOF
		}
		p.buf, p.cur = c, c
	}
	k := copy(b, p.cur)
	p.cur = p.cur[k:]
	return k, nil
}

// CloseRead stops the reader side: a writer waiting or writing later gets err
// (io.ErrClosedPipe when nil). Call it once.
func (p *blobPipe) CloseRead(err error) {
	if err == nil {
		err = io.ErrClosedPipe
	}
	p.rerr = err
	close(p.done)
}
