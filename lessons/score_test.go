package lessons

import (
	"reflect"
	"strings"
	"testing"
)

func TestScore(t *testing.T) {
	edited := steps(starterInstr, StateCached, StateCached, StateChanged, StateDownstream, StateDownstream)
	failed := append(steps(starterInstr, StateCached, StateCached, StateChanged)[:4],
		Step{Step: 5, Line: 5, Instruction: starterInstr[4], State: StateFailed, Reason: "The command '/bin/sh -c pip install' returned a non-zero code: 1"})
	meta := append([]Step{{Step: 1, Line: 1, Instruction: "ARG V=3.9", State: StateMeta}},
		Step{Step: 2, Line: 2, Instruction: "FROM python:${V}", State: StateBase}, Step{Step: 3, Line: 3, Instruction: "RUN echo hi", State: StateNew, Reason: "never built on this parent image before"})
	tests := []struct {
		name         string
		predicted    []int
		steps        []Step
		right, total int
		rebuilt      []int
		mistakes     []string
	}{
		{"all right", []int{6, 5, 4}, edited, 5, 5, []int{4, 5, 6}, nil},
		{"missed the downstream steps", []int{4}, edited, 3, 5, []int{4, 5, 6}, []string{
			"Step 5, RUN pip install --no-cache-dir -r requirements.txt, was rebuilt though its own text did not change: step 4 above it was rebuilt, and every step after a rebuilt one in its stage is rebuilt too (downstream).",
			"Step 6, CMD [\"uvicorn\", \"app.main:app\", \"--host\", \"0.0.0.0\", \"--port\", \"80\"], was rebuilt though its own text did not change: step 4 above it was rebuilt, and every step after a rebuilt one in its stage is rebuilt too (downstream).",
		}},
		{"said a cached step would rebuild, missed the changed one", []int{3, 5, 6}, edited, 3, 5, []int{4, 5, 6}, []string{
			"Step 3, ENV PYTHONUNBUFFERED=1, came from the cache: neither its input nor the image it starts from changed.",
			"Step 4, COPY . ., was rebuilt because its own input changed: COPY sources changed: app/main.py.",
		}},
		{"FROM counts as neither", []int{1, 4, 5, 6}, edited, 5, 5, []int{4, 5, 6}, []string{
			"Step 1, FROM python:3.9, is neither cached nor rebuilt: a FROM step starts from the base image, so it is not part of the score.",
		}},
		{"a failed build", []int{4, 5, 6}, failed, 4, 4, []int{4, 5}, []string{
			"Step 6 did not run: the build failed at step 5, so it is not part of the score.",
		}},
		{"failed step predicted cached", []int{4}, failed, 3, 4, []int{4, 5}, []string{
			"Step 5, RUN pip install --no-cache-dir -r requirements.txt, ran, so it was not from the cache, and failed: The command '/bin/sh -c pip install' returned a non-zero code: 1.",
		}},
		{"no such step", []int{4, 5, 6, 9}, edited, 5, 5, []int{4, 5, 6}, []string{
			"Step 9 is not a step of this build, which had 6: it is not part of the score.",
		}},
		{"two stages: the second FROM is not scored", []int{3, 5}, []Step{
			{Step: 1, Instruction: "FROM golang:1.22 AS build", State: StateBase},
			{Step: 2, Instruction: "WORKDIR /src", State: StateCached},
			{Step: 3, Instruction: "COPY . .", State: StateChanged, Reason: "COPY sources changed: main.go"},
			{Step: 4, Instruction: "RUN go build -o /out/hello .", State: StateDownstream, Reason: "step 3 was rebuilt"},
			{Step: 5, Instruction: "FROM alpine:3.20", State: StateBase},
			{Step: 6, Instruction: "COPY --from=build /out/hello /usr/local/bin/hello", State: StateCached},
		}, 3, 4, []int{3, 4}, []string{
			"Step 4, RUN go build -o /out/hello ., was rebuilt though its own text did not change: step 3 above it was rebuilt, and every step after a rebuilt one in its stage is rebuilt too (downstream).",
			"Step 5, FROM alpine:3.20, is neither cached nor rebuilt: a FROM step starts from the base image, so it is not part of the score.",
		}},
		{"ARG before FROM and a new step", nil, meta, 0, 1, []int{3}, []string{
			"Step 3, RUN echo hi, was built for the first time, so there was no cache for it: never built on this parent image before.",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Score(tc.predicted, tc.steps)
			if p.Right != tc.right || p.Total != tc.total {
				t.Errorf("right/total = %d/%d, want %d/%d", p.Right, p.Total, tc.right, tc.total)
			}
			if !reflect.DeepEqual(p.Rebuilt, tc.rebuilt) {
				t.Errorf("rebuilt = %v, want %v", p.Rebuilt, tc.rebuilt)
			}
			if strings.Join(p.Mistakes, "\n") != strings.Join(tc.mistakes, "\n") {
				t.Errorf("mistakes:\n%s\nwant:\n%s", strings.Join(p.Mistakes, "\n"), strings.Join(tc.mistakes, "\n"))
			}
		})
	}
}
