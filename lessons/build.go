package lessons

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// stateGroups are the step lists a build check may give: each names steps by the start
// of their instruction; "rebuilt" is any state but cached, base and meta.
var stateGroups = []string{"cached", "rebuilt", "changed", "downstream", "new"}

// buildCheck: some build of the workspace has these properties.
type buildCheck struct {
	tag        string // normalized: "name:tag"
	failed     bool   // a failed build is wanted (succeeded: false)
	allCached  bool
	groups     map[string][]string // state group -> instruction prefixes
	steps      []stepPattern       // in this order, not necessarily adjacent
	dockerfile *regexp.Regexp
	describe   string // what dockerfile looks for, in words, for the student
	retagged   bool
}

type stepPattern struct {
	prefix, state string
}

func (p *parser) buildCheck(n *yaml.Node) (*buildCheck, error) {
	keys := append([]string{"succeeded", "tag", "all_cached", "steps", "dockerfile", "describe", "retagged"}, stateGroups...)
	f, err := p.fields(n, "a build check", keys...)
	if err != nil {
		return nil, err
	}
	c := &buildCheck{groups: map[string][]string{}}
	if f["succeeded"] != nil {
		ok, err := p.boolean(f["succeeded"], "succeeded")
		if err != nil {
			return nil, err
		}
		c.failed = !ok
	}
	if f["tag"] != nil {
		s, err := p.str(f["tag"], "tag")
		if err != nil {
			return nil, err
		}
		c.tag = normTag(s)
	}
	if f["all_cached"] != nil {
		if c.allCached, err = p.boolean(f["all_cached"], "all_cached"); err != nil {
			return nil, err
		}
	}
	if f["retagged"] != nil {
		if c.retagged, err = p.boolean(f["retagged"], "retagged"); err != nil {
			return nil, err
		}
	}
	if f["dockerfile"] != nil {
		if c.dockerfile, err = p.regex(f["dockerfile"], "dockerfile"); err != nil {
			return nil, err
		}
	}
	if f["describe"] != nil {
		if f["dockerfile"] == nil {
			return nil, p.errf(f["describe"], "describe says in words what dockerfile looks for: add dockerfile: too")
		}
		if c.describe, err = p.str(f["describe"], "describe"); err != nil {
			return nil, err
		}
	}
	for _, g := range stateGroups {
		if f[g] != nil {
			if c.groups[g], err = p.strList(f[g], g); err != nil {
				return nil, err
			}
		}
	}
	if s := f["steps"]; s != nil {
		if s.Kind != yaml.SequenceNode || len(s.Content) == 0 {
			return nil, p.errf(s, "steps must list at least one {instruction, state}, not %s", kindName(s))
		}
		for _, item := range s.Content {
			sf, err := p.fields(item, "each of steps", "instruction", "state")
			if err != nil {
				return nil, err
			}
			if sf["instruction"] == nil || sf["state"] == nil {
				return nil, p.errf(item, "each of steps needs instruction (the start of its text) and state")
			}
			var sp stepPattern
			if sp.prefix, err = p.str(sf["instruction"], "instruction"); err != nil {
				return nil, err
			}
			if sp.state, err = p.str(sf["state"], "state"); err != nil {
				return nil, err
			}
			if !contains(stateGroups, sp.state) && sp.state != StateFailed {
				return nil, p.errf(sf["state"], "state %q is not one of %s, failed", sp.state, strings.Join(stateGroups, ", "))
			}
			c.steps = append(c.steps, sp)
		}
	}
	if c.failed && (c.allCached || c.retagged) {
		return nil, p.errf(n, "a build check for a failed build cannot also want all_cached or retagged")
	}
	return c, nil
}

// normTag gives a tag the short form docker image ls shows: "my_image" is
// "my_image:latest", and docker.io/library/ is dropped.
func normTag(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "docker.io/")
	s = strings.TrimPrefix(s, "library/")
	if i := strings.LastIndex(s, ":"); i < 0 || i < strings.LastIndex(s, "/") {
		s += ":latest"
	}
	return s
}

func hasTag(tags []string, want string) bool {
	for _, t := range tags {
		if normTag(t) == want {
			return true
		}
	}
	return false
}

// normInstr folds case and runs of spaces so that "RUN  pip" starts like "run pip".
func normInstr(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

func stepMatches(s Step, prefix string) bool {
	return strings.HasPrefix(normInstr(s.Instruction), normInstr(prefix))
}

func inGroup(state, group string) bool {
	if group == "rebuilt" {
		return rebuilt(state)
	}
	return state == group
}

// rebuilt reports whether a step in that state ran: not from the cache, and not a
// FROM or an ARG before FROM, which are neither cached nor rebuilt.
func rebuilt(state string) bool {
	switch state {
	case StateCached, StateBase, StateMeta, "":
		return false
	}
	return true
}

func (c *buildCheck) command() string {
	if c.tag != "" {
		return "docker build -t " + c.tag + " ."
	}
	return "docker build ."
}

func (c *buildCheck) eval(st *State, since time.Time) (bool, time.Time, string) {
	var newest *Build // the newest build of the wanted tag and outcome, to explain a miss
	var why string
	seen := 0
	for i := len(st.Builds) - 1; i >= 0; i-- { // oldest first: in_order wants the earliest
		b := &st.Builds[i]
		if !since.IsZero() && !b.Created.After(since) {
			continue
		}
		seen++
		if c.tag != "" && !hasTag(b.Tags, c.tag) {
			continue
		}
		if c.failed != (b.State == BuildFailed) || b.State == BuildRunning {
			continue
		}
		ok, w := c.match(st, i)
		if ok {
			return true, b.Created, ""
		}
		newest, why = b, w
	}
	outcome := "succeeded"
	if c.failed {
		outcome = "failed"
	}
	switch {
	case seen == 0:
		return false, since, fmt.Sprintf("no build has run yet: run %s in the terminal.", c.command())
	case newest == nil && c.tag != "":
		return false, since, fmt.Sprintf("no build tagged %s has %s yet: run %s in the terminal.", c.tag, outcome, c.command())
	case newest == nil:
		return false, since, fmt.Sprintf("no build has %s yet: run %s in the terminal.", outcome, c.command())
	}
	subject := "the newest build"
	if c.tag != "" {
		subject += " tagged " + c.tag
	}
	return false, since, subject + " " + why
}

// match checks build i against everything but its tag and outcome; when it fails it
// says why, as the end of a sentence that starts "the newest build ...".
func (c *buildCheck) match(st *State, i int) (bool, string) {
	b := &st.Builds[i]
	if c.dockerfile != nil && !c.dockerfile.MatchString(b.Dockerfile) {
		if c.describe != "" {
			return false, fmt.Sprintf("was built from a Dockerfile without %s yet: change the Dockerfile as the task says and build again.", strings.TrimSuffix(c.describe, "."))
		}
		return false, fmt.Sprintf("was built from a Dockerfile that does not match %s yet: change the Dockerfile as the task says and build again.", c.dockerfile)
	}
	if c.allCached {
		for _, s := range b.Steps {
			if rebuilt(s.State) {
				return false, fmt.Sprintf("rebuilt step %d (%s, %s): build again without changing anything, so that every step comes from the cache.", s.Step, s.Instruction, s.State)
			}
		}
	}
	for _, g := range stateGroups {
		for _, prefix := range c.groups[g] {
			found := false
			for _, s := range b.Steps {
				if !stepMatches(s, prefix) {
					continue
				}
				found = true
				if !inGroup(s.State, g) {
					return false, fmt.Sprintf("has step %d, %s, %s, where the task wants it %s: %s", s.Step, s.Instruction, stateText(s.State), groupText(g), groupHint(g))
				}
			}
			if !found {
				return false, fmt.Sprintf("has no step that starts with %q: the task wants one, %s.", prefix, groupText(g))
			}
		}
	}
	if len(c.steps) > 0 {
		k := 0
		for _, s := range b.Steps {
			if k < len(c.steps) && stepMatches(s, c.steps[k].prefix) && inGroup(s.State, c.steps[k].state) {
				k++
			}
		}
		if k < len(c.steps) {
			var want []string
			for _, sp := range c.steps {
				want = append(want, fmt.Sprintf("%q %s", sp.prefix, groupText(sp.state)))
			}
			return false, fmt.Sprintf("does not show, in this order, %s: its steps were %s.", strings.Join(want, ", then "), stepList(b.Steps))
		}
	}
	if c.retagged && !c.replacedTag(st, i) {
		return false, "did not take its tag from an older image: change a file and build again with the same -t, so the older image loses its name and becomes dangling."
	}
	return true, ""
}

// replacedTag reports whether build i took a tag an earlier succeeded build had given
// to another image: that image is then <none>:<none>, dangling (unless it had another
// tag too). A build whose steps all came from the cache made the same image again.
func (c *buildCheck) replacedTag(st *State, i int) bool {
	b := &st.Builds[i]
	ran := false
	for _, s := range b.Steps {
		ran = ran || rebuilt(s.State)
	}
	if !ran {
		return false
	}
	for j := i + 1; j < len(st.Builds); j++ {
		old := &st.Builds[j]
		if old.State != BuildSucceeded {
			continue
		}
		for _, t := range b.Tags {
			if hasTag(old.Tags, normTag(t)) {
				return true
			}
		}
	}
	return false
}

func stateText(state string) string {
	switch state {
	case StateCached:
		return "from the cache"
	case StateChanged:
		return "rebuilt because its own input changed"
	case StateDownstream:
		return "rebuilt because a step above it was (downstream)"
	case StateNew:
		return "built for the first time"
	case StateFailed:
		return "failed"
	}
	return state
}

func groupText(g string) string {
	switch g {
	case "cached":
		return "from the cache"
	case "rebuilt":
		return "rebuilt"
	case "changed":
		return "rebuilt because its own input changed"
	case "downstream":
		return "rebuilt only because a step above it was (downstream)"
	case "new":
		return "built for the first time"
	}
	return g
}

func groupHint(g string) string {
	switch g {
	case "cached":
		return "a step comes from the cache when neither it nor any step above it changed."
	case "changed":
		return "edit what this step copies (or its text) and build again."
	case "downstream":
		return "change a step above it, not this one, and build again."
	}
	return "change the Dockerfile or the files as the task says and build again."
}

func stepList(steps []Step) string {
	var parts []string
	for _, s := range steps {
		parts = append(parts, fmt.Sprintf("%d %s (%s)", s.Step, s.Instruction, s.State))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}

// imageCheck: an image with that tag exists (or not), with these properties.
type imageCheck struct {
	tag     string
	exists  bool
	workdir *string
	env     string // "K=V" or "K"
	layers  *count
}

func (p *parser) imageCheck(n *yaml.Node) (*imageCheck, error) {
	f, err := p.fields(n, "an image check", "tag", "exists", "workdir", "env", "layers")
	if err != nil {
		return nil, err
	}
	if f["tag"] == nil {
		return nil, p.errf(n, "an image check needs tag: the image's name:tag")
	}
	c := &imageCheck{exists: true}
	s, err := p.str(f["tag"], "tag")
	if err != nil {
		return nil, err
	}
	c.tag = normTag(s)
	if f["exists"] != nil {
		if c.exists, err = p.boolean(f["exists"], "exists"); err != nil {
			return nil, err
		}
	}
	if f["workdir"] != nil {
		w, err := p.str(f["workdir"], "workdir")
		if err != nil {
			return nil, err
		}
		c.workdir = &w
	}
	if f["env"] != nil {
		if c.env, err = p.str(f["env"], "env"); err != nil {
			return nil, err
		}
	}
	if f["layers"] != nil {
		n, err := p.count(f["layers"], "layers")
		if err != nil {
			return nil, err
		}
		c.layers = &n
	}
	if !c.exists && (c.workdir != nil || c.env != "" || c.layers != nil) {
		return nil, p.errf(n, "an image check with exists: false cannot also check workdir, env or layers")
	}
	return c, nil
}

func imageByTag(st *State, tag string) (*Image, bool) {
	for i := range st.Images {
		if hasTag(st.Images[i].Tags, tag) {
			return &st.Images[i], true
		}
	}
	return nil, false
}

func (c *imageCheck) eval(st *State) (bool, string) {
	im, ok := imageByTag(st, c.tag)
	if !c.exists {
		if ok {
			return false, fmt.Sprintf("%s still exists: remove it with docker image rm %s (add -f when other tags or images depend on it).", c.tag, c.tag)
		}
		return true, ""
	}
	if !ok {
		return false, fmt.Sprintf("there is no image tagged %s: build it with docker build -t %s . or tag one with docker tag.", c.tag, c.tag)
	}
	if c.workdir != nil && im.WorkingDir != *c.workdir {
		return false, fmt.Sprintf("%s has working directory %q where the task wants %q: set WORKDIR %s in the Dockerfile and build again.", c.tag, im.WorkingDir, *c.workdir, *c.workdir)
	}
	if c.env != "" && !hasEnv(im.Env, c.env) {
		return false, fmt.Sprintf("%s has no environment variable %s: add ENV %s to the Dockerfile and build again.", c.tag, c.env, c.env)
	}
	if c.layers != nil && !c.layers.holds(im.Layers) {
		return false, fmt.Sprintf("docker history %s lists %d entries where the task wants %s.", c.tag, im.Layers, c.layers)
	}
	return true, ""
}

func hasEnv(env []string, want string) bool {
	for _, e := range env {
		if e == want || (!strings.Contains(want, "=") && strings.HasPrefix(e, want+"=")) {
			return true
		}
	}
	return false
}
