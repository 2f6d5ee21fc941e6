package baseimage

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// alpineRelease is one served Alpine branch.
type alpineRelease struct {
	branch   string // "3.21"
	version  string // "3.21.3": the point release alpine:3.21 resolves to
	max      string // newest point release upstream published ("" = version)
	released string // the branch's first release, YYYY-MM-DD
	busybox  string // busybox package version
	apk      string // apk-tools package version
	openssl  string
	created  string
	size     int64 // uncompressed content bytes (docker images SIZE)
}

// alpineReleases are the branches served, oldest first. The three of early 2025 keep
// the point releases the stand-ins had first (max names the newer points upstream has);
// the others are the newest point release published by 2026-12.
var alpineReleases = []alpineRelease{
	{branch: "3.7", version: "3.7.3", released: "2017-11-30", busybox: "1.27.2-r11", apk: "2.10.4-r2", openssl: "1.0.2t-r0", created: "2019-03-07T22:19:53Z", size: 4_206_000},
	{branch: "3.8", version: "3.8.5", released: "2018-06-26", busybox: "1.28.4-r3", apk: "2.10.6-r0", openssl: "1.0.2u-r0", created: "2020-01-23T16:53:36Z", size: 4_413_000},
	{branch: "3.9", version: "3.9.6", released: "2019-01-29", busybox: "1.29.3-r10", apk: "2.10.6-r0", openssl: "1.1.1g-r0", created: "2020-04-24T01:05:21Z", size: 5_553_000},
	{branch: "3.10", version: "3.10.9", released: "2019-06-19", busybox: "1.30.1-r5", apk: "2.10.8-r0", openssl: "1.1.1k-r0", created: "2021-04-14T19:20:04Z", size: 5_585_000},
	{branch: "3.11", version: "3.11.13", released: "2019-12-19", busybox: "1.31.1-r10", apk: "2.10.8-r0", openssl: "1.1.1l-r0", created: "2021-11-12T17:19:45Z", size: 5_607_000},
	{branch: "3.12", version: "3.12.12", released: "2020-05-29", busybox: "1.31.1-r22", apk: "2.10.8-r1", openssl: "1.1.1t-r2", created: "2022-04-04T23:39:34Z", size: 5_589_000},
	{branch: "3.13", version: "3.13.12", released: "2021-01-14", busybox: "1.32.1-r9", apk: "2.12.7-r0", openssl: "1.1.1t-r3", created: "2022-08-09T17:19:53Z", size: 5_620_000},
	{branch: "3.14", version: "3.14.10", released: "2021-06-15", busybox: "1.33.1-r8", apk: "2.12.7-r0", openssl: "1.1.1t-r0", created: "2023-03-29T17:54:02Z", size: 5_604_000},
	{branch: "3.15", version: "3.15.11", released: "2021-11-24", busybox: "1.34.1-r7", apk: "2.12.7-r3", openssl: "1.1.1w-r1", created: "2023-11-30T23:22:42Z", size: 5_618_000},
	{branch: "3.16", version: "3.16.9", released: "2022-05-23", busybox: "1.35.0-r18", apk: "2.12.10-r1", openssl: "1.1.1w-r1", created: "2024-01-27T00:30:48Z", size: 5_540_000},
	{branch: "3.17", version: "3.17.10", released: "2022-11-22", busybox: "1.35.0-r31", apk: "2.12.12-r0", openssl: "3.0.15-r0", created: "2024-09-06T22:20:07Z", size: 7_062_000},
	{branch: "3.18", version: "3.18.12", released: "2023-05-09", busybox: "1.36.1-r7", apk: "2.14.4-r0", openssl: "3.1.8-r0", created: "2025-01-08T18:23:49Z", size: 7_331_000},
	{branch: "3.19", version: "3.19.6", max: "3.19.8", released: "2023-12-07", busybox: "1.36.1-r20", apk: "2.14.4-r0", openssl: "3.1.7-r1", created: "2025-01-08T18:23:50Z", size: 7_377_000},
	{branch: "3.20", version: "3.20.5", max: "3.20.8", released: "2024-05-22", busybox: "1.36.1-r31", apk: "2.14.4-r1", openssl: "3.3.2-r1", created: "2025-01-08T18:23:51Z", size: 7_800_000},
	{branch: "3.21", version: "3.21.2", max: "3.21.5", released: "2024-12-05", busybox: "1.37.0-r12", apk: "2.14.6-r2", openssl: "3.3.2-r4", created: "2025-01-08T18:23:52Z", size: 7_834_000},
	{branch: "3.22", version: "3.22.2", released: "2025-05-30", busybox: "1.37.0-r18", apk: "2.14.9-r2", openssl: "3.5.4-r0", created: "2025-10-08T12:05:10Z", size: 8_310_000},
	{branch: "3.23", version: "3.23.2", released: "2025-12-03", busybox: "1.37.0-r24", apk: "3.0.3-r1", openssl: "3.5.4-r1", created: "2026-06-12T10:21:40Z", size: 8_440_000},
	{branch: "3.24", version: "3.24.1", released: "2026-05-20", busybox: "1.37.0-r30", apk: "3.0.5-r0", openssl: "3.5.6-r0", created: "2026-10-01T09:14:03Z", size: 8_520_000},
}

// alpineApplets are the busybox applets Alpine's busybox package links, by directory
// (busybox 1.36/1.37 as Alpine configures it; the links are symlinks to /bin/busybox).
var alpineApplets = map[string][]string{
	"/bin/": strings.Fields(`arch ash base64 bbconfig cat chattr chgrp chmod chown cp date dd df
		dmesg dnsdomainname dumpkmap echo egrep false fatattr fdflush fgrep fsync getopt grep
		gunzip gzip hostname ionice iostat ipcalc kbd_mode kill link linux32 linux64 ln login ls
		lsattr lzop makemime mkdir mknod mktemp more mount mountpoint mpstat mv netstat nice
		pidof ping ping6 pipe_progress printenv ps pwd reformime rev rm rmdir run-parts sed
		setpriv setserial sh sleep stat stty su sync tar touch true umount uname usleep watch zcat`),
	"/sbin/": strings.Fields(`acpid adjtimex arp blkid blockdev depmod fbsplash fdisk findfs
		fsck fstrim getty halt hwclock ifconfig ifdown ifenslave ifup init inotifyd insmod ip
		ipaddr iplink ipneigh iproute iprule iptunnel klogd loadkmap logread losetup lsmod mdev
		mkdosfs mkfs.vfat mkswap modinfo modprobe nameif nologin pivot_root poweroff raidautorun
		reboot rmmod route setconsole slattach swapoff swapon switch_root sysctl syslogd tunctl
		udhcpc vconfig watchdog`),
	"/usr/bin/": strings.Fields(`[ [[ awk basename bc beep blkdiscard bunzip2 bzcat bzip2 cal
		chvt cksum clear cmp comm cpio crontab cryptpw cut dc deallocvt diff dirname dos2unix du
		eject env expand expr factor fallocate find flock fold free fuser groups hd head hexdump
		hostid id install ipcrm ipcs killall last less logger lsof lsusb lzcat lzma md5sum mesg
		microcom mkfifo mkpasswd nc nl nmeter nohup nproc nsenter nslookup od openvt passwd paste
		pgrep pkill pmap printf pscan pstree pwdx readlink realpath renice reset resize seq
		setkeycodes setsid sha1sum sha256sum sha3sum sha512sum showkey shred shuf sort split
		strings sum tac tail tee test time timeout top tr traceroute traceroute6 tree truncate
		tty ttysize udhcpc6 unexpand uniq unix2dos unlink unlzma unlzop unshare unxz unzip uptime
		uudecode uuencode vi vlock volname wc wget which whoami whois xargs xxd xzcat yes`),
	"/usr/sbin/": strings.Fields(`add-shell addgroup adduser arping brctl chpasswd chroot crond
		delgroup deluser fbset killall5 loadfont nanddump nandwrite nbd-client ntpd partprobe
		rdate rdev readahead remove-shell rfkill sendmail setfont setlogcons`),
}

const alpinePasswd = `root:x:0:0:root:/root:/bin/sh
bin:x:1:1:bin:/bin:/sbin/nologin
daemon:x:2:2:daemon:/sbin:/sbin/nologin
lp:x:4:7:lp:/var/spool/lpd:/sbin/nologin
sync:x:5:0:sync:/sbin:/bin/sync
shutdown:x:6:0:shutdown:/sbin:/sbin/shutdown
halt:x:7:0:halt:/sbin:/sbin/halt
mail:x:8:12:mail:/var/mail:/sbin/nologin
news:x:9:13:news:/usr/lib/news:/sbin/nologin
uucp:x:10:14:uucp:/var/spool/uucppublic:/sbin/nologin
cron:x:16:16:cron:/var/spool/cron:/sbin/nologin
ftp:x:21:21::/var/lib/ftp:/sbin/nologin
sshd:x:22:22:sshd:/dev/null:/sbin/nologin
games:x:35:35:games:/usr/games:/sbin/nologin
ntp:x:123:123:NTP:/var/empty:/sbin/nologin
guest:x:405:100:guest:/dev/null:/sbin/nologin
nobody:x:65534:65534:nobody:/:/sbin/nologin
`

const alpineGroup = `root:x:0:root
bin:x:1:root,bin,daemon
daemon:x:2:root,bin,daemon
sys:x:3:root,bin
adm:x:4:root,daemon
tty:x:5:
disk:x:6:root
lp:x:7:lp
kmem:x:9:
wheel:x:10:root
floppy:x:11:root
mail:x:12:mail
news:x:13:news
uucp:x:14:uucp
cron:x:16:cron
audio:x:18:
cdrom:x:19:
dialout:x:20:root
ftp:x:21:
sshd:x:22:
input:x:23:
tape:x:26:root
video:x:27:root
netdev:x:28:
kvm:x:34:kvm
games:x:35:
shadow:x:42:
www-data:x:82:
users:x:100:games
ntp:x:123:
abuild:x:300:
utmp:x:406:
ping:x:999:
nogroup:x:65533:
nobody:x:65534:
`

// shadowFor locks every account of a passwd file, as a fresh image has it.
func shadowFor(passwd, field string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(passwd), "\n") {
		name, _, _ := strings.Cut(line, ":")
		fmt.Fprintf(&b, "%s:%s\n", name, field)
	}
	return b.String()
}

// apkPackage is one entry of /lib/apk/db/installed.
type apkPackage struct {
	name, version, desc, url, license string
	files                             []string // installed paths
}

// apkInstalled renders /lib/apk/db/installed for pkgs.
func apkInstalled(pkgs []apkPackage, built int64) string {
	var b strings.Builder
	for _, p := range pkgs {
		fmt.Fprintf(&b, "C:Q1%s=\nP:%s\nV:%s\nA:x86_64\nS:%d\nI:%d\nT:%s\nU:%s\nL:%s\no:%s\nm:Natanael Copa <ncopa@alpinelinux.org>\nt:%d\nc:%s\n",
			fakeSum("apk", p.name, p.version)[:27], p.name, p.version, 4096+len(p.files)*1024, 8192+len(p.files)*4096,
			p.desc, p.url, p.license, p.name, built, fakeSum("aports", p.name)[:40])
		files := append([]string(nil), p.files...)
		sort.Strings(files)
		dir := "\x00"
		for _, f := range files {
			d, base := path.Split(strings.TrimPrefix(f, "/"))
			d = strings.TrimSuffix(d, "/")
			if d != dir {
				fmt.Fprintf(&b, "F:%s\n", d)
				dir = d
			}
			fmt.Fprintf(&b, "R:%s\nZ:Q1%s=\n", base, fakeSum("file", f)[:27])
		}
		b.WriteString("\n")
	}
	return b.String()
}

// buildAlpine is alpine:<branch> (or one of its point releases, r.version): one ADD of the minirootfs, then CMD ["/bin/sh"].
func buildAlpine(r alpineRelease, name string) (*Image, error) {
	b := newBuilder(name, date(r.created))
	b.seed = "alpine:" + r.version
	b.dir(modeDir, "/bin", "/dev", "/etc", "/home", "/lib", "/media/cdrom", "/media/floppy", "/media/usb",
		"/mnt", "/opt", "/proc", "/run", "/sbin", "/srv", "/sys", "/usr/bin", "/usr/sbin", "/usr/lib",
		"/usr/local/bin", "/usr/local/lib", "/usr/local/share", "/usr/share/apk/keys",
		"/var/cache/apk", "/var/empty", "/var/lib/apk", "/var/local", "/var/log", "/var/mail",
		"/var/opt", "/var/spool/cron", "/etc/apk/keys", "/etc/apk/protected_paths.d",
		"/etc/profile.d", "/etc/crontabs", "/etc/network/if-up.d", "/etc/periodic/daily",
		"/etc/ssl/certs", "/lib/apk/db", "/lib/firmware", "/lib/modules-load.d")
	b.dir(0o700, "/root")
	b.dir(modeTmp, "/tmp", "/var/tmp")
	b.link("/var/run", "../run", "/var/lock", "../run/lock", "/var/spool/mail", "../mail")
	b.file("/etc/os-release", modeFile, fmt.Sprintf("NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=%s\nPRETTY_NAME=\"Alpine Linux v%s\"\nHOME_URL=\"https://alpinelinux.org/\"\nBUG_REPORT_URL=\"https://gitlab.alpinelinux.org/alpine/aports/-/issues\"\n", r.version, r.branch))
	b.file("/etc/alpine-release", modeFile, r.version+"\n")
	b.file("/etc/issue", modeFile, "Welcome to Alpine Linux "+r.branch+"\nKernel \\r on an \\m (\\l)\n\n")
	b.file("/etc/motd", modeFile, "Welcome to Alpine!\n\nThe Alpine Wiki contains a large amount of how-to guides and general\ninformation about administrating Alpine systems.\nSee <https://wiki.alpinelinux.org/>.\n\nYou can setup the system with the command: setup-alpine\n\nYou may change this message by editing /etc/motd.\n\n")
	b.file("/etc/hostname", modeFile, "localhost\n")
	b.file("/etc/hosts", modeFile, "127.0.0.1\tlocalhost localhost.localdomain\n::1\t\tlocalhost localhost.localdomain\n")
	b.file("/etc/passwd", modeFile, alpinePasswd)
	b.file("/etc/group", modeFile, alpineGroup)
	b.file("/etc/shadow", 0o640, shadowFor(alpinePasswd, "*::0:::::"))
	b.chown("/etc/shadow", 0, 42)
	b.file("/etc/shells", modeFile, "# valid login shells\n/bin/sh\n/bin/ash\n")
	b.file("/etc/profile", modeFile, "export CHARSET=UTF-8\nexport LANG=C.UTF-8\nexport LC_COLLATE=C\n\nexport PATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\nexport PAGER=less\numask 022\n\nfor script in /etc/profile.d/*.sh ; do\n\tif [ -r \"$script\" ] ; then\n\t\t. \"$script\"\n\tfi\ndone\nunset script\n")
	b.file("/etc/profile.d/color_prompt.sh.disabled", modeFile, "# Setup a red prompt for root and a green one for users.\n")
	b.file("/etc/fstab", modeFile, "/dev/cdrom\t/media/cdrom\tiso9660\tnoauto,ro 0 0\n/dev/usbdisk\t/media/usb\tvfat\tnoauto,ro 0 0\n")
	b.file("/etc/inittab", modeFile, "# /etc/inittab\n\n::sysinit:/sbin/openrc sysinit\n::sysinit:/sbin/openrc boot\n::wait:/sbin/openrc default\n\ntty1::respawn:/sbin/getty 38400 tty1\n\n::ctrlaltdel:/sbin/reboot\n::shutdown:/sbin/openrc shutdown\n")
	b.file("/etc/nsswitch.conf", modeFile, "# musl itself does not support NSS,\nhosts:\t\tfiles dns\n")
	b.file("/etc/crontabs/root", 0o600, "# do daily/weekly/monthly maintenance\n# min\thour\tday\tmonth\tweekday\tcommand\n*/15\t*\t*\t*\t*\trun-parts /etc/periodic/15min\n0\t*\t*\t*\t*\trun-parts /etc/periodic/hourly\n0\t2\t*\t*\t*\trun-parts /etc/periodic/daily\n")
	b.file("/etc/apk/arch", modeFile, "x86_64\n")
	b.file("/etc/apk/repositories", modeFile, fmt.Sprintf("https://dl-cdn.alpinelinux.org/alpine/v%s/main\nhttps://dl-cdn.alpinelinux.org/alpine/v%s/community\n", r.branch, r.branch))
	b.file("/etc/apk/world", modeFile, "alpine-baselayout\nalpine-keys\nalpine-release\napk-tools\nbusybox\nca-certificates-bundle\nlibc-utils\n")
	b.file("/etc/apk/protected_paths.d/alpine-baselayout.list", modeFile, "+etc\n@etc/init.d\n!etc/apk\n")
	for _, k := range []string{"alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub", "alpine-devel@lists.alpinelinux.org-5261cecb.rsa.pub", "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub"} {
		b.file("/etc/apk/keys/"+k, modeFile, "-----BEGIN PUBLIC KEY-----\n"+fakeSum(k)+"\n-----END PUBLIC KEY-----\n")
	}
	b.file("/etc/busybox-paths.d/busybox", modeFile, "")
	b.file("/etc/securetty", modeFile, "console\ntty1\ntty2\ntty3\ntty4\ntty5\ntty6\n")
	b.file("/etc/sysctl.conf", modeFile, "# content of this file will override /etc/sysctl.d/*\n")
	b.file("/sbin/ldconfig", modeExec, "#!/bin/sh\nscan_dirs() {\n\tscanelf -qS \"$@\" | while read SONAME FILE; do\n\t\tTARGET=\"${FILE##*/}\"\n\t\tLINK=\"${FILE%/*}/$SONAME\"\n\tdone\n}\nexit 0\n")
	b.file("/lib/apk/db/lock", 0o600, "")
	b.file("/lib/apk/db/triggers", modeFile, "")
	b.file("/lib/apk/db/scripts.tar", modeFile, "")

	b.link(
		"/lib/libc.musl-x86_64.so.1", "ld-musl-x86_64.so.1",
		"/lib/libz.so.1", "libz.so.1.3.1",
		"/usr/bin/ldd", "../../lib/ld-musl-x86_64.so.1",
		"/usr/bin/getconf", "../../lib/ld-musl-x86_64.so.1",
		"/usr/bin/iconv", "../../lib/ld-musl-x86_64.so.1",
	)
	for _, dir := range []string{"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/"} {
		for _, a := range alpineApplets[dir] {
			b.link(dir+a, "/bin/busybox")
		}
	}
	b.file("/lib/apk/db/installed", modeFile, apkInstalled([]apkPackage{
		{"alpine-baselayout", "3.6.8-r1", "Alpine base dir structure and init scripts", "https://git.alpinelinux.org/cgit/aports/tree/main/alpine-baselayout", "GPL-2.0-only", []string{"/etc/profile", "/etc/shells", "/etc/fstab", "/etc/inittab", "/etc/crontabs/root", "/etc/motd", "/etc/sysctl.conf", "/etc/securetty"}},
		{"alpine-baselayout-data", "3.6.8-r1", "Alpine base dir structure and init scripts", "https://git.alpinelinux.org/cgit/aports/tree/main/alpine-baselayout", "GPL-2.0-only", []string{"/etc/group", "/etc/hostname", "/etc/hosts", "/etc/nsswitch.conf", "/etc/passwd", "/etc/shadow", "/etc/services", "/etc/protocols"}},
		{"alpine-keys", "2.5-r0", "Public keys for Alpine Linux packages", "https://alpinelinux.org", "MIT", []string{"/etc/apk/keys/alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub"}},
		{"alpine-release", r.version + "-r0", "Alpine release data", "https://alpinelinux.org", "MIT", []string{"/etc/alpine-release", "/etc/issue", "/etc/os-release", "/usr/lib/os-release"}},
		{"apk-tools", r.apk, "Alpine Package Keeper - package manager for alpine", "https://gitlab.alpinelinux.org/alpine/apk-tools", "GPL-2.0-only", []string{"/sbin/apk", "/lib/libapk.so.2.14.0"}},
		{"busybox", r.busybox, "Size optimized toolbox of many common UNIX utilities", "https://busybox.net/", "GPL-2.0-only", []string{"/bin/busybox", "/usr/share/udhcpc/default.script"}},
		{"busybox-binsh", r.busybox, "busybox ash /bin/sh", "https://busybox.net/", "GPL-2.0-only", []string{"/bin/sh"}},
		{"ca-certificates-bundle", "20241121-r1", "Pre generated bundle of Mozilla certificates", "https://www.mozilla.org/en-US/about/governance/policies/security-group/certs/", "MPL-2.0 AND MIT", []string{"/etc/ssl/certs/ca-certificates.crt"}},
		{"libcrypto3", r.openssl, "Crypto library from openssl", "https://www.openssl.org/", "Apache-2.0", []string{"/usr/lib/libcrypto.so.3", "/usr/lib/engines-3/afalg.so", "/usr/lib/engines-3/loader_attic.so", "/usr/lib/engines-3/padlock.so", "/usr/lib/ossl-modules/legacy.so", "/etc/ssl/openssl.cnf"}},
		{"libssl3", r.openssl, "SSL shared libraries", "https://www.openssl.org/", "Apache-2.0", []string{"/usr/lib/libssl.so.3"}},
		{"musl", "1.2.5-r9", "the musl c library (libc) implementation", "https://musl.libc.org/", "MIT", []string{"/lib/ld-musl-x86_64.so.1", "/lib/libc.musl-x86_64.so.1"}},
		{"musl-utils", "1.2.5-r9", "the musl c library (libc) implementation", "https://musl.libc.org/", "MIT AND BSD-2-Clause AND GPL-2.0-or-later", []string{"/sbin/ldconfig", "/usr/bin/getconf", "/usr/bin/getent", "/usr/bin/iconv", "/usr/bin/ldd"}},
		{"scanelf", "1.3.8-r1", "Scan ELF binaries for stuff", "https://wiki.gentoo.org/wiki/Hardened/PaX_Utilities", "GPL-2.0-only", []string{"/usr/bin/scanelf"}},
		{"ssl_client", r.busybox, "EXternal ssl_client for busybox wget", "https://busybox.net/", "GPL-2.0-only", []string{"/usr/bin/ssl_client"}},
		{"zlib", "1.3.1-r2", "A compression/decompression Library", "https://zlib.net/", "Zlib", []string{"/lib/libz.so.1", "/lib/libz.so.1.3.1"}},
	}, b.t.Unix()))
	b.fill(r.size, `
/bin/busybox 808 x
/lib/ld-musl-x86_64.so.1 643 x
/sbin/apk 71 x
/lib/libapk.so.2.14.0 231 x
/lib/libz.so.1.3.1 99 x
/usr/lib/libcrypto.so.3 4355 x
/usr/lib/libssl.so.3 621 x
/usr/lib/engines-3/afalg.so 23 x
/usr/lib/engines-3/loader_attic.so 63 x
/usr/lib/engines-3/padlock.so 19 x
/usr/lib/ossl-modules/legacy.so 140 x
/etc/ssl/certs/ca-certificates.crt 221
/etc/ssl/openssl.cnf 12
/etc/services 14
/etc/protocols 3
/usr/bin/ssl_client 14 x
/usr/bin/scanelf 78 x
/usr/bin/getent 47 x
/usr/share/udhcpc/default.script 2 x
/usr/lib/os-release 1
`)
	b.add("/")
	b.cmd("/bin/sh")
	b.img.Config.Env = []string{"PATH=" + defaultPath}
	return b.done()
}
