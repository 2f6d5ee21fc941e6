package sandbox

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"layerlab/engine/rootfs"
)

func splitLines(b []byte) []string {
	s := string(b)
	s = strings.TrimSuffix(s, "\n")
	if s == "" && len(b) == 0 {
		return nil
	}
	return strings.Split(s, "\n")
}

// bre converts a basic regular expression to Go syntax (\( \) \{ \} \| \+ \? become operators).
func bre(expr string) string {
	var b strings.Builder
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		if c == '\\' && i+1 < len(expr) {
			n := expr[i+1]
			switch n {
			case '(', ')', '{', '}', '|', '+', '?':
				b.WriteByte(n)
				i++
				continue
			}
			b.WriteByte(c)
			b.WriteByte(n)
			i++
			continue
		}
		switch c {
		case '(', ')', '{', '}', '|', '+', '?':
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

func cmdGrep(p *proc) int {
	f := parseFlags(p.args, "emA")
	ext := f.has('E') || p.name == "egrep"
	var pats []string
	rest := f.args
	if e, ok := f.val['e']; ok {
		pats = append(pats, e)
	} else if len(rest) > 0 {
		pats, rest = []string{rest[0]}, rest[1:]
	} else {
		p.errf("usage: grep [OPTION]... PATTERNS [FILE]...")
		return 2
	}
	expr := pats[0]
	if f.has('F') {
		expr = regexp.QuoteMeta(expr)
	} else if !ext {
		expr = bre(expr)
	}
	if f.has('w') {
		expr = `\b(?:` + expr + `)\b`
	}
	if f.has('x') {
		expr = `^(?:` + expr + `)$`
	}
	if f.has('i') {
		expr = "(?i)" + expr
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		p.errf("invalid regular expression: %s", pats[0])
		return 2
	}
	quiet, invert, count, listF, num := f.has('q'), f.has('v'), f.has('c'), f.has('l'), f.has('n')
	rec := f.has('r') || f.has('R')
	// The sources are named first and read one line at a time as they stream: any
	// length, and -q ends at the first match, as `yes | grep -q y` needs.
	type src struct{ name, path string }
	var srcs []src
	code := 0
	if len(rest) == 0 {
		if rec {
			rest = []string{"."}
		} else {
			srcs = append(srcs, src{"(standard input)", "-"})
		}
	}
	for _, name := range rest {
		ap := p.abs(name)
		e, err := p.s.stat(ap)
		if err == nil && e.Kind == rootfs.KindDir {
			if !rec {
				p.errf("%s: Is a directory", name)
				continue
			}
			var files []string
			p.s.withFS(func(fsys *rootfs.FS) error {
				prefix := rootfs.Clean(ap)
				return fsys.Walk(func(k string, e *rootfs.Entry) error {
					if e.Kind == rootfs.KindFile && (prefix == "" || strings.HasPrefix(k, prefix+"/")) {
						files = append(files, strings.TrimSuffix(name, "/")+"/"+strings.TrimPrefix(k, prefix+"/"))
					}
					return nil
				})
			})
			for _, fl := range files {
				srcs = append(srcs, src{fl, fl})
			}
			continue
		}
		if name == "-" {
			srcs = append(srcs, src{"(standard input)", "-"})
			continue
		}
		srcs = append(srcs, src{name, name})
	}
	flush := p.bufferOut()
	defer flush()
	matched := false
	multi := len(srcs) > 1 || rec
	for _, s := range srcs {
		r, err := p.openInput(s.path)
		if err != nil {
			if !f.has('s') {
				p.errf("%s: %s", s.name, errno(err))
			}
			code = 2
			continue
		}
		lr := p.newLineReader(r)
		n := 0
		for i := 1; ; i++ {
			raw, err := lr.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return 2
			}
			line := string(chomp(raw))
			if re.MatchString(line) == invert {
				continue
			}
			n++
			matched = true
			if quiet {
				return 0
			}
			if listF {
				break // one match names the file
			}
			if count {
				continue
			}
			prefix := ""
			if multi && !f.has('h') {
				prefix = s.name + ":"
			}
			if num {
				prefix += strconv.Itoa(i) + ":"
			}
			if f.has('o') && !invert {
				for _, m := range re.FindAllString(line, -1) {
					p.outf("%s%s\n", prefix, m)
				}
				continue
			}
			p.outf("%s%s\n", prefix, line)
		}
		if p.stopped() {
			return 2 // the input was cut: a count or a file list would be wrong
		}
		if count {
			if multi {
				p.outf("%s:%d\n", s.name, n)
			} else {
				p.outf("%d\n", n)
			}
		}
		if listF && n > 0 {
			p.outf("%s\n", s.name)
		}
	}
	if code == 2 && !matched {
		return 2
	}
	if !matched {
		return 1
	}
	return 0
}

func cmdWc(p *proc) int {
	f := parseFlags(p.args, "")
	lines, words, chars := f.has('l'), f.has('w'), f.has('c') || f.has('m')
	if !lines && !words && !chars {
		lines, words, chars = true, true, true
	}
	if len(f.args) == 0 {
		// Counted as it streams, so any length of input gives the right counts.
		n, err := countStream(p.stdin())
		if err != nil || p.stopped() {
			return 1
		}
		p.outf("%s\n", wcLine(n, lines, words, chars))
		return 0
	}
	// Files and devices are counted as they stream too; several get a total line, as
	// both GNU and busybox wc print it.
	line := func(n wcCounts) string { return wcLine(n, lines, words, chars) }
	if !p.s.busybox {
		width := p.wcWidth(f.args, lines, words, chars)
		line = func(n wcCounts) string {
			var parts []string
			for _, c := range []struct {
				on bool
				n  int64
			}{{lines, n.lines}, {words, n.words}, {chars, n.bytes}} {
				if c.on {
					parts = append(parts, fmt.Sprintf("%*d", width, c.n))
				}
			}
			return strings.Join(parts, " ")
		}
	}
	var total wcCounts
	code := 0
	for _, name := range f.args {
		r, err := p.openInput(name)
		if err != nil {
			p.errf("%s: %s", name, errno(err))
			code = 1
			continue
		}
		n, err := countStream(r)
		if err != nil || p.stopped() {
			return 1
		}
		total.lines, total.words, total.bytes = total.lines+n.lines, total.words+n.words, total.bytes+n.bytes
		p.outf("%s %s\n", line(n), name)
	}
	if len(f.args) > 1 {
		p.outf("%s total\n", line(total))
	}
	return code
}

// wcWidth is GNU wc's column width for named files, decided before counting: 1 for one
// file and one count; else the digits of the regular files' summed sizes, at least 7
// when an input is not a regular file (a device, standard input); 1 when the first
// operand cannot be stat'ed.
func (p *proc) wcWidth(files []string, lines, words, chars bool) int {
	counts := 0
	for _, on := range []bool{lines, words, chars} {
		if on {
			counts++
		}
	}
	if len(files) == 1 && counts == 1 {
		return 1
	}
	minWidth, total := 1, int64(0)
	for i, name := range files {
		ap := p.abs(name)
		if name == "-" || isDevice(ap) {
			minWidth = 7
			continue
		}
		e, err := p.s.stat(ap)
		if err != nil {
			if i == 0 {
				return 1
			}
			continue
		}
		if e.Kind != rootfs.KindFile {
			minWidth = 7
			continue
		}
		total += e.Size()
	}
	return max(len(strconv.FormatInt(total, 10)), minWidth)
}

// sedCmd is one parsed sed command: s/re/repl/flags, d, p, with an optional /re/ or line address.
type sedCmd struct {
	addrRe   *regexp.Regexp
	addrLine int
	op       byte
	re       *regexp.Regexp
	repl     string
	global   bool
	print    bool
	text     string
}

func parseSed(script string, ext bool) ([]sedCmd, error) {
	var cmds []sedCmd
	for _, part := range splitSedScript(script) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		var c sedCmd
		if part[0] == '/' {
			end := strings.IndexByte(part[1:], '/')
			if end < 0 {
				return nil, fmt.Errorf("unterminated address regex")
			}
			expr := part[1 : end+1]
			if !ext {
				expr = bre(expr)
			}
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, err
			}
			c.addrRe = re
			part = strings.TrimSpace(part[end+2:])
		} else if i := strings.IndexFunc(part, func(r rune) bool { return r < '0' || r > '9' }); i > 0 {
			c.addrLine, _ = strconv.Atoi(part[:i])
			part = part[i:]
		} else if part[0] == '$' {
			c.addrLine = -1
			part = part[1:]
		}
		if part == "" {
			return nil, fmt.Errorf("missing command")
		}
		c.op = part[0]
		switch c.op {
		case 'd', 'p', 'q':
		case 'a', 'i', 'c':
			c.text = strings.TrimSpace(strings.TrimPrefix(part[1:], "\\"))
		case 's':
			if len(part) < 2 {
				return nil, fmt.Errorf("unterminated `s' command")
			}
			delim := part[1]
			fields := splitDelim(part[2:], delim)
			if len(fields) < 2 {
				return nil, fmt.Errorf("unterminated `s' command")
			}
			expr := fields[0]
			if !ext {
				expr = bre(expr)
			}
			flagsS := ""
			if len(fields) > 2 {
				flagsS = fields[2]
			}
			if strings.Contains(flagsS, "I") || strings.Contains(flagsS, "i") {
				expr = "(?i)" + expr
			}
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, err
			}
			c.re = re
			c.repl = sedRepl(fields[1])
			c.global = strings.Contains(flagsS, "g")
			c.print = strings.Contains(flagsS, "p")
		default:
			return nil, fmt.Errorf("unknown command: `%c'", c.op)
		}
		cmds = append(cmds, c)
	}
	return cmds, nil
}

func splitSedScript(s string) []string {
	var out []string
	// split on ';' and newlines outside s/// fields
	var cur strings.Builder
	inS, delim, fields := false, byte(0), 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !inS && c == 's' && i+1 < len(s) && (cur.Len() == 0 || strings.TrimSpace(cur.String()) == "" || strings.HasSuffix(cur.String(), "/") || isAddr(cur.String())) {
			inS, delim, fields = true, s[i+1], 0
			cur.WriteByte(c)
			cur.WriteByte(s[i+1])
			i++
			continue
		}
		if inS {
			if c == '\\' && i+1 < len(s) {
				cur.WriteByte(c)
				cur.WriteByte(s[i+1])
				i++
				continue
			}
			if c == delim {
				fields++
				if fields == 2 {
					inS = false
				}
			}
			cur.WriteByte(c)
			continue
		}
		if c == ';' || c == '\n' {
			out = append(out, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	return append(out, cur.String())
}

func isAddr(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || s == "$" {
		return true
	}
	_, err := strconv.Atoi(s)
	return err == nil
}

func splitDelim(s string, d byte) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			if s[i+1] == d {
				cur.WriteByte(d)
			} else {
				cur.WriteByte('\\')
				cur.WriteByte(s[i+1])
			}
			i++
			continue
		}
		if s[i] == d {
			out = append(out, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(s[i])
	}
	return append(out, cur.String())
}

// sedRepl converts sed's replacement (\1, &) to Go's ($1, $0).
func sedRepl(r string) string {
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		switch c := r[i]; {
		case c == '\\' && i+1 < len(r) && r[i+1] >= '0' && r[i+1] <= '9':
			b.WriteString("${" + string(r[i+1]) + "}")
			i++
		case c == '\\' && i+1 < len(r) && r[i+1] == 'n':
			b.WriteByte('\n')
			i++
		case c == '\\' && i+1 < len(r):
			b.WriteByte(r[i+1])
			i++
		case c == '&':
			b.WriteString("${0}")
		case c == '$':
			b.WriteString("$$")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func runSed(cmds []sedCmd, input []byte, quiet bool) []byte {
	var out bytes.Buffer
	lines := splitLines(input)
	for i, line := range lines {
		sedLine(&out, cmds, line, i+1, i == len(lines)-1, quiet)
	}
	return out.Bytes()
}

// sedLine runs the script over line number n (last: the input's last line, for $).
func sedLine(out *bytes.Buffer, cmds []sedCmd, line string, n int, last, quiet bool) {
	deleted := false
	var after []string
	for _, c := range cmds {
		if c.addrRe != nil && !c.addrRe.MatchString(line) {
			continue
		}
		if c.addrLine > 0 && c.addrLine != n || c.addrLine == -1 && !last {
			continue
		}
		switch c.op {
		case 's':
			if !c.re.MatchString(line) {
				continue
			}
			if c.global {
				line = c.re.ReplaceAllString(line, c.repl)
			} else {
				done := false
				line = c.re.ReplaceAllStringFunc(line, func(m string) string {
					if done {
						return m
					}
					done = true
					return c.re.ReplaceAllString(m, c.repl)
				})
			}
			if c.print {
				out.WriteString(line + "\n")
			}
		case 'd':
			deleted = true
		case 'p':
			out.WriteString(line + "\n")
		case 'a':
			after = append(after, c.text)
		case 'i':
			out.WriteString(c.text + "\n")
		case 'c':
			line, deleted = "", true
			out.WriteString(c.text + "\n")
		}
		if deleted {
			break
		}
	}
	if !deleted && !quiet {
		out.WriteString(line + "\n")
	}
	for _, a := range after {
		out.WriteString(a + "\n")
	}
}

// sedStream runs the script over the operands' lines as they stream, one line behind
// the reading so that $ knows the last line: any length of input.
func (p *proc) sedStream(cmds []sedCmd, files []string, quiet bool) int {
	flushOut := p.bufferOut()
	defer flushOut()
	var out bytes.Buffer
	var held []byte
	have, n := false, 0
	flush := func(last bool) bool {
		n++
		out.Reset()
		sedLine(&out, cmds, string(held), n, last, quiet)
		_, err := p.out.Write(out.Bytes())
		return err == nil
	}
	code := p.eachLine(files, func(line []byte) bool {
		if have && !flush(false) {
			return false
		}
		held, have = append(held[:0], line...), true
		return true
	})
	if have && !p.stopped() {
		flush(true)
	}
	return code
}

func cmdSed(p *proc) int {
	var scripts, files []string
	inPlace, quiet, ext := false, false, false
	for i := 0; i < len(p.args); i++ {
		a := p.args[i]
		switch {
		case a == "-e" || a == "--expression":
			if i+1 < len(p.args) {
				i++
				scripts = append(scripts, p.args[i])
			}
		case strings.HasPrefix(a, "-i") || strings.HasPrefix(a, "--in-place"):
			inPlace = true
		case a == "-n" || a == "--quiet":
			quiet = true
		case a == "-E" || a == "-r":
			ext = true
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for _, c := range a[1:] {
				switch c {
				case 'i':
					inPlace = true
				case 'n':
					quiet = true
				case 'E', 'r':
					ext = true
				}
			}
		default:
			if len(scripts) == 0 {
				scripts = append(scripts, a)
			} else {
				files = append(files, a)
			}
		}
	}
	if len(scripts) == 0 {
		p.errf("no script specified")
		return 1
	}
	cmds, err := parseSed(strings.Join(scripts, "\n"), ext)
	if err != nil {
		p.errf("-e expression #1: %v", err)
		return 1
	}
	if !inPlace {
		return p.sedStream(cmds, files, quiet)
	}
	code := 0
	for _, name := range files {
		b, err := p.readFile(name)
		if err != nil {
			p.errf("%s", p.pick("can't open '"+name+"': "+errno(err), "can't read "+name+": "+errno(err)))
			code = 2
			continue
		}
		if err := p.s.writeFile(p.abs(name), rootfs.Bytes(runSed(cmds, b, quiet)), 0o644); err != nil {
			p.errf("couldn't open file %s: %s", name, errno(err))
			code = 4
		}
	}
	return code
}

func cmdSort(p *proc) int {
	f := parseFlags(p.args, "tko")
	b, code := p.readInput(f.args)
	lines := splitLines(b)
	key := func(s string) string { return s }
	if k, ok := f.val['k']; ok {
		kn, _ := strconv.Atoi(strings.SplitN(k, ",", 2)[0])
		sep := f.val['t']
		key = func(s string) string {
			var fields []string
			if sep != "" {
				fields = strings.Split(s, sep)
			} else {
				fields = strings.Fields(s)
			}
			if kn >= 1 && kn <= len(fields) {
				return strings.Join(fields[kn-1:], " ")
			}
			return ""
		}
	}
	less := func(a, b string) bool { return key(a) < key(b) }
	if f.has('n') {
		less = func(a, b string) bool { return leadingNum(key(a)) < leadingNum(key(b)) }
	}
	sort.SliceStable(lines, func(i, j int) bool {
		if f.has('r') {
			return less(lines[j], lines[i])
		}
		return less(lines[i], lines[j])
	})
	var prev *string
	for i := range lines {
		if f.has('u') && prev != nil && *prev == lines[i] {
			continue
		}
		prev = &lines[i]
		p.outf("%s\n", lines[i])
	}
	return code
}

func leadingNum(s string) float64 {
	s = strings.TrimSpace(s)
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.' || (end == 0 && s[end] == '-')) {
		end++
	}
	n, _ := strconv.ParseFloat(s[:end], 64)
	return n
}

// cmdUniq streams its input, holding only the current run of equal lines' first.
func cmdUniq(p *proc) int {
	f := parseFlags(p.args, "")
	var prev []byte
	n := 0
	emit := func() bool {
		switch {
		case n == 0, f.has('d') && n < 2, f.has('u') && n > 1:
			return true
		case f.has('c'):
			_, err := fmt.Fprintf(p.out, "%7d %s\n", n, prev)
			return err == nil
		default:
			_, err := fmt.Fprintf(p.out, "%s\n", prev)
			return err == nil
		}
	}
	flush := p.bufferOut()
	defer flush()
	code := p.eachLine(f.args, func(line []byte) bool {
		if n > 0 && bytes.Equal(line, prev) {
			n++
			return true
		}
		if !emit() {
			return false
		}
		prev, n = append(prev[:0], line...), 1
		return true
	})
	if p.stopped() {
		return 1
	}
	emit()
	return code
}

// parseRanges reads cut's LIST: "1,3-5,7-".
func parseRanges(list string) func(i int) bool {
	type rng struct{ a, b int }
	var rs []rng
	for _, part := range strings.Split(list, ",") {
		a, b, isRange := strings.Cut(part, "-")
		lo, _ := strconv.Atoi(a)
		hi := lo
		if isRange {
			if lo == 0 {
				lo = 1
			}
			hi = 1 << 30
			if b != "" {
				hi, _ = strconv.Atoi(b)
			}
		}
		rs = append(rs, rng{lo, hi})
	}
	return func(i int) bool {
		for _, r := range rs {
			if i >= r.a && i <= r.b {
				return true
			}
		}
		return false
	}
}

// cmdCut streams its input a line at a time.
func cmdCut(p *proc) int {
	f := parseFlags(p.args, "dfcb")
	delim := "\t"
	if d, ok := f.val['d']; ok {
		delim = d
	}
	var cutLine func(line string) (string, bool)
	switch {
	case f.val['f'] != "":
		in := parseRanges(f.val['f'])
		cutLine = func(line string) (string, bool) {
			if !strings.Contains(line, delim) {
				return line, !f.has('s')
			}
			var out []string
			for i, fl := range strings.Split(line, delim) {
				if in(i + 1) {
					out = append(out, fl)
				}
			}
			return strings.Join(out, delim), true
		}
	case f.val['c'] != "" || f.val['b'] != "":
		in := parseRanges(f.val['c'] + f.val['b'])
		cutLine = func(line string) (string, bool) {
			var out []byte
			for i := 0; i < len(line); i++ {
				if in(i + 1) {
					out = append(out, line[i])
				}
			}
			return string(out), true
		}
	default:
		p.errf("you must specify a list of bytes, characters, or fields")
		return 1
	}
	flush := p.bufferOut()
	defer flush()
	return p.eachLine(f.args, func(line []byte) bool {
		out, ok := cutLine(string(line))
		if !ok {
			return true
		}
		_, err := io.WriteString(p.out, out+"\n")
		return err == nil
	})
}

// trSet expands tr's SET: ranges a-z, classes [:lower:], escapes \n.
func trSet(s string) []rune {
	classes := map[string]string{"[:lower:]": "a-z", "[:upper:]": "A-Z", "[:digit:]": "0-9",
		"[:space:]": " \t\n\r\v\f", "[:alpha:]": "a-zA-Z", "[:alnum:]": "a-zA-Z0-9", "[:blank:]": " \t",
		"[:xdigit:]": "0-9A-Fa-f", "[:punct:]": "!-/:-@[-`{-~", "[:print:]": " -~", "[:graph:]": "!-~",
		"[:cntrl:]": `\000-\037\177`}
	for k, v := range classes {
		s = strings.ReplaceAll(s, k, v)
	}
	// escapes: \NNN (octal, a byte), \n \t \r \a \b \f \v \\; ranges after them
	var rs []rune
	in := []rune(s)
	for i := 0; i < len(in); i++ {
		if in[i] != '\\' || i+1 == len(in) {
			rs = append(rs, in[i])
			continue
		}
		i++
		if in[i] >= '0' && in[i] <= '7' {
			v := rune(0)
			for k := 0; k < 3 && i < len(in) && in[i] >= '0' && in[i] <= '7'; k++ {
				v = v*8 + in[i] - '0'
				i++
			}
			i--
			rs = append(rs, v&0xff)
			continue
		}
		if c, ok := map[rune]rune{'n': '\n', 't': '\t', 'r': '\r', 'a': '\a', 'b': '\b', 'f': '\f', 'v': '\v'}[in[i]]; ok {
			rs = append(rs, c)
			continue
		}
		rs = append(rs, in[i])
	}
	var out []rune
	for i := 0; i < len(rs); i++ {
		if i+2 < len(rs) && rs[i+1] == '-' && rs[i] <= rs[i+2] {
			for c := rs[i]; c <= rs[i+2]; c++ {
				out = append(out, c)
			}
			i += 2
			continue
		}
		out = append(out, rs[i])
	}
	return out
}

// cmdTr translates, deletes (-d) or squeezes (-s) standard input as it streams, so
// `tr -dc a-z < /dev/urandom | head -c 32` ends with its 32 bytes and any length of
// input is translated whole. Sets of ASCII characters work on bytes, as GNU and busybox
// tr do (-c takes the complement among the 256 bytes, in order; binary input passes
// unchanged where no set names its bytes); other sets work on UTF-8 characters.
func cmdTr(p *proc) int {
	f := parseFlags(p.args, "")
	if len(f.args) == 0 {
		p.errf("missing operand")
		return 1
	}
	set1 := trSet(f.args[0])
	deleting, squeeze := f.has('d'), f.has('s')
	translating := !deleting && !(squeeze && len(f.args) == 1)
	var set2 []rune
	if translating {
		if len(f.args) < 2 {
			p.errf("missing operand after '%s'", f.args[0])
			return 1
		}
		set2 = trSet(f.args[1])
	}
	complement := f.has('c') || f.has('C')
	// Sets written in ASCII (octal escapes may name any byte) work on bytes.
	ascii := true
	for _, a := range f.args {
		for i := 0; i < len(a); i++ {
			ascii = ascii && a[i] < 0x80
		}
	}
	in := bufio.NewReaderSize(p.stdin(), streamChunk)
	out := bufio.NewWriterSize(p.out, streamChunk)
	if ascii {
		trBytes(in, out, set1, set2, complement, deleting, squeeze, translating)
	} else {
		trRunes(in, out, set1, set2, complement, deleting, squeeze, translating)
	}
	if err := out.Flush(); err != nil || p.stopped() {
		return 1
	}
	return 0
}

// trBytes is tr over bytes, for sets of ASCII characters.
func trBytes(in *bufio.Reader, out *bufio.Writer, set1, set2 []rune, complement, deleting, squeeze, translating bool) {
	var member [256]bool // in SET1 (after -c)
	for _, r := range set1 {
		member[r] = true
	}
	if complement {
		for c := range member {
			member[c] = !member[c]
		}
	}
	var to [256]int // the byte each member becomes
	if translating && len(set2) > 0 {
		i := 0
		each := func(c int) {
			to[c] = int(set2[min(i, len(set2)-1)])
			i++
		}
		if complement {
			for c := range 256 {
				if member[c] {
					each(c)
				}
			}
		} else {
			seen := [256]bool{}
			for _, r := range set1 {
				if !seen[r] {
					seen[r] = true
					each(int(r))
				} else {
					i++ // a later repeat of a SET1 character: the first mapping holds
				}
			}
		}
	}
	last := -1
	buf := make([]byte, streamChunk)
	for {
		k, err := in.Read(buf)
		for _, c := range buf[:k] {
			o := int(c)
			switch {
			case deleting:
				if member[c] {
					continue
				}
			case !translating: // -s SET1
				if member[c] && o == last {
					continue
				}
			case member[c] && len(set2) > 0:
				o = to[c]
				if squeeze && o == last {
					continue
				}
			}
			last = o
			out.WriteByte(byte(o))
		}
		// A reader that went away (head of the output) ends tr, as SIGPIPE would:
		// Write of nothing reports the writer's error.
		if _, werr := out.Write(nil); err != nil || werr != nil {
			return
		}
	}
}

// trRunes is tr over UTF-8 characters, for sets beyond ASCII; with -c a translation
// maps every other character to SET2's last.
func trRunes(in *bufio.Reader, out *bufio.Writer, set1, set2 []rune, complement, deleting, squeeze, translating bool) {
	has := map[rune]bool{}
	for _, r := range set1 {
		has[r] = true
	}
	m := map[rune]rune{}
	for i, r := range set1 {
		if _, ok := m[r]; !ok && len(set2) > 0 {
			m[r] = set2[min(i, len(set2)-1)]
		}
	}
	var last rune = -1
	for {
		r, size, err := in.ReadRune()
		if err != nil {
			return
		}
		if r == utf8.RuneError && size == 1 {
			// not UTF-8: a byte no set names, which passes as it is (or is -c's)
			in.UnreadRune()
			b, _ := in.ReadByte()
			if complement && deleting {
				continue
			}
			out.WriteByte(b)
			last = -1
			continue
		}
		match := has[r] != complement
		switch {
		case deleting:
			if match {
				continue
			}
		case !translating:
			if match && r == last {
				continue
			}
		case match && len(set2) > 0:
			if t, ok := m[r]; ok {
				r = t
			} else {
				r = set2[len(set2)-1]
			}
			if squeeze && r == last {
				continue
			}
		}
		last = r
		if _, err := out.WriteRune(r); err != nil {
			return
		}
	}
}

func cmdFind(p *proc) int {
	args := p.args
	var roots []string
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") && args[0] != "!" && args[0] != "(" {
		roots, args = append(roots, args[0]), args[1:]
	}
	if len(roots) == 0 {
		roots = []string{"."}
	}
	type test func(name, k string, e *rootfs.Entry, depth int) bool
	var tests []test
	maxDepth, minDepth := 1<<30, 0
	var execCmd []string
	del, negate, printed := false, false, false
	for i := 0; i < len(args); i++ {
		a := args[i]
		val := ""
		if i+1 < len(args) {
			val = args[i+1]
		}
		neg := negate
		negate = false
		add := func(t test) {
			if neg {
				tests = append(tests, func(n, k string, e *rootfs.Entry, d int) bool { return !t(n, k, e, d) })
			} else {
				tests = append(tests, t)
			}
		}
		switch a {
		case "!", "-not":
			negate = true
		case "-name", "-iname":
			pat := val
			ci := a == "-iname"
			add(func(n, _ string, _ *rootfs.Entry, _ int) bool {
				if ci {
					ok, _ := path.Match(strings.ToLower(pat), strings.ToLower(path.Base(n)))
					return ok
				}
				ok, _ := path.Match(pat, path.Base(n))
				return ok
			})
			i++
		case "-path":
			pat := val
			add(func(n, _ string, _ *rootfs.Entry, _ int) bool { ok, _ := path.Match(pat, n); return ok })
			i++
		case "-type":
			t := val
			add(func(_, _ string, e *rootfs.Entry, _ int) bool {
				switch t {
				case "f":
					return e.Kind == rootfs.KindFile || e.Kind == rootfs.KindHardlink
				case "d":
					return e.Kind == rootfs.KindDir
				case "l":
					return e.Kind == rootfs.KindSymlink
				}
				return false
			})
			i++
		case "-maxdepth":
			maxDepth, _ = strconv.Atoi(val)
			i++
		case "-mindepth":
			minDepth, _ = strconv.Atoi(val)
			i++
		case "-empty":
			add(func(_, _ string, e *rootfs.Entry, _ int) bool { return e.Kind == rootfs.KindFile && e.Size() == 0 })
		case "-delete":
			del = true
		case "-print":
			printed = false
		case "-exec":
			j := i + 1
			for j < len(args) && args[j] != ";" && args[j] != "+" {
				j++
			}
			execCmd = args[i+1 : j]
			i = j
		case "-o", "-a", "(", ")", "-xdev", "-depth":
		default:
			if strings.HasPrefix(a, "-") {
				i++ // an unsupported test with a value: ignored
			}
		}
	}
	_ = printed
	code := 0
	var matches []string
	for _, root := range roots {
		ap := p.abs(root)
		if pseudo(ap) {
			p.errf("'%s': No such file or directory", root)
			code = 1
			continue
		}
		if _, err := p.s.stat(ap); err != nil {
			p.errf("'%s': No such file or directory", root)
			code = 1
			continue
		}
		prefix := rootfs.Clean(ap)
		p.s.withFS(func(fsys *rootfs.FS) error {
			rootE, _, _ := fsys.Stat(ap)
			visit := func(name, k string, e *rootfs.Entry, depth int) {
				if depth > maxDepth || depth < minDepth {
					return
				}
				for _, t := range tests {
					if !t(name, k, e, depth) {
						return
					}
				}
				matches = append(matches, name)
			}
			visit(root, prefix, rootE, 0)
			return fsys.Walk(func(k string, e *rootfs.Entry) error {
				if prefix != "" && !strings.HasPrefix(k, prefix+"/") {
					return nil
				}
				rel := strings.TrimPrefix(k, prefix)
				rel = strings.TrimPrefix(rel, "/")
				depth := strings.Count(rel, "/") + 1
				visit(strings.TrimSuffix(root, "/")+"/"+rel, k, e, depth)
				return nil
			})
		})
	}
	for _, m := range matches {
		switch {
		case del:
			p.s.withFS(func(fsys *rootfs.FS) error { return fsys.RemoveAll(p.abs(m)) })
		case execCmd != nil:
			var args []string
			for _, a := range execCmd {
				args = append(args, strings.ReplaceAll(a, "{}", m))
			}
			if len(args) > 0 {
				c := *p
				c.name, c.args, c.in = args[0], args[1:], nil
				if c.dispatchChild() != 0 {
					code = 1
				}
			}
		default:
			p.outf("%s\n", m)
		}
	}
	return code
}
