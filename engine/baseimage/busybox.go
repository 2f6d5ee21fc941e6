package baseimage

// busyboxApplets are the commands the stand-in busybox (and alpine's) provides as
// symlinks to /bin/busybox, as the conformance base `busybox:local` does with
// `ln -sf busybox`. (The real busybox image uses hard links.)
var busyboxApplets = []string{
	"sh", "ls", "echo", "mkdir", "cat", "touch", "rm", "cp", "mv", "ln", "chmod", "chown",
	"tee", "grep", "wc", "head", "tail", "env", "id", "whoami", "sleep", "test", "sed",
	"sort", "uniq", "cut", "dd", "mktemp", "basename", "dirname", "pwd", "uname",
	"hostname", "date", "find", "which", "xargs", "tr", "seq", "stat", "adduser",
	"addgroup", "wget", "true", "false", "printf", "expr", "awk", "vi", "more", "less",
	"ps", "kill", "df", "du", "free", "gzip", "gunzip", "tar",
}

// defaultPath is the PATH of the Debian-, Ubuntu- and busybox-based official images.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// busyboxSize is the uncompressed content of the busybox layer: the recorded size of
// the conformance base busybox:local (1.98MB).
const busyboxSize = 1982312

func busyboxDefinition() definition {
	return definition{
		names: []string{"busybox:1.36.1", "busybox:1.36", "busybox:latest", "busybox:stable"},
		build: buildBusybox,
	}
}

// buildBusybox is busybox:1.36.1: one ADD of a busybox-static rootfs, then CMD ["sh"].
func buildBusybox() (*Image, error) {
	b := newBuilder("busybox:1.36.1", date("2024-09-26T21:31:42Z"))
	b.dir(modeDir, "/bin", "/etc", "/home", "/usr/sbin", "/var/spool/mail", "/var/www")
	b.dir(0o700, "/root")
	b.dir(modeTmp, "/tmp")
	passwd := "root:x:0:0:root:/root:/bin/sh\n" +
		"daemon:x:1:1:daemon:/usr/sbin:/bin/false\n" +
		"bin:x:2:2:bin:/bin:/bin/false\n" +
		"sys:x:3:3:sys:/dev:/bin/false\n" +
		"sync:x:4:100:sync:/bin:/bin/sync\n" +
		"mail:x:8:8:mail:/var/spool/mail:/bin/false\n" +
		"www-data:x:33:33:www-data:/var/www:/bin/false\n" +
		"operator:x:37:37:Operator:/var:/bin/false\n" +
		"nobody:x:65534:65534:nobody:/home:/bin/false\n"
	group := "root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nadm:x:4:\ntty:x:5:\ndisk:x:6:\n" +
		"wheel:x:10:root\nutmp:x:43:\nstaff:x:50:\nmail:x:8:\nwww-data:x:33:\n" +
		"operator:x:37:\nusers:x:100:\nnogroup:x:65534:\n"
	b.file("/etc/passwd", modeFile, passwd)
	b.file("/etc/group", modeFile, group)
	b.fill(busyboxSize, "/bin/busybox 1 x")
	for _, a := range busyboxApplets {
		b.link("/bin/"+a, "busybox")
	}
	b.add("/")
	b.cmd("sh")
	b.img.Config.Env = []string{"PATH=" + defaultPath}
	return b.done()
}
