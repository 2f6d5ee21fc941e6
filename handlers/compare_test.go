package handlers

import (
	"strings"
	"testing"
)

// compareAfter builds each Dockerfile in turn (tag cmp:1, one context file a.txt) and
// returns the comparison of the last build with the one before it.
func compareAfter(t *testing.T, dockerfiles ...string) comparison {
	t.Helper()
	b := newPGBrowser(t, newPGServer(t))
	for _, p := range []string{".dockerignore", "app/__init__.py", "app/main.py", "requirements.txt"} {
		b.do("DELETE", "/api/context/file?path="+p, "", nil)
	}
	b.put("a.txt", "hello world\n")
	var id string
	for _, df := range dockerfiles {
		b.put("Dockerfile", df)
		id, _ = b.build("cmp:1")
	}
	var c comparison
	if code := b.json("GET", "/api/builds/"+id+"/compare", nil, &c); code != 200 {
		t.Fatalf("compare: %d", code)
	}
	return c
}

func stepOf(t *testing.T, c comparison, n int) stepDiff {
	t.Helper()
	for _, d := range c.Steps {
		if d.Step == n {
			return d
		}
	}
	t.Fatalf("the comparison has no step %d: %+v", n, c.Steps)
	return stepDiff{}
}

func TestCompare(t *testing.T) {
	const good = "FROM busybox\nCOPY a.txt /a\nRUN echo ok > /b\nRUN echo two > /c\n"
	tests := []struct {
		name  string
		files []string
		check func(t *testing.T, c comparison)
	}{{
		name:  "a failed build lists each step once and the later ones as not run",
		files: []string{good, "FROM busybox\nCOPY a.txt /a\nRUN exit 3\nRUN echo two > /c\n"},
		check: func(t *testing.T, c comparison) {
			seen := map[int]int{}
			for _, d := range c.Steps {
				seen[d.Step]++
			}
			for n, k := range seen {
				if k != 1 {
					t.Errorf("step %d is listed %d times, want once", n, k)
				}
			}
			if len(c.Steps) != 4 {
				t.Errorf("%d steps compared, want 4", len(c.Steps))
			}
			if d := stepOf(t, c, 3); d.Now == nil || d.Now.State != "failed" || d.NotRun {
				t.Errorf("step 3 = %+v, want it failed now", d)
			}
			if d := stepOf(t, c, 4); !d.NotRun || d.Now != nil {
				t.Errorf("step 4 = %+v, want it marked as not run", d)
			}
			if d := stepOf(t, c, 2); d.NotRun || d.Now == nil || d.Now.State != "cached" {
				t.Errorf("step 2 = %+v, want it cached", d)
			}
			if c.Failed != 3 {
				t.Errorf("failed step %d, want 3", c.Failed)
			}
			if want := "step 3 (RUN exit 3) failed"; !strings.Contains(c.Reasoning, want) || !strings.Contains(c.Reasoning, "the step after it did not run") || strings.Contains(c.Reasoning, "rebuilt") {
				t.Errorf("summary %q, want it to say %q and that the step after it did not run, and nothing rebuilt", c.Reasoning, want)
			}
			// What was built: the 12 bytes of a.txt's layer (cached, reused), and the
			// time the steps that ran took.
			if c.SizeNow != 12 || c.MsNow <= 0 {
				t.Errorf("totals %d bytes, %v ms, want the 12 bytes of step 2's layer and the steps' time", c.SizeNow, c.MsNow)
			}
		},
	}, {
		name:  "a first build says so, not that an earlier step was rebuilt",
		files: []string{good},
		check: func(t *testing.T, c comparison) {
			for _, d := range c.Steps[1:] {
				if d.Now.Why != firstBuildWhy {
					t.Errorf("step %d why %q, want %q", d.Step, d.Now.Why, firstBuildWhy)
				}
			}
		},
	}, {
		name:  "a moved line names the step it moved from",
		files: []string{good, "FROM busybox\nCOPY a.txt /a\nRUN echo zero > /z\nRUN echo ok > /b\nRUN echo two > /c\n"},
		check: func(t *testing.T, c comparison) {
			// The engine follows the previous build's chain: step 4 stands where RUN
			// echo two stood (changed), step 5 where nothing did (new).
			if d := stepOf(t, c, 4); d.Position != "moved from step 3" || d.Now.State != "changed" || !strings.HasPrefix(d.Now.Why, "moved from step 3; instruction changed") {
				t.Errorf("step 4 position %q, state %s, why %q: want it moved from step 3 and changed", d.Position, d.Now.State, d.Now.Why)
			}
			if d := stepOf(t, c, 5); d.Position != "moved from step 4" || d.Now.State != "new" || !strings.HasPrefix(d.Now.Why, "moved from step 4: the steps before it differ") {
				t.Errorf("step 5 position %q, state %s, why %q: want it moved from step 4 and new", d.Position, d.Now.State, d.Now.Why)
			}
			if d := stepOf(t, c, 3); d.Position != "step 3 was RUN echo ok > /b before" {
				t.Errorf("step 3 position %q, want what stood there before", d.Position)
			}
			if d := stepOf(t, c, 5); d.Now.Why == firstBuildWhy {
				t.Errorf("step 5 why %q: after cached and changed steps it is not a first build", d.Now.Why)
			}
		},
	}, {
		name:  "a rebuild from the cache",
		files: []string{good, good},
		check: func(t *testing.T, c comparison) {
			if c.Reasoning != "nothing changed: every step came from the cache" || c.SizeNow != c.SizeThen {
				t.Errorf("summary %q, sizes %d and %d", c.Reasoning, c.SizeNow, c.SizeThen)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, compareAfter(t, tt.files...))
		})
	}
}
