package langcatalog

import (
	"bufio"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// A PyPI release declares the interpreters it runs on (Requires-Python, PEP 345), and
// pip (9.0 and later) skips every release whose Requires-Python does not admit the
// running interpreter. The catalog keeps that history for the packages whose old
// releases matter on old bases (pypi-python.txt): the last release of each window.

// PyRelease is one known release of a PyPI package with its Requires-Python.
type PyRelease struct {
	Version        string
	RequiresPython string // "" when the release declared none
}

// PythonMismatchError is pip's refusal of a release whose Requires-Python does not
// admit the interpreter, with what pip lists around it.
type PythonMismatchError struct {
	Name, Constraint string
	Version          string // the release the constraint asked for
	RequiresPython   string // its Requires-Python
	Python           string // the running interpreter, x.y.z
	// Ignored are the known releases skipped for their Requires-Python (the asked
	// release among them), oldest first; Admitted the known ones the interpreter may
	// install.
	Ignored  []PyRelease
	Admitted []string
}

func (e *PythonMismatchError) Error() string {
	return fmt.Sprintf("pypi %s %s: %s requires Python %s, not %s: %v", e.Name, e.Constraint, e.Version, e.RequiresPython, e.Python, ErrNoVersion)
}

// Unwrap makes errors.Is(err, ErrNoVersion) hold.
func (e *PythonMismatchError) Unwrap() error { return ErrNoVersion }

var (
	pyHistOnce sync.Once
	pyHist     map[string][]PyRelease
	pyHistErr  error
)

// pyHistory parses pypi-python.txt once; a malformed line is reported (the package's
// tests load it), never skipped.
func pyHistory() (map[string][]PyRelease, error) {
	pyHistOnce.Do(func() {
		pyHist = map[string][]PyRelease{}
		f, err := data.Open("pypi-python.txt")
		if err != nil {
			pyHistErr = fmt.Errorf("open requires-python history: %w", err)
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		line := 0
		for sc.Scan() {
			line++
			t := strings.TrimSpace(sc.Text())
			if t == "" || strings.HasPrefix(t, "#") {
				continue
			}
			fs := strings.Fields(t)
			if len(fs) != 3 {
				pyHistErr = fmt.Errorf("requires-python history line %d: want name release requires-python, got %q", line, t)
				return
			}
			rp := fs[2]
			if rp == "-" {
				rp = ""
			} else if _, ok := parseRequiresPython(rp); !ok {
				pyHistErr = fmt.Errorf("requires-python history line %d: unreadable specifier %q", line, rp)
				return
			}
			n := Normalize(PyPI, fs[0])
			rs := pyHist[n]
			if len(rs) > 0 && Compare(rs[len(rs)-1].Version, fs[1]) >= 0 {
				pyHistErr = fmt.Errorf("requires-python history line %d: %s %s is not after %s", line, n, fs[1], rs[len(rs)-1].Version)
				return
			}
			pyHist[n] = append(rs, PyRelease{Version: fs[1], RequiresPython: rp})
		}
		if err := sc.Err(); err != nil {
			pyHistErr = fmt.Errorf("read requires-python history: %w", err)
		}
	})
	return pyHist, pyHistErr
}

// PyHistory returns the known window releases of a PyPI package, oldest first; nil
// for a package whose history the catalog does not keep.
func PyHistory(name string) []PyRelease {
	h, err := pyHistory()
	if err != nil {
		return nil
	}
	return append([]PyRelease(nil), h[Normalize(PyPI, name)]...)
}

// RequiresPython returns the Requires-Python of release version of name: the one
// of the window it falls in. ok is false when the catalog does not know it (no
// history, or a release newer than the last window).
func RequiresPython(name, version string) (spec string, ok bool) {
	for _, r := range PyHistory(name) {
		if Compare(version, r.Version) <= 0 {
			return r.RequiresPython, true
		}
	}
	return "", false
}

// AdmitsPython reports whether a Requires-Python specifier admits the interpreter
// python (x.y or x.y.z). An empty specifier admits every interpreter; an
// unreadable one admits it too, as pip ignores an invalid Requires-Python.
func AdmitsPython(spec, python string) bool {
	if strings.TrimSpace(spec) == "" {
		return true
	}
	cs, ok := parseRequiresPython(spec)
	if !ok {
		return true
	}
	v, ok := parseVersion(python)
	if !ok {
		return true
	}
	for _, c := range cs {
		if !c.admits(v) {
			return false
		}
	}
	return true
}

// pyClause is one comparison of a Requires-Python: PEP 440's operators, where a
// trailing .* (==3.6.*, !=3.0.*) compares only the given prefix.
type pyClause struct {
	op     string
	ver    version
	prefix bool
}

func parseRequiresPython(spec string) ([]pyClause, bool) {
	var out []pyClause
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		op := ""
		for _, o := range []string{"===", "==", "!=", "~=", ">=", "<=", ">", "<"} {
			if strings.HasPrefix(part, o) {
				op = o
				break
			}
		}
		if op == "" {
			return nil, false
		}
		rest := strings.TrimSpace(part[len(op):])
		c := pyClause{op: op}
		if r, ok := strings.CutSuffix(rest, ".*"); ok {
			if op != "==" && op != "!=" {
				return nil, false
			}
			c.prefix, rest = true, r
		}
		v, ok := parseVersion(rest)
		if !ok {
			return nil, false
		}
		c.ver = v
		out = append(out, c)
	}
	return out, len(out) > 0
}

func (c pyClause) admits(v version) bool {
	if c.prefix {
		same := true
		for i := range c.ver.nums {
			if v.at(i) != c.ver.nums[i] {
				same = false
				break
			}
		}
		if c.op == "==" {
			return same
		}
		return !same
	}
	r := compare(v, c.ver)
	switch c.op {
	case "==", "===":
		return r == 0
	case "!=":
		return r != 0
	case ">=":
		return r >= 0
	case "<=":
		return r <= 0
	case ">":
		return r > 0
	case "<":
		return r < 0
	case "~=":
		n := len(c.ver.nums) - 1
		if n == 0 {
			n = 1
		}
		return r >= 0 && compare(v, bump(c.ver, n)) < 0
	}
	return false
}

// ResolvePython is Resolve for a running interpreter python (x.y.z), as pip (9.0
// and later) resolves: the release Resolve would pick when its Requires-Python
// admits the interpreter (or is not known), else the newest known window release
// that satisfies the constraint and admits it. When none does, the error is a
// *PythonMismatchError carrying what pip prints.
func ResolvePython(name, constraint, python string) (Package, error) {
	p, err := Resolve(PyPI, name, constraint)
	if err != nil || python == "" {
		return p, err
	}
	rp, known := RequiresPython(p.Name, p.Version)
	if !known || AdmitsPython(rp, python) {
		return p, nil
	}
	hist := PyHistory(p.Name)
	for i := len(hist) - 1; i >= 0; i-- {
		r := hist[i]
		if AdmitsPython(r.RequiresPython, python) && Satisfies(PyPI, r.Version, constraint) {
			p.Version = r.Version
			return p, nil
		}
	}
	e := &PythonMismatchError{Name: p.Name, Constraint: constraint, Version: p.Version, RequiresPython: rp, Python: python}
	asked := false
	for _, r := range hist {
		if AdmitsPython(r.RequiresPython, python) {
			e.Admitted = append(e.Admitted, r.Version)
			continue
		}
		e.Ignored = append(e.Ignored, r)
		asked = asked || r.Version == p.Version
	}
	if !asked {
		e.Ignored = append(e.Ignored, PyRelease{Version: p.Version, RequiresPython: rp})
		sort.SliceStable(e.Ignored, func(i, j int) bool { return Compare(e.Ignored[i].Version, e.Ignored[j].Version) < 0 })
	}
	return Package{}, e
}
