package build_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"layerlab/engine/archive"
	"layerlab/engine/build"
	"layerlab/engine/build/buildtest"
	"layerlab/engine/commands"
	"layerlab/engine/dockerfile"
	"layerlab/engine/image"
	"layerlab/internal/testenv"
)

// Live tests compare layerlab with a real Docker daemon (scripts/dockerd-up starts one;
// scripts/test sets LAYERLAB_LIVE_DOCKER=1 and DOCKER_HOST). They use the 20.10 client
// at /usr/bin/docker, which matches the daemon. In CI (testenv) a missing daemon,
// client or base image fails them instead of skipping.

const dockerCLI = "/usr/bin/docker"

func needDocker(t *testing.T) {
	t.Helper()
	testenv.Need(t, os.Getenv("LAYERLAB_LIVE_DOCKER") != "",
		"no live Docker daemon (scripts/test starts one; set LAYERLAB_LIVE_DOCKER=1 with DOCKER_HOST)")
	_, err := os.Stat(dockerCLI)
	testenv.Need(t, err == nil, "no docker client at "+dockerCLI)
}

func docker(t *testing.T, dir string, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(dockerCLI, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("docker %v: %v", args, err)
	}
	return out.String(), code
}

// TestLiveSaveLoad builds an image in layerlab, saves it, loads it into a real Docker,
// and checks that Docker sees the same image: ID, layers, history and config.
func TestLiveSaveLoad(t *testing.T) {
	needDocker(t)
	st := buildtest.New()
	b := build.New(st, build.StandIns{})
	c, err := build.NewContext([]build.File{
		{Path: "Dockerfile", Data: []byte("FROM busybox\nENV A=1\nWORKDIR /app\nCOPY app.txt .\nRUN echo built > /built.txt && rm -f /bin/cat\nLABEL k=v\nCMD [\"sh\", \"-c\", \"cat /built.txt\"]\n")},
		{Path: "app.txt", Data: []byte("hello\n")},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	tag := fmt.Sprintf("layerlab-live-load:%d", time.Now().UnixNano())
	res, err := b.Build(context.Background(), c, build.Options{Tags: []string{tag}})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := st.Image(context.Background(), res.Image)
	tarPath := filepath.Join(t.TempDir(), "img.tar")
	f, _ := os.Create(tarPath)
	if err := archive.Save(context.Background(), f, st, []archive.Item{{Record: rec, Tags: []string{tag}}}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, code := docker(t, "", nil, "load", "-i", tarPath)
	if code != 0 {
		t.Fatalf("docker load: %s", out)
	}
	t.Cleanup(func() { docker(t, "", nil, "rmi", "-f", tag) })
	if !strings.Contains(out, "Loaded image: "+tag) {
		t.Errorf("docker load said %q", out)
	}
	id, _ := docker(t, "", nil, "image", "inspect", "--format", "{{.Id}}", tag)
	if strings.TrimSpace(id) != res.Image.String() {
		t.Errorf("Docker's image ID %s, layerlab's %s", strings.TrimSpace(id), res.Image)
	}
	layers, _ := docker(t, "", nil, "image", "inspect", "--format", "{{range .RootFS.Layers}}{{.}} {{end}}", tag)
	recImg, err := rec.ConfigFile(context.Background())
	if err != nil {
		t.Fatalf("read config of %s: %v", rec.ID, err)
	}
	var want []string
	for _, d := range recImg.RootFS.DiffIDs {
		want = append(want, d.String())
	}
	if got := strings.Fields(layers); !reflect.DeepEqual(got, want) {
		t.Errorf("layers in Docker %v, layerlab %v", got, want)
	}
	hist, _ := docker(t, "", nil, "history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Size}}", tag)
	var ours []string
	li := len(rec.Layers) - 1
	for i := len(recImg.History) - 1; i >= 0; i-- {
		h := recImg.History[i]
		size := int64(0)
		if !h.EmptyLayer {
			size = rec.Layers[li].Size
			li--
		}
		ours = append(ours, h.CreatedBy+"|"+build.HumanSize(size))
	}
	if got := strings.Split(strings.TrimSpace(hist), "\n"); !reflect.DeepEqual(got, ours) {
		t.Errorf("docker history\n got: %q\nwant: %q", got, ours)
	}
	cfg, _ := docker(t, "", nil, "image", "inspect", "--format", "{{json .Config.Env}} {{json .Config.Cmd}} {{.Config.WorkingDir}} {{json .Config.Labels}}", tag)
	if w := `["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","A=1"] ["sh","-c","cat /built.txt"] /app {"k":"v"}`; strings.TrimSpace(cfg) != w {
		t.Errorf("docker inspect config %s, want %s", cfg, w)
	}
	// Running needs a container runtime that may not work in every sandbox; when it
	// does, the file the simulated RUN step wrote is there.
	if out, code := docker(t, "", nil, "run", "--rm", "--network=none", tag); code == 0 && strings.TrimSpace(out) != "built" {
		t.Errorf("docker run printed %q, want built", out)
	} else if code != 0 {
		t.Logf("docker run could not run here (exit %d): %s", code, out)
	}
}

// TestLiveConformance replays every recorded scenario against the live daemon (classic
// builder) and layerlab side by side, comparing per build: the cache hit or miss of
// every step, the error, and the history rows Docker writes.
func TestLiveConformance(t *testing.T) {
	needDocker(t)
	out, code := docker(t, "", nil, "image", "inspect", "busybox:local")
	testenv.Need(t, code == 0, "the daemon has no busybox:local (scripts/dockerd-up imports it): "+out)
	var total liveTimes
	start := time.Now()
	// Each replay starts with a reset, which also clears the one before it; the last
	// one's images go here.
	t.Cleanup(func() { resetDaemon(t) })
	for _, sdir := range append(scenarioDirs(t, "scenarios"), scenarioDirs(t, "errors")...) {
		t.Run(filepath.Base(sdir), func(t *testing.T) { liveReplay(t, sdir, &total) })
	}
	t.Logf("%v in all: %v", time.Since(start).Round(time.Millisecond), total)
}

// maxLiveSteps bounds the instructions of a scenario TestLiveConformance replays live.
const maxLiveSteps = 60

// liveSteps counts the instructions of a scenario's Dockerfile (lines that start one).
func liveSteps(t *testing.T, sdir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sdir, "context", "Dockerfile"))
	if err != nil {
		return 0 // a scenario without one (a -f file) is replayed
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") && line[0] != ' ' && line[0] != '\t' {
			n++
		}
	}
	return n
}

// resetDaemon removes every image but busybox:local and every stopped container, so
// Docker's cache starts as empty as layerlab's. Only on the private daemon of
// scripts/dockerd-up: never on a developer's own.
//
// It talks to the Engine API on DOCKER_HOST's socket rather than through the docker
// client: nothing it does is compared, and four client processes per scenario were a
// tenth of the replays' time on a busy machine. A daemon that holds only busybox:local
// (the usual case, as a replay's images go with the next reset) costs two requests.
func resetDaemon(t *testing.T) {
	t.Helper()
	host := os.Getenv("DOCKER_HOST")
	testenv.Need(t, strings.Contains(host, "layerlab-dockerd"),
		"live replays clear the daemon's images: run them only on scripts/dockerd-up's private daemon")
	sock, ok := strings.CutPrefix(host, "unix://")
	if !ok {
		t.Fatalf("DOCKER_HOST %q: the live replays reach the daemon on a unix socket (scripts/dockerd-up's)", host)
	}
	api := engineAPI{t: t, c: &http.Client{
		Timeout: 2 * time.Minute,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}},
	}}
	api.call(http.MethodPost, "/containers/prune", nil)
	var keep struct {
		ID string `json:"Id"`
	}
	api.call(http.MethodGet, "/images/busybox:local/json", &keep)
	// A parent goes only after its children; the daemon lists the newest first, so
	// each pass removes at least the leaves, and a chain of n images takes at most n
	// passes. 100 passes is far more than any scenario's chain.
	for range 100 {
		var imgs []struct {
			ID string `json:"Id"`
		}
		api.call(http.MethodGet, "/images/json?all=1", &imgs)
		left := 0
		for _, img := range imgs {
			if img.ID == keep.ID {
				continue
			}
			left++
			// A conflict (a child not yet removed) is retried in the next pass.
			api.try(http.MethodDelete, "/images/"+img.ID+"?force=1")
		}
		if left == 0 {
			return
		}
	}
	t.Fatal("reset the daemon: images are left after 100 passes of removal")
}

// engineAPI makes the few Docker Engine API requests resetDaemon needs.
type engineAPI struct {
	t *testing.T
	c *http.Client
}

// try makes a request and returns its status, failing t only when the daemon cannot
// be reached.
func (a engineAPI) try(method, path string) (int, []byte) {
	a.t.Helper()
	req, err := http.NewRequest(method, "http://docker"+path, nil)
	if err != nil {
		a.t.Fatalf("docker API %s %s: %v", method, path, err)
	}
	resp, err := a.c.Do(req)
	if err != nil {
		a.t.Fatalf("docker API %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatalf("docker API %s %s: read response: %v", method, path, err)
	}
	return resp.StatusCode, body
}

// call makes a request that must succeed and decodes its JSON answer into v (unless v
// is nil).
func (a engineAPI) call(method, path string, v any) {
	a.t.Helper()
	code, body := a.try(method, path)
	if code/100 != 2 {
		a.t.Fatalf("docker API %s %s: status %d: %s", method, path, code, body)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			a.t.Fatalf("docker API %s %s: decode %s: %v", method, path, body, err)
		}
	}
}

// liveTimes is where a live replay's time went, logged per scenario and in total so
// the next person speeding up the run measures before guessing. Logged, never asserted.
type liveTimes struct {
	reset, dockerBuild, ours, compare time.Duration
	builds                            int
}

func (a *liveTimes) add(b liveTimes) {
	a.reset += b.reset
	a.dockerBuild += b.dockerBuild
	a.ours += b.ours
	a.compare += b.compare
	a.builds += b.builds
}

func (a liveTimes) String() string {
	return fmt.Sprintf("%d builds; reset %v, docker build %v, layerlab build %v, compare (docker history) %v",
		a.builds, a.reset.Round(time.Millisecond), a.dockerBuild.Round(time.Millisecond), a.ours.Round(time.Millisecond),
		a.compare.Round(time.Millisecond))
}

func since(d *time.Duration, start time.Time) { *d += time.Since(start) }

func liveReplay(t *testing.T, sdir string, total *liveTimes) {
	var tm liveTimes
	defer func() { total.add(tm); t.Logf("times: %v", tm) }()
	if n := liveSteps(t, sdir); n > maxLiveSteps {
		// Each RUN is a container on the daemon, about 2 s: x74's 130 steps took 4.5
		// minutes of CI's 20. The replay of its recording (TestConformance) checks it.
		t.Skipf("%d instructions, more than the %d a live replay runs: the recorded replay checks this case", n, maxLiveSteps)
	}
	start := time.Now()
	resetDaemon(t)
	since(&tm.reset, start)
	name := filepath.Base(sdir)
	dir := t.TempDir()
	writeContext(t, filepath.Join(sdir, "context"), dir)
	script, err := os.ReadFile(filepath.Join(sdir, "script"))
	if err != nil {
		t.Fatal(err)
	}
	st := buildtest.New()
	baseImage(t, st)
	b := build.New(st, nil)
	tag := fmt.Sprintf("layerlab-live-%s-%d", strings.ToLower(name), time.Now().UnixNano()%100000)
	sizes := newSizeChecker(name)
	n := 0
	for _, line := range strings.Split(string(script), "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		args := splitArgs(line)
		switch args[0] {
		case "build":
			n++
			f := parseBuild(args, tag)
			dargs := []string{"build"}
			for _, tg := range f.tags {
				dargs = append(dargs, "-t", tg)
			}
			dargs = append(dargs, args[1:]...)
			for i, a := range dargs {
				dargs[i] = strings.ReplaceAll(a, "{T}", tag)
			}
			dargs = append(dargs, ".")
			start := time.Now()
			out, code := docker(t, dir, []string{"DOCKER_BUILDKIT=0"}, dargs...)
			since(&tm.dockerBuild, start)
			tm.builds++
			file := ""
			if f.file != "" {
				file = filepath.Join(dir, f.file)
			}
			c, err := build.LoadDir(dir, file)
			if err != nil {
				if code == 0 {
					t.Errorf("build %d: layerlab could not read the context (%v); Docker built", n, err)
				}
				continue
			}
			start = time.Now()
			res, berr := b.Build(context.Background(), c, build.Options{Tags: f.tags, BuildArgs: f.args, Target: f.target, NoCache: f.noCache})
			since(&tm.ours, start)
			start = time.Now()
			compareLive(t, n, out, code, res, berr, st, f.tags[0], sizes)
			since(&tm.compare, start)
		case "tag":
			docker(t, dir, nil, "tag", strings.ReplaceAll(args[1], "{T}", tag), strings.ReplaceAll(args[2], "{T}", tag))
			src, _ := st.Lookup(context.Background(), strings.ReplaceAll(args[1], "{T}", tag))
			ref, _ := image.ParseRef(strings.ReplaceAll(args[2], "{T}", tag))
			st.Tag(context.Background(), ref, src.ID)
		case "rmi":
			name := strings.ReplaceAll(args[1], "{T}", tag)
			docker(t, dir, nil, "rmi", name)
			var out, errb strings.Builder
			env := &commands.Env{Store: st, Stdout: &out, Stderr: &errb, Stdin: strings.NewReader("")}
			commands.Run(context.Background(), env, []string{"rmi", name})
		default:
			runEdit(t, dir, args)
		}
	}
	sizes.check(t)
}

func compareLive(t *testing.T, n int, out string, code int, res *build.Result, err error, st *buildtest.Store, firstTag string, sizes *sizeChecker) {
	t.Helper()
	where := fmt.Sprintf("build %d", n)
	if code != 0 {
		if strings.Contains(out, "unknown instruction: ECHO") {
			return // heredoc RUN: the intended difference (README)
		}
		if err == nil {
			t.Errorf("%s: Docker failed, layerlab built:\n%s", where, out)
			return
		}
		msg := err.Error()
		var pe *dockerfile.Error
		if errors.As(err, &pe) {
			msg = "Error response from daemon: " + msg
		}
		if !strings.Contains(out, msg) {
			t.Errorf("%s: error\n layerlab: %s\n docker output:\n%s", where, msg, out)
		}
		return
	}
	if err != nil {
		t.Errorf("%s: layerlab failed: %v\ndocker:\n%s", where, err, out)
		return
	}
	// Docker's cache per step from its output.
	var docker []string
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		var step, of int
		var instr string
		if k, _ := fmt.Sscanf(l, "Step %d/%d : ", &step, &of); k == 2 {
			instr = l
			kw := strings.Fields(strings.SplitN(instr, " : ", 2)[1])[0]
			if strings.EqualFold(kw, "FROM") {
				continue
			}
			if i+1 < len(lines) && strings.HasPrefix(lines[i+1], " ---> Using cache") {
				docker = append(docker, fmt.Sprintf("%d=C", step))
			} else if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "Step ") {
				continue // ARG before FROM
			} else {
				docker = append(docker, fmt.Sprintf("%d=R", step))
			}
		}
	}
	var ours []string
	for _, s := range res.Steps {
		if s.State == build.StateBase || s.State == build.StateMeta || s.Trigger {
			continue
		}
		ours = append(ours, fmt.Sprintf("%d=%s", s.Step, map[bool]string{true: "C", false: "R"}[s.State == build.StateCached]))
	}
	if !reflect.DeepEqual(ours, docker) {
		t.Errorf("%s: cache\n layerlab: %v\n docker:   %v", where, ours, docker)
	}
	// History rows above the base, exactly as Docker wrote them, sizes included (the
	// known differences aside).
	const sep = "\x1f" // CREATED BY may hold a "|"
	hist, _ := dockerOut(t, "history", "--no-trunc", "--format", "{{.CreatedBy}}"+sep+"{{.Size}}", firstTag)
	rows := strings.Split(strings.TrimSpace(hist), "\n")
	rec, _ := st.Image(context.Background(), res.Image)
	recImg, err := rec.ConfigFile(context.Background())
	if err != nil {
		t.Fatalf("%s: read config of %s: %v", where, rec.ID, err)
	}
	var mine []string
	li := len(rec.Layers) - 1
	for i := len(recImg.History) - 1; i >= 1; i-- {
		h := recImg.History[i]
		size := int64(0)
		if !h.EmptyLayer {
			size = rec.Layers[li].Size
			li--
		}
		// The docker CLI prints tabs in CREATED BY as spaces.
		createdBy := strings.ReplaceAll(h.CreatedBy, "\t", " ")
		mine = append(mine, createdBy+sep+sizes.dockerFigure(createdBy, build.HumanSize(size)))
	}
	if len(rows) > 0 {
		rows = rows[:len(rows)-1] // the base's row
	}
	if !reflect.DeepEqual(mine, rows) {
		t.Errorf("%s: history\n layerlab: %q\n docker:   %q", where, mine, rows)
	}
}

func dockerOut(t *testing.T, args ...string) (string, int) {
	t.Helper()
	return docker(t, "", nil, args...)
}
