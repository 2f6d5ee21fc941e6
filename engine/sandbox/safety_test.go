package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"layerlab/engine/rootfs"
)

// hostCanary is a file on the host whose content and mtime must survive every script.
type hostCanary struct {
	dir, file string
	content   []byte
	mtime     time.Time
	targets   []string // host paths scripts try to create; none may exist afterwards
}

func newCanary(t testing.TB) *hostCanary {
	t.Helper()
	dir := t.TempDir()
	c := &hostCanary{dir: dir, file: filepath.Join(dir, "canary.txt"), content: []byte("do not touch\n"),
		mtime: time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)}
	if err := os.WriteFile(c.file, c.content, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(c.file, c.mtime, c.mtime); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	r := hex.EncodeToString(b)
	home, _ := os.UserHomeDir()
	c.targets = []string{
		filepath.Join(os.TempDir(), "layerlab-sandbox-canary-"+r),
		filepath.Join(dir, "created-"+r),
	}
	if home != "" {
		c.targets = append(c.targets, filepath.Join(home, "layerlab-sandbox-canary-"+r))
	}
	return c
}

func (c *hostCanary) check(t testing.TB) {
	t.Helper()
	b, err := os.ReadFile(c.file)
	if err != nil || !bytes.Equal(b, c.content) {
		t.Fatalf("host canary changed: %q, %v", b, err)
	}
	fi, err := os.Stat(c.file)
	if err != nil || !fi.ModTime().Equal(c.mtime) {
		t.Fatalf("host canary mtime changed: %v, %v", fi, err)
	}
	ents, _ := os.ReadDir(c.dir)
	if len(ents) != 1 {
		t.Fatalf("host canary dir has %d entries", len(ents))
	}
	for _, p := range c.targets {
		if _, err := os.Lstat(p); err == nil {
			os.Remove(p)
			t.Fatalf("script created host path %s", p)
		}
	}
}

func TestHostUntouched(t *testing.T) {
	c := newCanary(t)
	writes := ""
	for _, p := range c.targets {
		writes += "echo pwned > " + p + "; touch " + p + "; mkdir -p " + p + "; "
	}
	tests := []struct {
		name    string
		script  string
		timeout time.Duration
		check   func(t *testing.T, f *rootfs.FS, out string)
	}{
		{name: "rm -rf /", script: "rm -rf / " + c.dir + " " + c.file,
			check: func(t *testing.T, f *rootfs.FS, out string) {
				if f.Len() != 1 {
					t.Errorf("virtual fs has %d entries after rm -rf /", f.Len())
				}
			}},
		{name: "overwrite passwd and canary", script: "echo x > /etc/passwd; mkdir -p " + c.dir + "; echo x > " + c.file + "; echo y >> " + c.file,
			check: func(t *testing.T, f *rootfs.FS, out string) {
				if got := readFS(t, f, "/etc/passwd"); got != "x\n" {
					t.Errorf("virtual passwd = %q", got)
				}
				if got := readFS(t, f, c.file); got != "x\ny\n" {
					t.Errorf("virtual canary = %q", got)
				}
			}},
		{name: "proc", script: "cat /proc/self/environ; ls /proc/self/fd; cat < /proc/self/status; [ -e /proc/1 ] && echo exists",
			check: func(t *testing.T, f *rootfs.FS, out string) {
				if strings.Contains(out, "exists") || strings.Contains(out, "PATH=") {
					t.Errorf("proc leaked: %s", out)
				}
			}},
		{name: "host paths", script: writes + "cp " + c.file + " /copied; cat " + c.file + "; . " + c.file + "; source " + c.file,
			check: func(t *testing.T, f *rootfs.FS, out string) {
				if strings.Contains(out, "do not touch") {
					t.Errorf("host file read: %s", out)
				}
				if got := readFS(t, f, c.targets[0]); got != "pwned\n" {
					t.Errorf("virtual target = %q", got)
				}
			}},
		{name: "cd tmp touch", script: "cd /tmp && touch x && pwd && ls",
			check: func(t *testing.T, f *rootfs.FS, out string) {
				readFS(t, f, "/tmp/x")
				if _, err := os.Stat("/tmp/x"); err == nil && !strings.Contains(out, "/tmp\nx\n") {
					t.Errorf("log = %q", out)
				}
			}},
		{name: "host commands", script: "type ls; command -v go; which go; hash go; exec /usr/bin/id; echo after",
			check: func(t *testing.T, f *rootfs.FS, out string) {
				if strings.Contains(out, "after") {
					t.Errorf("exec did not end the shell: %q", out)
				}
			}},
		{name: "tilde user", script: "echo ~root ~nobody; ls ~",
			check: func(t *testing.T, f *rootfs.FS, out string) {
				if !strings.Contains(out, "/root /\n") {
					t.Errorf("log = %q", out)
				}
			}},
		{name: "fork bomb", script: "f(){ f|f & }; f", timeout: time.Second},
		{name: "deep recursion", script: "f(){ f $1x; }; f x", timeout: 2 * time.Second},
		{name: "busy loop", script: "while :; do :; done", timeout: time.Second},
		{name: "process substitution", script: "cat <(echo x); diff <(ls) >(cat)"},
		{name: "tmpdir fifo name", script: "echo x > /tmp/sh-interp-0000; cat /tmp/sh-interp-0000",
			check: func(t *testing.T, f *rootfs.FS, out string) {
				readFS(t, f, "/tmp/sh-interp-0000")
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := busyboxFS(t)
			before := runtime.NumGoroutine()
			r := run(t, f, tc.script, func(o *Options) {
				if tc.timeout > 0 {
					o.Limits.Timeout = tc.timeout
				}
				o.Env = append(o.Env, "TMPDIR=/tmp")
			})
			var le *LimitError
			if r.err != nil && !errors.As(r.err, &le) {
				t.Fatalf("err = %v", r.err)
			}
			c.check(t)
			if tc.check != nil {
				tc.check(t, f, r.out)
			}
			// Background goroutines of the script wind down once Run has returned.
			deadline := time.Now().Add(3 * time.Second)
			for runtime.NumGoroutine() > before+20 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if n := runtime.NumGoroutine(); n > before+20 {
				t.Errorf("%d goroutines left running (was %d)", n, before)
			}
		})
	}
}

func FuzzRun(f *testing.F) {
	for _, s := range []string{
		"echo hi > /a; cat /a | tr a-z A-Z",
		"for i in $(seq 1 5); do mkdir -p /d/$i; done; ls -R /d",
		"set -e; x=$(cat /etc/passwd | cut -d: -f1); echo $x",
		"f(){ f; }; f",
		"cat <(ls)",
		"rm -rf /; ls /",
		"while :; do :; done",
		"sed -n 's/\\(a\\)/\\1/p' /etc/group",
		"awk -F: '{n[$1]++; s = s $3} END{for (k in n) print k, n[k], s}' /etc/passwd",
		"tar czf /t.tgz /etc && tar tzvf /t.tgz && gzip -c /etc/passwd | zcat | sha256sum",
		"expr 1 + 2 \\* 3; time timeout 1 sleep 2; diff -u /etc/passwd /etc/group; echo $$",
	} {
		f.Add(s)
	}
	c := newCanary(f)
	fs0 := busyboxFS(f)
	f.Fuzz(func(t *testing.T, script string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var out bytes.Buffer
		_, err := Run(ctx, fs0.Clone(), Options{
			Argv: []string{"/bin/sh", "-c", script}, Env: []string{"PATH=/bin:/sbin"},
			Stdout: &out, Now: testNow, Limits: Limits{Timeout: 100 * time.Millisecond, MaxOutput: 64 << 10, MaxWrite: 8 << 20},
		})
		var le *LimitError
		if err != nil && !errors.As(err, &le) && !errors.Is(err, ErrStart) && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("unexpected error %v", err)
		}
		c.check(t)
	})
}
