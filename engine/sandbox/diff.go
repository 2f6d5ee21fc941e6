package sandbox

import (
	"fmt"
	"strings"

	"layerlab/engine/rootfs"
)

// maxDiffCells bounds the line-matching table (lines of a times lines of b).
const maxDiffCells = 4 << 20

// diffOp is one line of an edit script: ' ' kept, '-' only in a, '+' only in b.
type diffOp struct {
	kind byte
	a, b int // line indexes (a for ' ' and '-', b for ' ' and '+')
}

// diffLines computes a shortest edit script by longest common subsequence.
func diffLines(a, b []string) ([]diffOp, bool) {
	n, m := len(a), len(b)
	// trim the common head and tail so typical small edits need a tiny table
	pre := 0
	for pre < n && pre < m && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < n-pre && suf < m-pre && a[n-1-suf] == b[m-1-suf] {
		suf++
	}
	aa, bb := a[pre:n-suf], b[pre:m-suf]
	if (len(aa)+1)*(len(bb)+1) > maxDiffCells {
		return nil, false
	}
	w := len(bb) + 1
	lcs := make([]int32, (len(aa)+1)*w)
	for i := len(aa) - 1; i >= 0; i-- {
		for j := len(bb) - 1; j >= 0; j-- {
			if aa[i] == bb[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	var ops []diffOp
	for k := 0; k < pre; k++ {
		ops = append(ops, diffOp{' ', k, k})
	}
	i, j := 0, 0
	for i < len(aa) || j < len(bb) {
		switch {
		case i < len(aa) && j < len(bb) && aa[i] == bb[j]:
			ops = append(ops, diffOp{' ', pre + i, pre + j})
			i++
			j++
		case j < len(bb) && (i == len(aa) || lcs[i*w+j+1] >= lcs[(i+1)*w+j]):
			ops = append(ops, diffOp{'+', pre + i, pre + j})
			j++
		default:
			ops = append(ops, diffOp{'-', pre + i, pre + j})
			i++
		}
	}
	// deletions before insertions within a change, as diff prints them
	for s := 0; s < len(ops); {
		if ops[s].kind == ' ' {
			s++
			continue
		}
		e := s
		for e < len(ops) && ops[e].kind != ' ' {
			e++
		}
		var dels, adds []diffOp
		for _, o := range ops[s:e] {
			if o.kind == '-' {
				dels = append(dels, o)
			} else {
				adds = append(adds, o)
			}
		}
		copy(ops[s:], append(dels, adds...))
		s = e
	}
	for k := 0; k < suf; k++ {
		ops = append(ops, diffOp{' ', n - suf + k, m - suf + k})
	}
	return ops, true
}

// cmdDiff compares two files line by line: unified output (-u; busybox always), or
// GNU's normal format; -q only reports. Exit 0 same, 1 different, 2 trouble.
func cmdDiff(p *proc) int {
	f := parseFlags(p.args, "UL")
	ctxN := 3
	if v, ok := f.val['U']; ok {
		fmt.Sscan(v, &ctxN)
	}
	if f.has('r', "recursive") {
		p.errf("recursive directory comparison is not supported by the layerlab sandbox")
		return 2
	}
	if len(f.args) != 2 {
		if len(f.args) < 2 {
			p.errf("missing operand after '%s'", strings.Join(p.args, " "))
		} else {
			p.errf("extra operand '%s'", f.args[2])
		}
		return 2
	}
	var text [2]string
	var ents [2]*rootfs.Entry
	for i, name := range f.args {
		if name == "-" {
			b, _ := p.readStdin()
			text[i] = string(b)
			ents[i] = &rootfs.Entry{ModTime: p.s.now()}
			continue
		}
		e, err := p.s.stat(p.abs(name))
		if err == nil && e.Kind == rootfs.KindDir {
			p.errf("comparing directories is not supported by the layerlab sandbox: %s", name)
			return 2
		}
		b, err := p.readFile(name)
		if err != nil {
			p.errf("%s", p.pick("can't stat '"+name+"': "+errno(err), name+": "+errno(err)))
			return 2
		}
		text[i], ents[i] = string(b), e
	}
	if text[0] == text[1] {
		return 0
	}
	if f.has('q', "brief") {
		p.outf("Files %s and %s differ\n", f.args[0], f.args[1])
		return 1
	}
	a, b := splitLines([]byte(text[0])), splitLines([]byte(text[1]))
	ops, ok := diffLines(a, b)
	if !ok {
		// Real diff would print the differences: saying only "differ" would be another
		// answer, so the step fails naming the bound.
		p.limitf("the sandbox matches at most %d line pairs to show a diff (lines of one file's differing part times the other's), and %s and %s differ in more", maxDiffCells, f.args[0], f.args[1])
		return 2
	}
	noNL := [2]bool{text[0] != "" && !strings.HasSuffix(text[0], "\n"), text[1] != "" && !strings.HasSuffix(text[1], "\n")}
	unified := p.s.busybox || f.has('u', "unified") || f.has('U')
	if unified {
		stamp := func(e *rootfs.Entry) string { return e.ModTime.UTC().Format("2006-01-02 15:04:05.000000000 +0000") }
		p.outf("--- %s\t%s\n+++ %s\t%s\n", f.args[0], stamp(ents[0]), f.args[1], stamp(ents[1]))
		p.unifiedHunks(ops, a, b, ctxN, noNL)
		return 1
	}
	p.normalDiff(ops, a, b, noNL)
	return 1
}

func (p *proc) unifiedHunks(ops []diffOp, a, b []string, ctxN int, noNL [2]bool) {
	for s := 0; s < len(ops); {
		if ops[s].kind == ' ' {
			s++
			continue
		}
		start := max(s-ctxN, 0)
		end := s
		for {
			for end < len(ops) && ops[end].kind != ' ' {
				end++
			}
			k := end
			for k < len(ops) && ops[k].kind == ' ' {
				k++
			}
			if k < len(ops) && k-end <= 2*ctxN {
				end = k
				continue
			}
			end = min(end+ctxN, len(ops))
			break
		}
		hunk := ops[start:end]
		aStart, bStart, aN, bN := hunk[0].a, hunk[0].b, 0, 0
		for _, o := range hunk {
			if o.kind != '+' {
				aN++
			}
			if o.kind != '-' {
				bN++
			}
		}
		rng := func(st, n int) string {
			if n == 0 {
				return fmt.Sprintf("%d,0", st)
			}
			if n == 1 {
				return fmt.Sprint(st + 1)
			}
			return fmt.Sprintf("%d,%d", st+1, n)
		}
		p.outf("@@ -%s +%s @@\n", rng(aStart, aN), rng(bStart, bN))
		for _, o := range hunk {
			line, last := "", false
			switch o.kind {
			case '+':
				line, last = b[o.b], noNL[1] && o.b == len(b)-1
			default:
				line, last = a[o.a], noNL[0] && o.a == len(a)-1
			}
			p.outf("%c%s\n", o.kind, line)
			if last || (o.kind == ' ' && noNL[1] && o.b == len(b)-1 && !noNL[0]) {
				p.outf("\\ No newline at end of file\n")
			}
		}
		s = end
	}
}

func (p *proc) normalDiff(ops []diffOp, a, b []string, noNL [2]bool) {
	rng := func(lo, hi int) string { // 1-based inclusive
		if lo == hi {
			return fmt.Sprint(lo)
		}
		return fmt.Sprintf("%d,%d", lo, hi)
	}
	for s := 0; s < len(ops); {
		if ops[s].kind == ' ' {
			s++
			continue
		}
		e := s
		for e < len(ops) && ops[e].kind != ' ' {
			e++
		}
		var dels, adds []diffOp
		for _, o := range ops[s:e] {
			if o.kind == '-' {
				dels = append(dels, o)
			} else {
				adds = append(adds, o)
			}
		}
		aPos, bPos := ops[s].a, ops[s].b
		switch {
		case len(adds) == 0:
			p.outf("%sd%d\n", rng(dels[0].a+1, dels[len(dels)-1].a+1), bPos)
		case len(dels) == 0:
			p.outf("%da%s\n", aPos, rng(adds[0].b+1, adds[len(adds)-1].b+1))
		default:
			p.outf("%sc%s\n", rng(dels[0].a+1, dels[len(dels)-1].a+1), rng(adds[0].b+1, adds[len(adds)-1].b+1))
		}
		for _, o := range dels {
			p.outf("< %s\n", a[o.a])
			if noNL[0] && o.a == len(a)-1 {
				p.outf("\\ No newline at end of file\n")
			}
		}
		if len(dels) > 0 && len(adds) > 0 {
			p.outf("---\n")
		}
		for _, o := range adds {
			p.outf("> %s\n", b[o.b])
			if noNL[1] && o.b == len(b)-1 {
				p.outf("\\ No newline at end of file\n")
			}
		}
		s = e
	}
}
