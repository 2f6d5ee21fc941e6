package lessons

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Expr is what a question's right answer is computed from, when the student answers:
// the lesson never stores the answer itself, because it depends on the student's own
// images (their history, their Dockerfile's WORKDIR, their sizes).
type Expr struct {
	Kind  string   // history_count, workdir, env, smaller, size_ratio, value
	Tag   string   // history_count, workdir, env: the image
	Name  string   // env: the variable
	Tags  []string // smaller, size_ratio: the two images
	Value string   // value: a fixed answer
	Line  int
}

// ExprKinds are the kinds an answer may have.
var ExprKinds = []string{"history_count", "workdir", "env", "smaller", "size_ratio", "value"}

func (p *parser) expr(n *yaml.Node, what string) (Expr, error) {
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		return Expr{}, p.errf(n, "%s must be a mapping with one kind (%s)", what, strings.Join(ExprKinds, ", "))
	}
	k, v := n.Content[0], n.Content[1]
	e := Expr{Kind: k.Value, Line: k.Line}
	var err error
	switch k.Value {
	case "history_count", "workdir":
		var s string
		if s, err = p.str(v, k.Value); err == nil {
			e.Tag = normTag(s)
		}
	case "env":
		var f map[string]*yaml.Node
		if f, err = p.fields(v, "env", "tag", "name"); err != nil {
			return Expr{}, err
		}
		if f["tag"] == nil || f["name"] == nil {
			return Expr{}, p.errf(v, "env needs tag (the image) and name (the variable)")
		}
		var s string
		if s, err = p.str(f["tag"], "tag"); err != nil {
			return Expr{}, err
		}
		e.Tag = normTag(s)
		e.Name, err = p.str(f["name"], "name")
	case "smaller", "size_ratio":
		var tags []string
		if tags, err = p.strList(v, k.Value); err == nil && len(tags) != 2 {
			err = p.errf(v, "%s needs two image tags, not %d", k.Value, len(tags))
		}
		for _, t := range tags {
			e.Tags = append(e.Tags, normTag(t))
		}
	case "value":
		e.Value, err = p.str(v, "value")
	default:
		return Expr{}, p.errf(k, "unknown answer kind %q: the kinds are %s", k.Value, strings.Join(ExprKinds, ", "))
	}
	if err != nil {
		return Expr{}, err
	}
	return e, nil
}

// Eval computes the right answer from the state, as text.
func (e Expr) Eval(st *State) (string, error) {
	switch e.Kind {
	case "value":
		return e.Value, nil
	case "history_count", "workdir", "env":
		im, ok := imageByTag(st, e.Tag)
		if !ok {
			return "", fmt.Errorf("there is no image tagged %s yet: build it with docker build -t %s . first", e.Tag, e.Tag)
		}
		switch e.Kind {
		case "history_count":
			return strconv.Itoa(im.Layers), nil
		case "workdir":
			if im.WorkingDir == "" {
				return "/", nil
			}
			return im.WorkingDir, nil
		}
		for _, kv := range im.Env {
			if name, val, ok := strings.Cut(kv, "="); ok && name == e.Name {
				return val, nil
			}
		}
		return "", fmt.Errorf("%s has no environment variable %s: the question expects one", e.Tag, e.Name)
	case "smaller", "size_ratio":
		a, b, err := e.pair(st)
		if err != nil {
			return "", err
		}
		if e.Kind == "smaller" {
			if a.Size <= b.Size {
				return e.Tags[0], nil
			}
			return e.Tags[1], nil
		}
		big, small := float64(max(a.Size, b.Size)), float64(min(a.Size, b.Size))
		if small <= 0 {
			return "", fmt.Errorf("an image of size 0 cannot be compared")
		}
		return strconv.FormatFloat(big/small, 'f', 1, 64), nil
	}
	return "", fmt.Errorf("unknown answer kind %q", e.Kind)
}

func (e Expr) pair(st *State) (*Image, *Image, error) {
	a, ok := imageByTag(st, e.Tags[0])
	if !ok {
		return nil, nil, fmt.Errorf("there is no image tagged %s yet: build it first", e.Tags[0])
	}
	b, ok := imageByTag(st, e.Tags[1])
	if !ok {
		return nil, nil, fmt.Errorf("there is no image tagged %s yet: build it first", e.Tags[1])
	}
	return a, b, nil
}

var numberRE = regexp.MustCompile(`[0-9]+(?:[.,][0-9]+)?`)

// Match reports whether a student's answer is right; when it is not, it says so in one
// sentence that does not give the answer away. Formatting is forgiven: quotes, spaces,
// a trailing slash on a path, "NAME=value" for a value, "12x" or "about 12 times" for a
// ratio, the tag's short form for an image.
func (e Expr) Match(answer string, st *State) (bool, string) {
	want, err := e.Eval(st)
	if err != nil {
		return false, err.Error() + "."
	}
	got := strings.Trim(strings.TrimSpace(answer), "\"'` ")
	switch e.Kind {
	case "history_count":
		n := numberRE.FindString(got)
		if n == want {
			return true, ""
		}
		return false, fmt.Sprintf("%q is not the number of entries docker history %s lists: run it and count its lines under the header (the base image's entries count too).", answer, e.Tag)
	case "workdir":
		if got == want || (len(got) > 1 && strings.TrimSuffix(got, "/") == strings.TrimSuffix(want, "/")) {
			return true, ""
		}
		return false, fmt.Sprintf("%q is not the working directory of %s: look for WorkingDir in docker image inspect %s.", answer, e.Tag, e.Tag)
	case "env":
		if got == want || got == e.Name+"="+want {
			return true, ""
		}
		return false, fmt.Sprintf("%q is not the value of %s in %s: look for Env in docker image inspect %s.", answer, e.Name, e.Tag, e.Tag)
	case "smaller":
		if sameImageName(got, want, e.Tags) {
			return true, ""
		}
		return false, fmt.Sprintf("%q is not the smaller of %s and %s: compare their SIZE in docker image ls.", answer, e.Tags[0], e.Tags[1])
	case "size_ratio":
		g, err1 := strconv.ParseFloat(strings.ReplaceAll(numberRE.FindString(got), ",", "."), 64)
		w, err2 := strconv.ParseFloat(want, 64)
		if err1 == nil && err2 == nil && math.Abs(g-w) <= math.Max(0.5, 0.1*w) {
			return true, ""
		}
		return false, fmt.Sprintf("%q is not how many times bigger the bigger of %s and %s is: divide their SIZE in docker image ls (within 10%% is right).", answer, e.Tags[0], e.Tags[1])
	}
	if strings.EqualFold(strings.Join(strings.Fields(got), " "), strings.Join(strings.Fields(want), " ")) {
		return true, ""
	}
	return false, fmt.Sprintf("%q is not the answer yet: read the task's text again.", answer)
}

// sameImageName accepts the full tag, or the part of it that tells the two apart: the
// tag when both share a repository ("multi" of hello:multi and hello:single), the
// repository when the tags are the same.
func sameImageName(got, want string, tags []string) bool {
	g := strings.ToLower(got)
	if normTag(g) == want || g == want {
		return true
	}
	repo := func(t string) string { return t[:strings.LastIndex(t, ":")] }
	tagOf := func(t string) string { return t[strings.LastIndex(t, ":")+1:] }
	if repo(tags[0]) == repo(tags[1]) && g == tagOf(want) {
		return true
	}
	if tagOf(tags[0]) == tagOf(tags[1]) && g == repo(want) {
		return true
	}
	return false
}
