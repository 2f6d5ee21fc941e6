package sandbox

// Checksums and encodings: md5sum, sha1sum, sha256sum and sha512sum (with -c), base64.

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"io"
	"strconv"
	"strings"
)

// cmdSum is md5sum, sha1sum, sha256sum and sha512sum, with -c to check a list.
func cmdSum(p *proc) int {
	newHash := map[string]func() hash.Hash{"md5sum": md5.New, "sha1sum": sha1.New, "sha256sum": sha256.New, "sha512sum": sha512.New}[p.name]
	f := parseFlags(p.args, "")
	sum := func(b []byte) string { h := newHash(); h.Write(b); return hex.EncodeToString(h.Sum(nil)) }
	// Each input is hashed as it streams: any length, nothing held; a stream the run's
	// stop cut gets no sum (it would be the sum of a shorter input).
	sumOf := func(r io.Reader) (string, error) {
		h := newHash()
		if _, err := io.CopyBuffer(h, r, make([]byte, streamChunk)); err != nil {
			return "", err
		}
		if p.stopped() {
			return "", errTooLarge
		}
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	if !f.has('c', "check") {
		return p.streamInputs(f.args, func(name string, r io.Reader) bool {
			s, err := sumOf(r)
			if err != nil {
				if !p.stopped() {
					p.openErr(name, err)
					p.failed = true
				}
				return !p.stopped()
			}
			p.outf("%s  %s\n", s, name)
			return true
		}) | p.failCode()
	}
	quiet, status := f.has('q', "quiet"), f.has('s', "status")
	bad, missing, total, malformed := 0, 0, 0, 0
	code := p.inputs(f.args, func(list string, b []byte) bool {
		for _, line := range splitLines(b) {
			if strings.TrimSpace(line) == "" {
				continue
			}
			want, name, ok := strings.Cut(line, " ")
			name = strings.TrimPrefix(strings.TrimPrefix(name, " "), "*")
			if !ok || len(want) != len(sum(nil)) || name == "" {
				malformed++
				continue
			}
			total++
			var got string
			r, err := p.openInput(name)
			if err == nil {
				got, err = sumOf(r)
			}
			if p.stopped() {
				return false
			}
			if err != nil {
				missing++
				if !status {
					p.errf("%s", p.pick("can't open '"+name+"': "+errno(err), name+": "+errno(err)))
					p.outf("%s: FAILED open or read\n", name)
				}
				continue
			}
			if !strings.EqualFold(got, want) {
				bad++
				if !status {
					p.outf("%s: FAILED\n", name)
				}
			} else if !quiet && !status {
				p.outf("%s: OK\n", name)
			}
		}
		return true
	})
	if code != 0 {
		return 1
	}
	if total == 0 {
		p.errf("%s", p.pick("no checksums found", strings.Join(f.args, " ")+": no properly formatted checksum lines found"))
		return 1
	}
	if !status {
		if p.s.busybox {
			if bad+missing > 0 {
				p.errf("WARNING: %d of %d computed checksums did NOT match", bad+missing, total)
			}
		} else {
			if malformed > 0 {
				p.errf("WARNING: %d line%s improperly formatted", malformed, plural(malformed, " is", "s are"))
			}
			if missing > 0 {
				p.errf("WARNING: %d listed file%s could not be read", missing, plural(missing, "", "s"))
			}
			if bad > 0 {
				p.errf("WARNING: %d computed checksum%s did NOT match", bad, plural(bad, "", "s"))
			}
		}
	}
	if bad+missing > 0 {
		return 1
	}
	return 0
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// cmdBase64 encodes (wrapping at 76 columns, -w N, -w 0 for none) or decodes (-d).
func cmdBase64(p *proc) int {
	f := parseFlags(p.args, "w")
	wrap := 76
	if v, ok := f.val['w']; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			p.errf("invalid wrap size: '%s'", v)
			return 1
		}
		wrap = n
	}
	if len(f.args) > 1 {
		p.errf("extra operand '%s'", f.args[1])
		return 1
	}
	decode := f.has('d', "decode")
	// Both ways stream, so any length of input is encoded or decoded whole.
	return p.streamInputs(f.args, func(name string, r io.Reader) bool {
		if decode {
			keep := func(c byte) bool { return c != '\n' && c != '\r' && c != ' ' && c != '\t' }
			if f.has('i', "ignore-garbage") {
				keep = func(c byte) bool {
					return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
				}
			}
			dec := base64.NewDecoder(base64.StdEncoding, &byteFilter{r: r, keep: keep})
			if _, err := io.CopyBuffer(p.out, dec, make([]byte, streamChunk)); err != nil {
				if _, corrupt := err.(base64.CorruptInputError); corrupt || err == io.ErrUnexpectedEOF {
					p.errf("invalid input")
				}
				p.failed = true
				return false
			}
			return true
		}
		ww := &wrapWriter{w: p.out, width: wrap}
		enc := base64.NewEncoder(base64.StdEncoding, ww)
		if _, err := io.CopyBuffer(enc, r, make([]byte, streamChunk)); err != nil {
			p.failed = true
			return false
		}
		enc.Close()
		// GNU base64 ends a last partial line; with -w 0 there are no lines, and it
		// writes no newline at all (busybox's -w 0 keeps the sandbox's newline: its
		// output was not recorded)
		if ww.col > 0 || wrap == 0 && p.s.busybox {
			io.WriteString(p.out, "\n")
		}
		return true
	}) | p.failCode()
}

// byteFilter passes the bytes keep accepts.
type byteFilter struct {
	r    io.Reader
	keep func(byte) bool
}

func (f *byteFilter) Read(b []byte) (int, error) {
	for {
		n, err := f.r.Read(b)
		k := 0
		for _, c := range b[:n] {
			if f.keep(c) {
				b[k] = c
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

// wrapWriter writes a newline after every width bytes (width 0: none); col is the
// current line's length.
type wrapWriter struct {
	w     io.Writer
	width int
	col   int
}

func (ww *wrapWriter) Write(b []byte) (int, error) {
	if ww.width == 0 {
		return ww.w.Write(b)
	}
	n := len(b)
	var out []byte
	for len(b) > 0 {
		k := min(ww.width-ww.col, len(b))
		out = append(out, b[:k]...)
		b, ww.col = b[k:], ww.col+k
		if ww.col == ww.width {
			out = append(out, '\n')
			ww.col = 0
		}
	}
	if _, err := ww.w.Write(out); err != nil {
		return 0, err
	}
	return n, nil
}
