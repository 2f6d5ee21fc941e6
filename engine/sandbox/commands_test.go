package sandbox

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"layerlab/engine/rootfs"
)

// withFiles adds small text files to an image builder.
func withFiles(mk func(testing.TB) *rootfs.FS, files ...string) func(testing.TB) *rootfs.FS {
	return func(tb testing.TB) *rootfs.FS {
		f := mk(tb)
		for i := 0; i+1 < len(files); i += 2 {
			put(tb, f, files[i], files[i+1], 0o644)
		}
		return f
	}
}

// TestCommands runs the commands that live outside coreutils.go (commands.go lists
// them), section by section, on busybox and Debian images.
func TestCommands(t *testing.T) {
	bb, deb := busyboxFS, debianFS
	abc := withFiles(bb, "/1", "a\nb\nc\n", "/2", "a\nB\nc\nd\n")
	abcDeb := withFiles(deb, "/1", "a\nb\nc\n", "/2", "a\nB\nc\nd\n")
	table := withFiles(bb, "/t", "alice 30 dev\nbob 25 ops\ncarol 35 dev\n")
	tests := []struct {
		name   string
		fs     func(testing.TB) *rootfs.FS
		script string
		opt    func(*Options)
		code   int
		want   []string
		no     []string
		check  func(t *testing.T, f *rootfs.FS)
	}{
		// checksums
		{name: "md5sum", fs: bb, script: "echo hello > /a; md5sum /a; echo hello | md5sum",
			want: []string{"b1946ac92492d2347c6235b4d2611184  /a\n", "b1946ac92492d2347c6235b4d2611184  -\n"}},
		{name: "sha1sum sha512sum", fs: deb, script: "printf abc | sha1sum; printf abc | sha512sum",
			want: []string{"a9993e364706816aba3e25717850c26c9cd0d89d  -\n", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"}},
		{name: "sha256sum -c ok and failed", fs: bb,
			script: "echo hello > /a; sha256sum /a > /sums; sha256sum -c /sums && echo x >> /a; sha256sum -c /sums",
			code:   1, want: []string{"/a: OK\n", "/a: FAILED\n", "sha256sum: WARNING: 1 of 1 computed checksums did NOT match"}},
		{name: "sha256sum -c gnu warning", fs: deb, script: "echo hi > /a; sha256sum /a > /s; echo y > /a; sha256sum -c /s",
			code: 1, want: []string{"/a: FAILED\n", "sha256sum: WARNING: 1 computed checksum did NOT match"}},
		{name: "md5sum missing file", fs: deb, script: "md5sum /nope", code: 1, want: []string{"md5sum: /nope: No such file or directory"}},
		{name: "sha256sum missing file busybox", fs: bb, script: "sha256sum /nope", code: 1, want: []string{"sha256sum: can't open '/nope': No such file or directory"}},

		// base64
		{name: "base64 round trip", fs: bb, script: "echo hello | base64; echo aGVsbG8K | base64 -d",
			want: []string{"aGVsbG8K\n", "hello\n"}},
		{name: "base64 wraps at 76", fs: deb, script: "head -c 100 /dev/zero | base64 | head -1 | wc -c", want: []string{"77\n"}},
		{name: "base64 invalid input", fs: bb, script: "echo '!!!' | base64 -d", code: 1, want: []string{"base64: invalid input"}},

		// expr
		{name: "expr arithmetic and strings", fs: bb,
			script: "expr 3 + 4 \\* 2; expr 7 / 2; expr 7 % 3; expr length hello; expr substr hello 2 3; expr index hello l; expr abc : 'a\\(.*\\)'; expr match abc 'ab'; expr 5 \\> 3; expr b = b",
			want:   []string{"11\n3\n1\n5\nell\n3\nbc\n2\n1\n1\n"}},
		{name: "expr false result exits 1", fs: deb, script: "expr 2 - 2", code: 1, want: []string{"0\n"}},
		{name: "expr division by zero", fs: deb, script: "expr 1 / 0", code: 2, want: []string{"expr: division by zero"}},
		{name: "expr syntax error", fs: deb, script: "expr 1 +", code: 2, want: []string{"expr: syntax error: missing argument after '+'"}},
		{name: "expr non-integer", fs: bb, script: "expr a + 1", code: 2, want: []string{"expr: non-numeric argument"}},

		// awk
		{name: "awk fields and NF", fs: table, script: "awk '{print $1, $NF, NF}' /t",
			want: []string{"alice dev 3\nbob ops 3\ncarol dev 3\n"}},
		{name: "awk -F -v BEGIN END sum", fs: withFiles(bb, "/p", "root:x:0\nbin:x:1\napp:x:1000\n"),
			script: "awk -F: -v min=1 'BEGIN{n=0} $3>=min {n++; s+=$3; names=names $1 \",\"} END{print n, s, names, NR}' /p",
			want:   []string{"2 1001 bin,app, 3\n"}},
		{name: "awk regex pattern and printf", fs: table, script: `awk '/dev/ {printf "%-6s|%3d|%.1f\n", $1, $2, $2/10}' /t`,
			want: []string{"alice | 30|3.0\ncarol | 35|3.5\n"}, no: []string{"bob"}},
		{name: "awk arrays, for-in, functions", fs: table,
			script: `awk '{c[$3]++} END{for (k in c) print k, c[k]; print length("abc"), substr("hello",2,3), toupper("x"), index("abc","c"), int(3.9)}' /t`,
			want:   []string{"dev 2\nops 1\n", "3 ell X 3 3\n"}},
		{name: "awk assign field rebuilds record", fs: table, script: `awk -v OFS=- '{$2="*"; print}' /t | head -1`,
			want: []string{"alice-*-dev\n"}},
		{name: "awk sub gsub split match", fs: bb,
			script: `echo "a.b.c" | awk '{n=split($0, p, "."); gsub(/\./, "/"); sub(/a/, "[&]"); print n, p[3], $0; print match("xxabc", /ab+/), RSTART, RLENGTH}'`,
			want:   []string{"3 c [a]/b/c\n", "3 3 2\n"}},
		{name: "awk if while next exit", fs: table,
			script: `awk 'NR==2{next} {i=0; while (i<2) i++; if ($2 > 32) {print "old", $1; exit 3} else print "young", $1}' /t`,
			code:   3, want: []string{"young alice\nold carol\n"}, no: []string{"bob"}},
		{name: "awk print to file", fs: table, script: `awk '{print $1 > "/names"} END{print "done"}' /t; cat /names`,
			want: []string{"done\nalice\nbob\ncarol\n"}},
		{name: "awk ENVIRON and stdin", fs: bb, script: `FOO=bar; export FOO; printf '1 2\n3 4\n' | awk '{s+=$1*$2} END{print s, ENVIRON["FOO"]}'`,
			want: []string{"14 bar\n"}},
		{name: "awk unsupported function definition", fs: bb, script: "awk 'function f(x){return x} {print f($1)}'", code: 2,
			want: []string{"user-defined functions: not supported by the layerlab sandbox's awk"}},
		{name: "awk unsupported getline", fs: deb, script: "awk 'BEGIN{getline line < \"/etc/passwd\"}'", code: 2,
			want: []string{"getline: not supported"}},
		{name: "awk syntax error", fs: bb, script: "awk '{print $1'", code: 2, want: []string{"awk: cmd. line:1: syntax error"}},
		{name: "awk missing file", fs: deb, script: "awk '{print}' /nope", code: 2, want: []string{"/nope"}},
		{name: "awk infinite loop stops at the time limit", fs: bb, script: "awk 'BEGIN{while(1){}}'",
			opt: func(o *Options) { o.Limits.Timeout = 300 * time.Millisecond }, code: -1},

		// tar and gzip
		{name: "tar czf, tzf, xzf -C", fs: withFiles(bb, "/src/a.txt", "one\n", "/src/sub/b.txt", "two\n"),
			script: "cd / && tar czf /t.tgz src && tar tzf /t.tgz && mkdir /out && tar -xzf /t.tgz -C /out && cat /out/src/sub/b.txt",
			want:   []string{"src/\nsrc/a.txt\nsrc/sub/\nsrc/sub/b.txt\n", "two\n"},
			check: func(t *testing.T, f *rootfs.FS) {
				b := readFS(t, f, "/t.tgz")
				zr, err := gzip.NewReader(strings.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				tr := tar.NewReader(zr)
				var names []string
				for {
					h, err := tr.Next()
					if err != nil {
						break
					}
					names = append(names, h.Name)
				}
				if strings.Join(names, " ") != "src/ src/a.txt src/sub/ src/sub/b.txt" {
					t.Errorf("archive members %v", names)
				}
			}},
		{name: "tar -v lists, leading slash", fs: withFiles(deb, "/etc/app.conf", "x=1\n"),
			script: "tar -cvf /a.tar /etc/app.conf; tar -tvf /a.tar",
			want:   []string{"tar: Removing leading `/' from member names", "etc/app.conf\n", "-rw-r--r-- root/root         4 2024-03-01 12:00 etc/app.conf"}},
		{name: "tar extract keeps modes and symlinks", fs: withFiles(bb, "/s/run.sh", "#!/bin/sh\n"),
			script: "chmod 755 /s/run.sh; ln -s run.sh /s/link; tar -cf /s.tar -C / s; rm -rf /s; tar -xf /s.tar -C /; ls -l /s",
			want:   []string{"-rwxr-xr-x", "link -> run.sh"}},
		{name: "tar missing archive gnu", fs: deb, script: "tar -xf /nope.tar", code: 2,
			want: []string{"tar: /nope.tar: Cannot open: No such file or directory", "tar: Error is not recoverable: exiting now"}},
		{name: "tar missing archive busybox", fs: bb, script: "tar -xf /nope.tar", code: 1,
			want: []string{"tar: can't open '/nope.tar': No such file or directory"}},
		{name: "tar without mode", fs: deb, script: "tar -f /x.tar", code: 2, want: []string{"You must specify one of the"}},
		{name: "tar create empty", fs: deb, script: "tar -cf /x.tar", code: 2, want: []string{"Cowardly refusing to create an empty archive"}},
		{name: "gzip gunzip zcat", fs: withFiles(bb, "/d/f.txt", "data\n"),
			script: "gzip /d/f.txt && ls /d && zcat /d/f.txt.gz && gunzip /d/f.txt.gz && cat /d/f.txt && gzip -k /d/f.txt && ls /d && gzip -dc /d/f.txt.gz",
			want:   []string{"f.txt.gz\ndata\ndata\nf.txt\nf.txt.gz\ndata\n"}},
		{name: "gzip -c pipe round trip", fs: deb, script: "echo piped | gzip -c | gunzip", want: []string{"piped\n"}},
		{name: "gunzip not gzip", fs: withFiles(deb, "/x.gz", "plain\n"), script: "gunzip /x.gz", code: 1, want: []string{"gzip: /x.gz: not in gzip format"}},
		{name: "gzip existing output", fs: withFiles(deb, "/f", "a\n", "/f.gz", "old"), script: "gzip /f", code: 2,
			want: []string{"gzip: /f.gz already exists; not overwritten"}},

		// text tools
		{name: "tac rev", fs: abc, script: "tac /1; echo abc | rev", want: []string{"c\nb\na\ncba\n"}},
		{name: "tac missing file", fs: bb, script: "tac /nope", code: 1, want: []string{"tac: can't open '/nope': No such file or directory"}},
		{name: "nl", fs: withFiles(deb, "/f", "a\n\nb\n"), script: "nl /f; nl -ba /f | tail -1",
			want: []string{"     1\ta\n       \n     2\tb\n", "     3\tb\n"}},
		{name: "nl bad style", fs: deb, script: "nl -b x /etc/passwd", code: 1, want: []string{"nl: invalid body numbering style: 'x'"}},
		{name: "paste", fs: abc, script: "paste /1 /2; paste -s -d, /1", want: []string{"a\ta\nb\tB\nc\tc\n\td\n", "a,b,c\n"}},
		{name: "paste missing file", fs: deb, script: "paste /nope", code: 1, want: []string{"paste: /nope: No such file or directory"}},
		{name: "comm", fs: withFiles(deb, "/x", "a\nb\nd\n", "/y", "b\nc\nd\n"), script: "comm /x /y; comm -12 /x /y",
			want: []string{"a\n\t\tb\n\tc\n\t\td\n", "b\nd\n"}},
		{name: "comm one operand", fs: deb, script: "comm /x", code: 1, want: []string{"comm: missing operand"}},
		{name: "cmp", fs: abcDeb, script: "cmp /1 /1 && echo same; cmp /1 /2", code: 1, want: []string{"same\n", "/1 /2 differ: byte 3, line 2\n"}},
		{name: "cmp busybox wording and -s", fs: abc, script: "cmp /1 /2; cmp -s /1 /2; echo $?", want: []string{"/1 /2 differ: char 3, line 2\n", "1\n"}},
		{name: "cmp missing file", fs: deb, script: "cmp /1 /nope", code: 2, want: []string{"cmp: /1: No such file or directory"}},
		{name: "diff unified", fs: abcDeb, script: "diff -u /1 /2", code: 1,
			want: []string{"--- /1\t2024-03-01 12:00:00.000000000 +0000\n+++ /2\t2024-03-01 12:00:00.000000000 +0000\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n"}},
		{name: "diff normal format gnu", fs: abcDeb, script: "diff /1 /2", code: 1, want: []string{"2c2\n< b\n---\n> B\n3a4\n> d\n"}},
		{name: "diff busybox is unified", fs: abc, script: "diff /1 /2", code: 1, want: []string{"@@ -1,3 +1,4 @@\n"}},
		{name: "diff same files", fs: abc, script: "diff /1 /1 && echo same", want: []string{"same\n"}},
		{name: "diff missing file", fs: deb, script: "diff /1 /nope", code: 2, want: []string{"diff: /1: No such file or directory"}},
		{name: "fold", fs: deb, script: "echo abcdefg | fold -w 3; echo 'aa bb cc' | fold -s -w 5", want: []string{"abc\ndef\ng\n", "aa \nbb cc\n"}},
		{name: "fold bad width", fs: deb, script: "echo x | fold -w 0", code: 1, want: []string{"fold: invalid number of columns: '0'"}},
		{name: "od -c -x", fs: deb, script: "printf 'hi\\n' | od -c; printf 'hi\\n' | od -An -tx1",
			want: []string{"0000000   h   i  \\n\n0000003\n", " 68 69 0a\n"}},
		{name: "od bad type", fs: deb, script: "od -t q /etc/passwd", code: 1, want: []string{"od: invalid type string 'q'"}},
		{name: "hexdump -C and xxd", fs: bb, script: "printf 'hi\\n' | hexdump -C; printf 'hi\\n' | xxd; printf 'hi' | xxd -p",
			want: []string{"00000000  68 69 0a                                          |hi.|\n00000003\n", "00000000: 6869 0a                                  hi.\n", "6869\n"}},
		{name: "hexdump missing file", fs: bb, script: "hexdump -C /nope", code: 1, want: []string{"hexdump: can't open '/nope'"}},
		{name: "split", fs: withFiles(deb, "/f", "1\n2\n3\n"), script: "cd /tmp && split -l 2 /f part_ && ls /tmp && cat part_ab",
			want: []string{"part_aa\npart_ab\n3\n"}},
		{name: "split missing input", fs: deb, script: "split /nope", code: 1, want: []string{"split: cannot open '/nope' for reading: No such file or directory"}},

		// files
		{name: "install -m -d -o -g -D", fs: withFiles(deb, "/src/app", "bin"),
			script: "install -d -m 750 /opt/app/data && install -m 755 -o nobody -g nogroup /src/app /opt/app/ && install -D -m 600 /src/app /x/y/z && stat -c '%a %U %G' /opt/app/data /opt/app/app /x/y/z",
			want:   []string{"750 root root\n755 nobody nogroup\n600 root root\n"}},
		{name: "install unknown user", fs: withFiles(deb, "/f", "x"), script: "install -o ghost /f /g", code: 1, want: []string{"install: invalid user 'ghost'"}},
		{name: "install missing source", fs: deb, script: "install /nope /dst", code: 1, want: []string{"install: cannot stat '/nope': No such file or directory"}},
		{name: "truncate", fs: withFiles(deb, "/f", "hello world"), script: "truncate -s 5 /f; cat /f; echo; truncate -s 1K /new; wc -c < /new; truncate -s +2 /f; wc -c < /f",
			want: []string{"hello\n1024\n7\n"}},
		{name: "truncate without size", fs: deb, script: "truncate /f", code: 1, want: []string{"truncate: you must specify either '--size' or '--reference'"}},
		{name: "unlink and link", fs: withFiles(bb, "/a", "A\n"), script: "link /a /b && unlink /a && cat /b && test ! -e /a && echo gone",
			want: []string{"A\ngone\n"}},
		{name: "unlink directory", fs: deb, script: "unlink /tmp", code: 1, want: []string{"unlink: cannot unlink '/tmp': Is a directory"}},
		{name: "link existing target", fs: withFiles(deb, "/a", "A", "/b", "B"), script: "link /a /b", code: 1,
			want: []string{"link: cannot create link '/b' to '/a': File exists"}},
		{name: "mkfifo refused", fs: bb, script: "mkfifo /tmp/p", code: 1,
			want: []string{"mkfifo: cannot create fifo '/tmp/p': Operation not supported (the playground sandbox has no named pipes or device files)"},
			check: func(t *testing.T, f *rootfs.FS) {
				if _, _, err := f.Lstat("/tmp/p"); err == nil {
					t.Error("mkfifo created /tmp/p")
				}
			}},

		// processes and time
		{name: "timeout gnu exits 124", fs: deb, script: "timeout 2 sleep 10; echo rc=$?; date +%T", want: []string{"rc=124\n12:00:02\n"}},
		{name: "timeout busybox is killed by TERM", fs: bb, script: "timeout 2 sleep 10; echo rc=$?", want: []string{"rc=143\n"}},
		{name: "timeout command finishes in time", fs: deb, script: "timeout 5 sleep 1 && echo ok; timeout 1 echo fast", want: []string{"ok\nfast\n"}},
		{name: "timeout busy loop", fs: deb, script: "timeout 0.2 sh -c 'while :; do :; done'; echo rc=$?", want: []string{"rc=124\n"}},
		{name: "timeout bad duration", fs: deb, script: "timeout abc true", code: 125, want: []string{"timeout: invalid time interval 'abc'"}},
		{name: "nice and nohup run the command", fs: deb, script: "nice -n 10 echo a; nohup echo b; nice", want: []string{"a\nb\n0\n"}},
		{name: "nohup missing command", fs: deb, script: "nohup", code: 125, want: []string{"nohup: missing operand"}},
		{name: "time keyword busybox", fs: bb, script: "time sleep 2; echo rc=$?",
			want: []string{"real\t0m 2.00s\nuser\t0m 0.00s\nsys\t0m 0.00s\nrc=0\n"}},
		{name: "time keyword keeps exit status", fs: deb, script: "time false; echo rc=$?", want: []string{"\nreal\t0m0.000s\nuser\t0m0.000s\nsys\t0m0.000s\nrc=1\n"}},
		{name: "time applet", fs: bb, script: "busybox time sleep 1", want: []string{"real\t0m 1.00s\n"}},
		{name: "time bad option", fs: bb, script: "busybox time -z true", code: 2, want: []string{"time: unrecognized option '-z'"}},
		{name: "usleep", fs: bb, script: "usleep 1500000; date +%T", want: []string{"12:00:01\n"}},
		{name: "usleep bad number", fs: bb, script: "usleep x", code: 1, want: []string{"usleep: invalid number 'x'"}},
		{name: "getent", fs: deb, script: "getent passwd root; getent group 65534; getent hosts localhost",
			want: []string{"root:x:0:0:root:/root:/bin/bash\n", "nogroup:x:65534:\n", "127.0.0.1\tlocalhost\n"}},
		{name: "getent missing key", fs: deb, script: "getent passwd ghost", code: 2},
		{name: "getent unknown database", fs: deb, script: "getent nosuchdb", code: 1, want: []string{"Unknown database: nosuchdb"}},
		{name: "ps busybox", fs: bb, script: "ps", want: []string{"PID   USER     TIME  COMMAND\n    1 root      0:00 /bin/sh -c ps\n    7 root      0:00 ps\n"}},
		{name: "ps gnu", fs: deb, script: "ps", want: []string{"    PID TTY          TIME CMD\n      1 ?        00:00:00 sh\n"}},
		{name: "pids are deterministic", fs: bb, script: "echo $$ $PPID; sh -c 'echo $$ $PPID'", want: []string{"1 0\n7 1\n"}},
		{name: "kill -0 self", fs: bb, script: "kill -0 $$ && echo alive; kill -TERM 1 && echo ignored", want: []string{"alive\nignored\n"}},
		{name: "kill unknown pid", fs: bb, script: "kill 4242", code: 1, want: []string{"kill: can't kill pid 4242: No such process"}},
		{name: "kill no operand", fs: deb, script: "kill", code: 1, want: []string{"kill: usage:"}},
		{name: "umask ulimit builtins", fs: deb, script: "umask; umask 077 && ulimit -n", want: []string{"0022\n1048576\n"}},
		{name: "free", fs: bb, script: "free", want: []string{"              total        used        free      shared  buff/cache   available\nMem:        8039920     1043688     5163700       11812     1832532     6694736\n"}},
		{name: "free -m gnu", fs: deb, script: "free -m", want: []string{"               total", "Mem:            7851        1019"}},
		{name: "df", fs: bb, script: "df /", want: []string{"Filesystem           1K-blocks      Used Available Use% Mounted on\noverlay               61255492  21398248  36715988  37% /\n"}},
		{name: "df -h gnu", fs: deb, script: "df -h", want: []string{"Filesystem", "overlay", "58G"}},
		{name: "df missing path", fs: deb, script: "df /nope", code: 1, want: []string{"df: /nope: No such file or directory"}},
		{name: "printenv", fs: bb, script: "export A=1; printenv A; printenv NOPE", code: 1, want: []string{"1\n"}},
		{name: "hostname default", fs: bb, script: "hostname; uname -n; echo $HOSTNAME", want: []string{"buildkitsandbox\nbuildkitsandbox\nbuildkitsandbox\n"}},
		{name: "hostname option", fs: deb, script: "hostname; uname -n; echo $HOSTNAME",
			opt: func(o *Options) { o.Hostname = "3f4e5a6b7c8d" }, want: []string{"3f4e5a6b7c8d\n3f4e5a6b7c8d\n3f4e5a6b7c8d\n"}},
		{name: "hostname cannot be set", fs: deb, script: "hostname web", code: 1, want: []string{"hostname: you must be root to change the host name"}},
		{name: "arch and uname -m", fs: bb, script: "arch; uname -m", want: []string{"x86_64\nx86_64\n"}},
		{name: "yes stops at the output limit", fs: bb, script: "yes", opt: func(o *Options) { o.Limits.MaxOutput = 4096 }, code: -2},
		{name: "yes to /dev/null stops at the time limit", fs: bb, script: "yes > /dev/null",
			opt: func(o *Options) { o.Limits.Timeout = 500 * time.Millisecond }, code: -1},
		{name: "yes | head", fs: deb, script: "yes ok | head -n 2", want: []string{"ok\nok\n"}},
		{name: "watch refused", fs: bb, script: "watch ls", code: 1, want: []string{"watch: the playground sandbox does not run watch"}},
		{name: "chroot refused", fs: bb, script: "chroot /tmp ls", code: 125, want: []string{"chroot: cannot change root directory to '/tmp': Operation not permitted"}},
		{name: "mount refused", fs: bb, script: "mount -t tmpfs none /mnt", code: 1, want: []string{"mount: permission denied (the playground sandbox has no mounts)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.fs(t)
			var mods []func(*Options)
			if tc.opt != nil {
				mods = append(mods, tc.opt)
			}
			start := time.Now()
			r := run(t, f, tc.script, mods...)
			var le *LimitError
			switch tc.code {
			case -1, -2:
				want := map[int]string{-1: "time", -2: "output"}[tc.code]
				if !errors.As(r.err, &le) || le.Limit != want {
					t.Fatalf("err = %v, want the %s limit\nlog:\n%s", r.err, want, r.out)
				}
				if d := time.Since(start); d > 3*time.Second {
					t.Errorf("took %v to stop", d)
				}
			default:
				if r.err != nil {
					t.Fatalf("err = %v\nlog:\n%s", r.err, r.out)
				}
				if r.code != tc.code {
					t.Errorf("code = %d, want %d\nlog:\n%s", r.code, tc.code, r.out)
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(r.out, w) {
					t.Errorf("log lacks %q\nlog:\n%s", w, r.out)
				}
			}
			for _, w := range tc.no {
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

// TestTarReadsForeignArchive extracts an archive made by Go's archive/tar (as a COPY'd
// release tarball would be), with --strip-components.
func TestTarReadsForeignArchive(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, h := range []*tar.Header{
		{Name: "pkg-1.0/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "pkg-1.0/bin/tool", Typeflag: tar.TypeReg, Mode: 0o755, Size: 5},
	} {
		tw.WriteHeader(h)
		if h.Size > 0 {
			io.WriteString(tw, "tool\n")
		}
	}
	tw.Close()
	zw.Close()
	f := debianFS(t)
	if err := f.WriteFile("/pkg.tar.gz", rootfs.Bytes(buf.Bytes()), 0o644, 0, 0, testNow); err != nil {
		t.Fatal(err)
	}
	r := run(t, f, "mkdir -p /opt/pkg && tar -xf /pkg.tar.gz --strip-components=1 -C /opt/pkg && /opt/pkg/bin/tool; ls -l /opt/pkg/bin")
	if !strings.Contains(r.out, "-rwxr-xr-x") {
		t.Errorf("log:\n%s", r.out)
	}
	if got := readFS(t, f, "/opt/pkg/bin/tool"); got != "tool\n" {
		t.Errorf("tool = %q", got)
	}
}
