package sandbox

import (
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchScripts are RUN lines of the shapes real Dockerfiles have: loops that
// assign and concatenate, pipelines, command substitutions, redirects to files,
// background jobs. BenchmarkRun measures what the sandbox's budgets cost them.
var benchScripts = []struct {
	name, script string
}{
	{name: "loop of assignments", script: `i=0; s=; while [ $i -lt 2000 ]; do i=$((i+1)); s="x$i"; t="$s/$i:$s"; done; echo "$t"`},
	{name: "pipelines", script: `for i in $(seq 1 200); do echo "line $i" | grep line | wc -l > /dev/null; done`},
	{name: "command substitutions", script: `for i in $(seq 1 300); do a=$(echo "$i"); b="${a}-$(printf '%s' "$a")"; done; echo $b`},
	{name: "writes", script: `mkdir -p /app; for i in $(seq 1 300); do echo "value $i" > /app/f$i; cat /app/f$i >> /app/all; done; wc -l < /app/all`},
	{name: "apt-like", script: `set -eux; apt-get update; for p in a b c d e f; do echo "pkg $p"; done | sort | uniq > /tmp/l; rm -rf /var/lib/apt/lists/*`},
}

func BenchmarkRun(b *testing.B) {
	for _, bs := range benchScripts {
		b.Run(bs.name, func(b *testing.B) {
			f := debianFS(b)
			b.ResetTimer()
			for b.Loop() {
				r := run(b, f.Clone(), bs.script)
				if r.err != nil || r.code != 0 {
					b.Fatalf("exit %d, err %v: %.300s", r.code, r.err, r.out)
				}
			}
		})
	}
}

// peakHeap runs fn while sampling the Go heap in use, and returns the highest
// sample above the heap in use before fn. The samples only measure; no test
// asserts how long anything takes.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > base && m.HeapInuse-base > peak.Load() {
				peak.Store(m.HeapInuse - base)
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	})
	fn()
	close(done)
	wg.Wait()
	return peak.Load()
}

// TestMemoryBudget: each way a RUN line could fill the server's memory (issue 12's
// probes and their relatives) fails the step with the memory limit, naming the
// budget, while the Go heap stays within a few times the budget; just below the
// bound the same shapes work and print what bash prints.
func TestMemoryBudget(t *testing.T) {
	const budget = 16 << 20
	mb := "a=$(yes a | head -c 2000000 | tr -d '\\n'); " // a variable of 1,000,000 characters
	tests := []struct {
		name   string
		budget int64 // 0: 16 MiB
		script string
		limit  string // the step fails with a *LimitError containing it; else want is the output
		want   string
	}{
		{name: "doubling a variable past the budget (issue 12)", script: `a=x; for i in $(seq 1 31); do a=$a$a; done`,
			limit: "RUN exceeded the sandbox's memory budget (16 MiB) for shell variables and the words it expands"},
		{name: "doubling a variable within it", script: `a=x; for i in $(seq 1 20); do a=$a$a; done; echo ${#a}`, want: "1048576\n"},
		{name: "doubling through eval", script: `a=x; for i in $(seq 1 31); do eval 'a=$a$a'; done`,
			limit: "memory budget (16 MiB) for shell variables"},
		{name: "doubling through a sourced file", script: `echo 'a=$a$a' > /d.sh; a=x; for i in $(seq 1 31); do . /d.sh; done`,
			limit: "memory budget (16 MiB) for shell variables"},
		{name: "appending to itself", script: `a=x; while :; do a+=$a; done`, limit: "memory budget (16 MiB) for shell variables"},
		{name: "one word of many copies", script: mb + `b="$a$a$a$a$a$a$a$a$a$a$a$a$a$a$a$a$a$a$a$a"`, limit: "memory budget (16 MiB) for shell variables"},
		{name: "many words of one command", script: mb + `set -- "$a." "$a." "$a." "$a." "$a." "$a." "$a." "$a." "$a." "$a." "$a." "$a." "$a." "$a." "$a." "$a." "$a."`,
			limit: "memory budget (16 MiB) for shell variables"},
		{name: "a brace expansion of copies", script: mb + `echo "$a"{1..100} > /dev/null`, limit: "memory budget (16 MiB) for shell variables"},
		{name: "a replacement that multiplies", script: `a=$(yes a | head -c 200000 | tr -d '\n'); b=${a//a/$a}`, limit: "memory budget (16 MiB) for shell variables"},
		{name: "a replacement within it", script: `a=abcabc; echo ${a//b/XYZ}`, want: "aXYZcaXYZc\n"},
		{name: "\"$@\" next to text", script: mb + `set -- "$a" "$a" "$a" "$a" "$a" "$a" "$a" "$a" "$a" "$a"; for i in 1 2; do set -- "$@" "$@"; done; b="x$*"`,
			limit: "memory budget (16 MiB) for shell variables"},
		{name: "command substitution of yes (issue 12)", script: `a=$(yes)`, limit: "memory budget (16 MiB) for command substitution output"},
		{name: "command substitution just past half the budget", script: `a=$(yes a | head -c 17000000 | tr -d '\n')`,
			limit: "memory budget (16 MiB) for command substitution output"},
		{name: "command substitution of a builtin loop", script: `b=$(yes b | head -c 2000 | tr -d '\n'); a=$(while :; do echo $b; done)`,
			limit: "memory budget (16 MiB) for command substitution output"},
		{name: "command substitution within it", script: `a=$(yes a | head -c 14000000 | tr -d '\n'); echo ${#a}`, want: "7000000\n"},
		{name: "printf's width", script: `printf '%1000000000s' x`, limit: "memory budget (16 MiB) for printf's output"},
		{name: "printf's width within it", script: `printf '%5s|%-3s|\n' ab c`, want: "   ab|c  |\n"},
		{name: "mapfile of an endless input", script: `yes | mapfile x`, limit: "memory budget (16 MiB) for mapfile's"},
		{name: "mapfile within it", script: `seq 1 1000 | mapfile -t x; echo ${#x[@]} ${x[999]}`, want: "1000 1000\n"},
		{name: "mapfile by a name from a variable", script: `m=mapfile; yes | $m x`, limit: "layerlab: mapfile: the sandbox bounds mapfile's input only where the script names mapfile itself"},
		{name: "standard input buffered past the budget", budget: 4 << 20, script: `head -c 6000000 /dev/zero | sort | wc -c`,
			limit: "memory budget (4 MiB) for standard input buffers"},
		{name: "standard input buffered within it", budget: 4 << 20, script: `head -c 3000000 /dev/zero | sort | wc -c`, want: "3000001\n"},
		{name: "buffers given back when each command exits", budget: 4 << 20,
			script: `for i in 1 2 3 4 5 6; do head -c 3000000 /dev/zero | nice sort > /dev/null; cat /dev/null <(head -c 3000000 /dev/zero) > /dev/null; done; echo ok`, want: "ok\n"},
		{name: "<(...) outputs held at once", script: `cat <(head -c 7000000 /dev/zero) <(head -c 7000000 /dev/zero) <(head -c 7000000 /dev/zero) | wc -c`,
			limit: "memory budget (16 MiB) for <(...) outputs"},
		{name: "<(...) outputs within it", script: `cat <(head -c 3000000 /dev/zero) <(head -c 3000000 /dev/zero) | wc -c`, want: "6000000\n"},
		{name: "array of many copies", script: mb + `b=("$a." "$a." "$a." "$a." "$a." "$a." "$a." "$a." "$a." "$a." "$a." "$a." "$a." "$a." "$a." "$a." "$a.")`,
			limit: "memory budget (16 MiB) for shell variables"},
		{name: "variables made one command at a time", script: mb + `i=0; while :; do i=$((i+1)); declare "v$i=$a"; done`,
			limit: "memory budget (16 MiB) for shell variables"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := debianFS(t)
			lim := int64(budget)
			if tc.budget != 0 {
				lim = tc.budget
			}
			var r result
			peak := peakHeap(func() {
				r = run(t, f, tc.script, func(o *Options) {
					o.Limits = Limits{Timeout: 60 * time.Second, MaxMemory: lim, MaxOutput: 4 << 20}
				})
			})
			if peak > uint64(4*lim+32<<20) {
				t.Errorf("the Go heap grew by %d MiB, past 4 times the %d MiB budget", peak>>20, lim>>20)
			}
			if tc.limit != "" {
				var le *LimitError
				if !errors.As(r.err, &le) || !strings.Contains(le.Msg, tc.limit) {
					t.Fatalf("err = %v (exit %d), want a limit error containing %q\noutput: %.300s", r.err, r.code, tc.limit, r.out)
				}
				if !strings.Contains(r.out, "layerlab: ") {
					t.Errorf("the step's log lacks the limit's line:\n%.300s", r.out)
				}
				return
			}
			if r.err != nil || r.code != 0 || r.out != tc.want {
				t.Errorf("exit %d, err %v, output %q; want exit 0 and %q", r.code, r.err, r.out, tc.want)
			}
		})
	}
}

// TestWriteBudgetShared: files open for writing at once share the one write budget
// as they grow (issue 12: eight `yes > /wN &` each had the whole budget until they
// were closed); within it they are written whole.
func TestWriteBudgetShared(t *testing.T) {
	const limit = 32 << 20
	tests := []struct {
		name, script string
		limit        string
		want         string
	}{
		{name: "eight endless redirects at once (issue 12)", script: `for i in 1 2 3 4 5 6 7 8; do (yes aaaa > /w$i) & done; wait`,
			limit: "RUN wrote more than 32 MiB to the filesystem"},
		{name: "four 6 MB files at once", script: `for i in 1 2 3 4; do head -c 6000000 /dev/zero > /w$i & done; wait; cat /w1 /w2 /w3 /w4 | wc -c`,
			want: "24000000\n"},
		{name: "an append past it", script: `head -c 20000000 /dev/zero > /a; head -c 20000000 /dev/zero >> /a`,
			limit: "RUN wrote more than 32 MiB to the filesystem"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := debianFS(t)
			var r result
			peak := peakHeap(func() {
				r = run(t, f, tc.script, func(o *Options) { o.Limits = Limits{Timeout: 60 * time.Second, MaxWrite: limit} })
			})
			// Open files hold what was written, in chunks: a doubling buffer held up to
			// twice that and copied it at each doubling (3x at the peak).
			if peak > limit+limit/2+16<<20 {
				t.Errorf("the Go heap grew by %d MiB, past 1.5 times the %d MiB write budget and 16 MiB", peak>>20, limit>>20)
			}
			t.Logf("the Go heap grew by at most %d MiB", peak>>20)
			if tc.limit != "" {
				var le *LimitError
				if !errors.As(r.err, &le) || le.Limit != "write" || !strings.Contains(le.Msg, tc.limit) {
					t.Fatalf("err = %v (exit %d), want the write limit %q", r.err, r.code, tc.limit)
				}
				return
			}
			if r.err != nil || r.code != 0 || r.out != tc.want {
				t.Errorf("exit %d, err %v, output %q; want %q", r.code, r.err, r.out, tc.want)
			}
		})
	}
}

// TestProcessLimit: the limit counts this RUN's background jobs and pipeline
// stages running at once: a pipeline of n commands runs n-1 stages beside the
// shell, so it passes a limit of n-1 and fails one of n-2; a fork bomb fails
// with the limit; and goroutines of the rest of the server (another student's
// build, idle connections) do not count.
func TestProcessLimit(t *testing.T) {
	tests := []struct {
		name   string
		procs  int
		script string
		fail   bool
		want   string
	}{
		{name: "five commands in a pipeline at the limit", procs: 4, script: `echo a | cat | cat | cat | wc -l`, want: "1\n"},
		{name: "five commands in a pipeline past the limit", procs: 3, script: `echo a | cat | cat | cat | wc -l`, fail: true},
		{name: "background jobs waited for", procs: 2, script: `for i in 1 2 3 4 5 6; do echo $i > /f$i & wait; done; cat /f6`, want: "6\n"},
		{name: "a fork bomb through pipelines", procs: 64, script: `f() { f | f; }; f`, fail: true},
		{name: "a fork bomb of background loops", procs: 64, script: `while :; do { while :; do :; done; } & done`, fail: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, debianFS(t), tc.script, func(o *Options) { o.Limits = Limits{Timeout: 60 * time.Second, MaxProcs: tc.procs} })
			if tc.fail {
				var le *LimitError
				if !errors.As(r.err, &le) || le.Limit != "processes" || !strings.Contains(le.Msg, "processes running at once") {
					t.Fatalf("err = %v (exit %d), want the process limit", r.err, r.code)
				}
				return
			}
			if r.err != nil || r.code != 0 || r.out != tc.want {
				t.Errorf("exit %d, err %v, output %q; want %q", r.code, r.err, r.out, tc.want)
			}
		})
	}
	t.Run("the server's other goroutines do not count", func(t *testing.T) {
		// 4000 goroutines start while the script runs (when it prints its first
		// line): before issue 12 they counted against its limit of 3000 over the
		// goroutines at its start, and its next command failed.
		release := make(chan struct{})
		defer close(release)
		started := false
		w := writerFunc(func(b []byte) {
			if !started {
				started = true
				for range 4000 {
					go func() { <-release }()
				}
			}
		})
		r := run(t, debianFS(t), `echo start; for i in $(seq 1 50); do echo x | cat | wc -l > /dev/null; done; echo done`,
			func(o *Options) { o.Stdout = w })
		if r.err != nil || r.code != 0 {
			t.Fatalf("exit %d, err %v", r.code, r.err)
		}
	})
}

type writerFunc func([]byte)

func (f writerFunc) Write(b []byte) (int, error) { f(b); return len(b), nil }

// TestBudgetRewriteKeepsScripts: the checks the rewrite adds change no result: the
// outputs are bash 5.2's for the same scripts (statuses, set -e, set -u, xtrace,
// tilde, "$@", arrays, braces, here-documents, patterns, eval, source, trap).
func TestBudgetRewriteKeepsScripts(t *testing.T) {
	tests := []struct {
		name, script, want string
	}{
		{name: "statuses", script: `false; a="x$?"; echo $a $?; b=$(exit 3)$a; echo $?; false || c="y$a"; echo $? $c`, want: "x1 0\n3\n0 yx1\n"},
		{name: "set -e after a failed && list", script: `set -e; false && true; a="x$?"; echo "$a"; ! true; b="y$?"; echo $b`, want: "x1\ny1\n"},
		{name: "set -u default alone", script: `set -u; echo "${zz:-def}x${zz2-}"`, want: "defx\n"},
		{name: "xtrace", script: `set -x; a=1; b="x$a"; echo "$b"y`, want: "+ a=1\n+ b=x1\n+ echo x1y\nx1y\n"},
		{name: "tilde and globs", script: `mkdir -p /d; touch /d/a1 /d/a2; HOME=/h; p=/d; echo ~/x "$p"/a* $p/b*`, want: "/h/x /d/a1 /d/a2 /d/b*\n"},
		{name: "positional parameters", script: `set -- "a b" c; for x in "$@" "$*y" x"$@"; do echo "[$x]"; done; e=; set --; for x in $e"$@"; do echo "<$x>"; done`,
			want: "[a b]\n[c]\n[a b cy]\n[xa b]\n[c]\n"},
		{name: "arrays", script: `x=(a "b c"); x+=(d); x[5]=e; echo ${#x[@]} "${x[1]}" "${x[*]}/" "${!x[@]}"; y=${x[@]:1:2}; echo "$y"`,
			want: "4 b c a b c d e/ 0 1 2 5\nb c d\n"},
		{name: "replacements and cases", script: `a=abcabc; echo ${a//b/XY} ${a/c/} ${a^^} ${a#a} ${a%%c*} ${#a}`, want: "aXYcaXYc ababc ABCABC bcabc ab 6\n"},
		{name: "braces", script: `a=z; echo {1..3}$a x{a,b}y$a`, want: "1z 2z 3z xayz xbyz\n"},
		{name: "here-document", script: "a=1; cat <<EOF\nv=$a$a ${a}x\nEOF", want: "v=11 1x\n"},
		{name: "case patterns", script: `a=ab; case x$a in x$a) echo same;; *) echo other;; esac; [[ $a$a == abab ]] && echo eq`, want: "same\neq\n"},
		{name: "eval and source", script: `a=1; eval 'b="$a$a"; echo "$b $?"'; echo 'c=${b}x; return 4; echo no' > /s.sh; . /s.sh; echo $? $c`, want: "11 0\n4 11x\n"},
		{name: "trap", script: `a=q; trap 'echo "bye $a$a"' EXIT; echo hi`, want: "hi\nbye qq\n"},
		{name: "arithmetic words", script: `i=1; b[i++]=x; b[i++]=$i; echo $i ${b[@]} $(( i + ${#b[@]} ))`, want: "3 x 2 5\n"},
		{name: "append", script: `a=x; a+=$a; a+="y$a"; echo $a`, want: "xxyxx\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, debianFS(t), "exec 2>&1; "+tc.script, func(o *Options) { o.Argv = []string{"/bin/bash", "-c", "exec 2>&1; " + tc.script} })
			if r.err != nil || r.out != tc.want {
				t.Errorf("exit %d, err %v, output\n%s\nwant\n%s", r.code, r.err, r.out, tc.want)
			}
		})
	}
}
