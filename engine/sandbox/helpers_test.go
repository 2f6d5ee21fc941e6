package sandbox

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"layerlab/engine/rootfs"
)

var testNow = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

const elf = "\x7fELF layerlab test stand-in binary\n"

func put(t testing.TB, f *rootfs.FS, p, content string, mode uint32) {
	t.Helper()
	if err := f.MkdirAll(pathDir(p), 0o755, 0, 0, testNow); err != nil {
		t.Fatal(err)
	}
	if err := f.WriteFile(p, rootfs.Bytes(content), fsMode(int(mode)), 0, 0, testNow); err != nil {
		t.Fatal(err)
	}
}

func pathDir(p string) string {
	i := strings.LastIndex(p, "/")
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

func symlink(t testing.TB, f *rootfs.FS, p, target string) {
	t.Helper()
	if err := f.MkdirAll(pathDir(p), 0o755, 0, 0, testNow); err != nil {
		t.Fatal(err)
	}
	if err := f.Put(rootfs.Clean(p), &rootfs.Entry{Kind: rootfs.KindSymlink, Mode: 0o777, ModTime: testNow, Linkname: target}); err != nil {
		t.Fatal(err)
	}
}

var applets = []string{"sh", "ash", "ls", "cat", "echo", "mkdir", "touch", "rm", "cp", "mv", "ln", "chmod", "chown",
	"tee", "grep", "wc", "head", "tail", "env", "id", "whoami", "sleep", "sed", "sort", "uniq", "cut", "true", "false",
	"dd", "mktemp", "basename", "dirname", "pwd", "uname", "hostname", "date", "find", "which", "xargs", "tr", "seq",
	"stat", "adduser", "addgroup", "wget", "printf", "du", "readlink", "yes",
	"md5sum", "sha1sum", "sha256sum", "sha512sum", "base64", "expr", "awk", "tar", "gzip", "gunzip", "zcat",
	"tac", "rev", "nl", "paste", "cmp", "diff", "fold", "od", "hexdump", "xxd", "truncate", "unlink", "link",
	"mkfifo", "timeout", "time", "ps", "kill", "free", "df", "arch", "usleep", "watch", "chroot", "mount", "printenv"}

// busyboxFS is an Alpine-like image: /bin/busybox with applet symlinks, apk.
func busyboxFS(t testing.TB) *rootfs.FS {
	f := rootfs.New()
	put(t, f, "/bin/busybox", elf, 0o755)
	for _, a := range applets {
		symlink(t, f, "/bin/"+a, "/bin/busybox")
	}
	put(t, f, "/sbin/apk", elf, 0o755)
	put(t, f, "/etc/os-release", "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\n", 0o644)
	put(t, f, "/etc/passwd", "root:x:0:0:root:/root:/bin/ash\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n", 0o644)
	put(t, f, "/etc/group", "root:x:0:root\nnobody:x:65534:\n", 0o644)
	put(t, f, "/lib/apk/db/installed", "P:busybox\nV:1.36.1-r15\n\n", 0o644)
	for _, d := range []string{"/tmp", "/root", "/var/cache/apk", "/home"} {
		f.MkdirAll(d, 0o755, 0, 0, testNow)
	}
	return f
}

var gnuTools = []string{"ls", "cat", "echo", "mkdir", "touch", "rm", "cp", "mv", "ln", "chmod", "chown", "tee", "grep",
	"wc", "head", "tail", "env", "id", "whoami", "sleep", "sed", "sort", "uniq", "cut", "true", "false", "dd", "mktemp",
	"basename", "dirname", "pwd", "uname", "hostname", "date", "find", "which", "xargs", "tr", "seq", "stat", "printf",
	"du", "readlink", "yes", "useradd", "groupadd", "adduser", "addgroup",
	"md5sum", "sha1sum", "sha256sum", "sha512sum", "base64", "expr", "awk", "tar", "gzip", "gunzip", "zcat",
	"tac", "rev", "nl", "paste", "cmp", "diff", "fold", "od", "hexdump", "xxd", "truncate", "unlink", "link",
	"mkfifo", "timeout", "time", "ps", "kill", "free", "df", "arch", "usleep", "watch", "chroot", "mount", "printenv", "comm", "install", "split", "nice", "nohup", "getent", "printenv"}

// debianFS is a Debian-like image: dash as /bin/sh, bash, GNU tools as files, apt-get.
func debianFS(t testing.TB) *rootfs.FS {
	f := rootfs.New()
	put(t, f, "/bin/dash", elf, 0o755)
	symlink(t, f, "/bin/sh", "dash")
	put(t, f, "/bin/bash", elf, 0o755)
	for _, tool := range gnuTools {
		put(t, f, "/usr/bin/"+tool, elf, 0o755)
	}
	put(t, f, "/usr/bin/apt-get", elf, 0o755)
	put(t, f, "/etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n", 0o644)
	put(t, f, "/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n", 0o644)
	put(t, f, "/etc/group", "root:x:0:\nnogroup:x:65534:\n", 0o644)
	put(t, f, "/var/lib/dpkg/status", "Package: base-files\nStatus: install ok installed\nVersion: 12.4\n\n", 0o644)
	for _, d := range []string{"/tmp", "/root", "/var/lib/apt/lists", "/var/cache/apt/archives", "/home"} {
		f.MkdirAll(d, 0o755, 0, 0, testNow)
	}
	return f
}

// pythonFS is a python:3.11-like image (Debian plus /usr/local/bin/python3.11 and pip).
func pythonFS(t testing.TB) *rootfs.FS {
	f := debianFS(t)
	put(t, f, "/usr/local/bin/python3.11", elf, 0o755)
	symlink(t, f, "/usr/local/bin/python3", "python3.11")
	symlink(t, f, "/usr/local/bin/python", "python3")
	put(t, f, "/usr/local/bin/pip", elf, 0o755)
	symlink(t, f, "/usr/local/bin/pip3", "pip")
	return f
}

type result struct {
	code int
	err  error
	out  string
}

func run(t testing.TB, f *rootfs.FS, script string, mod ...func(*Options)) result {
	t.Helper()
	var out bytes.Buffer
	opt := Options{
		Argv:   []string{"/bin/sh", "-c", script},
		Env:    []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		Stdout: &out,
		Now:    testNow,
		Limits: Limits{Timeout: 5 * time.Second},
	}
	for _, m := range mod {
		m(&opt)
	}
	code, err := Run(context.Background(), f, opt)
	return result{code, err, out.String()}
}

func readFS(t testing.TB, f *rootfs.FS, p string) string {
	t.Helper()
	b, err := f.ReadFile(p)
	if err != nil {
		t.Fatalf("read %s: %v", p, err)
	}
	return string(b)
}
