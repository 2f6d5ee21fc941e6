package sandbox

import (
	"testing"

	"layerlab/engine/rootfs"
)

// goFS is a golang:1.22-like image: Debian plus /usr/local/go/bin/go.
func goFS(t testing.TB) *rootfs.FS {
	f := debianFS(t)
	put(t, f, "/usr/local/go/bin/go", elf, 0o755)
	return f
}

var goEnv = func(o *Options) {
	o.Env = []string{"PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "GOPATH=/go", "GOLANG_VERSION=1.22.0", "HOME=/root"}
	o.Dir = "/src"
}

// buildCase is one build tool invocation checked for "outputs follow inputs": built
// twice from the same files the outputs are byte for byte the same; after one source
// edit each output differs.
type buildCase struct {
	name    string
	image   func(testing.TB) *rootfs.FS
	opts    func(*Options)
	files   map[string]string // absolute path -> content
	script  string
	outputs []string // absolute paths that must exist after the build
	edit    string   // a source file the build reads
}

func (c buildCase) build(t *testing.T, editNote string) map[string][]byte {
	t.Helper()
	f := c.image(t)
	for p, content := range c.files {
		if p == c.edit {
			content += editNote
		}
		put(t, f, p, content, 0o644)
	}
	r := run(t, f, c.script, c.opts)
	if r.code != 0 || r.err != nil {
		t.Fatalf("%s: exit %d, %v\n%s", c.script, r.code, r.err, r.out)
	}
	out := map[string][]byte{}
	for _, o := range c.outputs {
		b, err := f.ReadFile(o)
		if err != nil {
			t.Fatalf("output %s: %v\n%s", o, err, r.out)
		}
		out[o] = b
	}
	return out
}

func checkOutputsFollowInputs(t *testing.T, cases []buildCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			first := c.build(t, "")
			again := c.build(t, "")
			edited := c.build(t, "\n// edited\n")
			for _, o := range c.outputs {
				if string(first[o]) != string(again[o]) {
					t.Errorf("%s: two builds of the same sources differ", o)
				}
				if string(first[o]) == string(edited[o]) {
					t.Errorf("%s: unchanged after editing %s", o, c.edit)
				}
			}
		})
	}
}

const goMain = "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hi\") }\n"

func TestGoOutputsFollowInputs(t *testing.T) {
	mod := "module example.com/app\n\ngo 1.22\n"
	checkOutputsFollowInputs(t, []buildCase{
		{name: "go build -o", image: goFS, opts: goEnv, script: "go build -o /out/app .",
			files: map[string]string{"/src/go.mod": mod, "/src/main.go": goMain}, outputs: []string{"/out/app"}, edit: "/src/main.go"},
		{name: "local import", image: goFS, opts: goEnv, script: "go build ./cmd/app",
			files:   map[string]string{"/src/go.mod": mod, "/src/cmd/app/main.go": "package main\n\nimport \"example.com/app/lib\"\n\nfunc main() { lib.F() }\n", "/src/lib/lib.go": "package lib\n\nfunc F() {}\n"},
			outputs: []string{"/src/app"}, edit: "/src/lib/lib.go"},
		{name: "named file outside a module", image: goFS, opts: goEnv, script: "go build -o main -ldflags=-X=main.version=dev main.go",
			files: map[string]string{"/src/main.go": goMain}, outputs: []string{"/src/main"}, edit: "/src/main.go"},
		{name: "go install", image: goFS, opts: goEnv, script: "go install ./...",
			files: map[string]string{"/src/go.mod": mod, "/src/main.go": goMain}, outputs: []string{"/go/bin/app"}, edit: "/src/main.go"},
		{name: "go.sum is an input", image: goFS, opts: goEnv, script: "go build",
			files: map[string]string{"/src/go.mod": mod, "/src/go.sum": "x v1 h1:a=\n", "/src/main.go": goMain}, outputs: []string{"/src/app"}, edit: "/src/go.sum"},
		{name: "embedded file", image: goFS, opts: goEnv, script: "go build",
			files:   map[string]string{"/src/go.mod": mod, "/src/index.html": "<p>", "/src/main.go": "package main\n\nimport _ \"embed\"\n\n//go:embed index.html\nvar page string\n\nfunc main() {}\n"},
			outputs: []string{"/src/app"}, edit: "/src/index.html"},
	})
}

func TestGoFlagsAndEnvChangeTheBinary(t *testing.T) {
	build := func(script string) string {
		f := goFS(t)
		put(t, f, "/src/go.mod", "module example.com/app\n\ngo 1.22\n", 0o644)
		put(t, f, "/src/main.go", goMain, 0o644)
		r := run(t, f, script, goEnv)
		if r.code != 0 {
			t.Fatalf("%s: %d\n%s", script, r.code, r.out)
		}
		return readFS(t, f, "/out")
	}
	base := build("go build -o /out")
	for _, s := range []string{
		"go build -ldflags '-X main.version=2' -o /out",
		"go build -tags netgo -o /out",
		"go build -trimpath -o /out",
		"CGO_ENABLED=0 go build -o /out",
		"GOARCH=arm64 go build -o /out",
	} {
		if build(s) == base {
			t.Errorf("%s: same binary as without its flag or variable", s)
		}
	}
	for _, s := range []string{"go build -v -o /out", "go build -a -installsuffix cgo -o /out", "go build -x -p 4 -o /out"} {
		if build(s) != base {
			t.Errorf("%s: a flag that does not change Go's output changed the binary", s)
		}
	}
}

func TestGoCommands(t *testing.T) {
	mod := "module github.com/u/whoami\n\ngo 1.21\n\nrequire (\n\tgithub.com/gorilla/mux v1.8.0\n\tgolang.org/x/net v0.17.0 // indirect\n)\n"
	tests := []buildToolCase{
		{name: "no go.mod", files: map[string]string{"/src/main.go": goMain}, script: "go build", code: 1,
			want: []string{"go: go.mod file not found in current directory or any parent directory; see 'go help modules'"}},
		{name: "named file builds outside a module", files: map[string]string{"/src/main.go": goMain}, script: "go build main.go", exists: []string{"/src/main"}},
		{name: "no Go files", files: map[string]string{"/src/go.mod": mod}, script: "go build", code: 1, want: []string{"no Go files in /src"}},
		{name: "not main: no binary", files: map[string]string{"/src/go.mod": mod, "/src/lib.go": "package lib\n"}, script: "go build", absent: []string{"/src/whoami"}},
		{name: "binary named after the module", files: map[string]string{"/src/go.mod": mod, "/src/main.go": goMain}, script: "go build -a --trimpath --installsuffix cgo --ldflags=\"-s\" -o whoami && go build", exists: []string{"/src/whoami"}},
		{name: "-o directory", files: map[string]string{"/src/go.mod": mod, "/src/cmd/srv/main.go": goMain}, script: "mkdir -p dist && go build -o dist/ ./cmd/...", exists: []string{"/src/dist/srv"}},
		{name: "unknown flag", files: map[string]string{"/src/go.mod": mod, "/src/main.go": goMain}, script: "go build -frobnicate", code: 2, want: []string{"flag provided but not defined: -frobnicate"}},
		{name: "mod download fills the cache", files: map[string]string{"/src/go.mod": mod}, script: "go mod download && go mod verify",
			want: []string{"all modules verified"}, exists: []string{"/go/pkg/mod/github.com/gorilla/mux@v1.8.0/layerlab-module.go", "/go/pkg/mod/cache/download/golang.org/x/net/@v/v0.17.0.mod"}},
		{name: "mod init", files: map[string]string{"/src/main.go": goMain}, script: "go mod init example.com/x && cat go.mod && go build", want: []string{"module example.com/x", "go 1.22"}, exists: []string{"/src/x"}},
		{name: "mod init twice", files: map[string]string{"/src/go.mod": mod}, script: "go mod init x", code: 1, want: []string{"go: /src/go.mod already exists"}},
		{name: "get adds a requirement", files: map[string]string{"/src/go.mod": mod}, script: "go get github.com/githubnemo/CompileDaemon && grep CompileDaemon go.mod go.sum", want: []string{"go: added github.com/githubnemo/CompileDaemon v"}},
		{name: "install path@version", script: "go install github.com/cespare/reflex@v0.3.2", exists: []string{"/go/bin/reflex"}},
		{name: "test prints ok lines", files: map[string]string{"/src/go.mod": mod, "/src/main.go": goMain, "/src/main_test.go": "package main\n", "/src/x/x.go": "package x\n"},
			script: "go test ./...", want: []string{"ok  \tgithub.com/u/whoami\t", "?   \tgithub.com/u/whoami/x\t[no test files]"}},
		{name: "test -c writes the test binary", files: map[string]string{"/src/go.mod": mod, "/src/h/h.go": "package h\n", "/src/h/h_test.go": "package h\n"},
			script: "CGO_ENABLED=0 go test -ldflags=\"-s -w\" -v -c -o dist/h.test ./h", exists: []string{"/src/dist/h.test"}},
		{name: "env", script: "go env GOPATH GOOS && go version", want: []string{"/go\nlinux\n", "go version go1.22.0 linux/amd64"}},
		{name: "run is refused by name", files: map[string]string{"/src/main.go": goMain}, script: "go run main.go", code: 1, want: []string{"cannot run them"}},
		{name: "gopath mode before 1.16", files: map[string]string{"/go/src/app/main.go": goMain}, script: "cd /go/src/app && GOLANG_VERSION=1.15 go build", exists: []string{"/go/src/app/app"}},
	}
	runBuildToolCases(t, goFS, "/src", goEnv, tests)
}

func TestGoBinarySizes(t *testing.T) {
	f := goFS(t)
	put(t, f, "/src/main.go", goMain, 0o644)
	put(t, f, "/src/srv/main.go", "package main\n\nimport \"net/http\"\n\nfunc main() { http.ListenAndServe(\":80\", nil) }\n", 0o644)
	r := run(t, f, "go build -ldflags='-s -w' -o hello main.go && cd srv && go mod init srv && go build -ldflags='-s -w'", goEnv)
	if r.code != 0 {
		t.Fatalf("%d\n%s", r.code, r.out)
	}
	hello, _ := f.Lookup("src/hello")
	srv, _ := f.Lookup("src/srv/srv")
	if n := hello.Size(); n < 1500*kib || n > 3*mib {
		t.Errorf("stripped hello world is %d bytes, want about 2 MB", n)
	}
	if srv.Size() <= hello.Size()+2*mib {
		t.Errorf("net/http server %d bytes, not much larger than hello world %d", srv.Size(), hello.Size())
	}
}
