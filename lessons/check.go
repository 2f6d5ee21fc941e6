package lessons

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Check is a task's check: data from the lesson file, evaluated against a State. It
// has one kind; all, any and in_order combine others. docs/lessons.md lists the kinds.
type Check struct {
	Kind string // build image dangling intermediate command pushed pulled prediction answer all any in_order
	Line int    // in the lesson file

	build   *buildCheck
	image   *imageCheck
	count   count // dangling, intermediate
	command *commandCheck
	hub     *hubCheck // pushed, pulled
	task    string    // prediction, answer: another task's id ("" = this task)
	list    []Check   // all, any, in_order
}

// CheckKinds are the kinds a check may have.
var CheckKinds = []string{"build", "image", "dangling", "intermediate", "command", "pushed", "pulled", "prediction", "answer", "all", "any", "in_order"}

// eval reports whether the check holds and, if not, one sentence saying what is missing.
func (c *Check) eval(st *State, t *Task) (bool, string) {
	ok, _, detail := c.evalSince(st, t, time.Time{})
	return ok, detail
}

// evalSince evaluates the check, where a build or command it needs must be newer than
// since (in_order's rule). It returns when the check came to hold: the time of the
// build or command it matched (the earliest that fits), or since for a check of the
// present state (images, pushes, answers), which has no time of its own.
func (c *Check) evalSince(st *State, t *Task, since time.Time) (bool, time.Time, string) {
	switch c.Kind {
	case "build":
		return c.build.eval(st, since)
	case "command":
		return c.command.eval(st, t, since)
	case "all":
		at := since
		for i := range c.list {
			ok, when, detail := c.list[i].evalSince(st, t, since)
			if !ok {
				return false, since, detail
			}
			if when.After(at) {
				at = when
			}
		}
		return true, at, ""
	case "any":
		var first string
		found := false
		var at time.Time
		for i := range c.list {
			ok, when, detail := c.list[i].evalSince(st, t, since)
			if ok && (!found || when.Before(at)) {
				found, at = true, when
			}
			if !ok && first == "" {
				first = detail
			}
		}
		if found {
			return true, at, ""
		}
		return false, since, first
	case "in_order":
		at := since
		for i := range c.list {
			ok, when, detail := c.list[i].evalSince(st, t, at)
			if !ok {
				if i > 0 && !at.IsZero() {
					detail = strings.TrimSuffix(detail, ".") + " (it counts only after what the task asks for before it)."
				}
				return false, since, detail
			}
			at = when
		}
		return true, at, ""
	}
	ok, detail := c.evalState(st, t)
	return ok, since, detail
}

// evalState evaluates the kinds that look at the present state only.
func (c *Check) evalState(st *State, t *Task) (bool, string) {
	switch c.Kind {
	case "image":
		return c.image.eval(st)
	case "dangling":
		n := 0
		for _, im := range st.Images {
			if im.Dangling {
				n++
			}
		}
		if c.count.holds(n) {
			return true, ""
		}
		if n > c.count.max() {
			return false, fmt.Sprintf("there %s %d dangling image%s (<none>:<none>) where the task wants %s: remove them with docker image prune.", isAre(n), n, plural(n), c.count)
		}
		return false, fmt.Sprintf("there %s %d dangling image%s (<none>:<none>) where the task wants %s: build a changed Dockerfile again under a tag an older image has, so the older one loses its name.", isAre(n), n, plural(n), c.count)
	case "intermediate":
		n := 0
		for _, im := range st.Images {
			if im.Intermediate {
				n++
			}
		}
		if c.count.holds(n) {
			return true, ""
		}
		return false, fmt.Sprintf("the workspace has %d intermediate image%s where the task wants %s: each RUN, COPY or other step of a build leaves one; build an image first.", n, plural(n), c.count)
	case "pushed", "pulled":
		return c.hub.eval(st, c.Kind)
	case "prediction":
		id := c.task
		if id == "" {
			id = t.ID
		}
		p, ok := st.Predictions[id]
		if !ok {
			return false, "no prediction has been scored yet: mark the steps you expect to rebuild, then build."
		}
		if c.count.min > 0 && p.Right < c.count.min {
			return false, fmt.Sprintf("the prediction got %d of %d steps right where the task wants at least %d: read why each step rebuilt, then predict the next build.", p.Right, p.Total, c.count.min)
		}
		return true, ""
	case "answer":
		q := t.Question
		id := t.ID
		if c.task != "" {
			id = c.task
		}
		if q == nil {
			return false, "this task has no question to answer."
		}
		a, ok := st.Answers[id]
		if !ok || strings.TrimSpace(a) == "" {
			return false, "no answer yet: type your answer to the question."
		}
		right, why := q.Answer.Match(a, st)
		if !right {
			return false, why
		}
		return true, ""
	}
	return false, fmt.Sprintf("unknown check kind %q.", c.Kind)
}

// walk calls f on c and every check inside it.
func (c *Check) walk(f func(*Check)) {
	f(c)
	for i := range c.list {
		c.list[i].walk(f)
	}
}

// uses reports whether c or a check inside it has that kind.
func (c *Check) uses(kind string) bool {
	found := false
	c.walk(func(x *Check) { found = found || x.Kind == kind })
	return found
}

// names reports whether every check of that kind inside c names another task.
func (c *Check) names(kind string) bool {
	all := true
	c.walk(func(x *Check) {
		if x.Kind == kind && x.task == "" {
			all = false
		}
	})
	return all
}

// ref is the other task a prediction or answer check names.
func (c *Check) ref() string {
	if c.Kind == "prediction" || c.Kind == "answer" {
		return c.task
	}
	return ""
}

// count is a wanted number: exactly n, or between min and max.
type count struct {
	min, maxv int
	set       bool // maxv is set
}

func (n count) holds(v int) bool { return v >= n.min && (!n.set || v <= n.maxv) }
func (n count) max() int {
	if n.set {
		return n.maxv
	}
	return int(^uint(0) >> 1)
}

func (n count) String() string {
	switch {
	case n.set && n.min == n.maxv:
		return fmt.Sprint(n.min)
	case n.set && n.min > 0:
		return fmt.Sprintf("%d to %d", n.min, n.maxv)
	case n.set:
		return fmt.Sprintf("at most %d", n.maxv)
	}
	return fmt.Sprintf("at least %d", n.min)
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// check parses one check: a mapping with exactly one key, its kind.
func (p *parser) check(n *yaml.Node, what string, depth int) (Check, error) {
	if depth > maxCheckDepth {
		return Check{}, p.errf(n, "%s nests all/any/in_order more than %d deep: flatten it", what, maxCheckDepth)
	}
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return Check{}, p.errf(n, "%s must be a mapping with one check kind (%s), not %s", what, strings.Join(CheckKinds, ", "), kindName(n))
	}
	if len(n.Content) > 2 {
		return Check{}, p.errf(n.Content[2], "%s has two kinds (%s and %s): a check has one; list several under all:", what, n.Content[0].Value, n.Content[2].Value)
	}
	k, v := n.Content[0], n.Content[1]
	c := Check{Kind: k.Value, Line: k.Line}
	var err error
	switch k.Value {
	case "build":
		c.build, err = p.buildCheck(v)
	case "image":
		c.image, err = p.imageCheck(v)
	case "dangling", "intermediate":
		c.count, err = p.count(v, k.Value)
	case "command":
		c.command, err = p.commandCheck(v)
	case "pushed", "pulled":
		c.hub, err = p.hubCheck(v, k.Value)
	case "prediction":
		var f map[string]*yaml.Node
		if f, err = p.fields(v, "a prediction check", "task", "min_right"); err == nil {
			if f["task"] != nil {
				c.task, err = p.id(f["task"], "the prediction check's task")
			}
			if err == nil && f["min_right"] != nil {
				c.count.min, err = p.integer(f["min_right"], "min_right")
			}
		}
	case "answer":
		var f map[string]*yaml.Node
		if f, err = p.fields(v, "an answer check", "task"); err == nil && f["task"] != nil {
			c.task, err = p.id(f["task"], "the answer check's task")
		}
	case "all", "any", "in_order":
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			return Check{}, p.errf(v, "%s: must list at least one check, not %s", k.Value, kindName(v))
		}
		for _, item := range v.Content {
			sub, err := p.check(item, "each check under "+k.Value, depth+1)
			if err != nil {
				return Check{}, err
			}
			c.list = append(c.list, sub)
		}
	default:
		return Check{}, p.errf(k, "unknown check kind %q: the kinds are %s", k.Value, strings.Join(CheckKinds, ", "))
	}
	if err != nil {
		return Check{}, err
	}
	return c, nil
}

// count parses "3" (exactly) or {min: 1, max: 4}.
func (p *parser) count(n *yaml.Node, what string) (count, error) {
	if n.Kind == yaml.ScalarNode {
		v, err := p.integer(n, what)
		return count{min: v, maxv: v, set: true}, err
	}
	f, err := p.fields(n, what, "min", "max")
	if err != nil {
		return count{}, err
	}
	var c count
	if f["min"] != nil {
		if c.min, err = p.integer(f["min"], what+"'s min"); err != nil {
			return count{}, err
		}
	}
	if f["max"] != nil {
		if c.maxv, err = p.integer(f["max"], what+"'s max"); err != nil {
			return count{}, err
		}
		c.set = true
		if c.maxv < c.min {
			return count{}, p.errf(f["max"], "%s's max %d is below its min %d", what, c.maxv, c.min)
		}
	}
	if f["min"] == nil && f["max"] == nil {
		return count{}, p.errf(n, "%s needs a number, min or max", what)
	}
	return c, nil
}

// commandCheck: a terminal command matching a regular expression ran, with an exit status.
type commandCheck struct {
	matches *regexp.Regexp
	exit    int
	anyExit bool
}

func (p *parser) commandCheck(n *yaml.Node) (*commandCheck, error) {
	f, err := p.fields(n, "a command check", "matches", "exit")
	if err != nil {
		return nil, err
	}
	if f["matches"] == nil {
		return nil, p.errf(n, "a command check needs matches: a regular expression for the command line")
	}
	c := &commandCheck{}
	if c.matches, err = p.regex(f["matches"], "matches"); err != nil {
		return nil, err
	}
	if e := f["exit"]; e != nil {
		if e.Kind == yaml.ScalarNode && e.Value == "any" {
			c.anyExit = true
		} else if c.exit, err = p.integer(e, "exit"); err != nil {
			return nil, p.errf(e, "exit must be a status (0 to 255) or any, not %s", kindName(e))
		}
	}
	return c, nil
}

func (c *commandCheck) eval(st *State, t *Task, since time.Time) (bool, time.Time, string) {
	wrongExit := -1
	for _, cmd := range st.Commands {
		if !cmd.At.After(since) && !since.IsZero() {
			continue
		}
		if !c.matches.MatchString(strings.TrimSpace(cmd.Cmd)) {
			continue
		}
		if c.anyExit || cmd.Exit == c.exit {
			return true, cmd.At, ""
		}
		wrongExit = cmd.Exit
	}
	example := ""
	for _, s := range t.Commands {
		if c.matches.MatchString(s) {
			example = s
			break
		}
	}
	if example == "" {
		example = "a command matching " + c.matches.String()
	}
	if wrongExit >= 0 {
		return false, since, fmt.Sprintf("%s ran but ended with exit status %d, where the task wants %d: read its message in the terminal and run it again.", example, wrongExit, c.exit)
	}
	return false, since, fmt.Sprintf("%s has not run in the terminal yet: run it there.", example)
}

// hubCheck: the workspace pushed or pulled an image of the hub.
type hubCheck struct {
	name           string // repository name without namespace; "" = any
	otherNamespace bool   // pulled: from another workspace's namespace
}

func (p *parser) hubCheck(n *yaml.Node, kind string) (*hubCheck, error) {
	keys := []string{"name"}
	if kind == "pulled" {
		keys = append(keys, "other_namespace")
	}
	f, err := p.fields(n, "a "+kind+" check", keys...)
	if err != nil {
		return nil, err
	}
	c := &hubCheck{}
	if f["name"] != nil {
		if c.name, err = p.str(f["name"], "name"); err != nil {
			return nil, err
		}
	}
	if f["other_namespace"] != nil {
		if c.otherNamespace, err = p.boolean(f["other_namespace"], "other_namespace"); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// splitRef splits "ns/name:tag" into its namespace and name.
func splitRef(ref string) (ns, name string) {
	ref = strings.TrimPrefix(ref, "docker.io/")
	if i := strings.IndexAny(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		return ref[:i], ref[i+1:]
	}
	return "", ref
}

func (c *hubCheck) eval(st *State, kind string) (bool, string) {
	refs := st.Pushed
	if kind == "pulled" {
		refs = st.Pulled
	}
	for _, r := range refs {
		ns, name := splitRef(r)
		if c.name != "" && name != c.name {
			continue
		}
		// library/ holds the official images' stand-ins: no classmate's.
		if c.otherNamespace && (ns == "" || ns == "library" || ns == st.Namespace) {
			continue
		}
		return true, ""
	}
	name := c.name
	if name == "" {
		name = "my_image"
	}
	own := st.Namespace
	if own == "" {
		own = "<your namespace>"
	}
	if kind == "pushed" {
		return false, fmt.Sprintf("nothing named %s has been pushed to the hub yet: tag it as %s/%s:latest and run docker push %s/%s:latest.", name, own, name, own, name)
	}
	if c.otherNamespace {
		return false, fmt.Sprintf("no image of a classmate's namespace has been pulled yet: ask a classmate for their namespace and run docker pull <their namespace>/%s:latest (yours is %s).", name, own)
	}
	return false, fmt.Sprintf("nothing named %s has been pulled from the hub yet: run docker pull <namespace>/%s:latest.", name, name)
}
