package handlers

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// term runs a command line in b's terminal.
func term(b *browser, cmd string) termResponse {
	b.t.Helper()
	var out termResponse
	b.postJSON("/api/terminal", map[string]string{"cmd": cmd}).wantCode(http.StatusOK).json(&out)
	return out
}

func TestTerminalRunsTheCommands(t *testing.T) {
	env := newTestServer(t, withClock(fixedNow))
	env.build(demoDockerfile, map[string]string{"main.py": demoMain}, "demo:v1")
	ws := env.workspace()

	tests := []struct {
		cmd  string
		args []string // what commands.Run gets
	}{
		{"docker image ls -a", []string{"image", "ls", "-a"}},
		{"docker images", []string{"images"}},
		{"docker history demo:v1", []string{"history", "demo:v1"}},
		{"docker inspect demo:v1", []string{"inspect", "demo:v1"}},
		{`docker inspect --format '{{.Config.Cmd}}' demo:v1`, []string{"inspect", "--format", "{{.Config.Cmd}}", "demo:v1"}},
		{`docker inspect -f "{{json .Config.Labels}}" demo:v1`, []string{"inspect", "-f", "{{json .Config.Labels}}", "demo:v1"}},
		{"docker image ls --filter dangling=true", []string{"image", "ls", "--filter", "dangling=true"}},
		{"docker foo", []string{"foo"}},
		{"docker image rm", []string{"image", "rm"}},
		{"docker tag demo:v1 Demo:V2", []string{"tag", "demo:v1", "Demo:V2"}},
	}
	for _, tc := range tests {
		t.Run(tc.cmd, func(t *testing.T) {
			got := term(env.withT(t), tc.cmd)
			stdout, stderr, code := cli(t, ws, tc.args...)
			if got.Output != stdout+stderr || got.ExitCode != code {
				t.Errorf("terminal printed (exit %d):\n%s\ncommands.Run prints (exit %d):\n%s%s", got.ExitCode, got.Output, code, stdout, stderr)
			}
			if got.Changed {
				t.Error("a read-only command reported a change")
			}
		})
	}
	if got := term(env.browser, "docker foo"); got.Output != "docker: 'foo' is not a docker command.\nSee 'docker --help'\n" || got.ExitCode != 1 {
		t.Errorf("unknown command: %+v", got)
	}
	// stderr is told apart from stdout.
	got := term(env.browser, "docker history nope:1")
	if len(got.Segments) != 1 || got.Segments[0].Stream != "stderr" || got.Segments[0].Text != "Error response from daemon: No such image: nope:1\n" {
		t.Errorf("segments = %+v", got.Segments)
	}
}

func TestTerminalChangesImages(t *testing.T) {
	env := newTestServer(t)
	env.build(demoDockerfile, map[string]string{"main.py": demoMain}, "demo:v1")

	got := term(env.browser, "docker tag demo:v1 demo:v2")
	if got.ExitCode != 0 || got.Output != "" || !got.Changed {
		t.Errorf("tag: %+v", got)
	}
	if findRow(rowsOf(env.get("/images")), "demo", "v2") == nil {
		t.Error("the images page does not show demo:v2 after the terminal's tag")
	}
	got = term(env.browser, "docker image rm demo:v1")
	if got.Output != "Untagged: demo:v1\n" || !got.Changed {
		t.Errorf("rm of one of two tags: %+v", got)
	}
	got = term(env.browser, "docker image rm -f demo:v2")
	if !strings.Contains(got.Output, "Untagged: demo:v2\nDeleted: sha256:") || !got.Changed {
		t.Errorf("rm -f: %+v", got)
	}
	if findRow(rowsOf(env.get("/images")), "demo", "v2") != nil {
		t.Error("demo:v2 still listed after docker image rm -f")
	}
}

func TestTerminalPruneDoesNotWait(t *testing.T) {
	env := newTestServer(t)
	env.build("FROM busybox\nLABEL a=1\n", nil, "demo:v1")
	env.build("FROM busybox\nLABEL a=2\n", nil, "demo:v1") // the first is now dangling
	done := make(chan termResponse)
	go func() { done <- term(env.browser, "docker image prune") }()
	select {
	case got := <-done:
		want := "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] Total reclaimed space: 0B\n"
		if !strings.HasPrefix(got.Output, want) || got.ExitCode != 0 || got.Changed {
			t.Errorf("prune without -f: %+v", got)
		}
		if !strings.Contains(got.Output, "add -f (docker image prune -f)") {
			t.Errorf("no hint about -f: %q", got.Output)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("docker image prune without -f is waiting for an answer")
	}
	got := term(env.browser, "docker image prune -f")
	if !strings.HasPrefix(got.Output, "Deleted Images:\ndeleted: sha256:") || !got.Changed {
		t.Errorf("prune -f: %+v", got)
	}
	if strings.Contains(got.Output, "add -f") {
		t.Errorf("prune -f asked nothing, yet the hint about -f shows: %q", got.Output)
	}
}

func TestTerminalBuild(t *testing.T) {
	env := newTestServer(t)
	env.setContext(map[string]string{"Dockerfile": demoDockerfile, "main.py": demoMain})

	got := term(env.browser, "docker build -t t:1 .")
	if got.ExitCode != 0 || !got.Changed {
		t.Fatalf("build: %+v", got)
	}
	lines := strings.Split(got.Output, "\n")
	if !strings.HasPrefix(lines[0], "Sending build context to Docker daemon ") || lines[1] != "" || lines[2] != "Step 1/7 : FROM busybox" {
		t.Errorf("build output starts:\n%s", strings.Join(lines[:3], "\n"))
	}
	if !strings.Contains(got.Output, "Successfully built ") || !strings.HasSuffix(got.Output, "Successfully tagged t:1\n") {
		t.Errorf("build output ends:\n%s", got.Output)
	}
	row := findRow(rowsOf(env.get("/images")), "t", "1")
	if row == nil {
		t.Fatal("t:1 is not on the images page after the terminal's build")
	}
	// The build is the playground's: it is in the workspace's build list.
	builds, err := env.workspace().Builds(t.Context(), 10)
	if err != nil || len(builds) != 1 {
		t.Fatalf("builds = %v, %v", builds, err)
	}

	// Rebuilt: every step from the cache; -q prints the image ID only.
	got = term(env.browser, "docker build -q -t t:1 .")
	if got.ExitCode != 0 || len(got.Output) != len("sha256:")+64+1 || !strings.HasPrefix(got.Output, "sha256:"+row[2]) {
		t.Errorf("build -q printed %q, the image is %s", got.Output, row[2])
	}

	tests := []struct {
		name, cmd string
		code      int
		out       string
	}{
		{"another path", "docker build -t x /tmp", 1, `the path must be "." (the build context), not "/tmp"`},
		{"the root", "docker build -t x /", 1, `the path must be "." (the build context), not "/"`},
		{"the root, twice", "docker build -t x //", 1, `the path must be "." (the build context), not "//"`},
		{"the parent", "docker build -t x ..", 1, `the path must be "." (the build context), not ".."`},
		{"the parent of the workdir", "docker build -t x /playground/..", 1, `not "/playground/.."`},
		{"empty path", "docker build -t x ''", 1, `unable to prepare context: path "" not found`}, // docker 20.10's words
		{"the workdir", "docker build -q -t x /playground", 0, "sha256:"},
		{"no path", "docker build -t x", 1, "\"docker build\" requires exactly 1 argument."},
		{"missing flag value", "docker build .  -t", 125, "flag needs an argument: 't' in -t"}, // /usr/bin/docker 20.10 prints this
		{"unknown flag", "docker build --squash .", 125, "unknown flag: --squash"},
		{"missing Dockerfile", "docker build -f Nope.dockerfile .", 1, "unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat Nope.dockerfile: no such file or directory"},
		{"failing RUN", "docker build -f Bad.dockerfile .", 3, "The command '/bin/sh -c exit 3' returned a non-zero code: 3"},
		{"help", "docker build --help", 0, "Usage:  docker build [OPTIONS] PATH"},
	}
	env.setContext(map[string]string{"Dockerfile": demoDockerfile, "main.py": demoMain, "Bad.dockerfile": "FROM busybox\nRUN exit 3\n"})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := term(env.withT(t), tc.cmd)
			if got.ExitCode != tc.code || !strings.Contains(got.Output, tc.out) {
				t.Errorf("exit %d, output:\n%s\nwant exit %d and %q", got.ExitCode, got.Output, tc.code, tc.out)
			}
		})
	}
}

func TestTerminalRefusals(t *testing.T) {
	env := newTestServer(t)
	tests := []struct {
		name, cmd string
		code      int
		out       string
	}{
		{"pipe", "docker image ls | grep demo", 2, "pipes (|)"},
		{"substitution", `docker rmi $(docker images -q)`, 2, "$(...)"},
		{"unterminated quote", "docker inspect --format '{{.Id}} demo", 2, "unexpected EOF while looking for matching `''"},
		{"not docker", "ls -l", 127, "sh: ls: not found"},
		{"save writes a file", "docker save -o /etc/passwd busybox", 1, "cannot reach"},
		{"load reads a file", "docker load -i /etc/passwd", 1, "cannot reach"},
		{"help", "help", 0, "docker build [-t NAME[:TAG]]"},
		{"empty", "   ", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := term(env.withT(t), tc.cmd)
			if got.ExitCode != tc.code || !strings.Contains(got.Output, tc.out) {
				t.Errorf("exit %d, output %q; want exit %d and %q", got.ExitCode, got.Output, tc.code, tc.out)
			}
		})
	}
}

func TestTerminalLimits(t *testing.T) {
	env := newTestServer(t)
	var e struct{ Error string }
	env.postJSON("/api/terminal", map[string]string{"cmd": "docker images " + strings.Repeat("x", maxTermCmd)}).
		wantCode(http.StatusRequestEntityTooLarge).json(&e)
	if e.Error != "command too long: the terminal takes at most 4 KiB" {
		t.Errorf("long command: %q", e.Error)
	}
	env.postJSON("/api/terminal", map[string]string{"cmd": strings.Repeat("x", maxTermBody)}).
		wantCode(http.StatusRequestEntityTooLarge).json(&e)
	if !strings.HasPrefix(e.Error, "request too large: the limit is") {
		t.Errorf("big body: %q", e.Error)
	}
	env.postJSON("/api/terminal", map[string]any{"cmd": 12}).wantCode(http.StatusBadRequest)
}

func TestTerminalSplitWords(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		err      string
	}{
		{"blanks", "  docker   image\tls  ", []string{"docker", "image", "ls"}, ""},
		{"single quotes", `docker inspect --format '{{ .Config.Cmd }}' x`, []string{"docker", "inspect", "--format", "{{ .Config.Cmd }}", "x"}, ""},
		{"double quotes", `docker build --build-arg "MSG=a \"b\" \\ c" .`, []string{"docker", "build", "--build-arg", `MSG=a "b" \ c`, "."}, ""},
		{"adjacent", `a'b'"c"d`, []string{"abcd"}, ""},
		{"empty word", `docker tag '' x`, []string{"docker", "tag", "", "x"}, ""},
		{"backslash", `a\ b`, []string{"a b"}, ""},
		{"comment", "docker images # list", []string{"docker", "images"}, ""},
		{"hash inside a word", "a#b", []string{"a#b"}, ""},
		{"dollar", "docker build --build-arg A=$HOME .", []string{"docker", "build", "--build-arg", "A=$HOME", "."}, ""},
		{"pipe", "a | b", nil, "pipes"},
		{"semicolon", "a; b", nil, "pipes"},
		{"redirect", "a > f", nil, "pipes"},
		{"quoted pipe", "a '|' b", []string{"a", "|", "b"}, ""},
		{"backtick", "a `b`", nil, "pipes"},
		{"open single", "a 'b", nil, "matching `''"},
		{"open double", `a "b`, nil, "matching `\"'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := splitWords(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
