package lessons

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Bounds of a lesson. A teacher's folder is read when the server starts, so a mistake
// stops the server with the file and line rather than showing a broken lesson.
const (
	MaxFileBytes    = 256 << 10 // one lesson file
	MaxTasks        = 100       // tasks in one lesson
	MaxStarterFiles = 256       // files in a starter (inline or starter_dir)
	MaxStarterBytes = 1 << 20   // bytes of a starter_dir's files together
	maxCheckDepth   = 16        // nesting of all/any/in_order
)

// ErrFormat is wrapped by every error about a lesson file's content.
var ErrFormat = errors.New("lesson format")

// FormatError is a mistake in a lesson file, at a line.
type FormatError struct {
	File string
	Line int
	Msg  string
}

func (e *FormatError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Unwrap makes errors.Is(err, ErrFormat) hold.
func (e *FormatError) Unwrap() error { return ErrFormat }

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

type parser struct {
	file string
	dir  fs.FS // where starter_dir is read from; nil: starter_dir is refused
}

func (p *parser) errf(n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &FormatError{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// Parse reads one lesson from YAML. name is used in messages; dir, when not nil, is
// the folder starter_dir paths are relative to.
func Parse(name string, data []byte, dir fs.FS) (*Lesson, error) {
	p := &parser{file: name, dir: dir}
	if len(data) > MaxFileBytes {
		return nil, p.errf(nil, "the file has %d bytes; a lesson file may have at most %d (256 KiB): split it into two lessons or move the starter files into a starter_dir", len(data), MaxFileBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, p.errf(nil, "the file is empty: a lesson needs id, title and tasks")
		}
		return nil, &FormatError{File: name, Msg: fmt.Sprintf("not valid YAML: %v", err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, p.errf(&extra, "a second YAML document (after ---): a file holds one lesson; put the other in its own file")
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	return p.lesson(root)
}

// fields checks that n is a mapping whose keys are all known, and returns them.
func (p *parser) fields(n *yaml.Node, what string, known ...string) (map[string]*yaml.Node, error) {
	if n.Kind == yaml.AliasNode {
		return nil, p.errf(n, "%s: YAML aliases are not supported here: write the value out", what)
	}
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n, "%s must be a mapping of keys (%s), not %s", what, strings.Join(known, ", "), kindName(n))
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !contains(known, k.Value) {
			return nil, p.errf(k, "unknown key %q in %s: the keys are %s", k.Value, what, strings.Join(known, ", "))
		}
		if _, dup := out[k.Value]; dup {
			return nil, p.errf(k, "key %q appears twice in %s: keep one", k.Value, what)
		}
		out[k.Value] = v
	}
	return out, nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an alias"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *parser) str(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", p.errf(n, "%s must be a text, not %s", what, kindName(n))
	}
	return n.Value, nil
}

func (p *parser) boolean(n *yaml.Node, what string) (bool, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		var b bool
		if err := n.Decode(&b); err == nil {
			return b, nil
		}
	}
	return false, p.errf(n, "%s must be true or false, not %s", what, kindName(n))
}

func (p *parser) integer(n *yaml.Node, what string) (int, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		if v, err := strconv.Atoi(n.Value); err == nil && v >= 0 {
			return v, nil
		}
	}
	return 0, p.errf(n, "%s must be a whole number of 0 or more, not %s", what, kindName(n))
}

func (p *parser) strList(n *yaml.Node, what string) ([]string, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, p.errf(n, "%s must be a list of texts, not %s", what, kindName(n))
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		s, err := p.str(c, "each entry of "+what)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (p *parser) regex(n *yaml.Node, what string) (*regexp.Regexp, error) {
	s, err := p.str(n, what)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, p.errf(n, "%s is not a valid regular expression (Go's RE2 syntax): %v", what, err)
	}
	return re, nil
}

func (p *parser) id(n *yaml.Node, what string) (string, error) {
	s, err := p.str(n, what)
	if err != nil {
		return "", err
	}
	if !idRE.MatchString(s) {
		return "", p.errf(n, "%s %q must be 1 to 64 lowercase letters, digits, - or _, starting with a letter or digit", what, s)
	}
	return s, nil
}

var lessonKeys = []string{"id", "title", "summary", "starter", "starter_dir", "tasks"}
var taskKeys = []string{"id", "title", "text", "commands", "starter", "starter_dir", "predict", "question", "check"}

func (p *parser) lesson(n *yaml.Node) (*Lesson, error) {
	f, err := p.fields(n, "the lesson", lessonKeys...)
	if err != nil {
		return nil, err
	}
	l := &Lesson{File: p.file}
	for _, k := range []string{"id", "title", "tasks"} {
		if f[k] == nil {
			return nil, p.errf(n, "the lesson has no %s: add %s:", k, k)
		}
	}
	if l.ID, err = p.id(f["id"], "the lesson's id"); err != nil {
		return nil, err
	}
	if l.Title, err = p.str(f["title"], "the lesson's title"); err != nil {
		return nil, err
	}
	if f["summary"] != nil {
		if l.Summary, err = p.str(f["summary"], "the lesson's summary"); err != nil {
			return nil, err
		}
	}
	if l.Starter, err = p.starter(f["starter"], f["starter_dir"], "the lesson"); err != nil {
		return nil, err
	}
	tn := f["tasks"]
	if tn.Kind != yaml.SequenceNode || len(tn.Content) == 0 {
		return nil, p.errf(tn, "tasks must be a list of at least one task, not %s", kindName(tn))
	}
	if len(tn.Content) > MaxTasks {
		return nil, p.errf(tn, "the lesson has %d tasks; a lesson may have at most %d: split it into two lessons", len(tn.Content), MaxTasks)
	}
	seen := map[string]int{}
	for _, c := range tn.Content {
		t, err := p.task(c)
		if err != nil {
			return nil, err
		}
		if line, dup := seen[t.ID]; dup {
			return nil, p.errf(c, "task id %q is used twice (first at line %d): task ids must be unique in a lesson", t.ID, line)
		}
		seen[t.ID] = c.Line
		l.Tasks = append(l.Tasks, t)
	}
	// A check may name another task (prediction: {task: ...}); it must exist.
	for i, t := range l.Tasks {
		if err := p.checkRefs(&t.Check, l, tn.Content[i]); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (p *parser) task(n *yaml.Node) (*Task, error) {
	f, err := p.fields(n, "a task", taskKeys...)
	if err != nil {
		return nil, err
	}
	for _, k := range []string{"id", "title", "check"} {
		if f[k] == nil {
			return nil, p.errf(n, "a task has no %s: add %s:", k, k)
		}
	}
	t := &Task{}
	if t.ID, err = p.id(f["id"], "the task's id"); err != nil {
		return nil, err
	}
	what := fmt.Sprintf("task %q", t.ID)
	if t.Title, err = p.str(f["title"], what+"'s title"); err != nil {
		return nil, err
	}
	if f["text"] != nil {
		if t.Text, err = p.str(f["text"], what+"'s text"); err != nil {
			return nil, err
		}
	}
	if f["commands"] != nil {
		if t.Commands, err = p.strList(f["commands"], what+"'s commands"); err != nil {
			return nil, err
		}
	}
	if t.Starter, err = p.starter(f["starter"], f["starter_dir"], what); err != nil {
		return nil, err
	}
	if f["predict"] != nil {
		if t.Predict, err = p.boolean(f["predict"], what+"'s predict"); err != nil {
			return nil, err
		}
	}
	if q := f["question"]; q != nil {
		qf, err := p.fields(q, what+"'s question", "prompt", "answer")
		if err != nil {
			return nil, err
		}
		if qf["prompt"] == nil || qf["answer"] == nil {
			return nil, p.errf(q, "%s's question needs a prompt and an answer", what)
		}
		t.Question = &Question{}
		if t.Question.Prompt, err = p.str(qf["prompt"], what+"'s question prompt"); err != nil {
			return nil, err
		}
		if t.Question.Answer, err = p.expr(qf["answer"], what+"'s question answer"); err != nil {
			return nil, err
		}
	}
	if t.Check, err = p.check(f["check"], what+"'s check", 0); err != nil {
		return nil, err
	}
	if t.Check.uses("answer") && t.Question == nil {
		return nil, p.errf(f["check"], "%s checks an answer but has no question: add question: {prompt: ..., answer: ...}", what)
	}
	if t.Check.uses("prediction") && !t.Predict && !t.Check.names("prediction") {
		return nil, p.errf(f["check"], "%s checks a prediction but is not a predict task: add predict: true", what)
	}
	return t, nil
}

// starter reads an inline starter (path -> content) or a starter_dir, not both.
func (p *parser) starter(inline, dir *yaml.Node, what string) (map[string]string, error) {
	if inline != nil && dir != nil {
		return nil, p.errf(dir, "%s has both starter and starter_dir: keep one", what)
	}
	if inline != nil {
		if inline.Kind != yaml.MappingNode {
			return nil, p.errf(inline, "%s's starter must map file paths to their content, not %s", what, kindName(inline))
		}
		if len(inline.Content)/2 > MaxStarterFiles {
			return nil, p.errf(inline, "%s's starter has %d files; a starter may have at most %d", what, len(inline.Content)/2, MaxStarterFiles)
		}
		out := map[string]string{}
		for i := 0; i+1 < len(inline.Content); i += 2 {
			k, v := inline.Content[i], inline.Content[i+1]
			clean, err := p.starterPath(k, what)
			if err != nil {
				return nil, err
			}
			if _, dup := out[clean]; dup {
				return nil, p.errf(k, "%s's starter lists %q twice", what, clean)
			}
			content, err := p.str(v, fmt.Sprintf("%s's starter file %q", what, clean))
			if err != nil {
				return nil, err
			}
			out[clean] = content
		}
		return out, nil
	}
	if dir == nil {
		return nil, nil
	}
	rel, err := p.str(dir, what+"'s starter_dir")
	if err != nil {
		return nil, err
	}
	if p.dir == nil {
		return nil, p.errf(dir, "%s's starter_dir is only read for a lesson loaded from a folder: list the files under starter:", what)
	}
	clean := path.Clean(strings.TrimPrefix(rel, "./"))
	if path.IsAbs(rel) || !fs.ValidPath(clean) || clean == "." {
		return nil, p.errf(dir, "%s's starter_dir %q must be a folder beside the lesson file (relative, without ..)", what, rel)
	}
	sub, err := fs.Sub(p.dir, clean)
	if err != nil {
		return nil, p.errf(dir, "%s's starter_dir %q: %v", what, rel, err)
	}
	out := map[string]string{}
	total := 0
	err = fs.WalkDir(sub, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file (a link or device): starters hold plain files", name)
		}
		if len(out) >= MaxStarterFiles {
			return fmt.Errorf("more than %d files: a starter may have at most %d", MaxStarterFiles, MaxStarterFiles)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if total+int(info.Size()) > MaxStarterBytes {
			return fmt.Errorf("more than %d bytes (1 MiB) of files: a starter may have at most that; keep the context small", MaxStarterBytes)
		}
		data, err := fs.ReadFile(sub, name)
		if err != nil {
			return err
		}
		total += len(data)
		out[name] = string(data)
		return nil
	})
	if err != nil {
		return nil, p.errf(dir, "%s's starter_dir %q: %v", what, rel, err)
	}
	if len(out) == 0 {
		return nil, p.errf(dir, "%s's starter_dir %q holds no files", what, rel)
	}
	return out, nil
}

func (p *parser) starterPath(k *yaml.Node, what string) (string, error) {
	s, err := p.str(k, what+"'s starter path")
	if err != nil {
		return "", err
	}
	clean := path.Clean(strings.TrimPrefix(s, "./"))
	if path.IsAbs(s) || !fs.ValidPath(clean) || clean == "." {
		return "", p.errf(k, "%s's starter path %q must be relative to the build context, without ..", what, s)
	}
	return clean, nil
}

// checkRefs checks that every task a check names exists in the lesson.
func (p *parser) checkRefs(c *Check, l *Lesson, n *yaml.Node) error {
	var err error
	c.walk(func(c *Check) {
		if err != nil {
			return
		}
		ref := c.ref()
		if ref == "" {
			return
		}
		t, ok := l.Task(ref)
		switch {
		case !ok:
			err = &FormatError{File: p.file, Line: c.Line, Msg: fmt.Sprintf("the check names task %q, which this lesson does not have", ref)}
		case c.Kind == "prediction" && !t.Predict:
			err = &FormatError{File: p.file, Line: c.Line, Msg: fmt.Sprintf("the check names task %q's prediction, but that task is not a predict task (predict: true)", ref)}
		case c.Kind == "answer" && t.Question == nil:
			err = &FormatError{File: p.file, Line: c.Line, Msg: fmt.Sprintf("the check names task %q's answer, but that task has no question", ref)}
		}
	})
	return err
}
