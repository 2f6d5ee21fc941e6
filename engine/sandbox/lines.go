package sandbox

// Line tools beyond text.go's: tac, rev, nl, paste, comm, fold and split; and the input
// helpers (inputs, openErr, failCode) the file-reading tools share.

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"layerlab/engine/rootfs"
)

// openErr prints the failure to open a named input file.
func (p *proc) openErr(name string, err error) {
	p.errf("%s", p.pick("can't open '"+name+"': "+errno(err), name+": "+errno(err)))
}

// inputs yields each named file's content ("-" or no names: stdin), reporting files
// that cannot be read; fn returning false stops.
func (p *proc) inputs(files []string, fn func(name string, b []byte) bool) int {
	if len(files) == 0 {
		files = []string{"-"}
	}
	code := 0
	for _, f := range files {
		var b []byte
		if f == "-" {
			var ok bool
			if b, ok = p.readStdin(); !ok && p.stopped() {
				return 1 // past a bound or cut by the run's stop: no answer for part of it
			}
		} else {
			var err error
			if b, err = p.readFile(f); err != nil {
				p.openErr(f, err)
				code = 1
				continue
			}
		}
		if !fn(f, b) {
			break
		}
	}
	return code
}

func (p *proc) failCode() int {
	if p.failed {
		return 1
	}
	return 0
}

// lines splits input into lines without their newlines; a last line without one counts.
func lines(b []byte) []string { return splitLines(b) }

func cmdTac(p *proc) int {
	f := parseFlags(p.args, "")
	return p.inputs(f.args, func(_ string, b []byte) bool {
		ls := lines(b)
		for i := len(ls) - 1; i >= 0; i-- {
			p.outf("%s\n", ls[i])
		}
		return true
	})
}

// cmdRev streams its input a line at a time.
func cmdRev(p *proc) int {
	f := parseFlags(p.args, "")
	flush := p.bufferOut()
	defer flush()
	return p.eachLine(f.args, func(l []byte) bool {
		r := []rune(string(l))
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		_, err := io.WriteString(p.out, string(r)+"\n")
		return err == nil
	})
}

// cmdNl numbers lines: -b a|t|n (body style), -w width, -s separator, -v start, -i step.
func cmdNl(p *proc) int {
	f := parseFlags(p.args, "bwsvin")
	style, width, sep, num, step := "t", 6, "\t", 1, 1
	if v, ok := f.val['b']; ok {
		if v != "a" && v != "t" && v != "n" {
			p.errf("invalid body numbering style: '%s'", v)
			return 1
		}
		style = v
	}
	for c, dst := range map[byte]*int{'w': &width, 'v': &num, 'i': &step} {
		if v, ok := f.val[c]; ok {
			n, err := strconv.Atoi(v)
			if err != nil || (c == 'w' && (n < 1 || n > 1000)) {
				p.errf("invalid line number field width: '%s'", v)
				return 1
			}
			*dst = n
		}
	}
	if v, ok := f.val['s']; ok {
		sep = v
	}
	// streamed a line at a time
	flush := p.bufferOut()
	defer flush()
	return p.eachLine(f.args, func(l []byte) bool {
		var err error
		if style == "n" || (style == "t" && len(l) == 0) {
			_, err = fmt.Fprintf(p.out, "%s%s\n", strings.Repeat(" ", width+len(sep)), l)
		} else {
			_, err = fmt.Fprintf(p.out, "%*d%s%s\n", width, num, sep, l)
			num += step
		}
		return err == nil
	})
}

// cmdPaste merges lines of files side by side (-d list, -s serial).
func cmdPaste(p *proc) int {
	f := parseFlags(p.args, "d")
	delims := "\t"
	if v, ok := f.val['d']; ok {
		delims = strings.NewReplacer(`\t`, "\t", `\n`, "\n", `\0`, "", `\\`, `\`).Replace(v)
	}
	files := f.args
	if len(files) == 0 {
		files = []string{"-"}
	}
	var cols [][]string
	code := 0
	stdinUsed := false
	for _, name := range files {
		var b []byte
		if name == "-" {
			if !stdinUsed {
				b, _ = p.readStdin()
				stdinUsed = true
			}
		} else {
			var err error
			if b, err = p.readFile(name); err != nil {
				p.openErr(name, err)
				return 1
			}
		}
		cols = append(cols, lines(b))
	}
	delim := func(i int) string {
		if delims == "" {
			return ""
		}
		return string([]rune(delims)[i%len([]rune(delims))])
	}
	if f.has('s', "serial") {
		for _, c := range cols {
			var sb strings.Builder
			for i, l := range c {
				if i > 0 {
					sb.WriteString(delim(i - 1))
				}
				sb.WriteString(l)
			}
			p.outf("%s\n", sb.String())
		}
		return code
	}
	n := 0
	for _, c := range cols {
		n = max(n, len(c))
	}
	for i := 0; i < n; i++ {
		var sb strings.Builder
		for j, c := range cols {
			if j > 0 {
				sb.WriteString(delim(j - 1))
			}
			if i < len(c) {
				sb.WriteString(c[i])
			}
		}
		p.outf("%s\n", sb.String())
	}
	return code
}

// cmdComm compares two sorted files: lines only in 1, only in 2, in both (-1 -2 -3 hide).
func cmdComm(p *proc) int {
	f := parseFlags(p.args, "")
	if len(f.args) != 2 {
		if len(f.args) < 2 {
			p.errf("missing operand")
		} else {
			p.errf("extra operand '%s'", f.args[2])
		}
		return 1
	}
	var in [2][]string
	for i, name := range f.args {
		var b []byte
		if name == "-" {
			b, _ = p.readStdin()
		} else {
			var err error
			if b, err = p.readFile(name); err != nil {
				p.openErr(name, err)
				return 1
			}
		}
		in[i] = lines(b)
	}
	show := [3]bool{!f.has('1'), !f.has('2'), !f.has('3')}
	emit := func(col int, s string) {
		if !show[col] {
			return
		}
		pre := ""
		for c := 0; c < col; c++ {
			if show[c] {
				pre += "\t"
			}
		}
		p.outf("%s%s\n", pre, s)
	}
	a, b := in[0], in[1]
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j >= len(b) || (i < len(a) && a[i] < b[j]):
			emit(0, a[i])
			i++
		case i >= len(a) || b[j] < a[i]:
			emit(1, b[j])
			j++
		default:
			emit(2, a[i])
			i++
			j++
		}
	}
	return 0
}

// cmdFold wraps lines at -w columns (default 80); -s breaks at spaces.
func cmdFold(p *proc) int {
	f := parseFlags(p.args, "w")
	width := 80
	if v, ok := f.val['w']; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			p.errf("invalid number of columns: '%s'", v)
			return 1
		}
		width = n
	}
	return p.inputs(f.args, func(_ string, b []byte) bool {
		for _, l := range lines(b) {
			r := []rune(l)
			for len(r) > width {
				cut := width
				if f.has('s', "spaces") {
					if k := strings.LastIndex(string(r[:width]), " "); k >= 0 {
						cut = len([]rune(string(r[:width])[:k])) + 1
					}
				}
				p.outf("%s\n", string(r[:cut]))
				r = r[cut:]
			}
			p.outf("%s\n", string(r))
		}
		return true
	})
}

// cmdSplit splits a file into pieces of -l lines (default 1000) or -b bytes, named
// PREFIXaa, PREFIXab, ... (prefix "x").
func cmdSplit(p *proc) int {
	f := parseFlags(p.args, "lbna")
	lineN, byteN := 1000, int64(0)
	if v, ok := f.val['l']; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			p.errf("invalid number of lines: '%s'", v)
			return 1
		}
		lineN = n
	}
	if v, ok := f.val['b']; ok {
		n, ok := parseSizeStrict(v)
		if !ok || n < 1 {
			p.errf("invalid number of bytes: '%s'", v)
			return 1
		}
		byteN = n
	}
	suffix := 2
	if v, ok := f.val['a']; ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 && n < 10 {
			suffix = n
		}
	}
	in, prefix := "-", "x"
	if len(f.args) > 0 {
		in = f.args[0]
	}
	if len(f.args) > 1 {
		prefix = f.args[1]
	}
	var data []byte
	if in == "-" {
		data, _ = p.readStdin()
	} else {
		var err error
		if data, err = p.readFile(in); err != nil {
			p.errf("%s", p.pick("can't open '"+in+"': "+errno(err), "cannot open '"+in+"' for reading: "+errno(err)))
			return 1
		}
	}
	var pieces [][]byte
	if byteN > 0 {
		for len(data) > 0 {
			n := min(int(byteN), len(data))
			pieces = append(pieces, data[:n])
			data = data[n:]
		}
	} else {
		for len(data) > 0 {
			end, count := 0, 0
			for end < len(data) && count < lineN {
				if i := bytes.IndexByte(data[end:], '\n'); i >= 0 {
					end += i + 1
				} else {
					end = len(data)
				}
				count++
			}
			pieces = append(pieces, data[:end])
			data = data[end:]
		}
	}
	for i, piece := range pieces {
		name := prefix
		n := i
		suf := make([]byte, suffix)
		for k := suffix - 1; k >= 0; k-- {
			suf[k] = byte('a' + n%26)
			n /= 26
		}
		if n > 0 {
			p.errf("output file suffixes exhausted")
			return 1
		}
		name += string(suf)
		if err := p.s.writeFile(p.abs(name), rootfs.Bytes(bytes.Clone(piece)), 0o644); err != nil {
			p.errf("%s: %s", name, errno(err))
			return 1
		}
	}
	return 0
}

// wcCounts are wc's counts of one input.
type wcCounts struct{ lines, words, bytes int64 }

// countStream counts r as it reads it (words across chunk boundaries too), so wc of
// standard input holds nothing of it in memory and has no bound but the step's time.
func countStream(r io.Reader) (wcCounts, error) {
	var n wcCounts
	buf := make([]byte, 64<<10)
	inWord := false
	for {
		k, err := r.Read(buf)
		for _, c := range buf[:k] {
			n.bytes++
			if c == '\n' {
				n.lines++
			}
			// bytes.Fields' blanks: a word is a run of anything else.
			if c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f' {
				inWord = false
			} else if !inWord {
				inWord = true
				n.words++
			}
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// wcLine formats counts as wc prints them for standard input: one count bare, several
// right-aligned in 7 columns.
func wcLine(n wcCounts, lines, words, chars bool) string {
	var parts []string
	if lines {
		parts = append(parts, strconv.FormatInt(n.lines, 10))
	}
	if words {
		parts = append(parts, strconv.FormatInt(n.words, 10))
	}
	if chars {
		parts = append(parts, strconv.FormatInt(n.bytes, 10))
	}
	if len(parts) > 1 {
		for i := range parts {
			parts[i] = fmt.Sprintf("%7s", parts[i])
		}
	}
	return strings.Join(parts, " ")
}
