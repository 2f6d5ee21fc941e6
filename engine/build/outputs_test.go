package build_test

import (
	"strings"
	"testing"

	"layerlab/engine/build"
)

const multiStageGo = `FROM golang:1.22 AS build
WORKDIR /src
COPY go.mod ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -ldflags="-s -w" -o /out/app .

FROM alpine:latest
COPY --from=build /out/app /app
CMD ["/app"]
`

// TestGoBinaryFollowsSources: the compiled binary is a function of the sources, so a
// rebuild is fully cached, a source edit misses the cache at COPY --from (Docker
// compares the copied file's content), and an edit of a file the build does not read
// leaves the binary, and so that COPY, cached.
func TestGoBinaryFollowsSources(t *testing.T) {
	h := newHarness(t, map[string]string{
		"Dockerfile": multiStageGo,
		"go.mod":     "module example.com/app\n\ngo 1.22\n",
		"main.go":    "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"v1\") }\n",
		"README.md":  "app\n",
	})
	first := h.mustBuild(build.Options{})
	again := h.mustBuild(build.Options{})
	for _, s := range again.Steps {
		if s.State != build.StateBase && s.State != build.StateCached {
			t.Errorf("unchanged rebuild: step %d %s is %s, want cached", s.Step, s.Keyword, s.State)
		}
	}
	if again.Image != first.Image {
		t.Errorf("unchanged rebuild gave another image")
	}

	copyFrom := func(res *build.Result) build.StepResult {
		for _, s := range res.Steps {
			if s.Keyword == "COPY" && strings.Contains(s.Instruction, "--from=build") {
				return s
			}
		}
		t.Fatal("no COPY --from step")
		return build.StepResult{}
	}

	h.files["README.md"] = "app, documented\n"
	doc := h.mustBuild(build.Options{})
	if s := copyFrom(doc); s.State != build.StateCached {
		t.Errorf("after editing a file go build does not read: COPY --from is %s (%s), want cached", s.State, s.Reason)
	}

	h.files["main.go"] = "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"v2\") }\n"
	edited := h.mustBuild(build.Options{})
	if s := copyFrom(edited); s.State == build.StateCached {
		t.Errorf("after a source edit COPY --from is cached: the binary did not change")
	}
	if edited.Image == first.Image {
		t.Errorf("source edit gave the same image")
	}
}
