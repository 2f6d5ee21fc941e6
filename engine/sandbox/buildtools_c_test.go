package sandbox

import (
	"testing"

	"layerlab/engine/rootfs"
)

// gccFS is a gcc-like image: Debian plus the compilers, make and cmake.
func gccFS(t testing.TB) *rootfs.FS {
	f := goFS(t)
	for _, b := range []string{"gcc", "cc", "g++", "c++", "make", "cmake"} {
		put(t, f, "/usr/bin/"+b, elf, 0o755)
	}
	return f
}

const whoamiMakefile = ".PHONY: default check test build image\n\nIMAGE_NAME := traefik/whoami\n\ndefault: check test build\n\nbuild:\n\tCGO_ENABLED=0 go build -a --trimpath --installsuffix cgo --ldflags=\"-s\" -o whoami\n\ntest:\n\tgo test -v -cover ./...\n\ncheck:\n\tgolangci-lint run\n"

const distMakefile = "DIST_PATH  \t  ?= dist\nGOFUMPT     := go run mvdan.cc/gofumpt@v0.9.2\n\n# build\nbuild:\n\tmkdir -p $(DIST_PATH)\n\tGIT_COMMIT=$$(git describe --always --dirty 2>/dev/null || echo \"unknown\"); \\\n\tCGO_ENABLED=0 \\\n\tgo build -ldflags=\"-s -w -X main.commit=$$GIT_COMMIT\" -o $(DIST_PATH)/srv ./cmd/srv\n.PHONY: build\n\nclean:\n\trm -rf $(DIST_PATH)\n"

func TestCOutputsFollowInputs(t *testing.T) {
	mod := "module example.com/srv\n\ngo 1.22\n"
	checkOutputsFollowInputs(t, []buildCase{
		{name: "gcc -o", image: gccFS, opts: goEnv, script: "gcc -O2 -o hello hello.c", files: map[string]string{"/src/hello.c": "int main(){return 0;}\n"},
			outputs: []string{"/src/hello"}, edit: "/src/hello.c"},
		{name: "a header is an input", image: gccFS, opts: goEnv, script: "gcc -c -Iinclude main.c && gcc main.o -o app", files: map[string]string{"/src/main.c": "#include \"x.h\"\n", "/src/include/x.h": "#define X 1\n"},
			outputs: []string{"/src/main.o", "/src/app"}, edit: "/src/include/x.h"},
		{name: "make runs go build", image: gccFS, opts: goEnv, script: "make build", files: map[string]string{"/src/Makefile": distMakefile, "/src/go.mod": mod, "/src/cmd/srv/main.go": goMain},
			outputs: []string{"/src/dist/srv"}, edit: "/src/cmd/srv/main.go"},
		{name: "implicit rules", image: gccFS, opts: goEnv, script: "make", files: map[string]string{"/src/Makefile": "CFLAGS = -O2\nprog: prog.o util.o\n\t$(CC) $^ -o $@\n", "/src/prog.c": "int main(){}\n", "/src/util.c": "int u;\n"},
			outputs: []string{"/src/prog"}, edit: "/src/util.c"},
		{name: "cmake", image: gccFS, opts: goEnv, script: "cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j 2 && cmake --install build", files: map[string]string{"/src/CMakeLists.txt": "cmake_minimum_required(VERSION 3.10)\nproject(hi)\nadd_executable(hi main.cpp)\n", "/src/main.cpp": "int main(){}\n"},
			outputs: []string{"/src/build/hi", "/usr/local/bin/hi"}, edit: "/src/main.cpp"},
	})
}

func TestMake(t *testing.T) {
	tests := []buildToolCase{
		{name: "a named target of a real Makefile", files: map[string]string{"/src/Makefile": whoamiMakefile, "/src/go.mod": "module github.com/traefik/whoami\n\ngo 1.21\n", "/src/app.go": goMain},
			script: "make build", want: []string{"CGO_ENABLED=0 go build -a --trimpath"}, exists: []string{"/src/whoami"}},
		{name: "the first target runs its prerequisites in order", files: map[string]string{"/src/Makefile": whoamiMakefile, "/src/go.mod": "module x\n", "/src/app.go": goMain},
			script: "make", code: 2, want: []string{"golangci-lint run", "/bin/sh: golangci-lint: not found", "make: *** [Makefile:14: check] Error 127"}},
		{name: "command-line variables and ?=", files: map[string]string{"/src/Makefile": "OUT ?= a\nall:\n\t@echo $(OUT) $(notdir /x/y.c) $(patsubst %.c,%.o,a.c b.c)\n"}, script: "make OUT=b", want: []string{"b y.c a.o b.o\n"}},
		{name: "no rule", files: map[string]string{"/src/Makefile": "all:\n\techo\n"}, script: "make nope", code: 2, want: []string{"make: *** No rule to make target 'nope'.  Stop."}},
		{name: "no makefile", script: "make", code: 2, want: []string{"make: *** No targets specified and no makefile found.  Stop."}},
		{name: "up to date", files: map[string]string{"/src/Makefile": "out.txt: in.txt\n\tcp in.txt out.txt\n", "/src/in.txt": "x"}, script: "make && make", want: []string{"make: 'out.txt' is up to date."}},
		{name: "unsupported function is named", files: map[string]string{"/src/Makefile": "all:\n\techo $(foreach x,a b,$(x))\n"}, script: "make", code: 2, want: []string{"the $(foreach ...) function is not simulated"}},
		{name: "shell function", files: map[string]string{"/src/Makefile": "V := $(shell echo hi)\nall:\n\t@echo v=$(V)\n"}, script: "make", want: []string{"v=hi"}},
		{name: "-C and ifeq", files: map[string]string{"/src/sub/Makefile": "ifeq ($(MODE),fast)\nX = 1\nelse\nX = 2\nendif\nall:\n\t@echo X=$(X)\n"}, script: "make -C sub MODE=fast", want: []string{"X=1"}},
	}
	runBuildToolCases(t, gccFS, "/src", goEnv, tests)
}
