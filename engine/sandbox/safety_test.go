package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"layerlab/engine/rootfs"
)

// hostCanary is what the host has that a script must neither change nor reach: a
// file and an executable whose contents (unique to the run) and mtimes must survive
// every script, and host paths that must not exist afterwards.
type hostCanary struct {
	dir, file string
	content   []byte
	// cmd is a host executable that prints token: any output holding token means a
	// script ran a host program.
	cmd, token string
	mtime      time.Time
	// tmpName is a name no host directory has; tmpTarget is it under the host's /tmp.
	tmpName, tmpTarget string
	targets            []string // host paths scripts try to create; none may exist afterwards
}

func newCanary(t testing.TB) *hostCanary {
	t.Helper()
	dir := t.TempDir()
	b := make([]byte, 8)
	rand.Read(b)
	r := hex.EncodeToString(b)
	c := &hostCanary{dir: dir, file: filepath.Join(dir, "canary.txt"), content: []byte("do not touch " + r + "\n"),
		cmd: filepath.Join(dir, "hostcmd"), token: "ran-on-the-host-" + r,
		mtime: time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)}
	if err := os.WriteFile(c.file, c.content, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.cmd, []byte("#!/bin/sh\necho "+c.token+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{c.file, c.cmd} {
		if err := os.Chtimes(p, c.mtime, c.mtime); err != nil {
			t.Fatal(err)
		}
	}
	c.tmpName = "layerlab-sandbox-canary-" + r
	// /tmp itself, whatever TMPDIR says: it is where "cd /tmp" would land on the host.
	c.tmpTarget = filepath.Join("/tmp", c.tmpName)
	home, _ := os.UserHomeDir()
	c.targets = []string{
		c.tmpTarget,
		filepath.Join(os.TempDir(), c.tmpName),
		filepath.Join(dir, "created-"+r),
	}
	if home != "" {
		c.targets = append(c.targets, filepath.Join(home, c.tmpName))
	}
	return c
}

func (c *hostCanary) check(t testing.TB) {
	t.Helper()
	for _, f := range []struct {
		path    string
		content []byte
	}{
		{c.file, c.content},
		{c.cmd, []byte("#!/bin/sh\necho " + c.token + "\n")},
	} {
		b, err := os.ReadFile(f.path)
		if err != nil || !bytes.Equal(b, f.content) {
			t.Fatalf("host canary %s changed: %q, %v", f.path, b, err)
		}
		fi, err := os.Stat(f.path)
		if err != nil || !fi.ModTime().Equal(c.mtime) {
			t.Fatalf("host canary %s mtime changed: %v, %v", f.path, fi, err)
		}
	}
	ents, err := os.ReadDir(c.dir)
	if err != nil || len(ents) != 2 {
		t.Fatalf("host canary dir has %d entries, want 2: %v", len(ents), err)
	}
	for _, p := range c.targets {
		if _, err := os.Lstat(p); err == nil {
			os.Remove(p)
			t.Fatalf("script created host path %s", p)
		}
	}
}

// hostOutput is what a command prints when run on the host ("" when it cannot run
// there): a script's output must not hold it.
func hostOutput(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func TestHostUntouched(t *testing.T) {
	c := newCanary(t)
	writes := ""
	for _, p := range c.targets {
		writes += "echo pwned > " + p + "; touch " + p + "; mkdir -p " + p + "; "
	}
	// The virtual id names uid 0 "toor" (setup below), so its output cannot equal the
	// host's, whoever runs the test; the kernel release is the sandbox's own.
	hostID, hostRelease := hostOutput("id"), hostOutput("uname", "-r")
	hostName, _ := os.Hostname()
	if hostID == "" || hostRelease == "" || hostName == "" {
		t.Fatalf("need the host's id, uname -r and hostname to compare with: %q, %q, %q", hostID, hostRelease, hostName)
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T, f *rootfs.FS) // changes the virtual FS before the script
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
				if strings.Contains(out, string(c.content[:len(c.content)-1])) {
					t.Errorf("host file read: %s", out)
				}
				if got := readFS(t, f, c.targets[0]); got != "pwned\n" {
					t.Errorf("virtual target = %q", got)
				}
			}},
		// A relative write after cd: the virtual /tmp gets the file; c.check proves the
		// host's /tmp did not.
		{name: "cd tmp touch", script: "cd /tmp && touch " + c.tmpName + " && pwd && ls",
			check: func(t *testing.T, f *rootfs.FS, out string) {
				readFS(t, f, c.tmpTarget)
				if out != "/tmp\n"+c.tmpName+"\n" {
					t.Errorf("log = %q", out)
				}
			}},
		{name: "host commands",
			setup: func(t *testing.T, f *rootfs.FS) {
				put(t, f, "/etc/passwd", "toor:x:0:0:root:/root:/bin/ash\n", 0o644)
				put(t, f, "/etc/group", "wheelz:x:0:toor\n", 0o644)
			},
			script: "type ls; command -v go; which go; hash go; " +
				c.cmd + "; PATH=" + c.dir + ":$PATH hostcmd; sh -c " + c.cmd + "; " +
				"id; /usr/bin/id; hostname; uname -a; exec /usr/bin/id; echo after",
			check: func(t *testing.T, f *rootfs.FS, out string) {
				if strings.Contains(out, "after") {
					t.Errorf("exec did not end the shell: %q", out)
				}
				if strings.Contains(out, c.token) {
					t.Errorf("a host program ran: %q", out)
				}
				if strings.Contains(out, hostID) || strings.Contains(out, hostRelease) {
					t.Errorf("host id (%q) or uname -r (%q) in the output: %q", hostID, hostRelease, out)
				}
				for _, l := range strings.Split(out, "\n") {
					if l == hostName {
						t.Errorf("the host's hostname %q in the output: %q", hostName, out)
					}
				}
				// The virtual commands did run, so the absences above are not from a
				// script that stopped early.
				if !strings.Contains(out, "uid=0(toor) gid=0(wheelz) groups=0(wheelz)\n") || !strings.Contains(out, "\nbuildkitsandbox\n") {
					t.Errorf("virtual id or hostname missing: %q", out)
				}
			}},
		{name: "tilde user", script: "echo ~root ~nobody; ls ~",
			check: func(t *testing.T, f *rootfs.FS, out string) {
				if !strings.Contains(out, "/root /\n") {
					t.Errorf("log = %q", out)
				}
			}},
		{name: "fork bomb", script: "f(){ f|f & }; f", timeout: time.Second},
		{name: "the budgets' own paths and command", script: "echo x > /dev/.layerlab-process; cat /dev/.layerlab-process; " +
			"cat /dev/.layerlab-input-0 < " + c.file + "; . /dev/.layerlab-source-0; __layerlab_memory 1 1 1 " + c.file + "; " +
			"eval 'cat " + c.file + "' ; trap 'echo x > " + c.tmpTarget + "' EXIT; " + writes},
		{name: "deep recursion", script: "f(){ f $1x; }; f x", timeout: 2 * time.Second},
		{name: "busy loop", script: "while :; do :; done", timeout: time.Second},
		{name: "process substitution", script: "cat <(echo x); diff <(ls) >(cat)"},
		{name: "input process substitution", script: "cat <(echo x) <(ls /tmp); cat <(cat <(echo y)) < <(echo z)"},
		{name: "tmpdir fifo name", script: "echo x > /tmp/sh-interp-0000; cat /tmp/sh-interp-0000",
			check: func(t *testing.T, f *rootfs.FS, out string) {
				readFS(t, f, "/tmp/sh-interp-0000")
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := busyboxFS(t)
			if tc.setup != nil {
				tc.setup(t, f)
			}
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
