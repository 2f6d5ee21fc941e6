package sandbox

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
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
			b, _ = io.ReadAll(io.LimitReader(p.stdin(), maxBuffer))
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

// cmdSum is md5sum, sha1sum, sha256sum and sha512sum, with -c to check a list.
func cmdSum(p *proc) int {
	newHash := map[string]func() hash.Hash{"md5sum": md5.New, "sha1sum": sha1.New, "sha256sum": sha256.New, "sha512sum": sha512.New}[p.name]
	f := parseFlags(p.args, "")
	sum := func(b []byte) string { h := newHash(); h.Write(b); return hex.EncodeToString(h.Sum(nil)) }
	if !f.has('c', "check") {
		return p.inputs(f.args, func(name string, b []byte) bool {
			p.outf("%s  %s\n", sum(b), name)
			return true
		})
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
			data, err := p.readFile(name)
			if err != nil {
				missing++
				if !status {
					p.errf("%s", p.pick("can't open '"+name+"': "+errno(err), name+": "+errno(err)))
					p.outf("%s: FAILED open or read\n", name)
				}
				continue
			}
			if !strings.EqualFold(sum(data), want) {
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
	return p.inputs(f.args, func(name string, b []byte) bool {
		if decode {
			clean := strings.Map(func(r rune) rune {
				if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
					return -1
				}
				return r
			}, string(b))
			out, err := base64.StdEncoding.DecodeString(clean)
			if err != nil {
				if f.has('i', "ignore-garbage") {
					out, _ = base64.StdEncoding.DecodeString(strings.TrimRight(clean, "="))
				} else {
					if ce, ok := err.(base64.CorruptInputError); ok {
						p.out.Write(out[:min(len(out), int(ce)*3/4)])
					}
					p.errf("invalid input")
					p.failed = true
					return false
				}
			}
			p.out.Write(out)
			return true
		}
		enc := base64.StdEncoding.EncodeToString(b)
		if wrap == 0 {
			p.outf("%s\n", enc)
			return true
		}
		for len(enc) > wrap {
			p.outf("%s\n", enc[:wrap])
			enc = enc[wrap:]
		}
		if enc != "" {
			p.outf("%s\n", enc)
		}
		return true
	}) | p.failCode()
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

func cmdRev(p *proc) int {
	f := parseFlags(p.args, "")
	return p.inputs(f.args, func(_ string, b []byte) bool {
		for _, l := range lines(b) {
			r := []rune(l)
			for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
				r[i], r[j] = r[j], r[i]
			}
			p.outf("%s\n", string(r))
		}
		return true
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
	return p.inputs(f.args, func(_ string, b []byte) bool {
		for _, l := range lines(b) {
			if style == "n" || (style == "t" && l == "") {
				p.outf("%s%s\n", strings.Repeat(" ", width+len(sep)), l)
				continue
			}
			p.outf("%*d%s%s\n", width, num, sep, l)
			num += step
		}
		return true
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
				b, _ = io.ReadAll(io.LimitReader(p.stdin(), maxBuffer))
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
			b, _ = io.ReadAll(io.LimitReader(p.stdin(), maxBuffer))
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

// cmdCmp compares two files byte by byte; -s is silent. Exit 1 when they differ.
func cmdCmp(p *proc) int {
	f := parseFlags(p.args, "in")
	if len(f.args) < 1 {
		p.errf("missing operand")
		return 2
	}
	names := append([]string(nil), f.args...)
	if len(names) == 1 {
		names = append(names, "-")
	}
	var data [2][]byte
	for i, name := range names[:2] {
		if name == "-" {
			data[i], _ = io.ReadAll(io.LimitReader(p.stdin(), maxBuffer))
			continue
		}
		b, err := p.readFile(name)
		if err != nil {
			if !f.has('s', "silent", "quiet") {
				p.openErr(name, err)
			}
			return 2
		}
		data[i] = b
	}
	a, b := data[0], data[1]
	line := 1
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			if f.has('l', "verbose") {
				for k := i; k < len(a) && k < len(b); k++ {
					if a[k] != b[k] {
						p.outf("%d %3o %3o\n", k+1, a[k], b[k])
					}
				}
			} else if !f.has('s', "silent", "quiet") {
				p.outf("%s %s differ: %s %d, line %d\n", names[0], names[1], p.pick("char", "byte"), i+1, line)
			}
			return 1
		}
		if a[i] == '\n' {
			line++
		}
	}
	if len(a) != len(b) {
		if !f.has('s', "silent", "quiet") {
			short, n := names[0], len(a)
			if len(b) < len(a) {
				short, n = names[1], len(b)
			}
			if p.s.busybox {
				p.errf("EOF on %s", short)
			} else if n == 0 {
				p.errf("EOF on %s which is empty", short)
			} else {
				p.errf("EOF on %s after byte %d, line %d", short, n, line)
			}
		}
		return 1
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

// cmdOd dumps bytes: default octal 2-byte words, -c characters, -x hex words, -b octal
// bytes, -t x1|o1|c|d1|u1, -A d|o|x|n addresses, -An.
func cmdOd(p *proc) int {
	f := parseFlags(p.args, "tAjN")
	typ := "o2"
	switch {
	case f.has('c'):
		typ = "c"
	case f.has('x'):
		typ = "x2"
	case f.has('b'):
		typ = "o1"
	case f.has('d'):
		typ = "u2"
	}
	if v, ok := f.val['t']; ok {
		v = strings.TrimSuffix(strings.TrimSuffix(v, "z"), "C")
		switch v {
		case "x1", "o1", "d1", "u1", "c", "x2", "o2", "d2", "u2", "x", "o", "d", "u", "a":
		default:
			p.errf("invalid type string '%s'", v)
			return 1
		}
		if len(v) == 1 && v != "c" && v != "a" {
			v += "2"
		}
		typ = v
	}
	radix := "o"
	if v, ok := f.val['A']; ok {
		if v != "d" && v != "o" && v != "x" && v != "n" {
			p.errf("invalid output address radix '%s'; it must be one character from [doxn]", v)
			return 1
		}
		radix = v
	}
	var all bytes.Buffer
	code := p.inputs(f.args, func(_ string, b []byte) bool { all.Write(b); return true })
	data := all.Bytes()
	if v, ok := f.val['N']; ok {
		if n, err := strconv.Atoi(v); err == nil && n < len(data) {
			data = data[:max(n, 0)]
		}
	}
	addr := func(n int) string {
		switch radix {
		case "d":
			return fmt.Sprintf("%07d", n)
		case "x":
			return fmt.Sprintf("%06x", n)
		case "n":
			return ""
		}
		return fmt.Sprintf("%07o", n)
	}
	size := 1
	if strings.HasSuffix(typ, "2") {
		size = 2
	}
	for off := 0; off < len(data); off += 16 {
		row := data[off:min(off+16, len(data))]
		var sb strings.Builder
		sb.WriteString(addr(off))
		for i := 0; i < len(row); i += size {
			var v uint64
			for k := size - 1; k >= 0; k-- {
				v <<= 8
				if i+k < len(row) {
					v |= uint64(row[i+k])
				}
			}
			switch typ {
			case "c", "a":
				sb.WriteString(fmt.Sprintf("%4s", odChar(byte(v))))
			case "x1":
				sb.WriteString(fmt.Sprintf(" %02x", v))
			case "o1":
				sb.WriteString(fmt.Sprintf(" %03o", v))
			case "d1":
				sb.WriteString(fmt.Sprintf(" %4d", int8(v)))
			case "u1":
				sb.WriteString(fmt.Sprintf(" %3d", v))
			case "x2":
				sb.WriteString(fmt.Sprintf(" %04x", v))
			case "o2":
				sb.WriteString(fmt.Sprintf(" %06o", v))
			case "d2":
				sb.WriteString(fmt.Sprintf(" %6d", int16(v)))
			case "u2":
				sb.WriteString(fmt.Sprintf(" %5d", v))
			}
		}
		p.outf("%s\n", sb.String())
	}
	if radix != "n" {
		p.outf("%s\n", addr(len(data)))
	}
	return code
}

func odChar(c byte) string {
	switch c {
	case 0:
		return `\0`
	case '\a':
		return `\a`
	case '\b':
		return `\b`
	case '\f':
		return `\f`
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	case '\v':
		return `\v`
	}
	if c < 32 || c >= 127 {
		return fmt.Sprintf("%03o", c)
	}
	return string(c)
}

func printable(c byte) byte {
	if c < 32 || c >= 127 {
		return '.'
	}
	return c
}

// cmdHexdump is hexdump/hd; -C (canonical hex+ASCII) is the supported format, and hd's
// default. Plain hexdump prints 2-byte little-endian words.
func cmdHexdump(p *proc) int {
	f := parseFlags(p.args, "nse")
	if _, ok := f.val['e']; ok {
		p.errf("-e formats are not supported by the layerlab sandbox (use -C)")
		return 1
	}
	var all bytes.Buffer
	code := p.inputs(f.args, func(_ string, b []byte) bool { all.Write(b); return true })
	data := all.Bytes()
	if v, ok := f.val['s']; ok {
		if n, err := strconv.Atoi(v); err == nil {
			data = data[min(max(n, 0), len(data)):]
		}
	}
	if v, ok := f.val['n']; ok {
		if n, err := strconv.Atoi(v); err == nil && n < len(data) {
			data = data[:max(n, 0)]
		}
	}
	canonical := f.has('C') || p.name == "hd"
	var prev []byte
	star := false
	for off := 0; off < len(data); off += 16 {
		row := data[off:min(off+16, len(data))]
		if len(row) == 16 && prev != nil && bytes.Equal(row, prev) && !f.has('v') {
			if !star {
				p.outf("*\n")
				star = true
			}
			continue
		}
		star = false
		prev = row
		if !canonical {
			var sb strings.Builder
			fmt.Fprintf(&sb, "%07x", off)
			for i := 0; i < len(row); i += 2 {
				v := uint16(row[i])
				if i+1 < len(row) {
					v |= uint16(row[i+1]) << 8
				}
				fmt.Fprintf(&sb, " %04x", v)
			}
			p.outf("%s\n", sb.String())
			continue
		}
		var hexs strings.Builder
		for i := 0; i < 16; i++ {
			if i == 8 {
				hexs.WriteByte(' ')
			}
			if i < len(row) {
				fmt.Fprintf(&hexs, " %02x", row[i])
			} else {
				hexs.WriteString("   ")
			}
		}
		asc := make([]byte, len(row))
		for i, c := range row {
			asc[i] = printable(c)
		}
		p.outf("%08x %s  |%s|\n", off, hexs.String(), asc)
	}
	if len(data) > 0 || canonical {
		if canonical {
			p.outf("%08x\n", len(data))
		} else {
			p.outf("%07x\n", len(data))
		}
	}
	return code
}

// cmdXxd makes a hex dump (xxd FILE, -p plain, -r -p reverse of a plain dump).
func cmdXxd(p *proc) int {
	f := parseFlags(p.args, "lcs")
	var all bytes.Buffer
	code := p.inputs(f.args[:min(len(f.args), 1)], func(_ string, b []byte) bool { all.Write(b); return true })
	data := all.Bytes()
	if f.has('r') {
		if !f.has('p') {
			p.errf("only -r -p (plain hex) is supported by the layerlab sandbox")
			return 1
		}
		clean := strings.Join(strings.Fields(string(data)), "")
		out, err := hex.DecodeString(clean[:len(clean)/2*2])
		if err != nil {
			p.errf("invalid hex input")
			return 1
		}
		p.out.Write(out)
		return code
	}
	if v, ok := f.val['l']; ok {
		if n, err := strconv.Atoi(v); err == nil && n < len(data) {
			data = data[:max(n, 0)]
		}
	}
	if f.has('p') {
		s := hex.EncodeToString(data)
		for len(s) > 60 {
			p.outf("%s\n", s[:60])
			s = s[60:]
		}
		if s != "" {
			p.outf("%s\n", s)
		}
		return code
	}
	for off := 0; off < len(data); off += 16 {
		row := data[off:min(off+16, len(data))]
		var hexs strings.Builder
		for i := 0; i < 16; i += 2 {
			for k := i; k < i+2; k++ {
				if k < len(row) {
					fmt.Fprintf(&hexs, "%02x", row[k])
				} else {
					hexs.WriteString("  ")
				}
			}
			hexs.WriteByte(' ')
		}
		asc := make([]byte, len(row))
		for i, c := range row {
			asc[i] = printable(c)
		}
		p.outf("%08x: %s %s\n", off, hexs.String(), asc)
	}
	return code
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
		data, _ = io.ReadAll(io.LimitReader(p.stdin(), maxBuffer))
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
