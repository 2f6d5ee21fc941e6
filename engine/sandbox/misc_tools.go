package sandbox

// Small tools real Dockerfiles run that belong to no package manager or build tool:
// GNU gettext's envsubst (nginx images ship it for their config templates).

import (
	"strings"
)

func init() {
	register(map[string]cmdFunc{"envsubst": cmdEnvsubst})
}

// cmdEnvsubst is GNU gettext's envsubst: it copies standard input to standard output,
// replacing $NAME and ${NAME} by the environment's value (empty when unset). With a
// SHELL-FORMAT argument only the variables that format names are replaced, and every
// other reference stays as written: that is how nginx templates keep nginx's own
// $uri and $host. Other forms (${NAME:-default}, $1, $$) are not envsubst's and are
// copied unchanged, as the real tool does.
func cmdEnvsubst(p *proc) int {
	var format []string
	variables := false
	for i, a := range p.args {
		switch {
		case a == "-v" || a == "--variables":
			variables = true
		case a == "-h" || a == "--help":
			p.outf("Usage: envsubst [OPTION] [SHELL-FORMAT]\n\nSubstitutes the values of environment variables.\n\nOperation mode:\n  -v, --variables             output the variables occurring in SHELL-FORMAT\n\nInformative output:\n  -h, --help                  display this help and exit\n  -V, --version               output version information and exit\n")
			return 0
		case a == "-V" || a == "--version":
			p.outf("envsubst (GNU gettext-runtime) 0.21\n")
			return 0
		case a == "--":
			format = append(format, p.args[i+1:]...)
		case strings.HasPrefix(a, "-") && a != "-":
			p.errf("invalid option -- '%s'", strings.TrimLeft(a, "-"))
			p.errw.Write([]byte("Try 'envsubst --help' for more information.\n"))
			return 1
		default:
			format = append(format, a)
		}
		if a == "--" {
			break
		}
	}
	if len(format) > 1 {
		p.errf("too many arguments")
		p.errw.Write([]byte("Try 'envsubst --help' for more information.\n"))
		return 1
	}
	if variables {
		if len(format) == 0 {
			p.errf("missing arguments")
			p.errw.Write([]byte("Try 'envsubst --help' for more information.\n"))
			return 1
		}
		for _, name := range envsubstNames(format[0]) {
			p.outf("%s\n", name)
		}
		return 0
	}
	var only map[string]bool
	if len(format) == 1 {
		only = map[string]bool{}
		for _, name := range envsubstNames(format[0]) {
			only[name] = true
		}
	}
	in, ok := p.readStdin()
	if !ok {
		return 1
	}
	p.outf("%s", envsubst(string(in), func(name string) (string, bool) {
		if only != nil && !only[name] {
			return "", false
		}
		return p.getenv(name), true
	}))
	return 0
}

// envsubstRefs calls fn for each $NAME or ${NAME} reference in s, with its position,
// end and name, in order.
func envsubstRefs(s string, fn func(start, end int, name string)) {
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			continue
		}
		j, braced := i+1, false
		if s[j] == '{' {
			braced = true
			j++
		}
		k := j
		for k < len(s) && (s[k] == '_' || isAlpha(s[k]) || (k > j && s[k] >= '0' && s[k] <= '9')) {
			k++
		}
		if k == j {
			continue
		}
		if braced {
			if k >= len(s) || s[k] != '}' {
				continue
			}
			fn(i, k+1, s[j:k])
			i = k
			continue
		}
		fn(i, k, s[j:k])
		i = k - 1
	}
}

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// envsubstNames lists the variables a SHELL-FORMAT names, each once, in order.
func envsubstNames(format string) []string {
	var out []string
	seen := map[string]bool{}
	envsubstRefs(format, func(_, _ int, name string) {
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	})
	return out
}

// envsubst replaces the references value reports as substituted.
func envsubst(s string, value func(name string) (string, bool)) string {
	var b strings.Builder
	last := 0
	envsubstRefs(s, func(start, end int, name string) {
		v, ok := value(name)
		if !ok {
			return
		}
		b.WriteString(s[last:start])
		b.WriteString(v)
		last = end
	})
	b.WriteString(s[last:])
	return b.String()
}
