package baseimage

// busyboxApplets are the commands the stand-in busybox provides as symlinks to
// /bin/busybox, as the conformance base `busybox:local` does with `ln -sf busybox`
// (the real busybox image uses hard links). The list is `busybox --list` of BusyBox
// 1.35/1.36 as Debian builds it (the conformance base), sorted, without busybox
// itself, plus adduser and addgroup, which the official busybox:1.36 image has and
// earlier versions of this stand-in linked.
var busyboxApplets = []string{
	"[", "[[", "acpid", "addgroup", "adduser", "adjtimex", "ar", "arch", "arp", "arping", "ascii",
	"ash", "awk", "base64", "basename", "bc", "blkdiscard", "blockdev", "brctl", "bunzip2", "bzcat",
	"bzip2", "cal", "cat", "chgrp", "chmod", "chown", "chroot", "chvt", "clear", "cmp", "cp", "cpio",
	"crc32", "crond", "crontab", "cttyhack", "cut", "date", "dc", "dd", "deallocvt", "depmod",
	"devmem", "df", "diff", "dirname", "dmesg", "dnsdomainname", "dos2unix", "dpkg", "dpkg-deb", "du",
	"dumpkmap", "dumpleases", "echo", "ed", "egrep", "env", "expand", "expr", "factor", "fallocate",
	"false", "fatattr", "fdisk", "fgrep", "find", "findfs", "fold", "free", "freeramdisk", "fsfreeze",
	"fstrim", "ftpget", "ftpput", "getopt", "getty", "grep", "groups", "gunzip", "gzip", "halt",
	"head", "hexdump", "hostid", "hostname", "httpd", "hwclock", "i2cdetect", "i2cdump", "i2cget",
	"i2cset", "i2ctransfer", "id", "ifconfig", "ifdown", "ifup", "init", "insmod", "ionice", "ip",
	"ipcalc", "ipneigh", "kill", "killall", "klogd", "last", "less", "link", "linux32", "linux64",
	"linuxrc", "ln", "loadfont", "loadkmap", "logger", "login", "logname", "logread", "losetup", "ls",
	"lsmod", "lsscsi", "lzcat", "lzma", "lzop", "md5sum", "mdev", "microcom", "mim", "mkdir",
	"mkdosfs", "mke2fs", "mkfifo", "mknod", "mkpasswd", "mkswap", "mktemp", "modinfo", "modprobe",
	"more", "mount", "mt", "mv", "nameif", "nc", "netstat", "nl", "nologin", "nproc", "nsenter",
	"nslookup", "nuke", "od", "openvt", "partprobe", "passwd", "paste", "patch", "pidof", "ping",
	"ping6", "pivot_root", "poweroff", "printf", "ps", "pwd", "rdate", "readlink", "realpath",
	"reboot", "renice", "reset", "resume", "rev", "rm", "rmdir", "rmmod", "route", "rpm", "rpm2cpio",
	"run-init", "run-parts", "sed", "seq", "setkeycodes", "setpriv", "setsid", "sh", "sha1sum",
	"sha256sum", "sha3sum", "sha512sum", "shred", "shuf", "sleep", "sort", "ssl_client",
	"start-stop-daemon", "stat", "strings", "stty", "su", "sulogin", "svc", "svok", "swapoff",
	"swapon", "switch_root", "sync", "sysctl", "syslogd", "tac", "tail", "tar", "taskset", "tc",
	"tee", "telnet", "telnetd", "test", "tftp", "time", "timeout", "top", "touch", "tr", "traceroute",
	"traceroute6", "true", "truncate", "ts", "tty", "tunctl", "ubirename", "udhcpc", "udhcpd",
	"uevent", "umount", "uname", "uncompress", "unexpand", "uniq", "unix2dos", "unlink", "unlzma",
	"unshare", "unxz", "unzip", "uptime", "usleep", "uudecode", "uuencode", "vconfig", "vi", "w",
	"watch", "watchdog", "wc", "wget", "which", "who", "whoami", "xargs", "xxd", "xz", "xzcat", "yes",
	"zcat",
}

// defaultPath is the PATH of the Debian-, Ubuntu- and busybox-based official images.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// busyboxSize is the uncompressed content of the busybox layer: the recorded size of
// the conformance base busybox:local (1.98MB).
const busyboxSize = 1982312

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
