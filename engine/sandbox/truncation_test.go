package sandbox

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"layerlab/engine/rootfs"
)

// TestNoTruncation: the tools give the real command's answer for inputs past the bounds
// the sandbox once cut them at (8 MiB of stdin, 64 MiB of a file or device), by
// streaming; where they must hold something (a line, tail's last lines) past a bound,
// the step fails with a line naming it. A tool never answers for a shorter input.
func TestNoTruncation(t *testing.T) {
	tests := []struct {
		name   string
		fs     func(testing.TB) *rootfs.FS // debianFS when nil
		script string
		setup  func(*testing.T, *rootfs.FS)
		want   string // the exact output, exit 0 (when limit is "")
		limit  string // else: the step fails with a *LimitError containing it, and its line is in the output
		// timeLimit: the step must fail at its time limit, and print nothing but what
		// the script printed before the stop. The producer must not be yes, whose
		// simulated time sets the limit before the real deadline (the log then refuses
		// everything, and the test would prove nothing of the tool).
		timeLimit bool
		maxWrite  int64 // the write budget when not 0 (else 1 GiB)
		noLine    bool  // the limit is the step's error only (the write budget's), no line of a command
	}{
		// issue 12's findings
		{name: "yes | head -c | wc -c counts every byte", script: "yes | head -c 10000000 | wc -c", want: "10000000\n"},
		{name: "busybox yes | head -c | wc -c", fs: busyboxFS, script: "yes | head -c 10000000 | wc -c", want: "10000000\n"},
		{name: "seq | tail -1 at the time limit prints no wrong last line", script: "seq 1 1000000000 | tail -1", timeLimit: true},
		{name: "wc of a stream cut by the time limit prints no count", script: "seq 1 1000000000 | wc -l", timeLimit: true},
		{name: "head -c of urandom past 64 MiB", script: "head -c 70000000 /dev/urandom | wc -c", want: "70000000\n"},
		{name: "head -c of zero past 64 MiB", script: "head -c 70000000 < /dev/zero | wc -c", want: "70000000\n"},

		// head
		{name: "head -n of a long stream", script: "seq 1 3000000 | head -n 2", want: "1\n2\n"},
		{name: "head -n 1 of urandom is one line", script: "head -n 1 /dev/urandom | wc -l", want: "1\n"},
		{name: "head -c with a suffix", script: "head -c 1K /dev/zero | wc -c; head -c 2kB /dev/zero | wc -c", want: "1024\n2000\n"},
		{name: "head -c with a bad count fails", script: "head -c 1X /dev/zero; echo $?", want: "head: invalid number of bytes: '1X'\n1\n"},
		{name: "head -n -N keeps back the last lines", script: "seq 5 | head -n -2", want: "1\n2\n3\n"},
		{name: "head -c -N keeps back the last bytes", script: "printf abcdef | head -c -2", want: "abcd"},
		{name: "head of several files has headers", script: "seq 2 > /a; seq 3 > /b; head -n 1 /a /b; head -q -n 1 /a /b",
			want: "==> /a <==\n1\n\n==> /b <==\n1\n1\n1\n"},
		{name: "head -n of a line longer than 8 MiB streams it", script: "head -c 9000000 /dev/zero | head -n 1 | wc -c", want: "9000000\n"},

		// tail
		{name: "tail -1 of a long stream", script: "{ yes | head -c 9000000; echo last; } | tail -1", want: "last\n"},
		{name: "tail -n of a file past 64 MiB streams", script: "{ yes | head -c 70000000; echo end; } > /f; tail -n 1 /f",
			want: "end\n"},
		{name: "tail keeps a last line without a newline as it is", script: "printf 'a\\nb' | tail -n 1; printf 'a\\nb' > /f; tail -n 1 /f", want: "bb"},
		{name: "tail -n +N of a stream", script: "seq 1 2000000 | tail -n +1999999", want: "1999999\n2000000\n"},
		{name: "tail -c +N", script: "printf abcdef | tail -c +3", want: "cdef"},
		{name: "tail of a line past 8 MiB", script: "head -c 9000000 /dev/zero | tail -n 1",
			limit: "layerlab: tail: the sandbox keeps at most 8 MiB of the input for tail, and the last 1 lines are longer"},
		{name: "tail of a line of 8 MiB", script: "{ echo a; head -c 8388607 /dev/zero; echo; } | tail -n 1 | wc -c", want: "8388608\n"},
		{name: "tail of a line of 8 MiB and a byte", script: "{ echo a; head -c 8388608 /dev/zero; echo; } | tail -n 1 | wc -c",
			limit: "layerlab: tail: the sandbox keeps at most 8 MiB of the input for tail, and the last 1 lines are longer"},
		{name: "tail -n 3 of lines without a last newline", script: "printf 'a\\nb\\nc\\nd' | tail -n 3; printf 'a\\nb\\n' | tail -n 5", want: "b\nc\nda\nb\n"},
		{name: "tail -n past 8 MiB of lines", script: "yes | head -c 20000000 | tail -n 5000000",
			limit: "layerlab: tail: the sandbox keeps at most 8 MiB of the input for tail, and the last 5000000 lines are longer"},

		// tr
		{name: "tr -dc of urandom ends with head", script: "tr -dc 'a-z0-9' < /dev/urandom | head -c 32 | wc -c", want: "32\n"},
		{name: "tr of a stream past 8 MiB", script: "head -c 20000000 /dev/zero | tr '\\0' a | tr -d b | wc -c", want: "20000000\n"},
		{name: "tr keeps bytes no set names", script: "printf 'a\\377b\\n' | tr a-z A-Z | od -An -c", want: "   A 377   B  \\n\n"},
		{name: "tr -c translates the complement", script: "echo 'a b-c' | tr -c 'a-z\\n' _", want: "a_b_c\n"},
		{name: "tr -s squeezes", script: "echo 'aa  bb' | tr -s ' '; echo 'aabb' | tr -s ab xy", want: "aa bb\nxy\n"},
		{name: "tr of NUL bytes and octal escapes", script: "head -c 3 /dev/zero | tr '\\0' x; printf ab | tr ab '\\101\\102'", want: "xxxAB"},
		{name: "tr classes", script: "printf 'a\\001,b!\\n' | tr -d '[:cntrl:][:punct:]'; echo 'Az9' | tr -dc '[:xdigit:]'", want: "abA9"},
		{name: "tr of non-ASCII sets", script: "echo 'héllo' | tr 'é' 'e'", want: "hello\n"},

		// grep, cut, uniq, sed: a line at a time
		{name: "yes | grep -q ends at the first match", script: "yes | grep -q y && echo found", want: "found\n"},
		{name: "grep -c of a stream past 8 MiB", script: "yes | head -c 20000000 | grep -c y", want: "10000000\n"},
		{name: "grep -n of a file past 64 MiB", script: "{ yes | head -c 70000000; echo needle; } > /f; grep -n needle /f", want: "35000001:needle\n"},
		{name: "grep -l stops at a match", script: "yes > /dev/null & printf 'a\\nb\\n' > /f; grep -l a /f /f", want: "/f\n/f\n"},
		{name: "grep -c of a stream cut by the time limit prints no count", script: "seq 1 1000000000 | grep -c 1", timeLimit: true},
		{name: "grep of a line past 8 MiB", script: "head -c 9000000 /dev/zero | grep -c x",
			limit: "layerlab: grep: the sandbox holds at most 8 MiB of one line in memory, and this input has a longer line"},
		{name: "cut of a stream past 8 MiB", script: "yes aaaaaaaaaaaaaaaaaaaaaaaaaaa:b | head -c 9600000 | cut -d: -f2 | uniq -c", want: " 320000 b\n"},
		{name: "cut of endless zeros ends with head", script: "yes abcdef | cut -c1-3 | head -2", want: "abc\nabc\n"},
		{name: "uniq of a stream past 8 MiB", script: "{ yes | head -c 20000000; echo n; echo n; } | uniq", want: "y\nn\n"},
		{name: "uniq -c -d -u", script: "printf 'a\\na\\nb\\nc\\nc\\n' | uniq -c; printf 'a\\na\\nb\\n' | uniq -d; printf 'a\\na\\nb\\n' | uniq -u",
			want: "      2 a\n      1 b\n      2 c\na\nb\n"},
		{name: "uniq of a stream cut by the time limit prints no last line", script: "while :; do echo y; done | uniq", timeLimit: true},
		{name: "sed of a stream past 8 MiB", script: "yes yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy | head -c 9600000 | sed s/y/ab/ | wc -c", want: "9900000\n"},
		{name: "sed $ is the last line of a stream", script: "seq 1 3000000 | sed -n '$p'; seq 3 | sed '$d'", want: "3000000\n1\n2\n"},

		// awk
		{name: "awk exit ends an endless stream", script: "yes | awk 'NR==3{print NR; exit}'", want: "3\n"},
		{name: "awk of a stream past 8 MiB", script: "yes | head -c 20000000 | awk '{n++} END{print n}'", want: "10000000\n"},
		{name: "awk END is not run on a stream cut by the time limit", script: "seq 1 1000000000 | awk '{n++} END{print n}'", timeLimit: true},
		{name: "awk with another RS still reads whole", script: "printf 'a;b;c' | awk 'BEGIN{RS=\";\"} {print NR\": \"$0}'", want: "1: a\n2: b\n3: c\n"},
		{name: "awk array bound names its number", script: "awk 'BEGIN{for(i=0;;i++) a[i]=1}'",
			limit: "layerlab: awk: the sandbox holds at most 1048576 elements in one awk array, and this program puts more in a"},
		{name: "awk string bound names its size", script: "awk 'BEGIN{s=\"x\"; for(;;) s=s s}'",
			limit: "layerlab: awk: the sandbox holds at most 16 MiB in one awk string, and this program makes a longer one"},
		{name: "awk field bound names its number", script: "echo a | awk '{$200000=1}'",
			limit: "layerlab: awk: the sandbox holds at most 100000 fields in an awk record; the program sets $200000"},

		// diff
		{name: "diff past its table bound names it", script: "seq 1 2 6000 > /a; seq 2 2 6000 > /b; diff /a /b",
			limit: "layerlab: diff: the sandbox matches at most 4194304 line pairs to show a diff (lines of one file's differing part times the other's), and /a and /b differ in more"},
		{name: "diff -q of large files needs no table", script: "seq 1 2 6000 > /a; seq 2 2 6000 > /b; diff -q /a /b; echo $?", want: "Files /a and /b differ\n1\n"},

		// the tools that hold their input whole print nothing for a cut one
		{name: "sort of a stream cut by the time limit prints nothing", script: "while :; do echo x; done | sort", timeLimit: true},
		{name: "tac of a stream cut by the time limit prints nothing", script: "while :; do echo x; done | tac", timeLimit: true},

		// tee: the bounds of a redirect
		{name: "tee to two files within the write budget", script: "yes | head -c 5000000 | tee /a /b | wc -c; wc -c /a /b", maxWrite: 10 << 20,
			want: "5000000\n 5000000 /a\n 5000000 /b\n10000000 total\n"},
		{name: "tee to two files past the write budget", script: "yes | head -c 6000000 | tee /a /b > /dev/null", maxWrite: 10 << 20,
			limit: "RUN wrote more than 10 MiB to the filesystem", noLine: true},
		{name: "tee -a appends", script: "echo a > /a; echo b | tee -a /a > /dev/null; cat /a", want: "a\nb\n"},

		// dd
		{name: "dd of urandom to a file past 64 MiB", script: "dd if=/dev/urandom of=/x bs=1M count=70 2>/dev/null; wc -c < /x", want: "73400320\n"},
		{name: "dd of a device without count to a pipe ends with its reader", script: "dd if=/dev/zero bs=1M 2>/dev/null | head -c 5 | wc -c", want: "5\n"},
		{name: "dd to a file past the write budget", script: "dd if=/dev/urandom of=/x bs=1M count=12", maxWrite: 10 << 20,
			limit: "RUN wrote more than 10 MiB to the filesystem", noLine: true},
		{name: "tar x of a member past 64 MiB names it", script: "tar xf /m.tar -C /tmp", setup: bigMemberTar,
			limit: "layerlab: tar: the sandbox holds at most 64 MiB of a file it writes in memory, and big in the archive has 70000000 bytes"},

		// rev, nl
		{name: "rev of a stream past 8 MiB", script: "yes abc | head -c 9600000 | rev | uniq -c", want: "2400000 cba\n"},
		{name: "nl of a stream past 8 MiB", script: "yes | head -c 9600000 | nl | tail -n 1", want: "4800000\ty\n"},
		{name: "rev and nl of lines without a last newline", script: "printf 'ab\\n\\ncd' | rev; printf 'a\\n\\nb' | nl", want: "ba\n\ndc\n     1\ta\n       \n     2\tb\n"},

		// seq
		{name: "seq | tail -1 of a million", script: "seq 1 1000000 | tail -1", want: "1000000\n"},
		{name: "seq with decimals", script: "seq 0 0.1 0.3; seq 1 0.5 2", want: "0.0\n0.1\n0.2\n0.3\n1.0\n1.5\n2.0\n"},
		{name: "seq down", script: "seq 3 -1 1", want: "3\n2\n1\n"},

		// checksums, base64
		{name: "sha256sum of a stream past 64 MiB", script: "head -c 70000000 /dev/zero | sha256sum", want: sha256Zeros(70000000) + "  -\n"},
		{name: "md5sum of a file past 64 MiB", script: "head -c 70000000 /dev/zero > /z; md5sum /z; md5sum /z > /l; md5sum -c /l",
			want: md5Zeros(70000000) + "  /z\n/z: OK\n"},
		{name: "md5sum of a stream cut by the time limit prints no sum", script: "seq 1 1000000000 | md5sum", timeLimit: true},
		{name: "base64 round trip past 8 MiB", script: "head -c 20000000 /dev/urandom > /r; base64 /r | base64 -d | cmp - /r && base64 < /r | wc -l",
			want: "350878\n"},
		{name: "base64 wraps across reads", script: "head -c 100 /dev/zero | base64 -w 7 | head -2; printf abc | base64 -w 0", want: "AAAAAAA\nAAAAAAA\nYWJj"},
		{name: "base64 -d of bad input", script: "echo 'YWJj!!' | base64 -d; echo \" $?\"", want: "abcbase64: invalid input\n 1\n"},

		// cmp
		{name: "cmp of streams past 8 MiB", script: "head -c 20000000 /dev/zero > /z; head -c 20000000 /dev/zero | cmp /z - && echo same", want: "same\n"},
		{name: "cmp finds a late difference", script: "{ head -c 9000000 /dev/zero; echo a; } > /a; { head -c 9000000 /dev/zero; echo b; } | cmp /a - || echo $?",
			want: "/a - differ: byte 9000001, line 1\n1\n"},
		{name: "cmp of a longer input", script: "printf 'ab\\nc' > /a; printf 'ab\\ncd' | cmp /a - || echo $?", want: "cmp: EOF on /a after byte 4, line 2\n1\n"},

		// gzip, tar
		{name: "gzip -c of a file past 64 MiB", script: "head -c 70000000 /dev/zero > /z; gzip -c /z | gzip -dc | wc -c", want: "70000000\n"},
		{name: "gzip -t of a stream past 64 MiB", script: "head -c 70000000 /dev/zero | gzip | gzip -t && echo ok", want: "ok\n"},
		{name: "gzip of a file past 64 MiB to a file", script: "head -c 70000000 /dev/urandom > /z; gzip /z",
			limit: "layerlab: gzip: the sandbox holds at most 64 MiB of a file it writes in memory, and what gzip makes of /z is larger"},
		{name: "gunzip to a file within it", script: "head -c 60000000 /dev/zero > /z; gzip /z; gunzip /z.gz; wc -c /z", want: "60000000 /z\n"},
		{name: "gunzip to a file counts against the write budget as it grows", script: "head -c 12000000 /dev/zero | gzip > /z.gz; gunzip /z.gz",
			maxWrite: 10 << 20, limit: "RUN wrote more than 10 MiB to the filesystem", noLine: true},
		{name: "tar x of an archive past 64 MiB", script: "tar xzf /big.tgz -C /tmp && wc -c /tmp/a /tmp/b /tmp/c", setup: bigTarGz,
			want: "30000000 /tmp/a\n30000000 /tmp/b\n30000000 /tmp/c\n90000000 total\n"},
		{name: "tar tz of an archive on stdin", script: "tar tz < /big.tgz", setup: bigTarGz, want: "a\nb\nc\n"},

		// wc
		{name: "wc of a file past 64 MiB", script: "head -c 70000000 /dev/zero > /z; wc -c /z", want: "70000000 /z\n"},
		{name: "wc of several files has a total, GNU's width", script: "seq 2 > /a; seq 3 > /b; wc -l /a /b; wc /a; cat /b | wc -c /a -",
			want: " 2 /a\n 3 /b\n 5 total\n2 2 4 /a\n      4 /a\n      6 -\n     10 total\n"},
		{name: "busybox wc of several files has a total", fs: busyboxFS, script: "seq 2 > /a; seq 3 > /b; wc -l /a /b", want: "2 /a\n3 /b\n5 total\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mk := tc.fs
			if mk == nil {
				mk = debianFS
			}
			f := mk(t)
			if tc.setup != nil {
				tc.setup(t, f)
			}
			lim := Limits{Timeout: 60 * time.Second, MaxWrite: 1 << 30}
			if tc.maxWrite > 0 {
				lim.MaxWrite = tc.maxWrite
			}
			if tc.timeLimit {
				lim.Timeout = time.Second
			}
			r := run(t, f, tc.script, func(o *Options) { o.Limits = lim })
			var le *LimitError
			switch {
			case tc.timeLimit:
				if !errors.As(r.err, &le) || le.Limit != "time" {
					t.Fatalf("err = %v (exit %d), want the time limit\noutput: %.300q", r.err, r.code, r.out)
				}
				if r.out != "" {
					t.Errorf("output %.300q after the stop; want none (the input was cut, not whole)", r.out)
				}
			case tc.limit != "":
				if !errors.As(r.err, &le) || !strings.Contains(le.Msg, tc.limit) {
					t.Fatalf("err = %v (exit %d), want a limit error containing %q\noutput: %.300q", r.err, r.code, tc.limit, r.out)
				}
				if !tc.noLine && !strings.Contains(r.out, tc.limit) {
					t.Errorf("the step's output lacks the limit's line %q:\n%.300q", tc.limit, r.out)
				}
			default:
				if r.err != nil || r.code != 0 || r.out != tc.want {
					t.Errorf("exit %d, err %v, output %.300q; want exit 0 and %q", r.code, r.err, r.out, tc.want)
				}
			}
		})
	}
}

func sha256Zeros(n int) string { h := sha256.Sum256(make([]byte, n)); return hex.EncodeToString(h[:]) }
func md5Zeros(n int) string    { h := md5.Sum(make([]byte, n)); return hex.EncodeToString(h[:]) }

// bigTarGz writes /big.tgz: three members of 30 MB of zeros, 90 MB unpacked.
func bigTarGz(t *testing.T, f *rootfs.FS) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	zeros := make([]byte, 30000000)
	for _, name := range []string{"a", "b", "c"} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(zeros)), ModTime: testNow}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(zeros); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.WriteFile("/big.tgz", rootfs.Bytes(buf.Bytes()), 0o644, 0, 0, testNow); err != nil {
		t.Fatal(err)
	}
}

// bigMemberTar writes /m.tar, whose one member's header says 70 MB (its data is not
// needed: the bound is checked from the header, before reading).
func bigMemberTar(t *testing.T, f *rootfs.FS) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "big", Mode: 0o644, Size: 70000000, ModTime: testNow}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(make([]byte, 1024)); err != nil {
		t.Fatal(err)
	}
	if err := f.WriteFile("/m.tar", rootfs.Bytes(buf.Bytes()), 0o644, 0, 0, testNow); err != nil {
		t.Fatal(err)
	}
}
