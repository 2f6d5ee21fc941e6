package sandbox

import (
	"errors"
	"strings"
	"testing"
	"time"

	"layerlab/engine/rootfs"
)

// TestNoSilentCaps: where the sandbox cannot do what a command asks (it holds an input
// in memory, a device it simulates stops), the step fails with a line that names the
// bound, never a shorter result; below the bound, and where a command can stream, the
// result is exactly the real command's.
func TestNoSilentCaps(t *testing.T) {
	big := func(t *testing.T, f *rootfs.FS) {
		// a file one byte past what the sandbox reads whole
		if err := f.WriteFile("/big", rootfs.Bytes(make([]byte, maxFileRead+1)), 0o644, 0, 0, testNow); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		script string
		setup  func(*testing.T, *rootfs.FS)
		// limit: the step fails with a *LimitError whose text contains it; else the
		// output must be want exactly, exit 0.
		limit string
		want  string
		// noLine: the limit is the step's error only (the shell's redirection, not a
		// command, met it, and the shell prints no line for it)
		noLine bool
	}{
		{name: "head -c of urandom past 64 MiB streams", script: "head -c 70000000 /dev/urandom | wc -c", want: "70000000\n"},
		{name: "head -c of urandom within it", script: "head -c 1000000 /dev/urandom | wc -c", want: "1000000\n"},
		{name: "wc -c of 10 MB of yes streams", script: "yes | head -c 10000000 | wc -c", want: "10000000\n"},
		{name: "wc -l -w of a long stream", script: "yes 'a b' | head -c 12000000 | wc -l -w", want: "3000000 6000000\n"},
		{name: "tail -1 of a long stream", script: "{ yes | head -c 9000000; echo last; } | tail -1", want: "last\n"},
		{name: "tail -n 2 -c 3", script: "{ yes | head -c 9000000; seq 3; } | tail -n 2; printf 'abcdef' | tail -c 3", want: "2\n3\ndef"},
		{name: "tail -c past its bound", script: "yes | tail -c 9000000", limit: "layerlab: tail: the sandbox keeps at most 8 MiB of the input for tail -c; asked for 9000000 bytes"},
		{name: "sort of stdin past its bound", script: "head -c 9000000 /dev/zero | sort | head -1",
			limit: "layerlab: sort: the sandbox holds at most 8 MiB of a command's standard input in memory, and this input is longer"},
		{name: "sort of stdin within it", script: "head -c 8000000 /dev/zero | tr '\\0' a | sort | wc -c", want: "8000001\n"}, // sort ends the line
		{name: "cat of a file past the read bound into sort", script: "sort /big > /dev/null", setup: big,
			limit: "layerlab: sort: the sandbox reads at most 64 MiB of a file into memory at once, and /big is larger"},
		{name: "head of a large file streams", script: "head -c 5 /big | wc -c", setup: big, want: "5\n"},
		{name: "cat of urandom to a file", script: "cat /dev/urandom | head -c 3 | wc -c", want: "3\n"},
		{name: "dd of urandom without count", script: "dd if=/dev/urandom of=/x",
			limit: "layerlab: dd: the sandbox's /dev/urandom never ends and dd was given no count="},
		{name: "dd of urandom to a file past 64 MiB", script: "dd if=/dev/urandom of=/x bs=1M count=100 2>/dev/null; wc -c < /x", want: "104857600\n"},
		{name: "dd of urandom to stdout streams", script: "dd if=/dev/urandom bs=1M count=100 2>/dev/null | wc -c", want: "104857600\n"},
		{name: "dd of zeros to a file", script: "dd if=/dev/zero of=/x bs=1M count=100 2>/dev/null; wc -c < /x", want: "104857600\n"},
		{name: "tee past 64 MiB streams", script: "yes | head -c 70000000 | tee /t > /dev/null; wc -c < /t", want: "70000000\n"},
		{name: "tee to stdout only streams", script: "yes | head -c 70000000 | tee | wc -c", want: "70000000\n"},
		{name: "gzip of stdin past 64 MiB streams", script: "yes | head -c 70000000 | gzip | gzip -dc | wc -c", want: "70000000\n"},
		{name: "gzip -dc past 64 MiB streams", script: "head -c 40000000 /dev/zero | gzip > /a.gz; cat /a.gz /a.gz | gzip -dc | wc -c", want: "80000000\n"},
		{name: "gzip round trip within it", script: "head -c 3000000 /dev/zero | gzip | gzip -dc | wc -c", want: "3000000\n"},
		{name: "xargs stdin past its bound", script: "yes | head -c 9000000 | xargs echo > /dev/null",
			limit: "layerlab: xargs: the sandbox holds at most 8 MiB of a command's standard input"},
		{name: "append to a file past the bound", script: "echo x >> /big", setup: big,
			limit: "layerlab: >> /big: the sandbox appends only to files of at most 64 MiB, and this one has 67108865 bytes", noLine: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := debianFS(t)
			if tc.setup != nil {
				tc.setup(t, f)
			}
			r := run(t, f, tc.script, func(o *Options) { o.Limits = Limits{Timeout: 60 * time.Second, MaxWrite: 1 << 30} })
			if tc.limit != "" {
				var le *LimitError
				if !errors.As(r.err, &le) || !strings.Contains(le.Msg, tc.limit) {
					t.Fatalf("err = %v (exit %d), want a limit error containing %q\noutput: %.300s", r.err, r.code, tc.limit, r.out)
				}
				if !tc.noLine && !strings.Contains(r.out, tc.limit) {
					t.Errorf("the step's output lacks the limit's line %q:\n%.300s", tc.limit, r.out)
				}
				return
			}
			if r.err != nil || r.code != 0 || r.out != tc.want {
				t.Errorf("exit %d, err %v, output %q; want exit 0 and %q", r.code, r.err, r.out, tc.want)
			}
		})
	}
}
