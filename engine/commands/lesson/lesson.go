// Package lesson holds the docker commands of the lesson layerlab teaches, with the
// output each must give, for the tests that run them in the web terminal (handlers) and
// on the command line (cmd/layerlab). The list is testdata/lesson.txt of engine/commands;
// when the lesson itself is at hand (../shared/seed beside the module, as in CI), its
// command lines are extracted from its text and must all be in the list, so the list
// cannot drift from the lesson.
package lesson

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// SeedFile is the lesson's text, relative to the directory that holds the module.
const SeedFile = "shared/seed/000_049fbbffacc6ce1c.txt"

// Step is one command of the list and what it must print.
type Step struct {
	Cmd    string   // "docker image ls": always starts with docker
	Lesson bool     // the lesson shows it ($); else it is ours (+), e.g. a tag a later step needs
	Exit   int      // its exit status
	Lines  []Expect // lines of its output, in order
	Line   int      // where the block starts in the list, for messages
}

// Expect is one expected line: exact text or a regular expression.
type Expect struct {
	Exact bool
	Text  string // the line, or the regular expression; {prog} and {cwd} are placeholders
}

// Load reads a command list (engine/commands/testdata/lesson.txt).
func Load(file string) ([]Step, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("open lesson list: %w", err)
	}
	defer f.Close()
	var steps []Step
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		cur := len(steps) - 1
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "$ ") || strings.HasPrefix(line, "+ "):
			steps = append(steps, Step{Cmd: line[2:], Lesson: line[0] == '$', Line: n})
		case cur < 0:
			return nil, fmt.Errorf("%s:%d: %q before the first command", file, n, line)
		case strings.HasPrefix(line, "exit "):
			code, err := strconv.Atoi(line[5:])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", file, n, err)
			}
			steps[cur].Exit = code
		case line == "=" || strings.HasPrefix(line, "= "):
			steps[cur].Lines = append(steps[cur].Lines, Expect{Exact: true, Text: strings.TrimPrefix(line[1:], " ")})
		case strings.HasPrefix(line, "~ "):
			steps[cur].Lines = append(steps[cur].Lines, Expect{Text: line[2:]})
		default:
			return nil, fmt.Errorf("%s:%d: unknown line %q", file, n, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read lesson list: %w", err)
	}
	return steps, nil
}

// Extract returns the docker command lines of the lesson's text, in order: each line
// that is a command ("docker image build ."), and each synopsis ("- docker image ls
// [OPTIONS] - docker images [OPTIONS]") whose form needs no operand, without its
// [OPTIONS] ("docker image ls", "docker images"); a synopsis with an operand (IMAGE,
// PATH, NAME) is left out, as its examples are in the text.
func Extract(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "- docker ") {
			for _, form := range strings.Split(line[2:], " - ") {
				form = strings.TrimSpace(strings.ReplaceAll(form, "[OPTIONS]", ""))
				if strings.HasPrefix(form, "docker ") && !operand.MatchString(form) {
					out = append(out, form)
				}
			}
			continue
		}
		if strings.HasPrefix(line, "docker ") {
			out = append(out, line)
		}
	}
	return out
}

// operand matches a synopsis' placeholder: an upper-case word or a bracketed one.
var operand = regexp.MustCompile(`\b[A-Z]{2,}\b|\[`)

// Check compares a step's output and exit status with what it must give; prog is the
// program name ("docker" or "layerlab"), cwd the directory it ran in.
func (s Step) Check(output string, exit int, prog, cwd string) error {
	var errs []error
	if exit != s.Exit {
		errs = append(errs, fmt.Errorf("exit status %d, want %d", exit, s.Exit))
	}
	lines := strings.Split(strings.TrimSuffix(output, "\n"), "\n")
	if output == "" {
		lines = nil
	}
	exactOnly := len(s.Lines) > 0
	for _, e := range s.Lines {
		exactOnly = exactOnly && e.Exact
	}
	fill := strings.NewReplacer("{prog}", prog, "{cwd}", cwd)
	if exactOnly {
		var want []string
		for _, e := range s.Lines {
			want = append(want, fill.Replace(e.Text))
		}
		if strings.Join(lines, "\n") != strings.Join(want, "\n") {
			errs = append(errs, fmt.Errorf("output is not exactly:\n%s", strings.Join(want, "\n")))
		}
		return joined(errs)
	}
	i := 0
	for _, e := range s.Lines {
		match := func(l string) bool { return l == fill.Replace(e.Text) }
		if !e.Exact {
			// {prog} and {cwd} are literal text within the pattern; the rest is a regexp.
			pat := strings.NewReplacer("{prog}", regexp.QuoteMeta(prog), "{cwd}", regexp.QuoteMeta(cwd)).Replace(e.Text)
			re, err := regexp.Compile(pat)
			if err != nil {
				return fmt.Errorf("lesson list line for %q: %w", s.Cmd, err)
			}
			match = re.MatchString
		}
		for i < len(lines) && !match(lines[i]) {
			i++
		}
		if i == len(lines) {
			errs = append(errs, fmt.Errorf("no line (after the lines matched before it) matches %q", e.Text))
			break
		}
		i++
	}
	return joined(errs)
}

func joined(errs []error) error { return errors.Join(errs...) }

// Steps loads the list from listFile and, when the lesson's text is at seed (found
// reports whether), checks that every command the lesson shows is a $ step of the list,
// in the same order, and that no $ step is missing from the lesson.
func Steps(listFile, seed string) (steps []Step, found bool, err error) {
	steps, err = Load(listFile)
	if err != nil {
		return nil, false, err
	}
	text, err := os.ReadFile(seed)
	if errors.Is(err, os.ErrNotExist) {
		return steps, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read the lesson: %w", err)
	}
	var listed []string
	for _, s := range steps {
		if s.Lesson {
			listed = append(listed, s.Cmd)
		}
	}
	extracted := Extract(string(text))
	if strings.Join(extracted, "\n") != strings.Join(listed, "\n") {
		return nil, true, fmt.Errorf("the lesson shows these commands:\n  %s\nbut %s lists (as $):\n  %s",
			strings.Join(extracted, "\n  "), listFile, strings.Join(listed, "\n  "))
	}
	return steps, true, nil
}

// SeedPath is where the lesson's text is for a test running in dir (any directory of
// the module): SeedFile beside the module's directory.
func SeedPath(dir string) string {
	dir, _ = filepath.Abs(dir)
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(d), SeedFile)
		}
		if filepath.Dir(d) == d {
			return filepath.Join(dir, SeedFile) // no module: nothing there
		}
	}
}
