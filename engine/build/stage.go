package build

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/dockerfile"
	"layerlab/engine/image"
	"layerlab/engine/rootfs"
)

// stage is the state of one stage while it builds: Docker's dispatchState.
type stage struct {
	name   string
	id     digest.Digest // current image; "" before the first commit of a FROM scratch
	rec    *image.Record // current image record; nil for scratch
	config *image.ContainerConfig
	author string
	cmdSet bool
	args   map[string]*string // ARGs declared in this stage: their values (nil = no value)
	// For reasons: the first rebuilt step of this stage (0 = none yet), and the image the
	// previous build had at this point of the stage (nil when unknown).
	rebuilt int
	prev    *image.Record
	// fresh: the first rebuilt step was never built on its parent before (a first
	// build), so no step after it can have been either.
	fresh bool
	fs    *rootfs.FS // snapshot of id's filesystem, loaded lazily; never mutated
}

// defaultPath is the PATH Docker adds to a stage that has none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

func (r *run) buildStage(ds *dockerfile.Stage) (*stage, error) {
	st := &stage{name: ds.Name, args: map[string]*string{}}
	if err := r.from(st, ds); err != nil {
		return nil, err
	}
	for i := range ds.Steps {
		if err := r.ctx.Err(); err != nil {
			return nil, r.fail(ds.Steps[i].Step, &ds.Steps[i], err, "")
		}
		if err := r.step(st, &ds.Steps[i], false); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func (r *run) from(st *stage, ds *dockerfile.Stage) error {
	in := &ds.From
	t0 := time.Now()
	r.emit(Event{Type: EventStepStarted, Step: in.Step, Of: r.total, Line: in.Line, EndLine: in.EndLine, Stage: ds.Name, Instruction: in.Original})
	name, err := r.lex.Word(ds.Base, r.metaEnv())
	if err != nil {
		return r.fail(in.Step, in, fmt.Errorf("failed to process %q: %w", ds.Base, err), "")
	}
	if name == "" {
		return r.fail(in.Step, in, errors.New("base name ("+ds.Base+") should not be blank"), "")
	}
	if ds.Platform != "" {
		// The classic builder expands --platform with the meta ARGs and parses the
		// result, but, unlike BuildKit, defines no BUILDPLATFORM or TARGETPLATFORM:
		// `--platform=$BUILDPLATFORM` expands to "" and fails. A platform that parses
		// is not checked against the image (the stand-ins are linux/amd64).
		p, err := r.lex.Word(ds.Platform, r.metaEnv())
		if err != nil {
			return r.fail(in.Step, in, fmt.Errorf("failed to process %q: %w", ds.Platform, err), "")
		}
		if err := parsePlatform(p); err != nil {
			if strings.Contains(ds.Platform, "PLATFORM") {
				r.emit(Event{Type: EventStepLog, Step: in.Step, Text: "[layerlab] BuildKit defines BUILDPLATFORM and TARGETPLATFORM for every build; Docker's classic builder, which the playground follows, does not, so they are empty here: declare them before the first FROM (ARG BUILDPLATFORM=linux/amd64) or drop --platform"})
			}
			return r.fail(in.Step, in, fmt.Errorf("failed to parse platform %s: %w", p, err), "")
		}
	}
	// A base pinned by tag and digest that the store does not hold resolves by its tag:
	// the digest is the real image's, which a stand-in cannot have.
	if ref, err := image.ParseRef(name); err == nil && ref.Digest() != "" && ref.Tag() != "" {
		if _, err := r.store.Lookup(r.ctx, name); errors.Is(err, ErrNotFound) {
			r.emit(Event{Type: EventStepLog, Step: in.Step, Text: fmt.Sprintf("[layerlab] %s is the digest of the real %s:%s; the playground's stand-in has another digest, so the base is resolved by its tag %s:%s (Docker pulls by the digest and leaves the image untagged)",
				ref.Digest(), ref.Repository(), ref.Tag(), ref.Repository(), ref.Tag())})
			name = ref.Repository() + ":" + ref.Tag()
		}
	}
	pulled := false
	switch {
	case strings.EqualFold(name, "scratch"):
		st.config = &image.ContainerConfig{}
	default:
		if prev := r.stageByName(name); prev != nil {
			st.id, st.rec = prev.id, prev.rec
			st.config = prev.config.Clone()
			if prev.rec != nil {
				img, err := prev.rec.ConfigFile(r.ctx)
				if err != nil {
					return r.fail(in.Step, in, fmt.Errorf("read config of %s: %w", prev.rec.ID, err), "")
				}
				if img.Config != nil {
					st.config = img.Config.Clone()
				}
			}
			break
		}
		rec, p, err := r.resolveImage(name)
		if err != nil {
			return r.fail(in.Step, in, err, "")
		}
		if p {
			r.pullLog(in.Step, name, rec)
		}
		pulled = p
		img, err := rec.ConfigFile(r.ctx)
		if err != nil {
			return r.fail(in.Step, in, fmt.Errorf("read config of %s: %w", rec.ID, err), "")
		}
		st.id, st.rec = rec.ID, rec
		st.config = img.Config.Clone()
		// st.author is not the base's Author: Docker's stage starts with no maintainer
		// (checked with 20.10.24: FROM an image whose author is "me", then ENV, gives "").
	}
	if _, ok := st.config.GetEnv("PATH"); !ok {
		st.config.Env = append(st.config.Env, "PATH="+defaultPath)
	}
	st.config.OpenStdin, st.config.StdinOnce = false, false
	triggers := st.config.OnBuild
	st.config.OnBuild = nil
	r.res.Steps = append(r.res.Steps, StepResult{Step: in.Step, Line: in.Line, EndLine: in.EndLine, Stage: ds.Name,
		Keyword: "FROM", Instruction: in.Original, State: StateBase, Image: st.id})
	fromResult := len(r.res.Steps) - 1
	// The base image's ONBUILD triggers run inside the FROM step, as the classic builder
	// runs them: "# Executing 2 build triggers", then the step's image is the last
	// trigger's.
	if len(triggers) > 0 {
		r.emit(Event{Type: EventStepLog, Step: in.Step, Text: fmt.Sprintf("# Executing %d build trigger", len(triggers)) + plural(len(triggers))})
	}
	for _, t := range triggers {
		tin, err := dockerfile.ParseOnbuild(t, in.Line)
		if err != nil {
			return r.fail(in.Step, in, err, "")
		}
		tin.Step = in.Step
		if err := r.step(st, &tin, true); err != nil {
			return err
		}
	}
	r.res.Steps[fromResult].Image = st.id
	r.res.Steps[fromResult].Ms = ms(time.Since(t0))
	r.emit(Event{Type: EventStepDone, Step: in.Step, Of: r.total, Line: in.Line, EndLine: in.EndLine, Stage: ds.Name,
		Instruction: in.Original, State: StateBase, Image: st.id.String(), Pulled: pulled, Ms: ms(time.Since(t0)),
		Reason: baseReason(name, pulled)})
	return nil
}

// pullLog prints what `docker build` prints when FROM pulls its base image.
func (r *run) pullLog(step int, name string, rec *image.Record) {
	ref, err := image.ParseRef(name)
	if err != nil {
		return
	}
	log := func(s string) { r.emit(Event{Type: EventStepLog, Step: step, Text: s}) }
	log(fmt.Sprintf("%s: Pulling from %s", ref.Tag(), ref.Path()))
	for _, l := range rec.Layers {
		log(image.ShortID(l.DiffID) + ": Pull complete")
	}
	log("Status: Downloaded newer image for " + ref.Familiar())
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func baseReason(name string, pulled bool) string {
	if pulled {
		return "base image " + name + " pulled into the store"
	}
	return "base image " + name
}

func (r *run) stageByName(name string) *stage {
	for _, st := range r.stages {
		if st.name != "" && strings.EqualFold(st.name, name) {
			return st
		}
	}
	return nil
}

// resolveImage finds an image by reference in the store, else pulls it.
func (r *run) resolveImage(name string) (*image.Record, bool, error) {
	rec, err := r.store.Lookup(r.ctx, name)
	if err == nil {
		return rec, false, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, false, err
	}
	ref, perr := image.ParseRef(name)
	if perr != nil {
		return nil, false, perr
	}
	if r.b.Puller == nil {
		return nil, false, fmt.Errorf("pull access denied for %s, repository does not exist or may require 'docker login'", ref.Repository())
	}
	rec, fs, err := r.b.Puller.Pull(r.ctx, r.store, ref)
	if err != nil {
		return nil, false, err
	}
	if fs != nil {
		r.b.snaps.put(ChainID(rec.DiffIDs()), fs)
	}
	return rec, true, nil
}

// filesystem returns the current image's snapshot (shared; Clone before changing).
func (r *run) filesystem(st *stage) (*rootfs.FS, error) {
	if st.fs != nil {
		return st.fs, nil
	}
	f, err := r.b.snapshot(r.ctx, r.store, st.rec)
	if err != nil {
		return nil, err
	}
	st.fs = f
	return f, nil
}

// buildArgEnv returns the build args in effect for a step (Docker's FilterAllowed):
// declared ARGs with a value plus given proxy args, minus names an ENV already sets.
func (r *run) buildArgEnv(st *stage) []string {
	var out []string
	for k, v := range r.allowedArgs(st) {
		if _, ok := st.config.GetEnv(k); ok {
			continue
		}
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func (r *run) allowedArgs(st *stage) map[string]string {
	m := map[string]string{}
	for k, def := range st.args {
		if v, ok := r.opt.BuildArgs[k]; ok {
			m[k] = v
		} else if def != nil {
			m[k] = *def
		}
	}
	for k := range builtinArgs {
		if v, ok := r.opt.BuildArgs[k]; ok {
			m[k] = v
		}
	}
	return m
}

// expandEnv is the environment instruction arguments expand against.
func (r *run) expandEnv(st *stage) []string {
	return append(append([]string{}, r.buildArgEnv(st)...), st.config.Env...)
}

func (r *run) word(st *stage, w string) (string, error) { return r.lex.Word(w, r.expandEnv(st)) }

// step dispatches one instruction: compute its container config, probe the cache, run on
// a miss, commit, report.
func (r *run) step(st *stage, in *dockerfile.Instruction, trigger bool) error {
	t0 := time.Now()
	r.emit(Event{Type: EventStepStarted, Step: in.Step, Of: r.total, Line: in.Line, EndLine: in.EndLine, Stage: st.name,
		Instruction: in.Original, Trigger: trigger})
	if ran := time.Since(r.start); ran > r.budget.MaxTime {
		return r.fail(in.Step, in, r.timeExceeded(ran), "")
	}
	d, err := r.prepare(st, in)
	if err != nil {
		return r.fail(in.Step, in, err, hintFor(err))
	}
	// The parent's ID is in every config: Docker sets runConfig.Image before each step.
	st.config.Image = st.id.String()
	cc := d.containerConfig
	cc.Image = st.id.String()
	key := cc.CacheKey()
	createdBy := strings.Join(cc.Cmd, " ")
	info := &image.StepInfo{Instruction: in.Original, Keyword: in.Keyword, Line: in.Line, Sources: d.sources, BuildArgs: d.buildArgs}

	res := StepResult{Step: in.Step, Line: in.Line, EndLine: in.EndLine, Stage: st.name, Keyword: in.Keyword,
		Instruction: in.Original, CreatedBy: createdBy, Trigger: trigger}
	if !r.opt.NoCache {
		hit, err := r.store.Cached(r.ctx, st.id, key)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return r.fail(in.Step, in, err, "")
		}
		if err == nil {
			d.apply(st)
			st.prev = hit
			st.id, st.rec, st.fs = hit.ID, hit, nil
			res.State, res.Image = StateCached, hit.ID
			if err := r.fillLayer(&res, hit); err != nil {
				return r.fail(in.Step, in, err, "")
			}
			res.Ms = ms(time.Since(t0))
			r.res.Steps = append(r.res.Steps, res)
			r.emitDone(in, st, res)
			return nil
		}
	}
	state, reason := r.whyRebuilt(st, in, key, info)
	container := digest.FromString(fmt.Sprintf("%s/%d/%s/%d", r.opt.ID, in.Step, createdBy, time.Now().UnixNano())).Encoded()
	if d.commit.hasContainer() {
		r.emit(Event{Type: EventStepLog, Step: in.Step, Container: container[:12]})
	}
	var changes []rootfs.Change
	emptyLayer := true
	if d.run != nil {
		parent, err := r.filesystem(st)
		if err != nil {
			return r.fail(in.Step, in, err, "")
		}
		work := parent.Clone()
		if err := d.run(work, container); err != nil {
			res.State = StateFailed
			res.Ms = ms(time.Since(t0))
			r.res.Steps = append(r.res.Steps, res)
			r.emit(Event{Type: EventStepDone, Step: in.Step, Of: r.total, Line: in.Line, EndLine: in.EndLine, Stage: st.name,
				Instruction: in.Original, State: StateFailed, Reason: err.Error(), Ms: res.Ms})
			return r.fail(in.Step, in, err, hintFor(err))
		}
		changes = rootfs.Diff(parent, work)
		emptyLayer = len(changes) == 0
		if in.Keyword == "RUN" {
			r.written += memBytes(changes)
		}
		if !emptyLayer && st.rec != nil && len(st.rec.Layers) >= MaxLayerDepth {
			// Docker runs the step, then its layer store refuses to commit the layer.
			res.State = StateFailed
			res.Ms = ms(time.Since(t0))
			r.res.Steps = append(r.res.Steps, res)
			r.emit(Event{Type: EventStepDone, Step: in.Step, Of: r.total, Line: in.Line, EndLine: in.EndLine, Stage: st.name,
				Instruction: in.Original, State: StateFailed, Reason: ErrMaxDepth.Error(), Ms: res.Ms})
			return r.fail(in.Step, in, ErrMaxDepth, fmt.Sprintf("an image holds at most %d layers, Docker's limit, and this step would add layer %d: join RUN steps with && and COPY whole directories, so fewer steps change files",
				MaxLayerDepth, len(st.rec.Layers)+1))
		}
		st.fs = work
	}
	d.apply(st)
	st.config.Image = st.id.String()
	rec, err := r.commit(st, cc, d.commit, createdBy, container, changes, emptyLayer, key, info)
	if err != nil {
		return r.fail(in.Step, in, err, "")
	}
	if !emptyLayer {
		r.b.snaps.put(ChainID(rec.DiffIDs()), st.fs)
	}
	if st.rebuilt == 0 {
		st.rebuilt, st.fresh = in.Step, reason == neverBuilt
	}
	st.id, st.rec = rec.ID, rec
	res.State, res.Reason, res.Image = state, reason, rec.ID
	if err := r.fillLayer(&res, rec); err != nil {
		return r.fail(in.Step, in, err, "")
	}
	res.Ms = ms(time.Since(t0))
	r.res.Steps = append(r.res.Steps, res)
	if d.commit.hasContainer() {
		r.emit(Event{Type: EventStepLog, Step: in.Step, Text: "Removing intermediate container " + container[:12], Container: container[:12]})
	}
	r.emitDone(in, st, res)
	return nil
}

func (r *run) fillLayer(res *StepResult, rec *image.Record) error {
	// Built here: the step info says; otherwise (a pulled image) the history does.
	empty := false
	if rec.Build != nil && rec.Build.Keyword != "FROM" {
		empty = rec.Build.EmptyLayer
	} else {
		img, err := rec.ConfigFile(r.ctx)
		if err != nil {
			return fmt.Errorf("read config of %s: %w", rec.ID, err)
		}
		h := img.History
		empty = len(h) == 0 || h[len(h)-1].EmptyLayer
	}
	if !empty && len(rec.Layers) > 0 {
		l := rec.Layers[len(rec.Layers)-1]
		res.Layer, res.Size = l.DiffID, l.Size
	} else {
		res.EmptyLayer = true
	}
	return nil
}

func (r *run) emitDone(in *dockerfile.Instruction, st *stage, res StepResult) {
	size := res.Size
	ev := Event{Type: EventStepDone, Step: in.Step, Of: r.total, Line: in.Line, EndLine: in.EndLine, Stage: st.name,
		Instruction: in.Original, State: res.State, Reason: res.Reason, Image: res.Image.String(), Size: &size, Ms: res.Ms,
		Trigger: res.Trigger}
	if st.rec != nil && st.rec.Parent != "" {
		ev.Parent = st.rec.Parent.String()
	}
	if res.Layer != "" {
		ev.Layer = res.Layer.String()
	}
	r.emit(ev)
}

// commit stores the image a step made: the parent's image JSON with the new config,
// container config, history row and (when the step changed files) layer. how says
// what Docker's config records of the step's container (see stepCommit).
func (r *run) commit(st *stage, cc *image.ContainerConfig, how stepCommit, createdBy, container string, changes []rootfs.Change,
	emptyLayer bool, key string, info *image.StepInfo) (*image.Record, error) {
	now := r.b.now()
	switch how {
	case commitMeta:
		cc.Hostname = container[:12]
	case commitRun:
		cc.Hostname = ""
	case commitExport:
		cc.Hostname, container = "", ""
	}
	img := &image.Image{
		Created:         now,
		Container:       container,
		ContainerConfig: cc,
		DockerVersion:   image.DockerVersion,
		Author:          st.author,
		Config:          st.config.Clone(),
		Architecture:    "amd64",
		OS:              "linux",
		RootFS:          image.RootFS{Type: "layers"},
	}
	var layers []image.Layer
	if st.rec != nil {
		parent, err := st.rec.ConfigFile(r.ctx)
		if err != nil {
			return nil, fmt.Errorf("read config of %s: %w", st.rec.ID, err)
		}
		img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, st.rec.DiffIDs()...)
		img.History = append(img.History, parent.History...)
		layers = append(layers, st.rec.Layers...)
		if parent.Architecture != "" {
			img.Architecture = parent.Architecture
		}
	}
	if !emptyLayer {
		l, err := storeLayer(r.ctx, r.store, "", changes)
		if err != nil {
			return nil, err
		}
		img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, l.DiffID)
		layers = append(layers, l)
		info.ContentSize = l.Size
	}
	// Docker writes the stage's maintainer into the step's history row too.
	img.History = append(img.History, image.History{Created: now, Author: st.author, CreatedBy: createdBy, EmptyLayer: emptyLayer})
	info.EmptyLayer = emptyLayer
	raw, id, err := img.Encode()
	if err != nil {
		return nil, err
	}
	if len(raw) > MaxConfigBytes {
		// Every later step's image repeats this config: refused before it is stored.
		return nil, fmt.Errorf("%w: the image's config (its environment, labels and history) would be %d bytes, past layerlab's limit of %s per image (Docker has none); set fewer or shorter variables and labels",
			ErrBudget, len(raw), sizeText(MaxConfigBytes))
	}
	rec := &image.Record{ID: id, Config: raw, Image: img, Parent: st.id, Layers: layers, Created: now, CacheKey: key, Build: info}
	// Until its next step commits a child, this image looks dangling: hold it, before
	// it exists, so a prune in another process never sees it unheld (in Docker the
	// step's running container protects it).
	if hs, ok := r.store.(HeldImageStore); ok {
		r.held = true // a failed put may still have held it: Unhold at the end either way
		if err := hs.PutHeldImage(r.ctx, r.opt.ID, rec); err != nil {
			return nil, fmt.Errorf("commit image: %w", err)
		}
		return rec, nil
	}
	if err := r.store.Hold(r.ctx, r.opt.ID, id); err != nil {
		return nil, err
	}
	r.held = true
	if err := r.store.PutImage(r.ctx, rec); err != nil {
		return nil, fmt.Errorf("commit image: %w", err)
	}
	return rec, nil
}

// neverBuilt is the reason of a step whose parent image nothing was built on before.
const neverBuilt = "never built on this parent image before"

// whyRebuilt classifies a missed step and says why, in words a learner can follow. It
// compares the step with what stood at its place in an earlier build: a child, made from
// the same line, of the image that stood before this step then. Until a step of this
// stage is rebuilt that is the current image; after, the previous build's chain is
// followed alongside (st.prev).
func (r *run) whyRebuilt(st *stage, in *dockerfile.Instruction, key string, info *image.StepInfo) (string, string) {
	var before *image.Record
	parent, known := st.id, true
	if st.rebuilt != 0 {
		if st.prev == nil {
			known = false
		} else {
			parent = st.prev.ID
		}
	}
	if known {
		// The newest few are enough to say what stood here before; an edit loop can give
		// one parent hundreds of children.
		if kids, err := r.store.Children(r.ctx, parent, 16); err == nil {
			before = pickBefore(kids, in, key)
		}
	}
	st.prev = before
	if before == nil {
		if r.opt.NoCache {
			return StateNew, "--no-cache, and no earlier build had this step"
		}
		if st.rebuilt != 0 && !st.fresh {
			return StateNew, fmt.Sprintf("no earlier build had this step (step %d was rebuilt)", st.rebuilt)
		}
		// A first build: the step before was new too, so nothing stands on its image.
		return StateNew, neverBuilt
	}
	diff := inputDiff(before.Build, info)
	switch {
	case diff != "":
		return StateChanged, diff
	case r.opt.NoCache:
		return StateChanged, "--no-cache: the cache was not used"
	case st.rebuilt != 0:
		return StateDownstream, fmt.Sprintf("step %d was rebuilt", st.rebuilt)
	}
	return StateChanged, "the configuration in effect changed"
}

// pickBefore finds, among an image's children (newest first), the one an earlier build
// made from this instruction: the same input if there is one (--no-cache, or a chain
// followed after an earlier rebuild), else the same text (only its files or build args
// differ), else the same line, else the newest of the same kind.
func pickBefore(kids []*image.Record, in *dockerfile.Instruction, key string) *image.Record {
	for _, k := range kids {
		if k.CacheKey == key {
			return k
		}
	}
	for _, k := range kids {
		if k.Build != nil && k.Build.Instruction == in.Original {
			return k
		}
	}
	for _, k := range kids {
		if k.Build != nil && k.Build.Keyword == in.Keyword && k.Build.Line == in.Line {
			return k
		}
	}
	for _, k := range kids {
		if k.Build != nil && k.Build.Keyword == in.Keyword {
			return k
		}
	}
	return nil
}

// inputDiff says how a step's own input (its text, the files it copies, the build args
// it sees) differs from what stood at its place before; "" when it does not.
func inputDiff(old, cur *image.StepInfo) string {
	if old == nil {
		return ""
	}
	if normalizeInstr(old.Instruction) != normalizeInstr(cur.Instruction) {
		return fmt.Sprintf("instruction changed (was: %s)", old.Instruction)
	}
	if cur.Sources != nil || old.Sources != nil {
		var changed []string
		for p, h := range cur.Sources {
			if oh, ok := old.Sources[p]; !ok {
				changed = append(changed, p+" (added)")
			} else if oh != h {
				changed = append(changed, p)
			}
		}
		for p := range old.Sources {
			if _, ok := cur.Sources[p]; !ok {
				changed = append(changed, p+" (removed)")
			}
		}
		if len(changed) > 0 {
			sort.Strings(changed)
			if len(changed) > 5 {
				changed = append(changed[:5], fmt.Sprintf("and %d more", len(changed)-5))
			}
			return fmt.Sprintf("%s sources changed: %s", cur.Keyword, strings.Join(changed, ", "))
		}
	}
	var args []string
	for k, v := range cur.BuildArgs {
		if ov, ok := old.BuildArgs[k]; !ok || ov != v {
			args = append(args, fmt.Sprintf("%s=%s", k, v))
		}
	}
	for k := range old.BuildArgs {
		if _, ok := cur.BuildArgs[k]; !ok {
			args = append(args, k+" (no longer set)")
		}
	}
	if len(args) > 0 {
		sort.Strings(args)
		return "build args changed: " + strings.Join(args, ", ")
	}
	return ""
}

func normalizeInstr(s string) string { return strings.TrimSpace(s) }

// hintFor gives a learner the next thing to try for common step errors.
func hintFor(err error) string {
	var ee *exitError
	switch {
	case errors.As(err, &ee) && ee.code == 127:
		return "exit code 127: a command was not found in the image; install it in an earlier RUN or use a base image that has it"
	case errors.As(err, &ee):
		return "the RUN command failed; its output is in the step log"
	}
	return ""
}

// joinDest resolves a COPY/WORKDIR destination against the working directory.
func joinDest(workdir, dest string) string {
	if path.IsAbs(dest) {
		return dest
	}
	if workdir == "" {
		workdir = "/"
	}
	p := path.Join(workdir, dest)
	if strings.HasSuffix(dest, "/") || dest == "." {
		p += "/"
	}
	return p
}

// platformComponent is what containerd's platform parser accepts in each component.
var platformComponent = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// parsePlatform checks a platform specifier as containerd's platforms.Parse does for the
// classic builder: os[/arch[/variant]], each component matching platformComponent; a
// single component must be a known operating system or architecture.
func parsePlatform(p string) error {
	parts := strings.Split(p, "/")
	for _, c := range parts {
		if !platformComponent.MatchString(c) {
			return fmt.Errorf("%q is an invalid component of %q: platform specifier component must match \"^[A-Za-z0-9_-]+$\": invalid argument", c, p)
		}
	}
	switch len(parts) {
	case 1:
		if !knownPlatformWord[strings.ToLower(parts[0])] {
			return fmt.Errorf("%q: unknown operating system or architecture: invalid argument", p)
		}
	case 2, 3:
	default:
		return fmt.Errorf("%q: cannot parse platform specifier: invalid argument", p)
	}
	return nil
}

// knownPlatformWord are the operating systems and architectures (with containerd's
// aliases) a one-component platform may name.
var knownPlatformWord = map[string]bool{
	"aix": true, "android": true, "darwin": true, "dragonfly": true, "freebsd": true, "hurd": true,
	"illumos": true, "ios": true, "js": true, "linux": true, "nacl": true, "netbsd": true,
	"openbsd": true, "plan9": true, "solaris": true, "windows": true, "zos": true,
	"386": true, "amd64": true, "amd64p32": true, "arm": true, "armbe": true, "arm64": true,
	"arm64be": true, "ppc64": true, "ppc64le": true, "loong64": true, "mips": true, "mipsle": true,
	"mips64": true, "mips64le": true, "mips64p32": true, "mips64p32le": true, "ppc": true,
	"riscv": true, "riscv64": true, "s390": true, "s390x": true, "sparc": true, "sparc64": true,
	"wasm": true, "i386": true, "i486": true, "i586": true, "i686": true, "x86_64": true,
	"x86-64": true, "aarch64": true, "armhf": true, "armel": true,
}
