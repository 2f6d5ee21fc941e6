package lessons

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

var rebuiltStepRE = regexp.MustCompile(`step (\d+) was rebuilt`)

// Score compares the step numbers a student predicted would rebuild with the real
// build's steps. A step counts when it is neither a FROM (base) nor an ARG before FROM
// (meta); it was rebuilt when it did not come from the cache. Each wrong step gets
// one sentence from its state and the engine's reason. A predicted number that is no
// step of the build, or a step the build never reached, is explained too but does not
// change Right or Total.
func Score(predicted []int, steps []Step) Prediction {
	want := map[int]bool{}
	for _, n := range predicted {
		want[n] = true
	}
	p := Prediction{Predicted: uniqueSorted(predicted)}
	known := map[int]bool{}
	failedAt, last := 0, 0
	for i, s := range steps {
		known[s.Step] = true
		last = max(last, s.Step)
		if s.State == StateFailed && failedAt == 0 {
			failedAt = s.Step
		}
		if s.State == StateBase || s.State == StateMeta {
			continue
		}
		p.Total++
		did := rebuilt(s.State)
		if did {
			p.Rebuilt = append(p.Rebuilt, s.Step)
		}
		if did == want[s.Step] {
			p.Right++
			continue
		}
		p.Mistakes = append(p.Mistakes, mistake(s, steps[:i]))
	}
	for _, n := range p.Predicted {
		if known[n] {
			if s := stepNo(steps, n); s.State == StateBase || s.State == StateMeta {
				p.Mistakes = append(p.Mistakes, fmt.Sprintf("Step %d, %s, is neither cached nor rebuilt: a FROM step starts from the base image, so it is not part of the score.", n, s.Instruction))
			}
			continue
		}
		switch {
		case failedAt != 0 && n > failedAt:
			p.Mistakes = append(p.Mistakes, fmt.Sprintf("Step %d did not run: the build failed at step %d, so it is not part of the score.", n, failedAt))
		default:
			p.Mistakes = append(p.Mistakes, fmt.Sprintf("Step %d is not a step of this build, which had %d: it is not part of the score.", n, last))
		}
	}
	return p
}

func stepNo(steps []Step, n int) Step {
	for _, s := range steps {
		if s.Step == n {
			return s
		}
	}
	return Step{}
}

// mistake explains one wrongly predicted step; before holds the steps above it.
func mistake(s Step, before []Step) string {
	head := fmt.Sprintf("Step %d, %s,", s.Step, s.Instruction)
	switch s.State {
	case StateCached:
		return fmt.Sprintf("Step %d, %s, came from the cache: neither its input nor the image it starts from changed.", s.Step, s.Instruction)
	case StateChanged:
		why := s.Reason
		if why == "" {
			why = "its own input changed"
		}
		return fmt.Sprintf("%s was rebuilt because its own input changed: %s.", head, strings.TrimSuffix(why, "."))
	case StateDownstream:
		above := 0
		if m := rebuiltStepRE.FindStringSubmatch(s.Reason); m != nil {
			above, _ = strconv.Atoi(m[1])
		} else {
			for i := len(before) - 1; i >= 0; i-- {
				if rebuilt(before[i].State) {
					above = before[i].Step
					break
				}
			}
		}
		if above == 0 {
			return fmt.Sprintf("%s was rebuilt though its own text did not change: a step above it was rebuilt, and every step after a rebuilt one in its stage is rebuilt too (downstream).", head)
		}
		return fmt.Sprintf("%s was rebuilt though its own text did not change: step %d above it was rebuilt, and every step after a rebuilt one in its stage is rebuilt too (downstream).", head, above)
	case StateNew:
		why := s.Reason
		if why == "" {
			why = "no earlier build had this step"
		}
		return fmt.Sprintf("%s was built for the first time, so there was no cache for it: %s.", head, strings.TrimSuffix(why, "."))
	case StateFailed:
		return fmt.Sprintf("%s ran, so it was not from the cache, and failed: %s.", head, strings.TrimSuffix(s.Reason, "."))
	}
	return fmt.Sprintf("%s was %s: %s.", head, s.State, strings.TrimSuffix(s.Reason, "."))
}

func uniqueSorted(in []int) []int {
	seen := map[int]bool{}
	out := []int{}
	for _, n := range in {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out
}
