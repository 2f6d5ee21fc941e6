package sandbox

// Streaming input for the tools that need not hold their input whole (head, tail, wc,
// cat, tr, cut, grep, the checksums, base64, gzip): they read an operand as a stream,
// so its length has no bound but the step's time and output, and an endless device
// (/dev/zero, /dev/urandom) gives as much as the command asks. What a tool must hold
// (a line, tail's last lines) is bounded by maxStdin, past which the step fails with a
// line that names the bound (limitf): never a shorter input taken as whole.

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"strconv"
)

// streamChunk is the read size of the streaming tools: large enough that a pipe of
// hundreds of megabytes costs few system calls, small enough to hold per tool.
const streamChunk = 64 << 10

// stopped reports whether the run is stopping: its time ran out, a limit was hit or the
// build was cancelled. An input that ends then was cut by the stop (the writer of the
// pipe was stopped), not at its end, so a tool that prints a result of its whole input
// (tail, wc, sort, a checksum) must print nothing: it would be the answer for a
// shorter input, as `seq 1 1000000000 | tail -1` printed 1187464 at the time limit.
func (p *proc) stopped() bool { return p.ctx.Err() != nil || p.s.limitErr() != nil }

// openInput opens one operand for streaming: "-" is standard input, a device streams
// without end, a file streams its content.
func (p *proc) openInput(name string) (io.Reader, error) {
	if name == "-" {
		return p.stdin(), nil
	}
	ap := p.abs(name)
	if pseudo(ap) {
		return nil, &os.PathError{Op: "open", Path: ap, Err: errPerm}
	}
	return p.s.openRead(ap)
}

// streamInputs is inputs (lines.go) for the tools that stream: fn gets each operand as
// a reader ("-" or no operands: standard input); operands that cannot be opened are
// reported and make the exit code 1; fn returning false stops.
func (p *proc) streamInputs(files []string, fn func(name string, r io.Reader) bool) int {
	if len(files) == 0 {
		files = []string{"-"}
	}
	code := 0
	for _, f := range files {
		r, err := p.openInput(f)
		if err != nil {
			p.openErr(f, err)
			code = 1
			continue
		}
		if !fn(f, r) || p.stopped() {
			break
		}
	}
	return code
}

// errLineTooLong: a line past maxStdin (the step fails with limitf's line).
var errLineTooLong = errors.New("line longer than the sandbox holds")

// lineReader reads lines of a stream one at a time; a line is held whole, so it is
// bounded by maxStdin, past which the step fails naming the bound (a line-oriented tool
// cannot give its real answer for part of a line).
type lineReader struct {
	p    *proc
	br   *bufio.Reader
	buf  []byte
	held int64 // bytes of buf reserved against the memory budget
}

func (p *proc) newLineReader(r io.Reader) *lineReader {
	return &lineReader{p: p, br: bufio.NewReaderSize(r, streamChunk)}
}

// next returns the next line with its newline (the last line may lack one; its slice
// is valid until the next call). At the end of the input it returns io.EOF with no
// line; a read error or errLineTooLong (after limitf) ends the reading too.
func (l *lineReader) next() ([]byte, error) {
	l.buf = l.buf[:0]
	for {
		frag, err := l.br.ReadSlice('\n')
		if len(l.buf)+len(frag) > maxStdin {
			l.p.limitf("the sandbox holds at most %s of one line in memory, and this input has a longer line", humanBytes(maxStdin))
			return nil, errLineTooLong
		}
		if err == bufio.ErrBufferFull {
			if grow := int64(len(l.buf)+len(frag)) - l.held; grow > 0 {
				// a long line is held whole: the memory budget counts it first
				if l.p.hold(grow, "a line a command holds") != nil {
					return nil, errLineTooLong
				}
				l.held += grow
			}
			l.buf = append(l.buf, frag...)
			continue
		}
		if len(l.buf) == 0 && err == nil {
			return frag, nil // the common case: the line fits the reader's buffer
		}
		l.buf = append(l.buf, frag...)
		if len(l.buf) > 0 && (err == nil || err == io.EOF) {
			return l.buf, nil
		}
		if err == nil {
			err = io.EOF
		}
		return nil, err
	}
}

// eachLine streams the operands' lines ("-" or none: standard input) to fn, without
// their newlines (the slice is valid until fn returns); fn returning false stops. The
// exit code is 1 when an operand could not be opened or the reading stopped short (a
// line past maxStdin, the run's stop): a caller that prints a summary at the end (uniq
// -c's last count) checks p.stopped() first.
func (p *proc) eachLine(files []string, fn func(line []byte) bool) int {
	failed := false
	code := p.streamInputs(files, func(_ string, r io.Reader) bool {
		lr := p.newLineReader(r)
		for {
			line, err := lr.next()
			if err == io.EOF {
				return true
			}
			if err != nil {
				failed = true
				return false
			}
			if !fn(chomp(line)) {
				failed = failed || p.stopped()
				return false
			}
		}
	})
	if failed {
		return 1
	}
	return code
}

// bufferOut buffers p.out until the returned flush, which restores it: a tool that
// writes a line at a time would otherwise make a system call per line on a pipe (20 MB
// of short lines through cut took 40 s). The real tools buffer a pipe the same way.
func (p *proc) bufferOut() (flush func() error) {
	orig := p.out
	bw := bufio.NewWriterSize(orig, streamChunk)
	p.out = bw
	return func() error {
		p.out = orig
		return bw.Flush()
	}
}

// chomp drops a line's newline.
func chomp(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		return line[:n-1]
	}
	return line
}

// headTail are the parsed options of head and tail.
type headTail struct {
	n         int64
	bytesMode bool
	fromStart bool // tail -n +N: from line (byte) N on
	allBut    bool // head -n -N: all but the last N
	quiet     bool // -q: no "==> name <==" headers
	verbose   bool // -v: headers even for one operand
	files     []string
}

// parseHeadTail reads -n N, -c N (with +N, -N and size suffixes), --lines=, --bytes=,
// the obsolete -N, -q and -v. A count it cannot read is an error, as in the real tools:
// taking it as 0 would print nothing where the script asked for something.
func (p *proc) parseHeadTail() (headTail, bool) {
	o := headTail{n: 10}
	count := func(v string, bytes bool) bool {
		o.bytesMode = bytes
		o.fromStart, o.allBut = false, false
		switch {
		case len(v) > 0 && v[0] == '+':
			o.fromStart, v = p.name == "tail", v[1:]
		case len(v) > 0 && v[0] == '-':
			o.allBut, v = p.name == "head", v[1:]
		}
		n, err := parseCount(v)
		if err != nil {
			what := "lines"
			if bytes {
				what = "bytes"
			}
			p.errf("%s", p.pick("invalid number '"+v+"'", "invalid number of "+what+": '"+v+"'"))
			return false
		}
		o.n = n
		return true
	}
	args := p.args
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			o.files = append(o.files, args[i+1:]...)
			return o, true
		case a == "-n" || a == "-c":
			if i+1 >= len(args) {
				p.errf("option requires an argument -- '%c'", a[1])
				return o, false
			}
			i++
			if !count(args[i], a == "-c") {
				return o, false
			}
		case len(a) > 2 && (a[:2] == "-n" || a[:2] == "-c"):
			if !count(a[2:], a[1] == 'c') {
				return o, false
			}
		case len(a) > 8 && a[:8] == "--lines=":
			if !count(a[8:], false) {
				return o, false
			}
		case len(a) > 8 && a[:8] == "--bytes=":
			if !count(a[8:], true) {
				return o, false
			}
		case len(a) > 1 && a[0] == '-' && a[1] >= '0' && a[1] <= '9':
			if !count(a[1:], false) {
				return o, false
			}
		case a == "-q" || a == "--quiet" || a == "--silent":
			o.quiet, o.verbose = true, false
		case a == "-v" || a == "--verbose":
			o.verbose, o.quiet = true, false
		case a == "-f" || a == "-F" || a == "--follow":
			// the sandbox's files never grow after the command: tail -f prints and ends
		case len(a) > 1 && a[0] == '-' && a != "-":
			p.errf("invalid option -- '%s'", a[1:])
			return o, false
		default:
			o.files = append(o.files, a)
		}
	}
	return o, true
}

// parseCount reads head's and tail's counts: digits with an optional multiplier (b 512,
// kB 1000, K or KiB 1024, MB, M or MiB, GB, G or GiB), as GNU coreutils reads them.
func parseCount(v string) (int64, error) {
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, errors.New("not a number")
	}
	mult := map[string]int64{"": 1, "b": 512, "kB": 1000, "K": 1 << 10, "k": 1 << 10, "KiB": 1 << 10,
		"MB": 1000 * 1000, "M": 1 << 20, "MiB": 1 << 20, "GB": 1000 * 1000 * 1000, "G": 1 << 30, "GiB": 1 << 30}[v[i:]]
	if mult == 0 {
		return 0, errors.New("unknown suffix")
	}
	n, err := strconv.ParseInt(v[:i], 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, errors.New("count too large")
	}
	return n * mult, nil
}

// eachHeadTail runs one operand at a time, with the "==> name <==" headers the real
// tools print when there are several (or -v).
func (p *proc) eachHeadTail(o headTail, fn func(r io.Reader) bool) int {
	files := o.files
	if len(files) == 0 {
		files = []string{"-"}
	}
	headers := (len(files) > 1 && !o.quiet) || o.verbose
	code, first := 0, true
	for _, name := range files {
		r, err := p.openInput(name)
		if err != nil {
			p.errf("%s", p.pick("can't open '"+name+"': "+errno(err), "cannot open '"+name+"' for reading: "+errno(err)))
			code = 1
			continue
		}
		if headers {
			label := name
			if name == "-" {
				label = "standard input"
			}
			if !first {
				io.WriteString(p.out, "\n")
			}
			io.WriteString(p.out, "==> "+label+" <==\n")
		}
		first = false
		if !fn(r) {
			return 1
		}
	}
	return code
}

func cmdHead(p *proc) int {
	o, ok := p.parseHeadTail()
	if !ok {
		return 1
	}
	return p.eachHeadTail(o, func(r io.Reader) bool { return p.headStream(r, o) })
}

func cmdTail(p *proc) int {
	o, ok := p.parseHeadTail()
	if !ok {
		return 1
	}
	return p.eachHeadTail(o, func(r io.Reader) bool { return p.tailStream(r, o) })
}

// headStream copies the first n lines (bytes) of r, reading only as far as needed, so
// `yes | head -n 1` ends and `head -c N /dev/urandom` gives N bytes whatever N is; a
// line is copied in pieces, never held whole. head -n -N (all but the last N) holds the
// last N lines (bytes), bounded by maxStdin.
func (p *proc) headStream(r io.Reader, o headTail) bool {
	if o.allBut {
		return p.allButLast(r, o)
	}
	if o.bytesMode {
		_, err := io.CopyN(p.out, r, o.n)
		return err == nil || err == io.EOF
	}
	br := bufio.NewReaderSize(r, streamChunk)
	for i := int64(0); i < o.n; {
		frag, err := br.ReadSlice('\n')
		if len(frag) > 0 {
			if _, werr := p.out.Write(frag); werr != nil {
				return false
			}
		}
		switch err {
		case nil:
			i++
		case bufio.ErrBufferFull:
		case io.EOF:
			return true
		default:
			return false
		}
	}
	return true
}

// allButLast is head -n -N and head -c -N: it writes what it reads, keeping back the
// last N lines (bytes), which the sandbox holds in memory up to maxStdin.
func (p *proc) allButLast(r io.Reader, o headTail) bool {
	if o.bytesMode {
		if o.n > maxStdin {
			p.limitf("the sandbox holds back at most %s for head -c -N; asked for %d bytes", humanBytes(maxStdin), o.n)
			return false
		}
		var held []byte
		buf := make([]byte, streamChunk)
		for {
			k, err := r.Read(buf)
			held = append(held, buf[:k]...)
			if over := int64(len(held)) - o.n; over > 0 {
				if _, werr := p.out.Write(held[:over]); werr != nil {
					return false
				}
				held = append(held[:0], held[over:]...)
			}
			if err == io.EOF {
				return true
			}
			if err != nil {
				return false
			}
		}
	}
	ring := newLineRing(p, o.n, "head -n -N")
	lr := p.newLineReader(r)
	for {
		line, err := lr.next()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
		if old, full := ring.push(line); full {
			if _, werr := p.out.Write(old); werr != nil {
				return false
			}
		}
		if ring.over() {
			return false
		}
	}
}

// tailStream is tail of one stream: from line (byte) N on it copies as it reads; the
// last N lines (bytes) it keeps as it reads (up to maxStdin), so the input's length
// does not matter. It prints nothing when the input ended because the run stopped
// (stopped): that end is not the input's.
func (p *proc) tailStream(r io.Reader, o headTail) bool {
	if o.fromStart {
		return p.tailFrom(r, o)
	}
	if o.bytesMode {
		if o.n > maxStdin {
			p.limitf("the sandbox keeps at most %s of the input for tail -c; asked for %d bytes", humanBytes(maxStdin), o.n)
			return false
		}
		ring := make([]byte, 0, min(o.n, streamChunk))
		buf := make([]byte, streamChunk)
		for {
			k, err := r.Read(buf)
			ring = append(ring, buf[:k]...)
			if int64(len(ring)) > o.n {
				ring = append(ring[:0], ring[int64(len(ring))-o.n:]...)
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return false
			}
		}
		if p.stopped() {
			return false
		}
		_, err := p.out.Write(ring)
		return err == nil
	}
	return p.tailLines(r, o.n)
}

// tailLines writes the last n lines of r. It keeps a window of the stream's end that
// holds at least those lines, trimmed as it grows (amortised, so a stream of millions
// of short lines costs a few copies), never more than twice maxStdin plus a chunk; the
// last n lines themselves past maxStdin fail the step naming the bound.
func (p *proc) tailLines(r io.Reader, n int64) bool {
	if n <= 0 {
		_, err := io.Copy(io.Discard, r)
		return err == nil
	}
	var win []byte
	var nl int64 // newlines in win
	trimAt := 1 << 20
	// trim drops whole lines from the front until win holds n newlines.
	trim := func() {
		if nl <= n {
			return
		}
		cut := 0
		for drop := nl - n; drop > 0; drop-- {
			cut += bytes.IndexByte(win[cut:], '\n') + 1
		}
		win = append(win[:0], win[cut:]...)
		nl = n
	}
	tooLong := func() bool {
		p.limitf("the sandbox keeps at most %s of the input for tail, and the last %d lines are longer", humanBytes(maxStdin), n)
		return false
	}
	var held int64 // bytes of win reserved against the memory budget
	buf := make([]byte, streamChunk)
	for {
		k, err := r.Read(buf)
		if grow := int64(len(win)+k) - held; grow > 0 {
			if p.hold(grow, "tail's window of the input") != nil {
				return false
			}
			held += grow
		}
		win = append(win, buf[:k]...)
		nl += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if len(win) >= trimAt {
			trim()
			if len(win) > 2*maxStdin {
				return tooLong()
			}
			trimAt = max(2*len(win), 1<<20)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return false
		}
	}
	trim()
	if nl == n && len(win) > 0 && win[len(win)-1] != '\n' {
		// n newlines and a last line without one: that is n+1 lines
		win = win[bytes.IndexByte(win, '\n')+1:]
	}
	if len(win) > maxStdin {
		return tooLong()
	}
	if p.stopped() {
		return false
	}
	_, err := p.out.Write(win)
	return err == nil
}

// tailFrom is tail -n +N and tail -c +N: skip to line (byte) N, copy the rest.
func (p *proc) tailFrom(r io.Reader, o headTail) bool {
	skip := max(o.n-1, 0)
	br := bufio.NewReaderSize(r, streamChunk)
	if o.bytesMode {
		if _, err := io.CopyN(io.Discard, br, skip); err != nil {
			return err == io.EOF
		}
	} else {
		for skip > 0 {
			_, err := br.ReadSlice('\n')
			if err == nil {
				skip--
				continue
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			return err == io.EOF
		}
	}
	_, err := io.Copy(p.out, br)
	return err == nil
}

// lineRing keeps the last n lines of a stream; the bytes it holds are bounded by
// maxStdin, past which over reports true after failing the step (limitf).
type lineRing struct {
	p     *proc
	tool  string
	n     int64
	ring  [][]byte
	start int   // ring[start] is the oldest line once the ring is full
	kept  int64 // bytes held
}

func newLineRing(p *proc, n int64, tool string) *lineRing {
	return &lineRing{p: p, tool: tool, n: n, ring: make([][]byte, 0, min(n, 1024))}
}

// push adds a copy of line; when the ring was full it returns the line that fell out.
func (l *lineRing) push(line []byte) ([]byte, bool) {
	if l.n <= 0 {
		return line, true
	}
	c := append([]byte(nil), line...)
	l.kept += int64(len(c))
	if int64(len(l.ring)) < l.n {
		l.ring = append(l.ring, c)
		return nil, false
	}
	old := l.ring[l.start]
	l.kept -= int64(len(old))
	l.ring[l.start] = c
	l.start = (l.start + 1) % len(l.ring)
	return old, true
}

// over reports (and fails the step, once) when the lines held pass maxStdin.
func (l *lineRing) over() bool {
	if l.kept <= maxStdin {
		return false
	}
	l.p.limitf("the sandbox keeps at most %s of the input for %s, and the last %d lines are longer", humanBytes(maxStdin), l.tool, l.n)
	return true
}
