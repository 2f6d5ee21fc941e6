package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"layerlab/internal/testenv"
)

// The lesson's sequence typed by a real docker CLI, once against a layerlab workspace's
// Engine API (/ws/<token>/) and once against a real Docker daemon (scripts/dockerd-up),
// command by command: stdout, stderr and the exit code must be equal after
// normalising what differs between any two runs (IDs, times, the temporary paths, the
// hub's address and namespace). Where layerlab cannot equal Docker, lessonExceptions
// names the lines and the reason; nothing else may differ.

// lessonDockerfile is the research's lesson context (../shared/research/docker-engine-api).
const lessonDockerfile = "FROM busybox:local\nENV GREETING=hello\nWORKDIR /app\nCOPY hello.txt .\nRUN cat hello.txt > copy.txt && echo built\n"

// lessonStep is one command of the sequence. Its args may hold {REGISTRY} (the side's
// hub, HOST:PORT), {NS} (its namespace there), {HUB} ({REGISTRY}/{NS}), {DIR} (the
// side's scratch directory) and, as a whole argument, {ID ref} (the short ID of ref on
// that side).
type lessonStep struct {
	name  string
	args  []string
	stdin string                 // {TOKEN} is the side's hub token
	edit  func(dir string) error // run in the context directory first (the rebuild)
	order *rowOrder              // lines Docker prints in no fixed order
	local bool                   // args is a command run here, not by the docker CLI
}

// lessonSteps is the lesson's sequence (research README §2): build, rebuild after an
// edit, images, images -a, history, inspect, tag, rmi, push and pull with the hub,
// save and load, rmi -f, prune -f.
func lessonSteps() []lessonStep {
	return []lessonStep{
		{name: "build", args: []string{"build", "-t", "lesson:v1", "."}},
		{name: "rebuild after an edit", args: []string{"build", "-t", "lesson:v1", "."}, edit: func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello again, class\n"), 0o644)
		}},
		{name: "rebuild cached", args: []string{"build", "-t", "lesson:v1", "."}},
		{name: "images", order: imagesAnyOrder, args: []string{"images"}},
		{name: "images -a", order: imagesAnyOrder, args: []string{"images", "-a"}},
		{name: "images dangling", args: []string{"image", "ls", "-q", "-f", "dangling=true"}},
		{name: "history", args: []string{"history", "lesson:v1"}},
		{name: "image inspect", args: []string{"image", "inspect", "lesson:v1"}},
		{name: "inspect", args: []string{"inspect", "lesson:v1"}},
		{name: "tag", args: []string{"tag", "lesson:v1", "lesson:v2"}},
		{name: "images after tag", order: imagesAnyOrder, args: []string{"images"}},
		{name: "rmi", args: []string{"rmi", "lesson:v2"}},
		{name: "tag for the hub", args: []string{"tag", "lesson:v1", "{HUB}/lesson:v1"}},
		{name: "push without login", args: []string{"push", "{HUB}/lesson:v1"}},
		{name: "login", args: []string{"login", "{REGISTRY}", "-u", "{NS}", "--password-stdin"}, stdin: "{TOKEN}\n"},
		{name: "push", order: pushAnyOrder, args: []string{"push", "{HUB}/lesson:v1"}},
		{name: "rmi the hub's tag", args: []string{"rmi", "{HUB}/lesson:v1"}},
		{name: "pull", args: []string{"pull", "{HUB}/lesson:v1"}},
		{name: "images after pull", order: imagesAnyOrder, args: []string{"images"}},
		{name: "rmi the pulled tag", args: []string{"rmi", "{HUB}/lesson:v1"}},
		{name: "logout", args: []string{"logout", "{REGISTRY}"}},
		{name: "save", args: []string{"save", "lesson:v1", "-o", "{DIR}/lesson.tar"}},
		{name: "the saved tar's members", local: true, order: tarAnyOrder, args: []string{"tar", "-tvf", "{DIR}/lesson.tar"}},
		{name: "the saved manifest", local: true, args: []string{"tar", "-xOf", "{DIR}/lesson.tar", "manifest.json"}},
		{name: "the saved repositories", local: true, args: []string{"tar", "-xOf", "{DIR}/lesson.tar", "repositories"}},
		{name: "load", args: []string{"load", "-i", "{DIR}/lesson.tar"}},
		{name: "tag v3", args: []string{"tag", "lesson:v1", "lesson:v3"}},
		{name: "rmi -f, another tag left", args: []string{"image", "rm", "-f", "lesson:v1"}},
		{name: "rmi -f, the last tag", args: []string{"rmi", "-f", "lesson:v3"}},
		{name: "images -a after rmi", order: imagesAnyOrder, args: []string{"images", "-a"}},
		{name: "prune -f", args: []string{"image", "prune", "-f"}},
		{name: "images -a after prune", order: imagesAnyOrder, args: []string{"images", "-a"}},
		{name: "prune -f, nothing left", args: []string{"image", "prune", "-f"}},
		{name: "rmi missing", args: []string{"rmi", "nosuch:tag"}},
		{name: "history missing", args: []string{"history", "nosuch:tag"}},
		{name: "image inspect missing", args: []string{"image", "inspect", "nosuch:tag"}},
		{name: "inspect missing", args: []string{"inspect", "nosuch:tag"}},
		{name: "tag missing", args: []string{"tag", "nosuch:tag", "lesson:x"}},
		{name: "save missing", args: []string{"save", "nosuch:tag", "-o", "{DIR}/bad.tar"}},
		// The research's failure cases (README §3): a RUN's exit code is docker
		// build's, COPY of a missing file, a parse error, a Dockerfile not in the context.
		// --force-rm: without it the daemon keeps the failed RUN's container, which
		// holds its parent image against prune; layerlab has no containers to keep.
		{name: "build, RUN fails", args: []string{"build", "--force-rm", "-f", "Dockerfile.fail", "-t", "lesson:fail", "."}},
		{name: "build, COPY missing", args: []string{"build", "-f", "Dockerfile.nocopy", "-t", "lesson:fail", "."}},
		{name: "build, parse error", args: []string{"build", "-f", "Dockerfile.parse", "-t", "lesson:fail", "."}},
		{name: "build, no such Dockerfile", args: []string{"build", "-f", "Dockerfile.nosuch", "-t", "lesson:fail", "."}},
		{name: "build, bad tag", args: []string{"build", "-t", "Lesson:v1", "."}},
		// Quiet, from nothing cached, and its images removed again.
		{name: "build -q", args: []string{"build", "-q", "-t", "lesson:q", "."}},
		{name: "tag q2", args: []string{"tag", "lesson:q", "lesson:q2"}},
		{name: "rmi by ID, two tags", args: []string{"rmi", "{ID lesson:q}"}},
		{name: "rmi a tag of two", args: []string{"rmi", "lesson:q2"}},
		{name: "rmi the base, a child depends", args: []string{"rmi", "{ID busybox:local}"}},
		{name: "rmi lesson:q", args: []string{"rmi", "lesson:q"}},
		{name: "prune at the end", args: []string{"image", "prune", "-f"}},
		{name: "images -a at the end", order: imagesAnyOrder, args: []string{"images", "-a"}},
	}
}

// lessonException is a difference layerlab cannot avoid: lines matching pattern in the
// named step's output are left out on both sides before the comparison, and the test
// logs each exception it used with its reason. An exception that matches nothing on
// either side fails the test: the table says only what is true.
type lessonException struct {
	step    string // a lessonStep's name
	stream  string // "stdout" or "stderr"
	pattern *regexp.Regexp
	why     string
}

var lessonExceptions = []lessonException{
	{step: "image inspect", stream: "stdout", pattern: graphDriverBlock,
		why: `layerlab keeps layers as blobs, not in a storage driver's directories: its GraphDriver is {"Data": null, "Name": "layerlab"} where Docker shows overlay2's LowerDir/MergedDir/UpperDir/WorkDir`},
	{step: "inspect", stream: "stdout", pattern: graphDriverBlock, why: "as for image inspect"},
}

// graphDriverBlock starts inspect's GraphDriver object; dropLines leaves it out up to
// its closing brace.
var graphDriverBlock = regexp.MustCompile(`^\s*"GraphDriver": \{$`)

// cliRun is what one command printed.
type cliRun struct {
	stdout, stderr string
	code           int
}

// lessonSide is one of the two endpoints the sequence runs against.
type lessonSide struct {
	name     string // "docker" or "layerlab"
	cli      string
	host     string // DOCKER_HOST
	cfg      string // DOCKER_CONFIG
	dir      string // the build context
	scratch  string // save's output
	registry string // the hub's HOST:PORT
	ns       string // the hub namespace
	token    string // the hub token
}

// run runs one docker command against the side, with a deadline: a CLI that hangs on
// a stream that never ends fails its step, not the whole test binary.
func (s *lessonSide) run(t *testing.T, args []string, stdin string) cliRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.cli, args...)
	cmd.Dir = s.dir
	cmd.Env = cliEnv(s.host, s.cfg)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s %s: %v", s.cli, strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		errb.WriteString("\n[the test stopped the CLI after 2 minutes]\n")
	}
	return cliRun{stdout: out.String(), stderr: errb.String(), code: code}
}

// runLocal runs a command of this machine (tar) on the side's files.
func (s *lessonSide) runLocal(t *testing.T, args []string) cliRun {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	code := 0
	var ee *exec.ExitError
	if err := cmd.Run(); errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", strings.Join(args, " "), err)
	}
	return cliRun{stdout: out.String(), stderr: errb.String(), code: code}
}

// expand fills a step's placeholders for this side.
func (s *lessonSide) expand(v string) string {
	return strings.NewReplacer("{HUB}", s.registry+"/"+s.ns, "{REGISTRY}", s.registry, "{NS}", s.ns,
		"{TOKEN}", s.token, "{DIR}", s.scratch).Replace(v)
}

// cliEnv is the environment a CLI runs with: this process's, without any docker
// setting that would change what the CLI does, plus the side's host and config.
func cliEnv(host, cfg string) []string {
	var env []string
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT", "DOCKER_BUILDKIT", "DOCKER_API_VERSION",
			"DOCKER_CUSTOM_HEADERS", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "DOCKER_HOST="+host, "DOCKER_CONFIG="+cfg)
}

// engineHost is the DOCKER_HOST of the command line's workspace on a running server,
// as a user gets it: from `layerlab context`.
func engineHost(t *testing.T, srv *server) string {
	t.Helper()
	out := layerlabCLI(t, srv.DataDir, "context", "--addr", strings.TrimPrefix(srv.URL, "http://"))
	for _, l := range strings.Split(out, "\n") {
		if h, ok := strings.CutPrefix(l, "export DOCKER_HOST="); ok {
			return h
		}
	}
	t.Fatalf("layerlab context printed no export DOCKER_HOST= line:\n%s", out)
	return ""
}

// hubLogin is the namespace and token of the command line's workspace on a server's hub.
func hubLogin(t *testing.T, srv *server) (ns, token string) {
	t.Helper()
	f := strings.Fields(layerlabCLI(t, srv.DataDir, "hub", "token"))
	if len(f) < 2 {
		t.Fatalf("layerlab hub token printed %q", f)
	}
	return f[0], f[1]
}

// lessonCLIs are the docker clients to run: Debian's 20.10 always, and the newer one
// where it is installed.
func lessonCLIs(t *testing.T) []string {
	t.Helper()
	clis := []string{"/usr/bin/docker"}
	// A newer CLI: the docker on PATH when it is not Debian's, else the usual place of
	// a static one.
	newer := "/usr/local/bin/docker"
	if p, err := exec.LookPath("docker"); err == nil {
		if abs, err := filepath.EvalSymlinks(p); err == nil && abs != "/usr/bin/docker" {
			newer = abs
		}
	}
	if _, err := os.Stat(newer); err == nil {
		clis = append(clis, newer)
	}
	return clis
}

// TestEngineAPILessonMatchesDocker runs the lesson's sequence with each docker CLI
// against a layerlab workspace and against scripts/dockerd-up's daemon, and requires the
// same output command by command. Both start from the same busybox:local: saved from
// the daemon and loaded into layerlab through the Engine API. Each side pushes to and
// pulls from a layerlab hub of its own (a fresh server each), so that the registry's
// side of push and pull is the same software on both and only the Engine API is
// compared: Docker's daemon pushes to the hub as it would to any registry.
func TestEngineAPILessonMatchesDocker(t *testing.T) {
	needDocker(t)
	dockerHost := os.Getenv("DOCKER_HOST")
	work := t.TempDir()
	baseTar := filepath.Join(work, "busybox.tar")
	if out, err := exec.Command("/usr/bin/docker", "save", "busybox:local", "-o", baseTar).CombinedOutput(); err != nil {
		t.Fatalf("docker save busybox:local (dockerd-up makes it): %v\n%s", err, out)
	}
	for _, cli := range lessonCLIs(t) {
		ver, err := exec.Command(cli, "version", "--format", "{{.Client.Version}} (API {{.Client.APIVersion}})").Output()
		if err != nil {
			// The client prints its part even when no daemon answers.
			ver = []byte("unknown")
		}
		t.Run(filepath.Dir(cli), func(t *testing.T) {
			t.Logf("CLI: %s, version %s", cli, strings.TrimSpace(string(ver)))
			llSrv := startServer(t)
			dkHub := startServer(t)
			ll := newLessonSide(t, "layerlab", cli, engineHost(t, llSrv), llSrv)
			dk := newLessonSide(t, "docker", cli, dockerHost, dkHub)
			cleanDocker(t, dk)
			t.Cleanup(func() { cleanDocker(t, dk) })

			// The same base image on both sides: busybox:local, loaded through the API.
			if r := ll.run(t, []string{"load", "-i", baseTar}, ""); r.code != 0 || !strings.Contains(r.stdout, "Loaded image: busybox:local") {
				t.Fatalf("docker load of busybox:local into layerlab: exit %d\nstdout:\n%s\nstderr:\n%s\nserver log:\n%s", r.code, r.stdout, r.stderr, llSrv.stderr.String())
			}
			compareLesson(t, dk, ll)
		})
	}
}

func newLessonSide(t *testing.T, name, cli, host string, hub *server) *lessonSide {
	t.Helper()
	s := &lessonSide{name: name, cli: cli, host: host, cfg: t.TempDir(), dir: t.TempDir(), scratch: t.TempDir(),
		registry: strings.TrimPrefix(hub.URL, "http://")}
	s.ns, s.token = hubLogin(t, hub)
	for name, body := range map[string]string{"Dockerfile": lessonDockerfile, "hello.txt": "hello from lesson\n",
		"Dockerfile.fail":   "FROM busybox:local\nENV X=1\nRUN exit 3\n",
		"Dockerfile.nocopy": "FROM busybox:local\nCOPY missing.txt .\n",
		"Dockerfile.parse":  "FROM busybox:local\nFROBNICATE now\n"} {
		if err := os.WriteFile(filepath.Join(s.dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// cleanDocker leaves the daemon as dockerd-up made it: busybox:local alone, so the
// first build builds, as on a fresh layerlab workspace, and images, rmi and prune list
// only the lesson's. The daemon is scripts/dockerd-up's private one (needDocker checks
// DOCKER_HOST), kept for the tests, which run one package at a time (scripts/test):
// images other tests left are removed, as engine/build's replays do between scenarios.
func cleanDocker(t *testing.T, s *lessonSide) {
	t.Helper()
	s.run(t, []string{"container", "prune", "-f"}, "") // a failed RUN's, from an interrupted run
	base := strings.TrimSpace(s.run(t, []string{"image", "inspect", "--format", "{{.Id}}", "busybox:local"}, "").stdout)
	for _, line := range strings.Split(s.run(t, []string{"images", "-a", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"}, "").stdout, "\n") {
		f := strings.Fields(line)
		if len(f) != 2 || f[0] == base {
			continue
		}
		if f[1] != "<none>:<none>" {
			s.run(t, []string{"rmi", "-f", f[1]}, "")
		}
		s.run(t, []string{"rmi", "-f", f[0]}, "")
	}
	s.run(t, []string{"image", "prune", "-f"}, "")
	r := s.run(t, []string{"images", "-a", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"}, "")
	if strings.TrimSpace(r.stdout) != "busybox:local "+strings.Fields(r.stdout + " x x")[1] || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("the daemon still holds images besides busybox:local after removing them, which the lesson's images, rmi and prune would list:\n%s", r.stdout)
	}
}

// compareLesson runs each step on the docker side, then on the layerlab side, and
// reports every step whose normalised output differs, with a unified diff; it goes on
// after a difference, so one run lists them all.
func compareLesson(t *testing.T, dk, ll *lessonSide) {
	t.Helper()
	used := map[int]bool{}
	for _, st := range lessonSteps() {
		var runs [2]cliRun
		for i, s := range []*lessonSide{dk, ll} {
			if st.edit != nil {
				if err := st.edit(s.dir); err != nil {
					t.Fatal(err)
				}
			}
			args := make([]string, len(st.args))
			for j, a := range st.args {
				args[j] = s.expand(a)
				// {ID ref} is the image's short ID on this side.
				if ref, ok := strings.CutPrefix(args[j], "{ID "); ok {
					ref = strings.TrimSuffix(ref, "}")
					r := s.run(t, []string{"image", "inspect", "--format", "{{.Id}}", ref}, "")
					id := strings.TrimPrefix(strings.TrimSpace(r.stdout), "sha256:")
					if r.code != 0 || len(id) < 12 {
						t.Fatalf("%s: the ID of %s on %s: exit %d %s%s", st.name, ref, s.name, r.code, r.stdout, r.stderr)
					}
					args[j] = id[:12]
				}
			}
			if st.local {
				runs[i] = s.runLocal(t, args)
				continue
			}
			runs[i] = s.run(t, args, s.expand(st.stdin))
		}
		cmdline := "docker " + strings.Join(st.args, " ")
		if st.local {
			cmdline = strings.Join(st.args, " ")
		}
		for _, f := range []struct {
			stream string
			d, l   *string
		}{{"stdout", &runs[0].stdout, &runs[1].stdout}, {"stderr", &runs[0].stderr, &runs[1].stderr}} {
			// The exceptions go first, on the raw output: an ID on a line left out
			// must not shift the numbers of the IDs after it.
			for i, ex := range lessonExceptions {
				if ex.step != st.name || ex.stream != f.stream {
					continue
				}
				var hit, hit2 bool
				*f.d, hit = dropLines(*f.d, ex.pattern)
				*f.l, hit2 = dropLines(*f.l, ex.pattern)
				if hit || hit2 {
					used[i] = true
					t.Logf("%s (%s): allowed difference: lines matching %s left out: %s", st.name, f.stream, ex.pattern, ex.why)
				}
			}
			d, derr := normaliseStep(*f.d, dk, st.order)
			l, lerr := normaliseStep(*f.l, ll, st.order)
			if derr != nil {
				t.Errorf("%s: `%s`: docker's %s: %v (the check is wrong, not layerlab)", st.name, cmdline, f.stream, derr)
			}
			if lerr != nil {
				t.Errorf("%s: `%s`: layerlab's %s: %v", st.name, cmdline, f.stream, lerr)
			}
			if st.order != nil && (d != l || lerr != nil) {
				t.Logf("%s: rows compared in any order: %s", st.name, st.order.why)
			}
			if d != l {
				t.Errorf("%s: `%s`: %s differs (- docker, + layerlab):\n%s", st.name, cmdline, f.stream, unifiedDiff(t, d, l))
			}
		}
		if runs[0].code != runs[1].code {
			t.Errorf("%s: `%s`: exit code: docker %d, layerlab %d", st.name, cmdline, runs[0].code, runs[1].code)
		}
	}
	for i, ex := range lessonExceptions {
		if !used[i] {
			t.Errorf("allowed difference for %q (%s, %s) matched nothing: remove it from lessonExceptions", ex.step, ex.stream, ex.pattern)
		}
	}
}

// rowOrder says which lines of a step's output Docker itself prints in no fixed
// order, and why; they are compared as a sorted set.
type rowOrder struct {
	rows *regexp.Regexp // the raw lines whose order is free
	// numbered: sort the rows by their normalised text, after the IDs are numbered
	// (push's Pushed lines, whose IDs the Preparing lines numbered in a fixed order);
	// otherwise by the raw line with its IDs and times masked, before the numbering
	// (images' rows, which number the IDs).
	numbered bool
	// newestFirst: the rows' human times must run from the newest to the oldest on
	// each side (what is left of the order once ties are free).
	newestFirst bool
	// masked: the rows are compared with every ID as <ID>, not numbered (their order
	// would number them differently on each side).
	masked bool
	// jsonSizes: the sizes of the members <ID>.json and <ID>/json (an image's config and
	// a layer's v1 json) are masked too. They hold times to the nanosecond, written
	// with trailing zeros dropped (Go's RFC 3339Nano, Docker's as layerlab's), so each
	// side's size moves by a byte or two from run to run; their content is compared
	// by inspect and history.
	jsonSizes bool
	why       string
}

// jsonMember is a tar -tv line of an <ID>.json or <ID>/json member, once masked: its
// size is the second group.
var jsonMember = regexp.MustCompile(`^([-dl][-rwx]{9} \S+ +)([0-9]+)( .*<ID>(?:\.json|/json))$`)

var (
	// imagesAnyOrder: the daemon sorts images by Created, whole seconds, with an
	// unstable sort (daemon/images: sort.Sort(sort.Reverse(byCreated(...)))), so the
	// images of one second come in any order; which images share a second depends on
	// how fast each side builds. The rows are compared as a set, and each side's
	// column of times must still run newest first.
	imagesAnyOrder = &rowOrder{rows: regexp.MustCompile(`^\S+ +\S+ +[0-9a-f]{12} `), newestFirst: true,
		why: "Docker orders images by Created in whole seconds with an unstable sort: images of one second come in any order, and which share a second depends on the builder's speed"}
	// pushAnyOrder: the daemon uploads layers at once and prints each as it ends.
	pushAnyOrder = &rowOrder{rows: regexp.MustCompile(`: (Pushed|Layer already exists|Mounted from .*)$`), numbered: true,
		why: "the daemon pushes layers concurrently and prints each one as it finishes"}
)

// tarAnyOrder: docker save writes its members in the order of their names, which are
// digests, so the order differs with every image.
var tarAnyOrder = &rowOrder{rows: regexp.MustCompile(`^[-dl][-rwx]{9} `), masked: true, jsonSizes: true,
	why: "docker save writes its members sorted by name, and the names are digests: the order differs with every image; " +
		"the configs' and v1 jsons' sizes move with their times' nanoseconds (trailing zeros dropped) on both sides"}

// normaliseStep is normaliseCLI with the step's free order applied; it reports rows
// that are not newest first where the order asks for it.
func normaliseStep(out string, s *lessonSide, o *rowOrder) (string, error) {
	if o == nil {
		return normaliseCLI(out, s), nil
	}
	var err error
	if o.newestFirst {
		err = checkNewestFirst(out, o.rows)
	}
	if o.masked {
		lines := strings.Split(sortRows(out, o.rows, mask), "\n")
		for i, l := range lines {
			if o.rows.MatchString(l) {
				lines[i] = mask(l)
				if o.jsonSizes {
					lines[i] = jsonMember.ReplaceAllString(lines[i], "${1}<SIZE>${3}")
				}
			}
		}
		return normaliseCLI(strings.Join(lines, "\n"), s), err
	}
	if !o.numbered {
		out = sortRows(out, o.rows, mask)
		return normaliseCLI(out, s), err
	}
	out = normaliseCLI(out, s)
	// The rows were found on the raw text; here their IDs are numbered, and the
	// pattern matches what follows the ID.
	return sortRows(out, o.rows, func(l string) string { return l }), err
}

// checkNewestFirst fails when a row's human time is newer than the row's before it.
func checkNewestFirst(out string, rows *regexp.Regexp) error {
	prev := time.Duration(-1)
	for _, l := range strings.Split(out, "\n") {
		if !rows.MatchString(l) {
			continue
		}
		d, ok := agoDuration(ago.FindString(l))
		if !ok {
			continue
		}
		if d < prev {
			return fmt.Errorf("rows not newest first: %q comes after an older one", l)
		}
		prev = d
	}
	return nil
}

// agoDuration reads go-units' HumanDuration back, to its lower bound.
func agoDuration(s string) (time.Duration, bool) {
	m := ago.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	n := 1
	switch m[1] {
	case "Less than a":
		n = 0
	case "About a", "About an", "a", "an":
	default:
		v, err := strconv.Atoi(m[1])
		if err != nil {
			return 0, false
		}
		n = v
	}
	unit := map[string]time.Duration{"second": time.Second, "minute": time.Minute, "hour": time.Hour,
		"day": 24 * time.Hour, "week": 7 * 24 * time.Hour, "month": 30 * 24 * time.Hour, "year": 365 * 24 * time.Hour}[m[2]]
	return time.Duration(n) * unit, true
}

// sortRows sorts the lines matching rows by key, in the places those lines held.
func sortRows(out string, rows *regexp.Regexp, key func(string) string) string {
	lines := strings.Split(out, "\n")
	var at []int
	var picked []string
	for i, l := range lines {
		if rows.MatchString(l) {
			at = append(at, i)
			picked = append(picked, l)
		}
	}
	sort.SliceStable(picked, func(a, b int) bool { return key(picked[a]) < key(picked[b]) })
	for j, i := range at {
		lines[i] = picked[j]
	}
	return strings.Join(lines, "\n")
}

// mask hides what differs between two runs, for ordering only.
func mask(l string) string {
	return tarTime.ReplaceAllString(ago.ReplaceAllString(hexID.ReplaceAllString(l, "<ID>"), "<AGO>"), "<TIME>")
}

// dropLines removes the lines matching re and says whether any did. A line that opens
// a JSON object or array ("Key": { or [) goes with everything up to the line that closes
// it at the same indentation.
func dropLines(s string, re *regexp.Regexp) (string, bool) {
	var keep []string
	hit := false
	closing := "" // the indentation and bracket that ends the block being dropped
	for _, line := range strings.SplitAfter(s, "\n") {
		bare := strings.TrimSuffix(line, "\n")
		if closing != "" {
			if strings.HasPrefix(bare, closing) {
				closing = ""
			}
			continue
		}
		if line != "" && re.MatchString(bare) {
			hit = true
			if t := strings.TrimRight(bare, " "); strings.HasSuffix(t, "{") || strings.HasSuffix(t, "[") {
				indent := bare[:len(bare)-len(strings.TrimLeft(bare, " "))]
				closing = indent + map[bool]string{true: "}", false: "]"}[strings.HasSuffix(t, "{")]
			}
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, ""), hit
}

// unifiedDiff is diff -u's output for two texts.
func unifiedDiff(t *testing.T, a, b string) string {
	t.Helper()
	dir := t.TempDir()
	pa, pb := filepath.Join(dir, "docker"), filepath.Join(dir, "layerlab")
	if err := os.WriteFile(pa, []byte(a), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pb, []byte(b), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command("diff", "-u", "--label", "docker", "--label", "layerlab", pa, pb).Output()
	return string(out)
}

var (
	// hexID is an image, layer or container ID, whole (64) or short (12), or a digest.
	hexID = regexp.MustCompile(`\b[0-9a-f]{64}\b|\b[0-9a-f]{12}\b`)
	// ago is the CLI's human duration ("2 seconds ago", "About a minute ago").
	ago = regexp.MustCompile(`\b(\d+|About an?|an?|Less than a) (second|minute|hour|day|week|month|year)s? ago\b`)
	// tarTime is a member's time in tar -tv's listing; 1970 (what docker save gives
	// manifest.json and repositories) is left as it is.
	tarTime = regexp.MustCompile(`\b(19[89]\d|2\d{3})-\d{2}-\d{2} \d{2}:\d{2}\b`)
	// timestamp is an RFC 3339 time, as inspect prints Created and LastTagTime.
	timestamp = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})`)
	// innerSpaces is a run of spaces between two columns of a table: its width follows
	// the widest cell, which a normalised time or ID no longer has.
	innerSpaces = regexp.MustCompile(`(\S) {2,}`)
	// progress is a transfer's progress bar ("[=====>   ]  1.2MB/3.4MB").
	progress = regexp.MustCompile(`\[[=> ]*\]\s+\S+/\S+`)
)

// normaliseCLI makes two runs of the same command comparable: the side's own names
// (temporary directories, the hub's address and namespace) become placeholders, every
// ID becomes <IDn> (n counts the distinct IDs of this output in order, so an ID that
// recurs must recur on the other side too; a whole one is <IDn-long>), human times
// <AGO> and timestamps <TIME>, and the padding of table columns one width. Sizes are
// left as they are: both sides start from the same base image and build the same
// files, so they should agree.
func normaliseCLI(out string, s *lessonSide) string {
	out = strings.NewReplacer(s.dir, "<CONTEXT>", s.scratch, "<DIR>", s.cfg, "<CONFIG>",
		s.registry+"/"+s.ns, "<HUB>", s.registry, "<REGISTRY>").Replace(out)
	if s.ns != "" {
		out = strings.ReplaceAll(out, s.ns, "<NS>")
	}
	ids := map[string]int{}
	out = hexID.ReplaceAllStringFunc(out, func(h string) string {
		n, ok := ids[h[:12]]
		if !ok {
			n = len(ids) + 1
			ids[h[:12]] = n
		}
		if len(h) == 64 {
			return "<ID" + strconv.Itoa(n) + "-long>"
		}
		return "<ID" + strconv.Itoa(n) + ">"
	})
	out = ago.ReplaceAllString(out, "<AGO>")
	out = timestamp.ReplaceAllString(out, "<TIME>")
	out = tarTime.ReplaceAllString(out, "<TIME>")
	out = progress.ReplaceAllString(out, "<PROGRESS>")
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		l = strings.TrimRight(l, " \t")
		lead := len(l) - len(strings.TrimLeft(l, " "))
		lines[i] = l[:lead] + innerSpaces.ReplaceAllString(l[lead:], "$1  ")
	}
	return strings.Join(lines, "\n")
}

// TestNormaliseCLI: the normaliser keeps what must agree and hides only what may not.
func TestNormaliseCLI(t *testing.T) {
	s := &lessonSide{dir: "/tmp/ctx1", scratch: "/tmp/s1", cfg: "/tmp/c1", registry: "127.0.0.1:4000", ns: "u1x"}
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{name: "IDs and times", a: "lesson  v1  4838b2b269c0  1 second ago  1.98MB\n", b: "lesson  v1  287bff45caab  About a minute ago  1.98MB\n", same: true},
		{name: "a different size", a: "lesson  v1  4838b2b269c0  1 second ago  1.98MB\n", b: "lesson  v1  4838b2b269c0  1 second ago  1.99MB\n"},
		{name: "an ID that recurs", a: " ---> 4838b2b269c0\nSuccessfully built 4838b2b269c0\n", b: " ---> 4838b2b269c0\nSuccessfully built 287bff45caab\n"},
		{name: "long and short", a: "Deleted: sha256:" + strings.Repeat("a", 64) + "\n", b: "Deleted: " + strings.Repeat("a", 12) + "\n"},
		{name: "the hub", a: "The push refers to repository [127.0.0.1:4000/u1x/lesson]\n", b: "The push refers to repository [127.0.0.1:5000/u2y/lesson]\n", same: true},
		{name: "timestamps", a: `"Created": "2026-12-06T23:19:44.702646046Z",`, b: `"Created": "2026-12-07T01:02:03Z",`, same: true},
		{name: "a different word", a: "Untagged: lesson:v1\n", b: "Deleted: lesson:v1\n"},
		{name: "a missing line", a: "Step 1/5 : FROM busybox:local\n ---> 4838b2b269c0\n", b: "Step 1/5 : FROM busybox:local\n"},
		{name: "tar times", a: "-rw-r--r-- 0/0 3 2026-12-07 12:35 x/VERSION", b: "-rw-r--r-- 0/0 3 2026-12-08 01:00 x/VERSION", same: true},
		{name: "the epoch kept", a: "-rw-r--r-- 0/0 428 1970-01-01 00:00 manifest.json", b: "-rw-r--r-- 0/0 428 2026-12-08 01:00 manifest.json"},
		{name: "indentation kept", a: "    \"Id\": 1", b: "  \"Id\": 1"},
	}
	other := &lessonSide{dir: "/tmp/ctx2", scratch: "/tmp/s2", cfg: "/tmp/c2", registry: "127.0.0.1:5000", ns: "u2y"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := normaliseCLI(tc.a, s), normaliseCLI(tc.b, other)
			if (a == b) != tc.same {
				t.Errorf("same = %v, want %v:\n%q\n%q", a == b, tc.same, a, b)
			}
		})
	}
}

// TestLessonRowOrder: rows Docker prints in no fixed order compare equal in any order,
// but an images list must still run newest first, and other lines keep their order.
func TestLessonRowOrder(t *testing.T) {
	s := &lessonSide{dir: "/tmp/ctx1", scratch: "/tmp/s1", cfg: "/tmp/c1", registry: "127.0.0.1:4000", ns: "u1x"}
	head := "REPOSITORY   TAG       IMAGE ID       CREATED         SIZE\n"
	lesson := "lesson       v1        4838b2b269c0   1 second ago    1.98MB\n"
	none := "<none>       <none>    287bff45caab   3 seconds ago   1.98MB\n"
	noneSame := "<none>       <none>    287bff45caab   1 second ago    1.98MB\n"
	busybox := "busybox      local     12694d9d0bae   2 minutes ago   1.98MB\n"
	pushed := func(a, b string) string {
		return "4838b2b269c0: Preparing\n287bff45caab: Preparing\n" + a + ": Pushed\n" + b + ": Pushed\nv1: digest: sha256:" + strings.Repeat("e", 64) + " size: 1148\n"
	}
	tests := []struct {
		name    string
		order   *rowOrder
		a, b    string
		same    bool
		bad     bool // b is not newest first
		wantErr bool
	}{
		{name: "images of one second, swapped", order: imagesAnyOrder, a: head + lesson + noneSame + busybox, b: head + noneSame + lesson + busybox, same: true},
		{name: "images of two seconds on one side, one on the other", order: imagesAnyOrder, a: head + lesson + none + busybox, b: head + noneSame + lesson + busybox, same: true},
		{name: "oldest first", order: imagesAnyOrder, a: head + lesson + none + busybox, b: head + busybox + lesson + none, same: true, wantErr: true},
		{name: "an image missing", order: imagesAnyOrder, a: head + lesson + none + busybox, b: head + lesson + busybox},
		{name: "pushed in another order", order: pushAnyOrder, a: pushed("4838b2b269c0", "287bff45caab"), b: pushed("287bff45caab", "4838b2b269c0"), same: true},
		{name: "pushed twice", order: pushAnyOrder, a: pushed("4838b2b269c0", "287bff45caab"), b: pushed("287bff45caab", "287bff45caab")},
		{name: "no free order", a: lesson + none, b: none + lesson},
		{name: "tar members in another order", order: tarAnyOrder,
			a: "-rw-r--r-- 0/0 3 2026-12-07 12:35 " + strings.Repeat("a", 64) + "/VERSION\n-rw-r--r-- 0/0 9 2026-12-07 12:35 " + strings.Repeat("b", 64) + "/json\n",
			b: "-rw-r--r-- 0/0 9 2026-12-07 12:35 " + strings.Repeat("c", 64) + "/json\n-rw-r--r-- 0/0 3 2026-12-07 12:35 " + strings.Repeat("d", 64) + "/VERSION\n", same: true},
		{name: "a tar member's size", order: tarAnyOrder,
			a: "-rw-r--r-- 0/0 428 1970-01-01 00:00 manifest.json\n", b: "-rw-r--r-- 0/0 429 1970-01-01 00:00 manifest.json\n"},
		{name: "a config's size, its times' nanoseconds", order: tarAnyOrder,
			a: "-rw-r--r-- 0/0 2042 2026-12-07 12:35 " + strings.Repeat("a", 64) + ".json\n-rw-r--r-- 0/0 1277 2026-12-07 12:35 " + strings.Repeat("b", 64) + "/json\n",
			b: "-rw-r--r-- 0/0 2041 2026-12-07 12:35 " + strings.Repeat("c", 64) + ".json\n-rw-r--r-- 0/0 1276 2026-12-07 12:35 " + strings.Repeat("d", 64) + "/json\n", same: true},
		{name: "a layer's size", order: tarAnyOrder,
			a: "-rw-r--r-- 0/0 2560 2026-12-07 12:35 " + strings.Repeat("a", 64) + "/layer.tar\n", b: "-rw-r--r-- 0/0 1536 2026-12-07 12:35 " + strings.Repeat("c", 64) + "/layer.tar\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, aerr := normaliseStep(tc.a, s, tc.order)
			b, berr := normaliseStep(tc.b, s, tc.order)
			if aerr != nil {
				t.Fatalf("a: %v", aerr)
			}
			if (berr != nil) != tc.wantErr {
				t.Errorf("b's error = %v, want one: %v", berr, tc.wantErr)
			}
			if (a == b) != tc.same {
				t.Errorf("same = %v, want %v:\n%s\n%s", a == b, tc.same, a, b)
			}
		})
	}
}

// diveVersion is the dive release scripts/test installs (go install from the module
// proxy; @latest resolves to an untagged commit whose module has no main package).
const diveVersion = "v0.13.1"

// divePath finds dive: $LAYERLAB_DIVE, else dive on PATH.
func divePath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("LAYERLAB_DIVE"); p != "" {
		return p
	}
	p, err := exec.LookPath("dive")
	testenv.Need(t, err == nil, "dive is not installed: scripts/test installs it (GOBIN=DIR go install github.com/wagoodman/dive@"+diveVersion+")")
	return p
}

var (
	diveEfficiency = regexp.MustCompile(`efficiency: ([0-9.]+) %`)
	diveWasted     = regexp.MustCompile(`wastedBytes: (\d+) bytes \(([^)]*)\)`)
	pageWasted     = regexp.MustCompile(`<strong>([^<]+)</strong> wasted:`)
	pageEfficiency = regexp.MustCompile(`Efficiency ([0-9.]+)%:`)
)

// TestDiveReadsLayerlabImage: dive (github.com/wagoodman/dive), a real Engine API
// client, analyses an image of a browser's workspace through the API and finds the
// wasted bytes and the efficiency that the workspace's history page shows.
func TestDiveReadsLayerlabImage(t *testing.T) {
	needDocker(t)
	dive := divePath(t)
	srv := startServer(t)
	c, err := newRTClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	code, body, err := c.do(http.MethodPost, "/api/engine-token", nil)
	if err != nil || code != http.StatusOK {
		t.Fatalf("POST /api/engine-token: %d %v\n%s", code, err, body)
	}
	var tok struct{ Export string }
	if err := json.Unmarshal([]byte(body), &tok); err != nil {
		t.Fatalf("POST /api/engine-token: %v\n%s", err, body)
	}
	host, ok := strings.CutPrefix(tok.Export, "export DOCKER_HOST=")
	if !ok {
		t.Fatalf("the export line is %q", tok.Export)
	}

	// An image that wastes bytes: a file written twice, then deleted.
	dir := t.TempDir()
	files := map[string][]byte{
		"Dockerfile": []byte("FROM busybox:local\nCOPY big.bin /data/big.bin\nCOPY big2.bin /data/big.bin\nRUN echo hello > /data/note.txt && rm /data/big.bin\n"),
		"big.bin":    bytes.Repeat([]byte("0123456789"), 2000),
		"big2.bin":   bytes.Repeat([]byte("abcde"), 1000),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ll := &lessonSide{name: "layerlab", cli: "/usr/bin/docker", host: host, cfg: t.TempDir(), dir: dir}
	base := filepath.Join(t.TempDir(), "busybox.tar")
	if out, err := exec.Command("/usr/bin/docker", "save", "busybox:local", "-o", base).CombinedOutput(); err != nil {
		t.Fatalf("docker save busybox:local: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"load", "-i", base}, {"build", "-q", "-t", "waste:v1", "."}} {
		if r := ll.run(t, args, ""); r.code != 0 {
			t.Fatalf("docker %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, dive, "--ci", "--source", "docker", "waste:v1")
	cmd.Env = append(cliEnv(host, ll.cfg), "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	// dive --ci exits 1 when its rules fail, as they must for this image; any other
	// failure leaves its figures out.
	em, wm := diveEfficiency.FindSubmatch(out), diveWasted.FindSubmatch(out)
	if em == nil || wm == nil {
		t.Fatalf("dive --ci: %v; no efficiency or wastedBytes in:\n%s", err, out)
	}
	t.Logf("%s: efficiency %s %%, wastedBytes %s (%s)", dive, em[1], wm[1], wm[2])

	code, page, err := c.do(http.MethodGet, "/images/waste:v1/history", nil)
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET the history page: %d %v", code, err)
	}
	pw, pe := pageWasted.FindStringSubmatch(page), pageEfficiency.FindStringSubmatch(page)
	if pw == nil || pe == nil {
		t.Fatalf("the history page has no wasted or efficiency figure:\n%.3000s", page)
	}
	t.Logf("history page: %s wasted, efficiency %s%%", pw[1], pe[1])
	if want := int64(len(files["big.bin"]) + len(files["big2.bin"])); string(wm[1]) != strconv.FormatInt(want, 10) {
		t.Errorf("dive's wastedBytes = %s, want %d (both versions of /data/big.bin)", wm[1], want)
	}
	if strings.ReplaceAll(pw[1], " ", "") != strings.ReplaceAll(string(wm[2]), " ", "") {
		t.Errorf("wasted: the history page shows %q, dive %q", pw[1], wm[2])
	}
	de, err := strconv.ParseFloat(string(em[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	if got := strconv.FormatFloat(de, 'f', 1, 64); got != pe[1] {
		t.Errorf("efficiency: the history page shows %s%%, dive %s %% (%s rounded)", pe[1], em[1], got)
	}
}

// TestDropLines: an allowed difference leaves out its lines, or its whole block, and
// nothing after it.
func TestDropLines(t *testing.T) {
	docker := "[\n    {\n        \"Size\": 1,\n        \"GraphDriver\": {\n            \"Data\": {\n                \"LowerDir\": \"/x\"\n            },\n            \"Name\": \"overlay2\"\n        },\n        \"RootFS\": {\n            \"Type\": \"layers\"\n        }\n    }\n]\n"
	layerlab := "[\n    {\n        \"Size\": 1,\n        \"GraphDriver\": {\n            \"Data\": null,\n            \"Name\": \"layerlab\"\n        },\n        \"RootFS\": {\n            \"Type\": \"layers\"\n        }\n    }\n]\n"
	want := "[\n    {\n        \"Size\": 1,\n        \"RootFS\": {\n            \"Type\": \"layers\"\n        }\n    }\n]\n"
	tests := []struct {
		name, in, want string
		hit            bool
	}{
		{name: "docker's block", in: docker, want: want, hit: true},
		{name: "layerlab's block", in: layerlab, want: want, hit: true},
		{name: "no block", in: want, want: want},
		{name: "not the key", in: "a\nGraphDriver: {\nb\n", want: "a\nGraphDriver: {\nb\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, hit := dropLines(tc.in, graphDriverBlock)
			if got != tc.want || hit != tc.hit {
				t.Errorf("dropLines = %q, %v; want %q, %v", got, hit, tc.want, tc.hit)
			}
		})
	}
}
