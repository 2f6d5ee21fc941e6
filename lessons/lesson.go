// Package lessons holds the guided lessons of the playground as data: YAML files (two
// built in, more from a teacher's folder) whose tasks each carry a declarative check.
// A handler gathers a workspace's real State (builds and their steps' states, images,
// terminal commands, hub pushes and pulls); Task.Evaluate says whether the task is
// done and, if not, what is missing; Score marks a predict-the-rebuild answer.
//
// The package is a leaf: it imports nothing of this module, no database and no HTTP.
// docs/lessons.md describes the format.
package lessons

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// Lesson is one guided lesson.
type Lesson struct {
	ID, Title, Summary string
	Starter            map[string]string // path -> content: the context a student starts from
	Tasks              []*Task
	File               string // where it was loaded from, for messages
}

// Task is one step of a lesson.
type Task struct {
	ID, Title, Text string            // Text is markdown-ish plain text
	Commands        []string          // docker commands shown for it
	Starter         map[string]string // path -> content, when the task starts from its own context
	Predict         bool              // a predict-the-rebuild task
	Question        *Question
	Check           Check // data, from YAML
}

// Question is a question a task asks; the right answer is computed from the
// workspace's state when the student answers, never stored in the lesson.
type Question struct {
	Prompt string
	Answer Expr
}

// Task returns the lesson's task with that id.
func (l *Lesson) Task(id string) (*Task, bool) {
	for _, t := range l.Tasks {
		if t.ID == id {
			return t, true
		}
	}
	return nil, false
}

// Evaluate checks the task against a workspace's state.
func (t *Task) Evaluate(st *State) Result {
	if st == nil {
		st = &State{}
	}
	ok, detail := t.Check.eval(st, t)
	if ok {
		return Result{Done: true}
	}
	return Result{Detail: detail}
}

// Set is the lessons a server offers, in a stable order: the built-in ones first.
type Set struct {
	list []*Lesson
	byID map[string]*Lesson
}

// All returns the lessons in order.
func (s *Set) All() []*Lesson { return append([]*Lesson(nil), s.list...) }

// Get returns the lesson with that id.
func (s *Set) Get(id string) (*Lesson, bool) {
	l, ok := s.byID[id]
	return l, ok
}

func (s *Set) add(l *Lesson) error {
	if old, ok := s.byID[l.ID]; ok {
		return fmt.Errorf("%s: lesson id %q is already used by %s: give this lesson another id", l.File, l.ID, old.File)
	}
	s.list = append(s.list, l)
	s.byID[l.ID] = l
	return nil
}

// builtinOrder: the lesson the project was made from comes first.
var builtinOrder = map[string]int{"docker-images": 0, "multi-stage": 1}

// Builtin returns the lessons embedded in the binary.
func Builtin() (*Set, error) {
	s := &Set{byID: map[string]*Lesson{}}
	names, err := fs.Glob(builtinFS, "builtin/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list built-in lessons: %w", err)
	}
	var ls []*Lesson
	for _, name := range names {
		data, err := builtinFS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read built-in lesson: %w", err)
		}
		l, err := Parse(name, data, nil)
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
	}
	sort.SliceStable(ls, func(i, j int) bool {
		oi, iok := builtinOrder[ls[i].ID]
		oj, jok := builtinOrder[ls[j].ID]
		if iok != jok {
			return iok
		}
		if iok {
			return oi < oj
		}
		return ls[i].ID < ls[j].ID
	})
	for _, l := range ls {
		if err := s.add(l); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// LoadDir returns the built-in lessons and those of dir's *.yaml and *.yml files (not
// its subfolders, which may hold starter_dir contexts), in file-name order. A lesson
// of dir may not reuse a built-in lesson's id.
func LoadDir(dir string) (*Set, error) {
	s, err := Builtin()
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read lessons folder: %w", err)
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && (strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		l, err := LoadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		if err := s.add(l); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// LoadFile reads one lesson file; its starter_dir, if any, is read relative to it.
func LoadFile(path string) (*Lesson, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read lesson: %w", err)
	}
	if fi.Size() > MaxFileBytes {
		return nil, fmt.Errorf("%s: the file has %d bytes; a lesson file may have at most %d (256 KiB): split it into two lessons or move the starter files into a starter_dir", path, fi.Size(), MaxFileBytes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read lesson: %w", err)
	}
	return Parse(path, data, os.DirFS(filepath.Dir(path)))
}
