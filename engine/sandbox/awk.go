package sandbox

// A subset of POSIX awk, enough for the one-liners of Dockerfiles and classes:
//
//   - options -F fs, -v var=value, -f progfile, -- ; operands var=value and files ("-" is stdin)
//   - BEGIN and END, patterns (expressions, /re/, ranges pat1, pat2), actions
//   - statements: print and printf (with > file, >> file), if/else, while, do-while,
//     for(;;), for (k in a), break, continue, next, exit [code], delete, blocks
//   - expressions: numbers, strings, /re/, fields $0..$NF (assignable), variables,
//     associative arrays a[k] and (k in a), = += -= *= /= %= ^=, ++ --, ?:, || && !,
//     < <= > >= == !=, ~ !~, concatenation, + - * / % ^, unary - +
//   - variables NR NF FNR FS OFS ORS RS FILENAME SUBSEP RSTART RLENGTH CONVFMT OFMT ENVIRON
//   - functions length substr index split sub gsub match sprintf tolower toupper int
//     sqrt exp log sin cos atan2 rand srand close fflush
//
// Not supported, rejected with exit status 2 and a message saying so: user-defined
// functions, getline, print/printf to a pipe (| "cmd"), system(), nextfile, printf
// %c of multi-byte code points beyond what Go prints, and regular expressions RE2
// cannot compile (backreferences).

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"layerlab/engine/rootfs"
)

// ---- lexer ----

type awkTokKind int

const (
	atEOF awkTokKind = iota
	atNewline
	atNumber
	atString
	atRegex
	atName
	atFunc    // builtin function name
	atKeyword // BEGIN END if else ...
	atPunct
)

type awkTok struct {
	kind awkTokKind
	s    string
	n    float64
	line int
}

var awkKeywords = map[string]bool{"BEGIN": true, "END": true, "if": true, "else": true, "while": true, "for": true,
	"do": true, "break": true, "continue": true, "next": true, "exit": true, "delete": true, "in": true,
	"print": true, "printf": true, "getline": true, "function": true, "func": true, "return": true, "nextfile": true}

var awkBuiltins = map[string]bool{"length": true, "substr": true, "index": true, "split": true, "sub": true,
	"gsub": true, "match": true, "sprintf": true, "tolower": true, "toupper": true, "int": true, "sqrt": true,
	"exp": true, "log": true, "sin": true, "cos": true, "atan2": true, "rand": true, "srand": true,
	"close": true, "fflush": true, "system": true}

type awkError struct {
	msg         string
	unsupported bool
}

func (e *awkError) Error() string { return e.msg }

func awkLex(src string) ([]awkTok, error) {
	var toks []awkTok
	line := 1
	regexOK := func() bool {
		if len(toks) == 0 {
			return true
		}
		t := toks[len(toks)-1]
		switch t.kind {
		case atNumber, atString, atRegex, atName:
			return false
		case atFunc:
			return false
		case atKeyword:
			return t.s != "getline"
		case atPunct:
			return t.s != ")" && t.s != "]" && t.s != "$" && t.s != "++" && t.s != "--"
		}
		return true
	}
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '\\' && i+1 < len(src) && src[i+1] == '\n':
			i += 2
			line++
		case c == '\\' && i+2 < len(src) && src[i+1] == '\r' && src[i+2] == '\n':
			i += 3
			line++
		case c == '\n':
			toks = append(toks, awkTok{kind: atNewline, s: "\n", line: line})
			line++
			i++
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '"':
			var sb strings.Builder
			i++
			for {
				if i >= len(src) || src[i] == '\n' {
					return nil, &awkError{msg: fmt.Sprintf("cmd. line:%d: unterminated string", line)}
				}
				if src[i] == '"' {
					i++
					break
				}
				if src[i] == '\\' && i+1 < len(src) {
					i++
					switch e := src[i]; e {
					case 'n':
						sb.WriteByte('\n')
					case 't':
						sb.WriteByte('\t')
					case 'r':
						sb.WriteByte('\r')
					case '\\':
						sb.WriteByte('\\')
					case '"':
						sb.WriteByte('"')
					case '/':
						sb.WriteByte('/')
					case 'a':
						sb.WriteByte('\a')
					case 'b':
						sb.WriteByte('\b')
					case 'f':
						sb.WriteByte('\f')
					case 'v':
						sb.WriteByte('\v')
					case '\n':
						line++
					default:
						if e >= '0' && e <= '7' {
							n, k := 0, 0
							for k < 3 && i < len(src) && src[i] >= '0' && src[i] <= '7' {
								n = n*8 + int(src[i]-'0')
								i++
								k++
							}
							sb.WriteByte(byte(n))
							continue
						}
						sb.WriteByte('\\')
						sb.WriteByte(e)
					}
					i++
					continue
				}
				sb.WriteByte(src[i])
				i++
			}
			toks = append(toks, awkTok{kind: atString, s: sb.String(), line: line})
		case c == '/' && regexOK():
			var sb strings.Builder
			i++
			inClass := false
			for {
				if i >= len(src) || src[i] == '\n' {
					return nil, &awkError{msg: fmt.Sprintf("cmd. line:%d: unterminated regexp", line)}
				}
				ch := src[i]
				if ch == '\\' && i+1 < len(src) {
					if src[i+1] == '/' {
						sb.WriteByte('/')
					} else {
						sb.WriteByte('\\')
						sb.WriteByte(src[i+1])
					}
					i += 2
					continue
				}
				if ch == '[' {
					inClass = true
				} else if ch == ']' {
					inClass = false
				} else if ch == '/' && !inClass {
					i++
					break
				}
				sb.WriteByte(ch)
				i++
			}
			toks = append(toks, awkTok{kind: atRegex, s: sb.String(), line: line})
		case c >= '0' && c <= '9' || (c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9'):
			j := i
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.') {
				j++
			}
			if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
				k := j + 1
				if k < len(src) && (src[k] == '+' || src[k] == '-') {
					k++
				}
				if k < len(src) && src[k] >= '0' && src[k] <= '9' {
					for k < len(src) && src[k] >= '0' && src[k] <= '9' {
						k++
					}
					j = k
				}
			}
			n, err := strconv.ParseFloat(src[i:j], 64)
			if err != nil {
				return nil, &awkError{msg: fmt.Sprintf("cmd. line:%d: invalid number %s", line, src[i:j])}
			}
			toks = append(toks, awkTok{kind: atNumber, n: n, s: src[i:j], line: line})
			i = j
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(src) && (src[j] == '_' || src[j] >= 'a' && src[j] <= 'z' || src[j] >= 'A' && src[j] <= 'Z' || src[j] >= '0' && src[j] <= '9') {
				j++
			}
			w := src[i:j]
			kind := atName
			if awkKeywords[w] {
				kind = atKeyword
			} else if awkBuiltins[w] {
				kind = atFunc
			}
			toks = append(toks, awkTok{kind: kind, s: w, line: line})
			i = j
		default:
			ops := []string{"+=", "-=", "*=", "/=", "%=", "^=", "==", "<=", ">=", "!=", "++", "--", "&&", "||", ">>", "!~", "**="[:2]}
			matched := ""
			for _, op := range ops {
				if strings.HasPrefix(src[i:], op) {
					matched = op
					break
				}
			}
			if matched == "**" {
				matched = "^"
				i++
			}
			if matched == "" {
				if !strings.ContainsRune("{}()[];,+-*/%^!><|?:~$=", rune(c)) {
					return nil, &awkError{msg: fmt.Sprintf("cmd. line:%d: invalid char '%c' in expression", line, c)}
				}
				matched = string(c)
				i++
			} else {
				i += len(matched)
			}
			toks = append(toks, awkTok{kind: atPunct, s: matched, line: line})
		}
	}
	toks = append(toks, awkTok{kind: atEOF, line: line})
	return toks, nil
}

// ---- AST ----

type awkExpr interface{}

type (
	aNum   struct{ v float64 }
	aStr   struct{ v string }
	aRegex struct{ re string } // matches $0 when used as a value
	aVar   struct{ name string }
	aField struct{ idx awkExpr }
	aIndex struct {
		name string
		subs []awkExpr
	}
	aAssign struct {
		op     string // "=", "+=", ...
		target awkExpr
		val    awkExpr
	}
	aCond struct{ c, a, b awkExpr }
	aBin  struct {
		op   string
		l, r awkExpr
	}
	aUnary struct {
		op string
		e  awkExpr
	}
	aIncr struct {
		op     string // "++" or "--"
		prefix bool
		target awkExpr
	}
	aIn struct {
		subs []awkExpr
		name string
	}
	aMatch struct {
		neg bool
		l   awkExpr
		re  awkExpr
	}
	aCall struct {
		name string
		args []awkExpr
	}
	aGroup struct{ list []awkExpr }
)

type awkStmt interface{}

type (
	sExpr  struct{ e awkExpr }
	sPrint struct {
		printf bool
		args   []awkExpr
		redir  string // "", ">", ">>"
		dest   awkExpr
	}
	sIf struct {
		cond       awkExpr
		then, els_ awkStmt
	}
	sWhile struct {
		cond awkExpr
		body awkStmt
		do   bool
	}
	sFor struct {
		init, post awkStmt
		cond       awkExpr
		body       awkStmt
	}
	sForIn struct {
		v, arr string
		body   awkStmt
	}
	sBlock  struct{ list []awkStmt }
	sNext   struct{}
	sExit   struct{ code awkExpr }
	sBreak  struct{}
	sCont   struct{}
	sDelete struct {
		name string
		subs []awkExpr
	}
)

type awkItem struct {
	kind    string // "BEGIN", "END", "main"
	pattern awkExpr
	pat2    awkExpr // range end
	body    *sBlock // nil: print $0
	inRange bool
}

// ---- parser ----

type awkParser struct {
	toks []awkTok
	i    int
}

func (ps *awkParser) tok() awkTok { return ps.toks[ps.i] }

func (ps *awkParser) is(s string) bool {
	t := ps.tok()
	return (t.kind == atPunct || t.kind == atKeyword) && t.s == s
}

func (ps *awkParser) errAt(msg string) error {
	t := ps.tok()
	near := t.s
	if t.kind == atEOF {
		near = "end of file"
	} else if t.kind == atNewline {
		near = "end of line"
	}
	return &awkError{msg: fmt.Sprintf("cmd. line:%d: syntax error at or near %s%s", t.line, near, msg)}
}

func (ps *awkParser) expect(s string) error {
	if !ps.is(s) {
		return ps.errAt("")
	}
	ps.i++
	return nil
}

func (ps *awkParser) skipNL() {
	for ps.tok().kind == atNewline {
		ps.i++
	}
}

func (ps *awkParser) skipTerms() {
	for ps.tok().kind == atNewline || ps.is(";") {
		ps.i++
	}
}

func unsupported(what string, line int) error {
	return &awkError{msg: fmt.Sprintf("cmd. line:%d: %s: not supported by the layerlab sandbox's awk (exit status 2)", line, what), unsupported: true}
}

func (ps *awkParser) program() ([]*awkItem, error) {
	var items []*awkItem
	ps.skipTerms()
	for ps.tok().kind != atEOF {
		t := ps.tok()
		it := &awkItem{kind: "main"}
		switch {
		case t.kind == atKeyword && (t.s == "function" || t.s == "func"):
			return nil, unsupported("user-defined functions", t.line)
		case t.kind == atKeyword && (t.s == "BEGIN" || t.s == "END"):
			it.kind = t.s
			ps.i++
			ps.skipNL()
			if !ps.is("{") {
				return nil, ps.errAt("")
			}
		case ps.is("{"):
		default:
			e, err := ps.expr(false)
			if err != nil {
				return nil, err
			}
			it.pattern = e
			if ps.is(",") {
				ps.i++
				ps.skipNL()
				if it.pat2, err = ps.expr(false); err != nil {
					return nil, err
				}
			}
		}
		if ps.is("{") {
			b, err := ps.block()
			if err != nil {
				return nil, err
			}
			it.body = b
		}
		items = append(items, it)
		if !(ps.tok().kind == atNewline || ps.is(";") || ps.tok().kind == atEOF || ps.is("{") ||
			(ps.i > 0 && ps.toks[ps.i-1].s == "}")) {
			return nil, ps.errAt("")
		}
		ps.skipTerms()
	}
	return items, nil
}

func (ps *awkParser) block() (*sBlock, error) {
	if err := ps.expect("{"); err != nil {
		return nil, err
	}
	b := &sBlock{}
	for {
		ps.skipTerms()
		if ps.is("}") {
			ps.i++
			return b, nil
		}
		if ps.tok().kind == atEOF {
			return nil, ps.errAt("")
		}
		s, err := ps.stmt()
		if err != nil {
			return nil, err
		}
		b.list = append(b.list, s)
	}
}

// endSimple requires a statement terminator: ; newline, or a following } / EOF.
func (ps *awkParser) endSimple() error {
	switch {
	case ps.is(";") || ps.tok().kind == atNewline:
		ps.i++
		return nil
	case ps.is("}") || ps.tok().kind == atEOF:
		return nil
	}
	return ps.errAt("")
}

func (ps *awkParser) stmt() (awkStmt, error) {
	t := ps.tok()
	if ps.is("{") {
		return ps.block()
	}
	if ps.is(";") {
		ps.i++
		return &sBlock{}, nil
	}
	if t.kind == atKeyword {
		switch t.s {
		case "if":
			ps.i++
			if err := ps.expect("("); err != nil {
				return nil, err
			}
			c, err := ps.expr(false)
			if err != nil {
				return nil, err
			}
			if err := ps.expect(")"); err != nil {
				return nil, err
			}
			ps.skipNL()
			then, err := ps.stmt()
			if err != nil {
				return nil, err
			}
			st := &sIf{cond: c, then: then}
			save := ps.i
			ps.skipTerms()
			if ps.is("else") {
				ps.i++
				ps.skipNL()
				if st.els_, err = ps.stmt(); err != nil {
					return nil, err
				}
			} else {
				ps.i = save
			}
			return st, nil
		case "while":
			ps.i++
			if err := ps.expect("("); err != nil {
				return nil, err
			}
			c, err := ps.expr(false)
			if err != nil {
				return nil, err
			}
			if err := ps.expect(")"); err != nil {
				return nil, err
			}
			if ps.is(";") {
				ps.i++
				return &sWhile{cond: c, body: &sBlock{}}, nil
			}
			ps.skipNL()
			body, err := ps.stmt()
			if err != nil {
				return nil, err
			}
			return &sWhile{cond: c, body: body}, nil
		case "do":
			ps.i++
			ps.skipNL()
			body, err := ps.stmt()
			if err != nil {
				return nil, err
			}
			ps.skipTerms()
			if !ps.is("while") {
				return nil, ps.errAt("")
			}
			ps.i++
			if err := ps.expect("("); err != nil {
				return nil, err
			}
			c, err := ps.expr(false)
			if err != nil {
				return nil, err
			}
			if err := ps.expect(")"); err != nil {
				return nil, err
			}
			return &sWhile{cond: c, body: body, do: true}, ps.endSimple()
		case "for":
			ps.i++
			if err := ps.expect("("); err != nil {
				return nil, err
			}
			// for (k in a)
			if ps.tok().kind == atName && ps.toks[ps.i+1].s == "in" && ps.toks[ps.i+2].kind == atName && ps.toks[ps.i+3].s == ")" {
				v, arr := ps.tok().s, ps.toks[ps.i+2].s
				ps.i += 4
				ps.skipNL()
				body, err := ps.stmt()
				if err != nil {
					return nil, err
				}
				return &sForIn{v: v, arr: arr, body: body}, nil
			}
			st := &sFor{}
			if !ps.is(";") {
				e, err := ps.expr(false)
				if err != nil {
					return nil, err
				}
				st.init = &sExpr{e}
			}
			if err := ps.expect(";"); err != nil {
				return nil, err
			}
			ps.skipNL()
			if !ps.is(";") {
				e, err := ps.expr(false)
				if err != nil {
					return nil, err
				}
				st.cond = e
			}
			if err := ps.expect(";"); err != nil {
				return nil, err
			}
			ps.skipNL()
			if !ps.is(")") {
				e, err := ps.expr(false)
				if err != nil {
					return nil, err
				}
				st.post = &sExpr{e}
			}
			if err := ps.expect(")"); err != nil {
				return nil, err
			}
			if ps.is(";") {
				ps.i++
				st.body = &sBlock{}
				return st, nil
			}
			ps.skipNL()
			body, err := ps.stmt()
			if err != nil {
				return nil, err
			}
			st.body = body
			return st, nil
		case "break":
			ps.i++
			return &sBreak{}, ps.endSimple()
		case "continue":
			ps.i++
			return &sCont{}, ps.endSimple()
		case "next":
			ps.i++
			return &sNext{}, ps.endSimple()
		case "exit":
			ps.i++
			st := &sExit{}
			if !(ps.is(";") || ps.is("}") || ps.tok().kind == atNewline || ps.tok().kind == atEOF) {
				e, err := ps.expr(false)
				if err != nil {
					return nil, err
				}
				st.code = e
			}
			return st, ps.endSimple()
		case "delete":
			ps.i++
			if ps.tok().kind != atName {
				return nil, ps.errAt("")
			}
			st := &sDelete{name: ps.tok().s}
			ps.i++
			if ps.is("[") {
				ps.i++
				subs, err := ps.exprList("]")
				if err != nil {
					return nil, err
				}
				st.subs = subs
			}
			return st, ps.endSimple()
		case "print", "printf":
			ps.i++
			st := &sPrint{printf: t.s == "printf"}
			if !(ps.is(";") || ps.is("}") || ps.is(">") || ps.is(">>") || ps.is("|") || ps.tok().kind == atNewline || ps.tok().kind == atEOF) {
				for {
					e, err := ps.expr(true)
					if err != nil {
						return nil, err
					}
					if g, ok := e.(*aGroup); ok && len(st.args) == 0 {
						st.args = append(st.args, g.list...)
					} else {
						st.args = append(st.args, e)
					}
					if !ps.is(",") {
						break
					}
					ps.i++
					ps.skipNL()
				}
			}
			if ps.is("|") {
				return nil, unsupported("print to a pipe (| \"command\")", ps.tok().line)
			}
			if ps.is(">") || ps.is(">>") {
				st.redir = ps.tok().s
				ps.i++
				d, err := ps.concat(true)
				if err != nil {
					return nil, err
				}
				st.dest = d
			}
			if st.printf && len(st.args) == 0 {
				return nil, ps.errAt("")
			}
			return st, ps.endSimple()
		case "getline":
			return nil, unsupported("getline", t.line)
		case "nextfile":
			return nil, unsupported("nextfile", t.line)
		case "return":
			return nil, unsupported("return (user-defined functions)", t.line)
		}
	}
	e, err := ps.expr(false)
	if err != nil {
		return nil, err
	}
	return &sExpr{e}, ps.endSimple()
}

func (ps *awkParser) exprList(end string) ([]awkExpr, error) {
	var list []awkExpr
	for {
		ps.skipNL()
		e, err := ps.expr(false)
		if err != nil {
			return nil, err
		}
		list = append(list, e)
		ps.skipNL()
		if ps.is(",") {
			ps.i++
			continue
		}
		if err := ps.expect(end); err != nil {
			return nil, err
		}
		return list, nil
	}
}

func isLvalue(e awkExpr) bool {
	switch e.(type) {
	case *aVar, *aField, *aIndex:
		return true
	}
	return false
}

// expr parses an expression; noGT (print arguments) leaves > for redirection.
func (ps *awkParser) expr(noGT bool) (awkExpr, error) {
	l, err := ps.ternary(noGT)
	if err != nil {
		return nil, err
	}
	t := ps.tok()
	if t.kind == atPunct {
		switch t.s {
		case "=", "+=", "-=", "*=", "/=", "%=", "^=":
			if !isLvalue(l) {
				if t.s == "/=" {
					return nil, ps.errAt("")
				}
				return nil, ps.errAt("")
			}
			ps.i++
			ps.skipNL()
			r, err := ps.expr(noGT)
			if err != nil {
				return nil, err
			}
			return &aAssign{op: t.s, target: l, val: r}, nil
		}
	}
	return l, nil
}

func (ps *awkParser) ternary(noGT bool) (awkExpr, error) {
	c, err := ps.or(noGT)
	if err != nil {
		return nil, err
	}
	if !ps.is("?") {
		return c, nil
	}
	ps.i++
	ps.skipNL()
	a, err := ps.expr(noGT)
	if err != nil {
		return nil, err
	}
	ps.skipNL()
	if err := ps.expect(":"); err != nil {
		return nil, err
	}
	ps.skipNL()
	b, err := ps.expr(noGT)
	if err != nil {
		return nil, err
	}
	return &aCond{c, a, b}, nil
}

func (ps *awkParser) or(noGT bool) (awkExpr, error) {
	l, err := ps.and(noGT)
	for err == nil && ps.is("||") {
		ps.i++
		ps.skipNL()
		var r awkExpr
		if r, err = ps.and(noGT); err == nil {
			l = &aBin{op: "||", l: l, r: r}
		}
	}
	return l, err
}

func (ps *awkParser) and(noGT bool) (awkExpr, error) {
	l, err := ps.in(noGT)
	for err == nil && ps.is("&&") {
		ps.i++
		ps.skipNL()
		var r awkExpr
		if r, err = ps.in(noGT); err == nil {
			l = &aBin{op: "&&", l: l, r: r}
		}
	}
	return l, err
}

func (ps *awkParser) in(noGT bool) (awkExpr, error) {
	l, err := ps.match(noGT)
	for err == nil && ps.is("in") {
		ps.i++
		if ps.tok().kind != atName {
			return nil, ps.errAt("")
		}
		subs := []awkExpr{l}
		if g, ok := l.(*aGroup); ok {
			subs = g.list
		}
		l = &aIn{subs: subs, name: ps.tok().s}
		ps.i++
	}
	return l, err
}

func (ps *awkParser) match(noGT bool) (awkExpr, error) {
	l, err := ps.compare(noGT)
	for err == nil && (ps.is("~") || ps.is("!~")) {
		neg := ps.tok().s == "!~"
		ps.i++
		var r awkExpr
		if r, err = ps.compare(noGT); err == nil {
			l = &aMatch{neg: neg, l: l, re: r}
		}
	}
	return l, err
}

func (ps *awkParser) compare(noGT bool) (awkExpr, error) {
	l, err := ps.concat(noGT)
	if err != nil {
		return nil, err
	}
	t := ps.tok()
	if t.kind == atPunct {
		switch t.s {
		case "<", "<=", "==", "!=", ">=", ">":
			if noGT && t.s == ">" {
				return l, nil
			}
			ps.i++
			r, err := ps.concat(noGT)
			if err != nil {
				return nil, err
			}
			return &aBin{op: t.s, l: l, r: r}, nil
		}
	}
	return l, nil
}

// startsOperand reports whether the current token can begin a concatenated operand.
func (ps *awkParser) startsOperand() bool {
	t := ps.tok()
	switch t.kind {
	case atNumber, atString, atRegex, atName, atFunc:
		return true
	case atPunct:
		return t.s == "$" || t.s == "(" || t.s == "!" || t.s == "-" || t.s == "+" || t.s == "++" || t.s == "--"
	}
	return false
}

func (ps *awkParser) concat(noGT bool) (awkExpr, error) {
	l, err := ps.additive()
	if err != nil {
		return nil, err
	}
	for ps.startsOperand() && !ps.is("!") {
		r, err := ps.additive()
		if err != nil {
			return nil, err
		}
		l = &aBin{op: "concat", l: l, r: r}
	}
	return l, nil
}

func (ps *awkParser) additive() (awkExpr, error) {
	l, err := ps.mul()
	for err == nil && (ps.is("+") || ps.is("-")) {
		op := ps.tok().s
		ps.i++
		var r awkExpr
		if r, err = ps.mul(); err == nil {
			l = &aBin{op: op, l: l, r: r}
		}
	}
	return l, err
}

func (ps *awkParser) mul() (awkExpr, error) {
	l, err := ps.unary()
	for err == nil && (ps.is("*") || ps.is("/") || ps.is("%")) {
		op := ps.tok().s
		ps.i++
		var r awkExpr
		if r, err = ps.unary(); err == nil {
			l = &aBin{op: op, l: l, r: r}
		}
	}
	return l, err
}

func (ps *awkParser) unary() (awkExpr, error) {
	if ps.is("!") || ps.is("-") || ps.is("+") {
		op := ps.tok().s
		ps.i++
		e, err := ps.unary()
		if err != nil {
			return nil, err
		}
		return &aUnary{op: op, e: e}, nil
	}
	return ps.power()
}

func (ps *awkParser) power() (awkExpr, error) {
	l, err := ps.postfix()
	if err != nil {
		return nil, err
	}
	if ps.is("^") {
		ps.i++
		r, err := ps.unaryPow()
		if err != nil {
			return nil, err
		}
		return &aBin{op: "^", l: l, r: r}, nil
	}
	return l, nil
}

// unaryPow is the right operand of ^: it may carry a sign and is right-associative.
func (ps *awkParser) unaryPow() (awkExpr, error) {
	if ps.is("-") || ps.is("+") || ps.is("!") {
		op := ps.tok().s
		ps.i++
		e, err := ps.unaryPow()
		if err != nil {
			return nil, err
		}
		return &aUnary{op: op, e: e}, nil
	}
	return ps.power()
}

func (ps *awkParser) postfix() (awkExpr, error) {
	if ps.is("++") || ps.is("--") {
		op := ps.tok().s
		ps.i++
		e, err := ps.postfix()
		if err != nil {
			return nil, err
		}
		if !isLvalue(e) {
			return nil, ps.errAt("")
		}
		return &aIncr{op: op, prefix: true, target: e}, nil
	}
	e, err := ps.primary()
	if err != nil {
		return nil, err
	}
	if isLvalue(e) && (ps.is("++") || ps.is("--")) {
		op := ps.tok().s
		ps.i++
		return &aIncr{op: op, target: e}, nil
	}
	return e, nil
}

func (ps *awkParser) primary() (awkExpr, error) {
	t := ps.tok()
	switch t.kind {
	case atNumber:
		ps.i++
		return &aNum{t.n}, nil
	case atString:
		ps.i++
		return &aStr{t.s}, nil
	case atRegex:
		ps.i++
		return &aRegex{t.s}, nil
	case atName:
		ps.i++
		if ps.is("[") {
			ps.i++
			subs, err := ps.exprList("]")
			if err != nil {
				return nil, err
			}
			return &aIndex{name: t.s, subs: subs}, nil
		}
		if ps.is("(") && ps.toks[ps.i-1].kind == atName {
			return nil, unsupported("calling user-defined function "+t.s+"()", t.line)
		}
		return &aVar{t.s}, nil
	case atFunc:
		ps.i++
		if t.s == "system" {
			return nil, unsupported("system()", t.line)
		}
		if !ps.is("(") {
			if t.s == "length" {
				return &aCall{name: "length"}, nil
			}
			return nil, ps.errAt("")
		}
		ps.i++
		var args []awkExpr
		ps.skipNL()
		if ps.is(")") {
			ps.i++
		} else {
			var err error
			if args, err = ps.exprList(")"); err != nil {
				return nil, err
			}
		}
		return &aCall{name: t.s, args: args}, nil
	case atKeyword:
		if t.s == "getline" {
			return nil, unsupported("getline", t.line)
		}
	case atPunct:
		switch t.s {
		case "$":
			ps.i++
			if ps.is("++") || ps.is("--") {
				e, err := ps.postfix()
				if err != nil {
					return nil, err
				}
				return &aField{e}, nil
			}
			if ps.is("-") || ps.is("!") {
				op := ps.tok().s
				ps.i++
				e, err := ps.primary()
				if err != nil {
					return nil, err
				}
				return &aField{&aUnary{op: op, e: e}}, nil
			}
			e, err := ps.primary()
			if err != nil {
				return nil, err
			}
			return &aField{e}, nil
		case "(":
			ps.i++
			ps.skipNL()
			e, err := ps.expr(false)
			if err != nil {
				return nil, err
			}
			ps.skipNL()
			if ps.is(",") {
				ps.i++
				rest, err := ps.exprList(")")
				if err != nil {
					return nil, err
				}
				return &aGroup{list: append([]awkExpr{e}, rest...)}, nil
			}
			if err := ps.expect(")"); err != nil {
				return nil, err
			}
			return e, nil
		}
	}
	return nil, ps.errAt("")
}

// ---- values ----

type awkKind uint8

const (
	akUninit awkKind = iota
	akNum
	akStr
	akStrnum // input data: numeric if it looks numeric
)

type awkCell struct {
	kind awkKind
	s    string
	n    float64
}

func awkNumCell(n float64) awkCell { return awkCell{kind: akNum, n: n} }
func awkStrCell(s string) awkCell  { return awkCell{kind: akStr, s: s} }

func awkInput(s string) awkCell {
	c := awkCell{kind: akStr, s: s}
	if t := strings.TrimSpace(s); t != "" {
		if n, err := strconv.ParseFloat(t, 64); err == nil && !strings.ContainsAny(t, "xXnNiI") {
			c.kind, c.n = akStrnum, n
		}
	}
	return c
}

// leadingNumber is awk's string-to-number: the longest numeric prefix, else 0.
func leadingNumber(s string) float64 {
	s = strings.TrimLeft(s, " \t\n\r\f\v")
	end := 0
	if end < len(s) && (s[end] == '+' || s[end] == '-') {
		end++
	}
	digits := false
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
		digits = true
	}
	if end < len(s) && s[end] == '.' {
		end++
		for end < len(s) && s[end] >= '0' && s[end] <= '9' {
			end++
			digits = true
		}
	}
	if !digits {
		return 0
	}
	if end < len(s) && (s[end] == 'e' || s[end] == 'E') {
		k := end + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && s[k] >= '0' && s[k] <= '9' {
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			end = k
		}
	}
	n, _ := strconv.ParseFloat(s[:end], 64)
	return n
}

func (c awkCell) num() float64 {
	switch c.kind {
	case akNum, akStrnum:
		return c.n
	case akStr:
		return leadingNumber(c.s)
	}
	return 0
}

func awkFormatNum(n float64, format string) string {
	if n == math.Trunc(n) && math.Abs(n) < 1e16 {
		return strconv.FormatFloat(n, 'f', 0, 64)
	}
	if math.IsNaN(n) {
		return "nan"
	}
	if math.IsInf(n, 1) {
		return "inf"
	}
	if math.IsInf(n, -1) {
		return "-inf"
	}
	return awkSprintf(format, []awkCell{awkNumCell(n)}, "%.6g")
}

func (c awkCell) str(convfmt string) string {
	switch c.kind {
	case akNum:
		return awkFormatNum(c.n, convfmt)
	case akUninit:
		return ""
	}
	return c.s
}

func (c awkCell) truthy() bool {
	switch c.kind {
	case akNum:
		return c.n != 0
	case akStr:
		return c.s != ""
	case akStrnum:
		return c.n != 0
	}
	return false
}

// ---- interpreter ----

type awkCtl int

const (
	ctlNone awkCtl = iota
	ctlNext
	ctlExit
	ctlBreak
	ctlCont
)

const (
	awkMaxString = 16 << 20
	awkMaxArray  = 1 << 20
	awkMaxFields = 100000 // fields a program may set ($N = v, NF = N)
)

type awkInterp struct {
	p      *proc
	vars   map[string]awkCell
	arrays map[string]map[string]awkCell
	record string
	fields []string // fields[0] unused; lazily split
	split  bool
	nf     int
	exitC  int
	res    map[string]*regexp.Regexp
	files  map[string]*bytes.Buffer
	order  []string
	steps  int
	rnd    uint64
}

type awkRuntimeError struct{ msg string }

func (e *awkRuntimeError) Error() string { return e.msg }

func (in *awkInterp) fail(format string, a ...any) {
	panic(&awkRuntimeError{msg: fmt.Sprintf(format, a...)})
}

// limit stops the program at one of the sandbox's bounds: the step fails with a line
// that names it (limitf), where real awk would have gone on.
func (in *awkInterp) limit(format string, a ...any) {
	in.p.limitf(format, a...)
	panic(errAwkKilled)
}

// stringLimit fails the step at awkMaxString.
func (in *awkInterp) stringLimit() {
	in.limit("the sandbox holds at most %s in one awk string, and this program makes a longer one", humanBytes(awkMaxString))
}

func (in *awkInterp) get(name string) awkCell {
	if name == "NF" {
		in.splitRecord()
		return awkNumCell(float64(in.nf))
	}
	if _, isArr := in.arrays[name]; isArr {
		in.fail("can't use array %s in scalar context", name)
	}
	return in.vars[name]
}

func (in *awkInterp) sget0(name string) string {
	c := in.vars[name]
	if c.kind == akNum {
		return awkFormatNum(c.n, "%.6g")
	}
	return c.s
}

func (in *awkInterp) set(name string, c awkCell) {
	if _, isArr := in.arrays[name]; isArr {
		in.fail("can't assign to %s; it's an array name.", name)
	}
	if name == "NF" {
		in.splitRecord()
		n := int(c.num())
		if n < 0 {
			in.fail("NF set to an invalid value %d", n)
		}
		if n > awkMaxFields {
			in.limit("the sandbox holds at most %d fields in an awk record; NF set to %d", awkMaxFields, n)
		}
		for len(in.fields) <= n {
			in.fields = append(in.fields, "")
		}
		in.fields = in.fields[:n+1]
		in.nf = n
		in.rebuild()
		return
	}
	if c.kind == akStr && len(c.s) > awkMaxString {
		in.stringLimit()
	}
	in.vars[name] = c
}

func (in *awkInterp) array(name string) map[string]awkCell {
	if _, isVar := in.vars[name]; isVar && in.vars[name].kind != akUninit {
		in.fail("can't use scalar %s as array", name)
	}
	a, ok := in.arrays[name]
	if !ok {
		a = map[string]awkCell{}
		in.arrays[name] = a
	}
	return a
}

func (in *awkInterp) setRecord(s string) {
	in.record = s
	in.split = false
}

func (in *awkInterp) splitRecord() {
	if in.split {
		return
	}
	in.split = true
	parts := in.splitFS(in.record, in.sget0("FS"))
	in.fields = append([]string{""}, parts...)
	in.nf = len(parts)
}

func (in *awkInterp) splitFS(s, fs string) []string {
	if s == "" {
		return nil
	}
	switch {
	case fs == " ":
		return strings.Fields(s)
	case fs == "\t" || (len(fs) == 1 && fs != "\\"):
		return strings.Split(s, fs)
	}
	re := in.regex(fs)
	return re.Split(s, -1)
}

func (in *awkInterp) rebuild() {
	ofs := in.sget0("OFS")
	in.record = strings.Join(in.fields[1:in.nf+1], ofs)
}

func (in *awkInterp) getField(i int) awkCell {
	if i < 0 {
		in.fail("trying to access out of range field %d", i)
	}
	if i == 0 {
		return awkInput(in.record)
	}
	in.splitRecord()
	if i > in.nf {
		return awkCell{}
	}
	return awkInput(in.fields[i])
}

func (in *awkInterp) setField(i int, v string) {
	if i < 0 {
		in.fail("trying to access out of range field %d", i)
	}
	if i > awkMaxFields {
		in.limit("the sandbox holds at most %d fields in an awk record; the program sets $%d", awkMaxFields, i)
	}
	if i == 0 {
		in.setRecord(v)
		return
	}
	in.splitRecord()
	for len(in.fields) <= i {
		in.fields = append(in.fields, "")
	}
	in.fields[i] = v
	if i > in.nf {
		in.nf = i
	}
	in.fields = in.fields[:in.nf+1]
	in.rebuild()
}

func (in *awkInterp) regex(src string) *regexp.Regexp {
	if re, ok := in.res[src]; ok {
		return re
	}
	re, err := regexp.Compile(awkRegex(src))
	if err != nil {
		in.fail("regular expression /%s/ is not supported by the layerlab sandbox (%v)", src, err)
	}
	if len(in.res) < 1000 {
		in.res[src] = re
	}
	return re
}

// awkRegex adapts an ERE to Go syntax: a literal { that does not start a valid
// repetition is escaped.
func awkRegex(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			b.WriteByte(c)
			b.WriteByte(s[i+1])
			i++
			continue
		}
		if c == '{' {
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ',') {
				j++
			}
			if j == i+1 || j >= len(s) || s[j] != '}' {
				b.WriteString(`\{`)
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

func (in *awkInterp) tick() {
	in.steps++
	if in.steps&1023 == 0 {
		if in.p.ctx.Err() != nil || in.p.s.limitErr() != nil {
			panic(errAwkKilled)
		}
	}
}

var errAwkKilled = errors.New("awk killed")

func (in *awkInterp) subscript(subs []awkExpr) string {
	if len(subs) == 1 {
		return in.eval(subs[0]).str(in.sget0("CONVFMT"))
	}
	parts := make([]string, len(subs))
	for i, s := range subs {
		parts[i] = in.eval(s).str(in.sget0("CONVFMT"))
	}
	return strings.Join(parts, in.sget0("SUBSEP"))
}

func (in *awkInterp) assign(target awkExpr, c awkCell) {
	switch t := target.(type) {
	case *aVar:
		in.set(t.name, c)
	case *aField:
		in.setField(int(in.eval(t.idx).num()), c.str(in.sget0("CONVFMT")))
	case *aIndex:
		a := in.array(t.name)
		k := in.subscript(t.subs)
		if _, ok := a[k]; !ok && len(a) >= awkMaxArray {
			in.limit("the sandbox holds at most %d elements in one awk array, and this program puts more in %s", awkMaxArray, t.name)
		}
		if c.kind == akStr && len(c.s) > awkMaxString {
			in.stringLimit()
		}
		a[k] = c
	}
}

func (in *awkInterp) eval(e awkExpr) awkCell {
	in.tick()
	switch x := e.(type) {
	case *aNum:
		return awkNumCell(x.v)
	case *aStr:
		return awkStrCell(x.v)
	case *aRegex:
		return awkBool(in.regex(x.re).MatchString(in.record))
	case *aGroup:
		// (a, b) outside print/in: concatenate with SUBSEP like a subscript
		return awkStrCell(in.subscript(x.list))
	case *aVar:
		return in.get(x.name)
	case *aField:
		return in.getField(int(in.eval(x.idx).num()))
	case *aIndex:
		a := in.array(x.name)
		k := in.subscript(x.subs)
		c, ok := a[k]
		if !ok {
			if len(a) >= awkMaxArray {
				in.limit("the sandbox holds at most %d elements in one awk array, and this program puts more in %s", awkMaxArray, x.name)
			}
			a[k] = awkCell{}
		}
		return c
	case *aIn:
		_, ok := in.array(x.name)[in.subscript(x.subs)]
		return awkBool(ok)
	case *aAssign:
		v := in.eval(x.val)
		if x.op != "=" {
			cur := in.eval(x.target).num()
			v = awkNumCell(awkArith(in, x.op[:1], cur, v.num()))
		} else if v.kind == akUninit {
			v = awkCell{}
		}
		in.assign(x.target, v)
		return v
	case *aCond:
		if in.eval(x.c).truthy() {
			return in.eval(x.a)
		}
		return in.eval(x.b)
	case *aUnary:
		v := in.eval(x.e)
		switch x.op {
		case "!":
			return awkBool(!v.truthy())
		case "-":
			return awkNumCell(-v.num())
		}
		return awkNumCell(v.num())
	case *aIncr:
		old := in.eval(x.target).num()
		n := old + 1
		if x.op == "--" {
			n = old - 1
		}
		in.assign(x.target, awkNumCell(n))
		if x.prefix {
			return awkNumCell(n)
		}
		return awkNumCell(old)
	case *aMatch:
		l := in.eval(x.l).str(in.sget0("CONVFMT"))
		var re *regexp.Regexp
		if r, ok := x.re.(*aRegex); ok {
			re = in.regex(r.re)
		} else {
			re = in.regex(in.eval(x.re).str(in.sget0("CONVFMT")))
		}
		return awkBool(re.MatchString(l) != x.neg)
	case *aBin:
		switch x.op {
		case "&&":
			return awkBool(in.eval(x.l).truthy() && in.eval(x.r).truthy())
		case "||":
			return awkBool(in.eval(x.l).truthy() || in.eval(x.r).truthy())
		case "concat":
			l := in.eval(x.l).str(in.sget0("CONVFMT"))
			r := in.eval(x.r).str(in.sget0("CONVFMT"))
			if len(l)+len(r) > awkMaxString {
				in.stringLimit()
			}
			return awkStrCell(l + r)
		case "<", "<=", ">", ">=", "==", "!=":
			l, r := in.eval(x.l), in.eval(x.r)
			var c int
			if awkNumeric(l) && awkNumeric(r) {
				ln, rn := l.num(), r.num()
				switch {
				case ln < rn:
					c = -1
				case ln > rn:
					c = 1
				}
			} else {
				c = strings.Compare(l.str(in.sget0("CONVFMT")), r.str(in.sget0("CONVFMT")))
			}
			switch x.op {
			case "<":
				return awkBool(c < 0)
			case "<=":
				return awkBool(c <= 0)
			case ">":
				return awkBool(c > 0)
			case ">=":
				return awkBool(c >= 0)
			case "==":
				return awkBool(c == 0)
			}
			return awkBool(c != 0)
		}
		return awkNumCell(awkArith(in, x.op, in.eval(x.l).num(), in.eval(x.r).num()))
	case *aCall:
		return in.call(x)
	}
	in.fail("internal error: unknown expression %T", e)
	return awkCell{}
}

func awkNumeric(c awkCell) bool { return c.kind == akNum || c.kind == akStrnum || c.kind == akUninit }

func awkBool(b bool) awkCell {
	if b {
		return awkNumCell(1)
	}
	return awkNumCell(0)
}

func awkArith(in *awkInterp, op string, a, b float64) float64 {
	switch op {
	case "+":
		return a + b
	case "-":
		return a - b
	case "*":
		return a * b
	case "/":
		if b == 0 {
			in.fail("division by zero")
		}
		return a / b
	case "%":
		if b == 0 {
			in.fail("division by zero in %%")
		}
		return math.Mod(a, b)
	case "^":
		return math.Pow(a, b)
	}
	return 0
}

func (in *awkInterp) call(x *aCall) awkCell {
	argc := len(x.args)
	need := func(lo, hi int) {
		if argc < lo || argc > hi {
			in.fail("function %s called with %d args", x.name, argc)
		}
	}
	str := func(i int) string { return in.eval(x.args[i]).str(in.sget0("CONVFMT")) }
	num := func(i int) float64 { return in.eval(x.args[i]).num() }
	switch x.name {
	case "length":
		need(0, 1)
		if argc == 0 {
			return awkNumCell(float64(len([]rune(in.record))))
		}
		if v, ok := x.args[0].(*aVar); ok {
			if a, isArr := in.arrays[v.name]; isArr {
				return awkNumCell(float64(len(a)))
			}
		}
		return awkNumCell(float64(len([]rune(str(0)))))
	case "substr":
		need(2, 3)
		r := []rune(str(0))
		m := math.Round(num(1))
		end := math.Inf(1)
		if argc == 3 {
			end = m + math.Round(num(2))
		}
		lo := math.Max(m, 1)
		hi := math.Min(end, float64(len(r)+1))
		if hi <= lo || math.IsNaN(lo) || math.IsNaN(hi) {
			return awkStrCell("")
		}
		return awkStrCell(string(r[int(lo)-1 : int(hi)-1]))
	case "index":
		need(2, 2)
		s, t := str(0), str(1)
		i := strings.Index(s, t)
		if i < 0 {
			return awkNumCell(0)
		}
		return awkNumCell(float64(len([]rune(s[:i])) + 1))
	case "split":
		need(2, 3)
		v, ok := x.args[1].(*aVar)
		if !ok {
			in.fail("split: second argument is not an array name")
		}
		s := str(0)
		fs := in.sget0("FS")
		var parts []string
		if argc == 3 {
			if r, ok := x.args[2].(*aRegex); ok {
				if s != "" {
					parts = in.regex(r.re).Split(s, -1)
				}
			} else {
				parts = in.splitFS(s, str(2))
			}
		} else {
			parts = in.splitFS(s, fs)
		}
		if len(parts) > awkMaxArray {
			in.limit("the sandbox holds at most %d elements in one awk array, and split makes %d", awkMaxArray, len(parts))
		}
		a := in.array(v.name)
		clear(a)
		for i, pt := range parts {
			a[strconv.Itoa(i+1)] = awkInput(pt)
		}
		return awkNumCell(float64(len(parts)))
	case "sub", "gsub":
		need(2, 3)
		var re *regexp.Regexp
		if r, ok := x.args[0].(*aRegex); ok {
			re = in.regex(r.re)
		} else {
			re = in.regex(str(0))
		}
		repl := str(1)
		var target awkExpr = &aField{&aNum{0}}
		if argc == 3 {
			target = x.args[2]
			if !isLvalue(target) {
				in.fail("%s third parameter is not a changeable object", x.name)
			}
		}
		src := in.eval(target).str(in.sget0("CONVFMT"))
		n := 0
		var out strings.Builder
		last := 0
		for _, m := range re.FindAllStringIndex(src, -1) {
			if x.name == "sub" && n == 1 {
				break
			}
			out.WriteString(src[last:m[0]])
			awkExpandRepl(&out, repl, src[m[0]:m[1]])
			last = m[1]
			n++
			if out.Len() > awkMaxString {
				in.stringLimit()
			}
		}
		if n > 0 {
			out.WriteString(src[last:])
			in.assign(target, awkStrCell(out.String()))
		}
		return awkNumCell(float64(n))
	case "match":
		need(2, 2)
		s := str(0)
		var re *regexp.Regexp
		if r, ok := x.args[1].(*aRegex); ok {
			re = in.regex(r.re)
		} else {
			re = in.regex(str(1))
		}
		m := re.FindStringIndex(s)
		if m == nil {
			in.vars["RSTART"], in.vars["RLENGTH"] = awkNumCell(0), awkNumCell(-1)
			return awkNumCell(0)
		}
		start := float64(len([]rune(s[:m[0]])) + 1)
		in.vars["RSTART"] = awkNumCell(start)
		in.vars["RLENGTH"] = awkNumCell(float64(len([]rune(s[m[0]:m[1]]))))
		return awkNumCell(start)
	case "sprintf":
		if argc == 0 {
			in.fail("sprintf: no format")
		}
		vals := make([]awkCell, argc-1)
		for i := range vals {
			vals[i] = in.eval(x.args[i+1])
		}
		return awkStrCell(awkSprintf(str(0), vals, in.sget0("CONVFMT")))
	case "tolower":
		need(1, 1)
		return awkStrCell(strings.ToLower(str(0)))
	case "toupper":
		need(1, 1)
		return awkStrCell(strings.ToUpper(str(0)))
	case "int":
		need(1, 1)
		return awkNumCell(math.Trunc(num(0)))
	case "sqrt":
		need(1, 1)
		return awkNumCell(math.Sqrt(num(0)))
	case "exp":
		need(1, 1)
		return awkNumCell(math.Exp(num(0)))
	case "log":
		need(1, 1)
		return awkNumCell(math.Log(num(0)))
	case "sin":
		need(1, 1)
		return awkNumCell(math.Sin(num(0)))
	case "cos":
		need(1, 1)
		return awkNumCell(math.Cos(num(0)))
	case "atan2":
		need(2, 2)
		return awkNumCell(math.Atan2(num(0), num(1)))
	case "rand":
		need(0, 0)
		in.rnd ^= in.rnd << 13
		in.rnd ^= in.rnd >> 7
		in.rnd ^= in.rnd << 17
		return awkNumCell(float64(in.rnd>>11) / float64(1<<53))
	case "srand":
		need(0, 1)
		seed := 0.0
		if argc == 1 {
			seed = num(0)
		}
		in.rnd = uint64(seed)*2654435761 + 88172645463325252
		return awkNumCell(0)
	case "close":
		need(1, 1)
		name := str(0)
		if _, ok := in.files[name]; ok {
			in.flushFile(name)
			delete(in.files, name)
			return awkNumCell(0)
		}
		return awkNumCell(-1)
	case "fflush":
		in.flushOut()
		return awkNumCell(0)
	}
	in.fail("function %s is not supported by the layerlab sandbox's awk", x.name)
	return awkCell{}
}

// awkExpandRepl writes a sub/gsub replacement: & is the match, \& a literal &.
func awkExpandRepl(b *strings.Builder, repl, match string) {
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		if c == '\\' && i+1 < len(repl) && (repl[i+1] == '&' || repl[i+1] == '\\') {
			b.WriteByte(repl[i+1])
			i++
			continue
		}
		if c == '&' {
			b.WriteString(match)
			continue
		}
		b.WriteByte(c)
	}
}

// awkSprintf formats like printf(3) with awk's conversions.
func awkSprintf(format string, vals []awkCell, convfmt string) string {
	var b strings.Builder
	next := 0
	arg := func() (awkCell, bool) {
		if next < len(vals) {
			next++
			return vals[next-1], true
		}
		return awkCell{}, false
	}
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(format) && format[i+1] == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		j := i + 1
		spec := "%"
		for j < len(format) && strings.IndexByte("-+ #0", format[j]) >= 0 {
			spec += string(format[j])
			j++
		}
		for _, part := range []int{0, 1} {
			if part == 1 {
				if j < len(format) && format[j] == '.' {
					spec += "."
					j++
				} else {
					break
				}
			}
			if j < len(format) && format[j] == '*' {
				v, _ := arg()
				spec += strconv.Itoa(max(min(int(v.num()), 1000), -1000))
				j++
				continue
			}
			for j < len(format) && format[j] >= '0' && format[j] <= '9' {
				spec += string(format[j])
				j++
			}
		}
		for j < len(format) && strings.IndexByte("hlLqjzt", format[j]) >= 0 {
			j++
		}
		if j >= len(format) {
			b.WriteString(format[i:])
			break
		}
		conv := format[j]
		v, _ := arg()
		switch conv {
		case 'd', 'i':
			n := v.num()
			if math.IsNaN(n) || math.IsInf(n, 0) {
				b.WriteString(fmt.Sprintf(strings.ReplaceAll(spec, "0", "")+"f", n))
			} else {
				b.WriteString(fmt.Sprintf(spec+"d", int64(n)))
			}
		case 'o', 'x', 'X':
			b.WriteString(fmt.Sprintf(spec+string(conv), uint64(int64(v.num()))))
		case 'u':
			b.WriteString(fmt.Sprintf(spec+"d", uint64(int64(v.num()))))
		case 'e', 'E', 'f', 'F', 'g', 'G':
			if conv == 'F' {
				conv = 'f'
			}
			b.WriteString(fmt.Sprintf(spec+string(conv), v.num()))
		case 'c':
			var s string
			if v.kind == akNum {
				s = string(rune(int(v.num())))
			} else if r := []rune(v.str(convfmt)); len(r) > 0 {
				s = string(r[0])
			}
			b.WriteString(fmt.Sprintf(strings.Split(spec, ".")[0]+"s", s))
		case 's':
			b.WriteString(fmt.Sprintf(spec+"s", v.str(convfmt)))
		default:
			b.WriteString(format[i : j+1])
			next--
			if next < 0 {
				next = 0
			}
		}
		i = j
	}
	return b.String()
}

func (in *awkInterp) output(st *sPrint) {
	var text string
	if st.printf {
		vals := make([]awkCell, len(st.args)-1)
		for i := range vals {
			vals[i] = in.eval(st.args[i+1])
		}
		text = awkSprintf(in.eval(st.args[0]).str(in.sget0("CONVFMT")), vals, in.sget0("CONVFMT"))
	} else {
		if len(st.args) == 0 {
			text = in.record
		} else {
			parts := make([]string, len(st.args))
			for i, a := range st.args {
				c := in.eval(a)
				if c.kind == akNum {
					parts[i] = awkFormatNum(c.n, in.sget0("OFMT"))
				} else {
					parts[i] = c.str(in.sget0("CONVFMT"))
				}
			}
			text = strings.Join(parts, in.sget0("OFS"))
		}
		text += in.sget0("ORS")
	}
	if st.dest == nil {
		if _, err := io.WriteString(in.p.out, text); err != nil {
			panic(errAwkKilled)
		}
		return
	}
	name := in.eval(st.dest).str(in.sget0("CONVFMT"))
	switch name {
	case "/dev/stdout", "-":
		io.WriteString(in.p.out, text)
		return
	case "/dev/stderr":
		in.flushOut() // stdout printed before stays before, as it did unbuffered
		io.WriteString(in.p.errw, text)
		return
	case "/dev/null":
		return
	}
	buf, ok := in.files[name]
	if !ok {
		buf = &bytes.Buffer{}
		if st.redir == ">>" {
			if old, err := in.p.readFile(name); err == nil {
				buf.Write(old)
			}
		}
		in.files[name] = buf
		in.order = append(in.order, name)
		if st.redir == ">" {
			// the file is created (truncated) when first opened
			in.flushFile(name)
		}
	}
	if buf.Len()+len(text) > maxUnpacked {
		in.limit("the sandbox holds at most %s of a file awk writes in memory, and this program writes more to %s", humanBytes(maxUnpacked), name)
	}
	buf.WriteString(text)
}

// flushOut writes out what stdout's buffer holds (run buffers it).
func (in *awkInterp) flushOut() {
	if bw, ok := in.p.out.(*bufio.Writer); ok {
		bw.Flush()
	}
}

func (in *awkInterp) flushFile(name string) {
	buf, ok := in.files[name]
	if !ok {
		return
	}
	if err := in.p.s.writeFile(in.p.abs(name), rootfs.Bytes(bytes.Clone(buf.Bytes())), 0o644); err != nil {
		in.fail("can't redirect to %s: %s", name, errno(err))
	}
}

func (in *awkInterp) exec(s awkStmt) awkCtl {
	in.tick()
	switch x := s.(type) {
	case *sBlock:
		for _, st := range x.list {
			if c := in.exec(st); c != ctlNone {
				return c
			}
		}
	case *sExpr:
		in.eval(x.e)
	case *sPrint:
		in.output(x)
	case *sIf:
		if in.eval(x.cond).truthy() {
			return in.exec(x.then)
		} else if x.els_ != nil {
			return in.exec(x.els_)
		}
	case *sWhile:
		for x.do || in.eval(x.cond).truthy() {
			c := in.exec(x.body)
			if c == ctlBreak {
				break
			}
			if c == ctlNext || c == ctlExit {
				return c
			}
			if x.do && !in.eval(x.cond).truthy() {
				break
			}
		}
	case *sFor:
		if x.init != nil {
			in.exec(x.init)
		}
		for x.cond == nil || in.eval(x.cond).truthy() {
			c := in.exec(x.body)
			if c == ctlBreak {
				break
			}
			if c == ctlNext || c == ctlExit {
				return c
			}
			if x.post != nil {
				in.exec(x.post)
			}
		}
	case *sForIn:
		a := in.array(x.arr)
		keys := make([]string, 0, len(a))
		for k := range a {
			keys = append(keys, k)
		}
		sortAwkKeys(keys)
		for _, k := range keys {
			if _, ok := a[k]; !ok {
				continue
			}
			in.set(x.v, awkInput(k))
			c := in.exec(x.body)
			if c == ctlBreak {
				break
			}
			if c == ctlNext || c == ctlExit {
				return c
			}
		}
	case *sNext:
		return ctlNext
	case *sExit:
		if x.code != nil {
			in.exitC = int(in.eval(x.code).num()) & 0xff
		}
		return ctlExit
	case *sBreak:
		return ctlBreak
	case *sCont:
		return ctlCont
	case *sDelete:
		a := in.array(x.name)
		if x.subs == nil {
			clear(a)
		} else {
			delete(a, in.subscript(x.subs))
		}
	}
	return ctlNone
}

// sortAwkKeys gives for-in a stable order: numeric keys numerically, then strings.
func sortAwkKeys(keys []string) {
	sort.Slice(keys, func(i, j int) bool {
		a, errA := strconv.ParseFloat(keys[i], 64)
		b, errB := strconv.ParseFloat(keys[j], 64)
		switch {
		case errA == nil && errB == nil:
			if a != b {
				return a < b
			}
			return keys[i] < keys[j]
		case errA == nil:
			return true
		case errB == nil:
			return false
		}
		return keys[i] < keys[j]
	})
}

// awkUnescape processes the escapes of -v and command-line assignments.
func awkUnescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	toks, err := awkLex(`"` + strings.ReplaceAll(strings.ReplaceAll(s, `"`, `\"`), "\n", `\n`) + `"`)
	if err != nil || len(toks) < 1 || toks[0].kind != atString {
		return s
	}
	return toks[0].s
}

func cmdAwk(p *proc) int {
	args := p.args
	var assigns []string
	fs := ""
	var progSrc *string
	for len(args) > 0 {
		a := args[0]
		if a == "--" {
			args = args[1:]
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		val := func(flag string) (string, bool) {
			if len(a) > len(flag) {
				return a[len(flag):], true
			}
			if len(args) > 1 {
				args = args[1:]
				return args[0], true
			}
			return "", false
		}
		switch {
		case strings.HasPrefix(a, "-F"):
			v, ok := val("-F")
			if !ok {
				p.errf("option requires an argument -- 'F'")
				return 2
			}
			fs = v
		case strings.HasPrefix(a, "-v"):
			v, ok := val("-v")
			if !ok || !strings.Contains(v, "=") {
				p.errf("%s", p.pick("unexpected token", "`"+v+"' argument to `-v' not in `var=value' form"))
				return 2
			}
			assigns = append(assigns, v)
		case strings.HasPrefix(a, "-f"):
			v, ok := val("-f")
			if !ok {
				p.errf("option requires an argument -- 'f'")
				return 2
			}
			b, err := p.readFile(v)
			if err != nil {
				p.errf("%s", p.pick("can't open '"+v+"': "+errno(err), "fatal: can't open source file `"+v+"' for reading: "+errno(err)))
				return 2
			}
			s := string(b)
			progSrc = &s
		case a == "--version" || a == "-W":
			p.outf("awk (layerlab sandbox subset of POSIX awk)\n")
			return 0
		default:
			p.errf("%s", p.pick("invalid option -- '"+a[1:]+"'", "invalid option -- '"+a[1:2]+"'"))
			return 2
		}
		args = args[1:]
	}
	if progSrc == nil {
		if len(args) == 0 {
			p.errf("%s", p.pick("no program text", "usage: awk [-F fs][-v var=value][prog | -f progfile][file ...]"))
			return 2
		}
		progSrc = &args[0]
		args = args[1:]
	}
	toks, err := awkLex(*progSrc)
	var items []*awkItem
	if err == nil {
		items, err = (&awkParser{toks: toks}).program()
	}
	if err != nil {
		p.errf("%s", err.Error())
		return 2
	}
	in := &awkInterp{p: p, vars: map[string]awkCell{}, arrays: map[string]map[string]awkCell{},
		res: map[string]*regexp.Regexp{}, files: map[string]*bytes.Buffer{}, rnd: 88172645463325252}
	for k, v := range map[string]string{"FS": " ", "OFS": " ", "ORS": "\n", "RS": "\n", "SUBSEP": "\x1c",
		"CONVFMT": "%.6g", "OFMT": "%.6g", "FILENAME": ""} {
		in.vars[k] = awkStrCell(v)
	}
	in.vars["NR"], in.vars["FNR"] = awkNumCell(0), awkNumCell(0)
	in.vars["RSTART"], in.vars["RLENGTH"] = awkNumCell(0), awkNumCell(-1)
	env := map[string]awkCell{}
	for _, kv := range p.environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = awkInput(v)
	}
	in.arrays["ENVIRON"] = env
	argv := map[string]awkCell{"0": awkStrCell("awk")}
	for i, a := range args {
		argv[strconv.Itoa(i+1)] = awkInput(a)
	}
	in.arrays["ARGV"] = argv
	in.vars["ARGC"] = awkNumCell(float64(len(args) + 1))
	if fs != "" {
		if fs == "t" {
			fs = "\t"
		}
		in.vars["FS"] = awkStrCell(awkUnescape(fs))
	}
	for _, kv := range assigns {
		k, v, _ := strings.Cut(kv, "=")
		in.vars[k] = awkInput(awkUnescape(v))
	}
	return in.run(items, args)
}

func (in *awkInterp) run(items []*awkItem, files []string) (code int) {
	p := in.p
	defer func() {
		if r := recover(); r != nil {
			if r == errAwkKilled {
				code = 2
				return
			}
			if re, ok := r.(*awkRuntimeError); ok {
				p.errf("%s", p.pick(re.msg, "cmd. line:1: fatal: "+re.msg))
				code = 2
				return
			}
			panic(r)
		}
	}()
	// stdout is buffered (a system call per record was most of the time of a long
	// input); awk starts no commands here, and /dev/stderr and fflush flush it first
	flush := p.bufferOut()
	defer flush()
	runItems := func(kind string) awkCtl {
		for _, it := range items {
			if it.kind != kind || it.body == nil {
				continue
			}
			if c := in.exec(it.body); c == ctlExit {
				return c
			}
		}
		return ctlNone
	}
	exiting := runItems("BEGIN") == ctlExit
	hasMain := false
	for _, it := range items {
		if it.kind == "main" || it.kind == "END" {
			hasMain = true
		}
	}
	if !exiting && hasMain {
		in.mainLoop(items, files)
	}
	// exit in BEGIN or in a main rule still runs END; exit in END stops it
	runItems("END")
	for _, name := range in.order {
		in.flushFile(name)
	}
	return in.exitC
}

func (in *awkInterp) mainLoop(items []*awkItem, files []string) awkCtl {
	p := in.p
	var inputs []string
	for _, f := range files {
		if k, v, ok := strings.Cut(f, "="); ok && awkValidName(k) {
			inputs = append(inputs, "\x00"+k+"="+v)
			continue
		}
		inputs = append(inputs, f)
	}
	hasFile := false
	for _, f := range inputs {
		if !strings.HasPrefix(f, "\x00") {
			hasFile = true
		}
	}
	if !hasFile {
		inputs = append(inputs, "-")
	}
	nr := 0.0
	for _, f := range inputs {
		if rest, ok := strings.CutPrefix(f, "\x00"); ok {
			k, v, _ := strings.Cut(rest, "=")
			in.set(k, awkInput(awkUnescape(v)))
			continue
		}
		name := f
		if f == "/dev/stdin" {
			name = "-"
		}
		r, err := p.openInput(name)
		if err != nil {
			p.errf("%s", p.pick("cannot open '"+f+"': "+errno(err), "cmd. line:1: warning: cannot open file `"+f+"' for reading: "+errno(err)))
			in.exitC = 2
			continue
		}
		next := in.recordReader(r)
		in.vars["FILENAME"] = awkStrCell(f)
		fnr := 0.0
		for {
			rec, ok := next()
			if !ok {
				if p.stopped() {
					// the input was cut (a limit, the run's stop): END must not run
					// on part of it as if it were whole
					panic(errAwkKilled)
				}
				break
			}
			nr++
			fnr++
			in.vars["NR"], in.vars["FNR"] = awkNumCell(nr), awkNumCell(fnr)
			in.setRecord(rec)
			for _, it := range items {
				if it.kind != "main" {
					continue
				}
				if !in.matches(it) {
					continue
				}
				if it.body == nil {
					if _, err := io.WriteString(p.out, in.record+in.sget0("ORS")); err != nil {
						panic(errAwkKilled)
					}
					continue
				}
				c := in.exec(it.body)
				if c == ctlNext {
					break
				}
				if c == ctlExit {
					return c
				}
			}
			// NR may have been assigned by the program
			nr = in.vars["NR"].num()
			fnr = in.vars["FNR"].num()
		}
	}
	return ctlNone
}

func awkValidName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (in *awkInterp) matches(it *awkItem) bool {
	if it.pattern == nil {
		return true
	}
	if it.pat2 == nil {
		return in.eval(it.pattern).truthy()
	}
	if !it.inRange {
		if !in.eval(it.pattern).truthy() {
			return false
		}
		it.inRange = !in.eval(it.pat2).truthy()
		return true
	}
	if in.eval(it.pat2).truthy() {
		it.inRange = false
	}
	return true
}

// recordReader yields r's records. With RS a newline (the default) they stream a line
// at a time, so the input's length does not matter and `exit` ends the reading; other
// separators split the input read whole (bounded by maxStdin or maxFileRead, past
// which the step fails naming the bound).
func (in *awkInterp) recordReader(r io.Reader) func() (string, bool) {
	if in.sget0("RS") == "\n" {
		lr := in.p.newLineReader(r)
		return func() (string, bool) {
			line, err := lr.next()
			if err != nil {
				return "", false
			}
			return string(chomp(line)), true
		}
	}
	data, err := io.ReadAll(io.LimitReader(r, maxFileRead+1))
	if err != nil {
		return func() (string, bool) { return "", false }
	}
	if len(data) > maxFileRead {
		in.limit("the sandbox splits at most %s of input by a record separator other than a newline, and this input is longer", humanBytes(maxFileRead))
	}
	recs := in.records(string(data))
	return func() (string, bool) {
		if len(recs) == 0 {
			return "", false
		}
		rec := recs[0]
		recs = recs[1:]
		return rec, true
	}
}

// records splits input by RS: "\n" (default), one character, or "" (paragraphs).
func (in *awkInterp) records(s string) []string {
	rs := in.sget0("RS")
	switch {
	case rs == "":
		var out []string
		for _, para := range regexp.MustCompile(`\n\n+`).Split(strings.Trim(s, "\n"), -1) {
			if para != "" {
				out = append(out, para)
			}
		}
		return out
	case len(rs) > 1:
		out := in.regex(rs).Split(s, -1)
		if len(out) > 0 && out[len(out)-1] == "" {
			out = out[:len(out)-1]
		}
		return out
	}
	if s == "" {
		return nil
	}
	s = strings.TrimSuffix(s, rs)
	return strings.Split(s, rs)
}
