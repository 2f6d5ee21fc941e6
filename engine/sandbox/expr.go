package sandbox

import (
	"errors"
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// cmdExpr evaluates an expr(1) expression: | & = != < <= > >= + - * / % : and
// match, substr, index, length, parentheses. Exit 0 when the result is neither null
// nor 0, 1 when it is, 2 for an invalid expression.
func cmdExpr(p *proc) int {
	args := p.args
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		p.errf("%s", p.pick("syntax error", "missing operand"))
		return 2
	}
	e := &exprParser{toks: args, bb: p.s.busybox}
	v, err := e.or()
	if err == nil && e.i < len(e.toks) {
		err = e.syntaxErr(e.toks[e.i])
	}
	if err != nil {
		p.errf("%s", err.Error())
		return 2
	}
	p.outf("%s\n", v.s)
	if v.s == "" || (v.isNum && v.n.Sign() == 0) {
		return 1
	}
	return 0
}

type exprVal struct {
	s     string
	n     *big.Int
	isNum bool
}

func exprStr(s string) exprVal {
	if n, ok := new(big.Int).SetString(s, 10); ok && !strings.HasPrefix(s, "+") {
		return exprVal{s: s, n: n, isNum: true}
	}
	return exprVal{s: s}
}

func exprInt(n *big.Int) exprVal { return exprVal{s: n.String(), n: n, isNum: true} }

type exprParser struct {
	toks []string
	i    int
	bb   bool
}

func (e *exprParser) peek() (string, bool) {
	if e.i < len(e.toks) {
		return e.toks[e.i], true
	}
	return "", false
}

func (e *exprParser) syntaxErr(tok string) error {
	if e.bb {
		return errors.New("syntax error")
	}
	return errors.New("syntax error: unexpected argument '" + tok + "'")
}

func (e *exprParser) missing() error {
	if e.bb {
		return errors.New("syntax error")
	}
	if e.i > 0 {
		return errors.New("syntax error: missing argument after '" + e.toks[e.i-1] + "'")
	}
	return errors.New("syntax error")
}

func (e *exprParser) binary(ops []string, next func() (exprVal, error), apply func(op string, a, b exprVal) (exprVal, error)) (exprVal, error) {
	a, err := next()
	if err != nil {
		return a, err
	}
	for {
		t, ok := e.peek()
		if !ok || !contains(ops, t) {
			return a, nil
		}
		e.i++
		b, err := next()
		if err != nil {
			return b, err
		}
		if a, err = apply(t, a, b); err != nil {
			return a, err
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func exprNull(v exprVal) bool { return v.s == "" || (v.isNum && v.n.Sign() == 0) }

func (e *exprParser) or() (exprVal, error) {
	return e.binary([]string{"|"}, e.and, func(_ string, a, b exprVal) (exprVal, error) {
		if !exprNull(a) {
			return a, nil
		}
		if !exprNull(b) {
			return b, nil
		}
		return exprStr("0"), nil
	})
}

func (e *exprParser) and() (exprVal, error) {
	return e.binary([]string{"&"}, e.cmp, func(_ string, a, b exprVal) (exprVal, error) {
		if exprNull(a) || exprNull(b) {
			return exprStr("0"), nil
		}
		return a, nil
	})
}

func (e *exprParser) cmp() (exprVal, error) {
	return e.binary([]string{"=", "==", "!=", "<", "<=", ">", ">="}, e.add, func(op string, a, b exprVal) (exprVal, error) {
		c := 0
		if a.isNum && b.isNum {
			c = a.n.Cmp(b.n)
		} else {
			c = strings.Compare(a.s, b.s)
		}
		r := false
		switch op {
		case "=", "==":
			r = c == 0
		case "!=":
			r = c != 0
		case "<":
			r = c < 0
		case "<=":
			r = c <= 0
		case ">":
			r = c > 0
		case ">=":
			r = c >= 0
		}
		if r {
			return exprStr("1"), nil
		}
		return exprStr("0"), nil
	})
}

func (e *exprParser) arith(a, b exprVal, op string) (exprVal, error) {
	if !a.isNum || !b.isNum {
		if e.bb {
			return a, errors.New("non-numeric argument")
		}
		return a, errors.New("non-integer argument")
	}
	r := new(big.Int)
	switch op {
	case "+":
		r.Add(a.n, b.n)
	case "-":
		r.Sub(a.n, b.n)
	case "*":
		r.Mul(a.n, b.n)
	case "/", "%":
		if b.n.Sign() == 0 {
			return a, errors.New("division by zero")
		}
		q, m := new(big.Int).QuoRem(a.n, b.n, new(big.Int))
		if op == "/" {
			r = q
		} else {
			r = m
		}
	}
	return exprInt(r), nil
}

func (e *exprParser) add() (exprVal, error) {
	return e.binary([]string{"+", "-"}, e.mul, func(op string, a, b exprVal) (exprVal, error) { return e.arith(a, b, op) })
}

func (e *exprParser) mul() (exprVal, error) {
	return e.binary([]string{"*", "/", "%"}, e.match, func(op string, a, b exprVal) (exprVal, error) { return e.arith(a, b, op) })
}

func (e *exprParser) match() (exprVal, error) {
	return e.binary([]string{":"}, e.primary, func(_ string, a, b exprVal) (exprVal, error) { return exprMatch(a.s, b.s) })
}

// exprMatch anchors a basic regular expression at the start of s: the length of the
// match, or the first \( \) group.
func exprMatch(s, pattern string) (exprVal, error) {
	re, err := regexp.Compile("^(?:" + bre(pattern) + ")")
	if err != nil {
		return exprVal{}, errors.New("invalid regular expression: " + pattern)
	}
	m := re.FindStringSubmatchIndex(s)
	if re.NumSubexp() > 0 {
		if m == nil || m[2] < 0 {
			return exprStr(""), nil
		}
		return exprStr(s[m[2]:m[3]]), nil
	}
	if m == nil {
		return exprStr("0"), nil
	}
	return exprStr(strconv.Itoa(len([]rune(s[:m[1]])))), nil
}

func (e *exprParser) operand() (string, error) {
	t, ok := e.peek()
	if !ok {
		return "", e.missing()
	}
	e.i++
	return t, nil
}

func (e *exprParser) primary() (exprVal, error) {
	t, ok := e.peek()
	if !ok {
		return exprVal{}, e.missing()
	}
	e.i++
	switch t {
	case "(":
		v, err := e.or()
		if err != nil {
			return v, err
		}
		if c, ok := e.peek(); !ok || c != ")" {
			if !ok {
				if e.bb {
					return v, errors.New("syntax error")
				}
				return v, errors.New("syntax error: expecting ')' after '" + e.toks[e.i-1] + "'")
			}
			return v, e.syntaxErr(c)
		}
		e.i++
		return v, nil
	case "+":
		s, err := e.operand()
		return exprStr(s), err
	case "length":
		s, err := e.operand()
		return exprStr(strconv.Itoa(len([]rune(s)))), err
	case "match":
		s, err := e.operand()
		if err != nil {
			return exprVal{}, err
		}
		re, err := e.operand()
		if err != nil {
			return exprVal{}, err
		}
		return exprMatch(s, re)
	case "index":
		s, err := e.operand()
		if err != nil {
			return exprVal{}, err
		}
		chars, err := e.operand()
		if err != nil {
			return exprVal{}, err
		}
		return exprStr(strconv.Itoa(strings.IndexAny(s, chars) + 1)), nil
	case "substr":
		var a [3]string
		for k := range a {
			s, err := e.operand()
			if err != nil {
				return exprVal{}, err
			}
			a[k] = s
		}
		r := []rune(a[0])
		pos, err1 := strconv.Atoi(a[1])
		n, err2 := strconv.Atoi(a[2])
		if err1 != nil || err2 != nil || pos < 1 || n < 1 || pos > len(r) {
			return exprStr(""), nil
		}
		end := min(pos-1+n, len(r))
		return exprStr(string(r[pos-1 : end])), nil
	}
	return exprStr(t), nil
}
