package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"layerlab/db"
)

// The lesson's sequence typed by a real docker CLI, once against a layerlab workspace's
// Engine API (/ws/<token>/) and once against a real Docker daemon (scripts/dockerd-up),
// command by command: stdout, stderr and the exit code must be equal after
// normalising what differs between any two runs (IDs, times, the temporary paths, the
// hub's address and namespace). Where layerlab cannot equal Docker, lessonExceptions
// names the lines and the reason; nothing else may differ.

// lessonDockerfile is the research's lesson context (../shared/research/docker-engine-api).
const lessonDockerfile = "FROM busybox:local\nENV GREETING=hello\nWORKDIR /app\nCOPY hello.txt .\nRUN cat hello.txt > copy.txt && echo built\n"

// lessonStep is one command of the sequence. Its args may hold {HUB} (the side's
// registry, HOST:PORT/NAMESPACE) and {DIR} (the side's scratch directory).
type lessonStep struct {
	name  string
	args  []string
	stdin string                 // {TOKEN} is the side's hub token
	edit  func(dir string) error // run in the context directory first (the rebuild)
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
		{name: "images", args: []string{"images"}},
		{name: "images -a", args: []string{"images", "-a"}},
		{name: "images dangling", args: []string{"image", "ls", "-q", "-f", "dangling=true"}},
		{name: "history", args: []string{"history", "lesson:v1"}},
		{name: "image inspect", args: []string{"image", "inspect", "lesson:v1"}},
		{name: "inspect", args: []string{"inspect", "lesson:v1"}},
		{name: "tag", args: []string{"tag", "lesson:v1", "lesson:v2"}},
		{name: "images after tag", args: []string{"images"}},
		{name: "rmi", args: []string{"rmi", "lesson:v2"}},
		{name: "tag for the hub", args: []string{"tag", "lesson:v1", "{HUB}/lesson:v1"}},
		{name: "push without login", args: []string{"push", "{HUB}/lesson:v1"}},
		{name: "login", args: []string{"login", "{REGISTRY}", "-u", "{NS}", "--password-stdin"}, stdin: "{TOKEN}\n"},
		{name: "push", args: []string{"push", "{HUB}/lesson:v1"}},
		{name: "rmi the hub's tag", args: []string{"rmi", "{HUB}/lesson:v1"}},
		{name: "pull", args: []string{"pull", "{HUB}/lesson:v1"}},
		{name: "images after pull", args: []string{"images"}},
		{name: "rmi the pulled tag", args: []string{"rmi", "{HUB}/lesson:v1"}},
		{name: "logout", args: []string{"logout", "{REGISTRY}"}},
		{name: "save", args: []string{"save", "lesson:v1", "-o", "{DIR}/lesson.tar"}},
		{name: "load", args: []string{"load", "-i", "{DIR}/lesson.tar"}},
		{name: "tag v3", args: []string{"tag", "lesson:v1", "lesson:v3"}},
		{name: "rmi -f, another tag left", args: []string{"image", "rm", "-f", "lesson:v1"}},
		{name: "rmi -f, the last tag", args: []string{"rmi", "-f", "lesson:v3"}},
		{name: "images -a after rmi", args: []string{"images", "-a"}},
		{name: "prune -f", args: []string{"image", "prune", "-f"}},
		{name: "images -a after prune", args: []string{"images", "-a"}},
		{name: "prune -f, nothing left", args: []string{"image", "prune", "-f"}},
		{name: "rmi missing", args: []string{"rmi", "nosuch:tag"}},
		{name: "history missing", args: []string{"history", "nosuch:tag"}},
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
	{step: "image inspect", stream: "stdout", pattern: regexp.MustCompile(`^\s*"(GraphDriver|Data|LowerDir|MergedDir|UpperDir|WorkDir|Name)"|^\s*},?$`),
		why: "layerlab has no overlay2 storage driver: GraphDriver's directories are the daemon's own (README: images are stored as blobs in SQLite's store)"},
	{step: "inspect", stream: "stdout", pattern: regexp.MustCompile(`^\s*"(GraphDriver|Data|LowerDir|MergedDir|UpperDir|WorkDir|Name)"|^\s*},?$`),
		why: "as for image inspect"},
}

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

// engineToken is the Engine API token of the command line's workspace in a server's
// data directory (the server has it open too: SQLite's WAL lets both).
func engineToken(t *testing.T, dataDir string) string {
	t.Helper()
	ctx := context.Background()
	st, err := db.Open(ctx, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ws, err := st.Workspace(ctx, db.DefaultWorkspace)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ws.EngineToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return tok
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
	if _, err := os.Stat("/usr/local/bin/docker"); err == nil {
		clis = append(clis, "/usr/local/bin/docker")
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
			ll := newLessonSide(t, "layerlab", cli, "tcp://"+strings.TrimPrefix(llSrv.URL, "http://")+"/ws/"+engineToken(t, llSrv.DataDir), llSrv)
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
	for name, body := range map[string]string{"Dockerfile": lessonDockerfile, "hello.txt": "hello from lesson\n"} {
		if err := os.WriteFile(filepath.Join(s.dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// cleanDocker leaves the daemon as dockerd-up made it, but for images other tests
// made: the lesson's tags gone, and its dangling intermediates pruned (so the first
// build builds, as on a fresh layerlab workspace).
func cleanDocker(t *testing.T, s *lessonSide) {
	t.Helper()
	s.run(t, []string{"rmi", "-f", "lesson:v1", "lesson:v2", "lesson:v3", s.registry + "/" + s.ns + "/lesson:v1"}, "")
	s.run(t, []string{"image", "prune", "-f"}, "")
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
			}
			r := s.run(t, args, s.expand(st.stdin))
			r.stdout = normaliseCLI(r.stdout, s)
			r.stderr = normaliseCLI(r.stderr, s)
			runs[i] = r
		}
		cmdline := "docker " + strings.Join(st.args, " ")
		for _, f := range []struct {
			stream string
			d, l   string
		}{{"stdout", runs[0].stdout, runs[1].stdout}, {"stderr", runs[0].stderr, runs[1].stderr}} {
			d, l := f.d, f.l
			for i, ex := range lessonExceptions {
				if ex.step != st.name || ex.stream != f.stream {
					continue
				}
				var hit bool
				d, hit = dropLines(d, ex.pattern)
				var hit2 bool
				l, hit2 = dropLines(l, ex.pattern)
				if hit || hit2 {
					used[i] = true
					t.Logf("%s (%s): allowed difference: lines matching %s left out: %s", st.name, f.stream, ex.pattern, ex.why)
				}
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

// dropLines removes the lines matching re and says whether any did.
func dropLines(s string, re *regexp.Regexp) (string, bool) {
	var keep []string
	hit := false
	for _, line := range strings.SplitAfter(s, "\n") {
		if line != "" && re.MatchString(strings.TrimSuffix(line, "\n")) {
			hit = true
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
