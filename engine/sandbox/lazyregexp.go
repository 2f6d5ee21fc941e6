package sandbox

import (
	"regexp"
	"sync"
)

// lazyRegexp is a package-level regular expression compiled on first use. The
// sandbox's tools have dozens of them; compiled at start they cost every layerlab
// process (`--version` included) about 2 ms, for tools most runs never call.
type lazyRegexp struct {
	pat  string
	once sync.Once
	re   *regexp.Regexp
}

// newLazyRegexp is regexp.MustCompile, deferred: a bad pattern panics on first use,
// and the tests use every one.
func newLazyRegexp(pat string) *lazyRegexp { return &lazyRegexp{pat: pat} }

func (l *lazyRegexp) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.pat) })
	return l.re
}

func (l *lazyRegexp) MatchString(s string) bool            { return l.get().MatchString(s) }
func (l *lazyRegexp) FindString(s string) string           { return l.get().FindString(s) }
func (l *lazyRegexp) FindStringSubmatch(s string) []string { return l.get().FindStringSubmatch(s) }
func (l *lazyRegexp) FindAllStringSubmatch(s string, n int) [][]string {
	return l.get().FindAllStringSubmatch(s, n)
}
func (l *lazyRegexp) ReplaceAllStringFunc(s string, f func(string) string) string {
	return l.get().ReplaceAllStringFunc(s, f)
}
