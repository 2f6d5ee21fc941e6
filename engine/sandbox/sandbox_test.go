package sandbox

import (
	"errors"
	"strings"
	"testing"
	"time"

	"layerlab/engine/rootfs"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name     string
		fs       func(testing.TB) *rootfs.FS
		script   string
		opt      func(*Options)
		wantCode int
		wantOut  []string // substrings of the log
		noOut    []string
		check    func(t *testing.T, f *rootfs.FS)
	}{
		{name: "echo redirect creates file", fs: debianFS, script: "echo hi > /a.txt && cat /a.txt",
			wantOut: []string{"hi\n"},
			check: func(t *testing.T, f *rootfs.FS) {
				if got := readFS(t, f, "/a.txt"); got != "hi\n" {
					t.Errorf("a.txt = %q", got)
				}
				e, _, _ := f.Stat("/a.txt")
				if e.Mode != 0o644 || e.UID != 0 || !e.ModTime.Equal(testNow) {
					t.Errorf("entry = %+v", e)
				}
			}},
		{name: "set -e stops at false", fs: debianFS, script: "set -e; false; echo no", wantCode: 1, noOut: []string{"no"}},
		{name: "and or", fs: debianFS, script: "false && echo a || echo b; true && echo c", wantOut: []string{"b\n", "c\n"}, noOut: []string{"a\n"}},
		{name: "pipes", fs: busyboxFS, script: "printf 'b\\na\\nb\\n' | sort | uniq -c | grep b", wantOut: []string{"2 b"}},
		{name: "exit code", fs: debianFS, script: "exit 3", wantCode: 3},
		{name: "env var", fs: debianFS, script: `echo "v=$FOO"; env | grep FOO`, opt: func(o *Options) { o.Env = append(o.Env, "FOO=bar") },
			wantOut: []string{"v=bar\n", "FOO=bar\n"}},
		{name: "workdir relative paths", fs: func(tb testing.TB) *rootfs.FS {
			f := debianFS(tb)
			f.MkdirAll("/app", 0o755, 0, 0, testNow)
			return f
		}, script: "pwd; echo x > rel.txt; mkdir -p sub/dir && touch sub/dir/f; ls sub/dir",
			opt: func(o *Options) { o.Dir = "/app" }, wantOut: []string{"/app\n", "f\n"},
			check: func(t *testing.T, f *rootfs.FS) { readFS(t, f, "/app/rel.txt"); readFS(t, f, "/app/sub/dir/f") }},
		{name: "user ownership", fs: func(tb testing.TB) *rootfs.FS {
			f := debianFS(tb)
			put(tb, f, "/etc/passwd", readFS(tb.(*testing.T), f, "/etc/passwd")+"app:x:1000:1000::/home/app:/bin/sh\n", 0o644)
			put(tb, f, "/etc/group", readFS(tb.(*testing.T), f, "/etc/group")+"app:x:1000:\n", 0o644)
			f.MkdirAll("/home/app", 0o755, 1000, 1000, testNow)
			return f
		}, script: "id; touch /home/app/mine; touch /root-owned", opt: func(o *Options) { o.User = "app" },
			wantCode: 1, wantOut: []string{"uid=1000(app) gid=1000(app)", "touch: cannot touch '/root-owned': Permission denied"},
			check: func(t *testing.T, f *rootfs.FS) {
				e, _, err := f.Stat("/home/app/mine")
				if err != nil || e.UID != 1000 || e.GID != 1000 {
					t.Errorf("mine = %+v, %v", e, err)
				}
			}},
		{name: "apk on debian is not found", fs: debianFS, script: "apk add curl", wantCode: 127, wantOut: []string{"/bin/sh: apk: not found"}},
		{name: "command not in image", fs: busyboxFS, script: "bash -c 'echo hi'", wantCode: 127, wantOut: []string{"/bin/sh: bash: not found"}},
		{name: "not simulated", fs: func(tb testing.TB) *rootfs.FS {
			f := debianFS(tb)
			put(tb, f, "/usr/bin/gdb", elf, 0o755)
			return f
		}, script: "gdb -batch ./x", wantCode: 127, wantOut: []string{"gdb: command not simulated by the layerlab sandbox"}},
		{name: "gnu wording", fs: debianFS, script: "cat /nope; rm /nope", wantCode: 1,
			wantOut: []string{"cat: /nope: No such file or directory", "rm: cannot remove '/nope': No such file or directory"}},
		{name: "busybox wording", fs: busyboxFS, script: "cat /nope; rm /nope", wantCode: 1,
			wantOut: []string{"cat: can't open '/nope': No such file or directory", "rm: can't remove '/nope': No such file or directory"}},
		{name: "apt-get install then rm lists", fs: debianFS,
			script:  "apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* && curl --version >/dev/null; ls /var/lib/apt/lists | wc -l",
			wantOut: []string{"Get:4 http://deb.debian.org/debian bookworm/main amd64 Packages", "Reading package lists...", "Setting up curl", "0\n"},
			check: func(t *testing.T, f *rootfs.FS) {
				if !strings.Contains(readFS(t, f, "/var/lib/dpkg/status"), "Package: curl\n") {
					t.Error("dpkg status lacks curl")
				}
				if _, _, err := f.Stat("/usr/bin/curl"); err != nil {
					t.Error(err)
				}
				debs, _ := f.ReadDir("/var/cache/apt/archives")
				if len(debs) == 0 {
					t.Error("no .deb left in the archive cache")
				}
			}},
		{name: "apt-get update size", fs: debianFS, script: "apt-get update >/dev/null",
			check: func(t *testing.T, f *rootfs.FS) {
				var n int64
				f.Walk(func(k string, e *rootfs.Entry) error {
					if strings.HasPrefix(k, "var/lib/apt/lists/") {
						n += e.Size()
					}
					return nil
				})
				if n < 18<<20 || n > 20<<20 {
					t.Errorf("lists size = %d", n)
				}
			}},
		{name: "apt-get install without update", fs: debianFS, script: "apt-get install -y curl", wantCode: 100,
			wantOut: []string{"E: Unable to locate package curl"}},
		{name: "apt-get install a typo", fs: debianFS, script: "apt-get update >/dev/null; apt-get install -y pythn3", wantCode: 100,
			wantOut: []string{"E: Unable to locate package pythn3"}},
		{name: "apt-get install without -y aborts", fs: debianFS, script: "apt-get update >/dev/null; apt-get install curl", wantCode: 1,
			wantOut: []string{"Do you want to continue? [Y/n] Abort."}},
		{name: "apk add no-cache", fs: busyboxFS, script: "apk add --no-cache curl && ls /var/cache/apk | wc -l",
			wantOut: []string{"fetch https://dl-cdn.alpinelinux.org/alpine/v3.19/main/x86_64/APKINDEX.tar.gz", "Installing curl", "OK:", "0\n"}},
		{name: "apk add keeps index", fs: busyboxFS, script: "apk add jq >/dev/null && ls /var/cache/apk",
			wantOut: []string{"APKINDEX."}},
		{name: "apk add a typo", fs: busyboxFS, script: "apk add --no-cache linux-headrs", wantCode: 1,
			wantOut: []string{"linux-headrs (no such package)"}},
		{name: "pip install -r", fs: pythonFS, script: "pip install --no-cache-dir -r requirements.txt",
			opt:     func(o *Options) { o.Dir = "/app" },
			wantOut: []string{"Collecting fastapi", "Downloading fastapi-0.110.0", "Installing collected packages:", "Successfully installed", "pydantic-2.10.6"},
			check: func(t *testing.T, f *rootfs.FS) {
				if _, _, err := f.Stat("/usr/local/lib/python3.11/site-packages/fastapi/__init__.py"); err != nil {
					t.Error(err)
				}
				if _, _, err := f.Stat("/usr/local/lib/python3.11/site-packages/fastapi-0.110.0.dist-info/METADATA"); err != nil {
					t.Error(err)
				}
				if _, _, err := f.Stat("/root/.cache/pip"); err == nil {
					t.Error("pip cache written despite --no-cache-dir")
				}
			}},
		{name: "pip typo", fs: pythonFS, script: "python -m pip install reqeusts", wantCode: 1,
			wantOut: []string{"ERROR: Could not find a version that satisfies the requirement reqeusts (from versions: none)\nERROR: No matching distribution found for reqeusts\n"}},
		{name: "sleep is virtual", fs: debianFS, script: "sleep 3; date +%H:%M:%S", wantOut: []string{"12:00:03\n"}},
		{name: "sleep past the limit", fs: debianFS, script: "sleep 20; echo no", opt: func(o *Options) { o.Limits.Timeout = 10 * time.Second },
			wantCode: -1, noOut: []string{"no"}},
		{name: "sed in place and grep", fs: debianFS, script: "echo 'hello world' > /f; sed -i 's/world/there/g' /f; grep -q there /f && cat /f",
			wantOut: []string{"hello there\n"}},
		{name: "useradd and chown", fs: debianFS, script: "useradd -m -u 1001 app && chown -R app:app /home/app && ls -l /home | grep app",
			wantOut: []string{"app      app"},
			check: func(t *testing.T, f *rootfs.FS) {
				if !strings.Contains(readFS(t, f, "/etc/passwd"), "app:x:1001:1001::/home/app:/bin/sh") {
					t.Error(readFS(t, f, "/etc/passwd"))
				}
			}},
		{name: "script with shebang", fs: debianFS, script: "printf '#!/bin/sh\\necho from script $1\\n' > /s.sh; chmod +x /s.sh; /s.sh arg",
			wantOut: []string{"from script arg\n"}},
		{name: "curl placeholder", fs: func(tb testing.TB) *rootfs.FS {
			f := debianFS(tb)
			put(tb, f, "/usr/bin/curl", elf, 0o755)
			return f
		}, script: "curl -fsSL https://example.com/x.tgz -o /x.tgz && head -c 30 /x.tgz",
			wantOut: []string{"no network; wrote a placeholder for https://example.com/x.tgz", "# layerlab placeholder"}},
		{name: "command -v uses the image", fs: busyboxFS, script: "command -v ls; command -v apt-get || echo none", wantOut: []string{"/bin/ls\n", "none\n"}},
		{name: "glob over the image", fs: busyboxFS, script: "cd /etc && echo *", wantOut: []string{"group os-release passwd\n"}},
		{name: "test builtin with virtual files", fs: busyboxFS, script: "[ -f /etc/passwd ] && [ -d /tmp ] && [ ! -e /nope ] && echo ok", wantOut: []string{"ok\n"}},
		{name: "output process substitution rejected", fs: debianFS, script: "echo x | tee >(cat)", wantCode: 2, wantOut: []string{"process substitution"}},
		{name: "find and xargs", fs: busyboxFS, script: "mkdir -p /d/e; touch /d/a.txt /d/e/b.txt /d/c.log; find /d -name '*.txt' -type f | sort | xargs echo",
			wantOut: []string{"/d/a.txt /d/e/b.txt\n"}},
		{name: "npm install", fs: func(tb testing.TB) *rootfs.FS {
			f := debianFS(tb)
			put(tb, f, "/usr/local/bin/node", elf, 0o755)
			put(tb, f, "/usr/local/bin/npm", elf, 0o755)
			put(tb, f, "/app/package.json", `{"name":"web","version":"1.0.0","scripts":{"build":"echo building"},"dependencies":{"express":"^4.18.0"}}`, 0o644)
			return f
		}, opt: func(o *Options) { o.Dir = "/app" }, script: "npm install && npm run build",
			wantOut: []string{"added 52 packages", "> web@1.0.0 build", "building\n"},
			check:   func(t *testing.T, f *rootfs.FS) { readFS(t, f, "/app/node_modules/express/package.json") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.fs(t)
			mods := []func(*Options){}
			if tc.opt != nil {
				mods = append(mods, tc.opt)
			}
			if tc.name == "pip install -r" {
				put(t, f, "/app/requirements.txt", "# deps\nfastapi==0.110.0\nuvicorn[standard]>=0.20\n", 0o644)
			}
			r := run(t, f, tc.script, mods...)
			if tc.wantCode == -1 {
				var le *LimitError
				if !errors.As(r.err, &le) || le.Limit != "time" {
					t.Fatalf("err = %v, want a time limit error", r.err)
				}
			} else {
				if r.err != nil {
					t.Fatalf("err = %v\nlog:\n%s", r.err, r.out)
				}
				if r.code != tc.wantCode {
					t.Errorf("code = %d, want %d\nlog:\n%s", r.code, tc.wantCode, r.out)
				}
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(r.out, w) {
					t.Errorf("log lacks %q\nlog:\n%s", w, r.out)
				}
			}
			for _, w := range tc.noOut {
				if strings.Contains(r.out, w) {
					t.Errorf("log has %q\nlog:\n%s", w, r.out)
				}
			}
			if tc.check != nil {
				tc.check(t, f)
			}
		})
	}
}

func TestStartErrors(t *testing.T) {
	tests := []struct {
		name string
		fs   func(testing.TB) *rootfs.FS
		argv []string
		user string
		want string
	}{
		{"scratch", func(testing.TB) *rootfs.FS { return rootfs.New() }, []string{"/bin/sh", "-c", "echo hi"}, "",
			`failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/bin/sh": stat /bin/sh: no such file or directory: unknown`},
		{"exec form not in PATH", debianFS, []string{"foo", "bar"}, "",
			`failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "foo": executable file not found in $PATH: unknown`},
		{"unknown user", debianFS, []string{"/bin/sh", "-c", "true"}, "app", "unable to find user app: no matching entries in passwd file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(t.Context(), tc.fs(t), Options{Argv: tc.argv, User: tc.user})
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v\nwant %s", err, tc.want)
			}
			if !errors.Is(err, ErrStart) {
				t.Errorf("errors.Is(err, ErrStart) = false")
			}
		})
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name   string
		script string
		lim    Limits
		limit  string
		msg    string
	}{
		{"infinite loop", "while true; do :; done", Limits{Timeout: 300 * time.Millisecond}, "time", "RUN exceeded the 300ms time limit of the playground sandbox"},
		{"output", "yes", Limits{MaxOutput: 1000}, "output", "RUN wrote more than 1000 bytes of output"},
		{"write", "dd if=/dev/zero of=/big bs=1M count=3", Limits{MaxWrite: 2 << 20}, "write", "RUN wrote more than 2 MiB to the filesystem"},
		{"write via redirect loop", "while :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done > /f", Limits{MaxWrite: 1 << 20}, "write", "RUN wrote more than 1 MiB to the filesystem"},
		{"recursion", "f(){ f; }; f", Limits{}, "processes", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, busyboxFS(t), tc.script, func(o *Options) { o.Limits = tc.lim })
			var le *LimitError
			if !errors.As(r.err, &le) || le.Limit != tc.limit {
				t.Fatalf("err = %v, want %s limit", r.err, tc.limit)
			}
			if tc.msg != "" && le.Msg != tc.msg {
				t.Errorf("msg = %q, want %q", le.Msg, tc.msg)
			}
		})
	}
}
