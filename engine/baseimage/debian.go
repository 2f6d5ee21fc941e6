package baseimage

import (
	"fmt"
	"strings"
)

// debRelease is one served Debian or Ubuntu release.
type debRelease struct {
	distro     string // "debian" or "ubuntu"
	codename   string // "bookworm"
	version    string // "12", "24.04"
	point      string // /etc/debian_version, or Ubuntu's full VERSION ("24.04.2 LTS (Noble Numbat)")
	mergedUsr  bool   // /bin, /sbin, /lib are symlinks into /usr
	released   string // the release date, YYYY-MM-DD: official images stood on it from then
	end        string // the last date official images were published on it ("" = still)
	created    string
	size       int64             // the full image (docker images SIZE)
	slimSize   int64             // the -slim variant (Debian only)
	overrides  map[string]string // package versions that differ from bookworm's
	noPackages []string          // bookworm packages this release does not have
}

var debReleases = []debRelease{
	{
		distro: "debian", codename: "bookworm", version: "12", point: "12.9", mergedUsr: true, released: "2023-06-10",
		created: "2025-02-03T00:00:00Z", size: 117_000_000, slimSize: 74_800_000,
	},
	{
		distro: "debian", codename: "bullseye", version: "11", point: "11.11", mergedUsr: false, released: "2021-08-14", end: "2026-08-31",
		created: "2025-02-03T00:00:00Z", size: 124_000_000, slimSize: 80_600_000,
		overrides: map[string]string{
			"base-files": "11.1+deb11u11", "libc6": "2.31-13+deb11u11", "libc-bin": "2.31-13+deb11u11",
			"bash": "5.1-2+deb11u1", "apt": "2.2.4", "libapt-pkg6.0": "2.2.4", "dpkg": "1.20.13",
			"coreutils": "8.32-4+b1", "perl-base": "5.32.1-4+deb11u4", "tar": "1.34+dfsg-1+deb11u1",
			"dash": "0.5.11+git20200708+dd9ef66-5", "gcc-12-base": "10.2.1-6", "libgcc-s1": "10.2.1-6",
			"libstdc++6": "10.2.1-6", "grep": "3.6-1+deb11u1", "sed": "4.7-1", "util-linux": "2.36.1-8+deb11u2",
		},
		noPackages: []string{"usr-is-merged", "util-linux-extra"},
	},
	{
		distro: "debian", codename: "trixie", version: "13", point: "13.2", mergedUsr: true, released: "2025-08-09",
		created: "2026-11-17T00:00:00Z", size: 120_000_000, slimSize: 78_600_000,
		overrides: map[string]string{
			"base-files": "13.8+deb13u2", "libc6": "2.41-12", "libc-bin": "2.41-12", "bash": "5.2.37-2+b5",
			"apt": "3.0.3", "libapt-pkg6.0": "3.0.3", "dpkg": "1.22.21", "coreutils": "9.7-3", "perl-base": "5.40.1-6",
			"tar": "1.35+dfsg-3.1", "dash": "0.5.12-12", "gcc-12-base": "14.2.0-19", "libgcc-s1": "14.2.0-19",
			"libstdc++6": "14.2.0-19", "grep": "3.11-4", "sed": "4.9-2", "util-linux": "2.41-5",
		},
	},
	{
		distro: "debian", codename: "buster", version: "10", point: "10.13", mergedUsr: false, released: "2019-07-06", end: "2024-06-30",
		created: "2024-06-13T00:00:00Z", size: 114_000_000, slimSize: 69_300_000,
		overrides: map[string]string{
			"base-files": "10.3+deb10u13", "libc6": "2.28-10+deb10u3", "libc-bin": "2.28-10+deb10u3", "bash": "5.0-4",
			"apt": "1.8.2.3", "libapt-pkg6.0": "1.8.2.3", "dpkg": "1.19.8", "coreutils": "8.30-3", "perl-base": "5.28.1-6+deb10u1",
			"tar": "1.30+dfsg-6+deb10u1", "dash": "0.5.10.2-5", "gcc-12-base": "8.3.0-6", "libgcc-s1": "8.3.0-6",
			"libstdc++6": "8.3.0-6", "grep": "3.3-1", "sed": "4.7-1", "util-linux": "2.33.1-0.1+deb10u1",
		},
		noPackages: []string{"usr-is-merged", "util-linux-extra"},
	},
	{
		distro: "debian", codename: "stretch", version: "9", point: "9.13", mergedUsr: false, released: "2017-06-17", end: "2022-06-30",
		created: "2022-03-28T00:00:00Z", size: 101_000_000, slimSize: 55_300_000,
		overrides: map[string]string{
			"base-files": "9.9+deb9u13", "libc6": "2.24-11+deb9u4", "libc-bin": "2.24-11+deb9u4", "bash": "4.4-5",
			"apt": "1.4.11", "libapt-pkg6.0": "1.4.11", "dpkg": "1.18.26", "coreutils": "8.26-3", "perl-base": "5.24.1-3+deb9u7",
			"tar": "1.29b-1.1+deb9u1", "dash": "0.5.8-2.4", "gcc-12-base": "6.3.0-18+deb9u1", "libgcc-s1": "6.3.0-18+deb9u1",
			"libstdc++6": "6.3.0-18+deb9u1", "grep": "2.27-2", "sed": "4.4-1", "util-linux": "2.29.2-1+deb9u1",
		},
		noPackages: []string{"usr-is-merged", "util-linux-extra"},
	},
	{
		distro: "ubuntu", codename: "noble", version: "24.04", point: "24.04.2 LTS (Noble Numbat)", mergedUsr: true, released: "2024-04-25",
		created: "2025-02-11T07:28:41Z", size: 78_100_000,
		overrides: map[string]string{
			"base-files": "13ubuntu10.2", "libc6": "2.39-0ubuntu8.4", "libc-bin": "2.39-0ubuntu8.4",
			"bash": "5.2.21-2ubuntu4", "apt": "2.7.14build2", "libapt-pkg6.0": "2.7.14build2", "dpkg": "1.22.6ubuntu6.1",
			"coreutils": "9.4-3ubuntu6", "perl-base": "5.38.2-3.2build2", "tar": "1.35+dfsg-3build1",
			"dash": "0.5.12-6ubuntu5", "gcc-12-base": "14-20240412-0ubuntu1", "libgcc-s1": "14-20240412-0ubuntu1",
			"libstdc++6": "14-20240412-0ubuntu1", "grep": "3.11-4build1", "sed": "4.9-2build1", "util-linux": "2.39.3-9ubuntu6.2",
		},
	},
	{
		distro: "ubuntu", codename: "jammy", version: "22.04", point: "22.04.5 LTS (Jammy Jellyfish)", mergedUsr: true, released: "2022-04-21",
		created: "2025-01-26T05:31:26Z", size: 77_900_000,
		overrides: map[string]string{
			"base-files": "12ubuntu4.7", "libc6": "2.35-0ubuntu3.9", "libc-bin": "2.35-0ubuntu3.9",
			"bash": "5.1-6ubuntu1.1", "apt": "2.4.13", "libapt-pkg6.0": "2.4.13", "dpkg": "1.21.1ubuntu2.3",
			"coreutils": "8.32-4.1ubuntu1.2", "perl-base": "5.34.0-3ubuntu1.3", "tar": "1.34+dfsg-1ubuntu0.1.22.04.2",
			"dash": "0.5.11+git20210903+057cd650a4ed-3build1", "gcc-12-base": "12.3.0-1ubuntu1~22.04", "libgcc-s1": "12.3.0-1ubuntu1~22.04",
			"libstdc++6": "12.3.0-1ubuntu1~22.04", "grep": "3.7-1build1", "sed": "4.8-1ubuntu2", "util-linux": "2.37.2-4ubuntu3.4",
		},
		noPackages: []string{"usr-is-merged", "util-linux-extra"},
	},
	{
		distro: "ubuntu", codename: "focal", version: "20.04", point: "20.04.6 LTS (Focal Fossa)", mergedUsr: false, released: "2020-04-23", end: "2025-05-31",
		created: "2025-04-08T10:40:27Z", size: 72_800_000,
		overrides: map[string]string{
			"base-files": "11ubuntu5.8", "libc6": "2.31-0ubuntu9.17", "libc-bin": "2.31-0ubuntu9.17", "bash": "5.0-6ubuntu1.2",
			"apt": "2.0.10", "libapt-pkg6.0": "2.0.10", "dpkg": "1.19.7ubuntu3.2", "coreutils": "8.30-3ubuntu2", "perl-base": "5.30.0-9ubuntu0.5",
			"tar": "1.30+dfsg-7ubuntu0.20.04.4", "dash": "0.5.10.2-6", "gcc-12-base": "10.5.0-1ubuntu1~20.04", "libgcc-s1": "10.5.0-1ubuntu1~20.04",
			"libstdc++6": "10.5.0-1ubuntu1~20.04", "grep": "3.4-1", "sed": "4.7-1", "util-linux": "2.34-0.1ubuntu9.6",
		},
		noPackages: []string{"usr-is-merged", "util-linux-extra"},
	},
	{
		distro: "ubuntu", codename: "bionic", version: "18.04", point: "18.04.6 LTS (Bionic Beaver)", mergedUsr: false, released: "2018-04-26", end: "2023-05-31",
		created: "2023-05-30T09:32:09Z", size: 63_100_000,
		overrides: map[string]string{
			"base-files": "10.1ubuntu2.12", "libc6": "2.27-3ubuntu1.6", "libc-bin": "2.27-3ubuntu1.6", "bash": "4.4.18-2ubuntu1.3",
			"apt": "1.6.17", "libapt-pkg6.0": "1.6.17", "dpkg": "1.19.0.5ubuntu2.4", "coreutils": "8.28-1ubuntu1", "perl-base": "5.26.1-6ubuntu0.7",
			"tar": "1.29b-2ubuntu0.4", "dash": "0.5.8-2.10", "gcc-12-base": "8.4.0-1ubuntu1~18.04", "libgcc-s1": "8.4.0-1ubuntu1~18.04",
			"libstdc++6": "8.4.0-1ubuntu1~18.04", "grep": "3.1-2build1", "sed": "4.4-2", "util-linux": "2.31.1-0.4ubuntu3.7",
		},
		noPackages: []string{"usr-is-merged", "util-linux-extra"},
	},
	{
		distro: "ubuntu", codename: "xenial", version: "16.04", point: "16.04.7 LTS (Xenial Xerus)", mergedUsr: false, released: "2016-04-21", end: "2021-04-30",
		created: "2021-08-31T01:21:30Z", size: 135_000_000,
		overrides: map[string]string{
			"base-files": "9.4ubuntu4.14", "libc6": "2.23-0ubuntu11.3", "libc-bin": "2.23-0ubuntu11.3", "bash": "4.3-14ubuntu1.4",
			"apt": "1.2.35", "libapt-pkg6.0": "1.2.35", "dpkg": "1.18.4ubuntu1.7", "coreutils": "8.25-2ubuntu3~16.04", "perl-base": "5.22.1-9ubuntu0.9",
			"tar": "1.28-2.1ubuntu0.2", "dash": "0.5.8-2.1ubuntu2", "gcc-12-base": "5.4.0-6ubuntu1~16.04.12", "libgcc-s1": "6.0.1-0ubuntu1",
			"libstdc++6": "5.4.0-6ubuntu1~16.04.12", "grep": "2.25-1~16.04.1", "sed": "4.2.2-7", "util-linux": "2.27.1-6ubuntu3.10",
		},
		noPackages: []string{"usr-is-merged", "util-linux-extra"},
	},
	{
		distro: "ubuntu", codename: "trusty", version: "14.04", point: "14.04.6 LTS (Trusty Tahr)", mergedUsr: false, released: "2014-04-17", end: "2019-04-30",
		created: "2019-03-07T22:19:53Z", size: 197_000_000,
		overrides: map[string]string{
			"base-files": "7.2ubuntu5.6", "libc6": "2.19-0ubuntu6.15", "libc-bin": "2.19-0ubuntu6.15", "bash": "4.3-7ubuntu1.7",
			"apt": "1.0.1ubuntu2.24", "libapt-pkg6.0": "1.0.1ubuntu2.24", "dpkg": "1.17.5ubuntu5.8", "coreutils": "8.21-1ubuntu5.4", "perl-base": "5.18.2-2ubuntu1.7",
			"tar": "1.27.1-1ubuntu0.1", "dash": "0.5.7-4ubuntu1", "gcc-12-base": "4.8.4-2ubuntu1~14.04.4", "libgcc-s1": "4.8.4-2ubuntu1~14.04.4",
			"libstdc++6": "4.8.4-2ubuntu1~14.04.4", "grep": "2.16-1", "sed": "4.2.2-4ubuntu1", "util-linux": "2.20.1-5.1ubuntu20.9",
		},
		noPackages: []string{"usr-is-merged", "util-linux-extra"},
	},
}

// debPackages are the packages of a Debian base image: name, bookworm version, section,
// priority, description.
const debPackages = `
adduser|3.134|admin|important|add and remove users and groups
apt|2.6.1|admin|important|commandline package manager
base-files|12.4+deb12u9|admin|required|Debian base system miscellaneous files
base-passwd|3.6.1|admin|required|Debian base system master password and group files
bash|5.2.15-2+b7|shells|required|GNU Bourne Again SHell
bsdutils|1:2.38.1-5+deb12u3|utils|required|basic utilities from 4.4BSD-Lite
coreutils|9.1-1|utils|required|GNU core utilities
dash|0.5.12-2|shells|required|POSIX-compliant shell
debconf|1.5.82|admin|required|Debian configuration management system
debian-archive-keyring|2023.3+deb12u1|misc|important|GnuPG archive keys of the Debian archive
debianutils|5.7-0.5~deb12u1|utils|required|Miscellaneous utilities specific to Debian
diffutils|1:3.8-4|utils|required|File comparison utilities
dpkg|1.21.22|admin|required|Debian package management system
e2fsprogs|1.47.0-2|admin|required|ext2/ext3/ext4 file system utilities
findutils|4.9.0-4|utils|required|utilities for finding files--find, xargs
gcc-12-base|12.2.0-14|libs|required|GCC, the GNU Compiler Collection (base package)
gpgv|2.2.40-1.1|utils|important|GNU privacy guard - signature verification tool
grep|3.8-5|utils|required|GNU grep, egrep and fgrep
gzip|1.12-1|utils|required|GNU compression utilities
hostname|3.23+nmu1|admin|required|utility to set/show the host name or domain name
init-system-helpers|1.65.2|admin|optional|helper tools for all init systems
libacl1|2.3.1-3|libs|optional|access control list - shared library
libapt-pkg6.0|2.6.1|libs|important|package management runtime library
libattr1|1:2.5.1-4|libs|optional|extended attribute handling - shared library
libaudit1|1:3.0.9-1|libs|optional|Dynamic library for security auditing
libblkid1|2.38.1-5+deb12u3|libs|optional|block device ID library
libbz2-1.0|1.0.8-5+b1|libs|important|high-quality block-sorting file compressor library - runtime
libc-bin|2.36-9+deb12u9|libs|required|GNU C Library: Binaries
libc6|2.36-9+deb12u9|libs|required|GNU C Library: Shared libraries
libcap-ng0|0.8.3-1+b3|libs|optional|alternate POSIX capabilities library
libcap2|1:2.66-4|libs|optional|POSIX 1003.1e capabilities (library)
libcrypt1|1:4.4.33-2|libs|required|libcrypt shared library
libdb5.3|5.3.28+dfsg2-1|libs|important|Berkeley v5.3 Database Libraries [runtime]
libdebconfclient0|0.270|libs|optional|Debian Configuration Management System (C-implementation library)
libext2fs2|1.47.0-2|libs|important|ext2/ext3/ext4 file system libraries
libffi8|3.4.4-1|libs|optional|Foreign Function Interface library runtime
libgcc-s1|12.2.0-14|libs|required|GCC support library
libgcrypt20|1.10.1-3|libs|optional|LGPL Crypto library - runtime library
libgmp10|2:6.2.1+dfsg1-1.1|libs|optional|Multiprecision arithmetic library
libgnutls30|3.7.9-2+deb12u3|libs|optional|GNU TLS library - main runtime library
libgpg-error0|1.46-1|libs|optional|GnuPG development runtime library
libhogweed6|3.8.1-2|libs|optional|low level cryptographic library (public-key cryptos)
libidn2-0|2.3.3-1+b1|libs|optional|Internationalized domain names (IDNA2008/TR46) library
liblz4-1|1.9.4-1|libs|optional|Fast LZ compression algorithm library - runtime
liblzma5|5.4.1-0.2|libs|important|XZ-format compression library
libmd0|1.0.4-2|libs|optional|message digest functions from BSD systems - shared library
libmount1|2.38.1-5+deb12u3|libs|optional|device mounting library
libnettle8|3.8.1-2|libs|optional|low level cryptographic library (symmetric and one-way cryptos)
libp11-kit0|0.24.1-2|libs|optional|library for loading and coordinating access to PKCS#11 modules - runtime
libpam-modules|1.5.2-6+deb12u1|admin|required|Pluggable Authentication Modules for PAM
libpam-runtime|1.5.2-6+deb12u1|admin|required|Runtime support for the PAM library
libpam0g|1.5.2-6+deb12u1|libs|optional|Pluggable Authentication Modules library
libpcre2-8-0|10.42-1|libs|optional|New Perl Compatible Regular Expression Library- 8 bit runtime files
libseccomp2|2.5.4-1+deb12u1|libs|optional|high level interface to Linux seccomp filter
libselinux1|3.4-1+b6|libs|required|SELinux runtime shared libraries
libsemanage2|3.4-1+b5|libs|optional|SELinux policy management library
libsepol2|3.4-2.1|libs|required|SELinux library for manipulating binary security policies
libsmartcols1|2.38.1-5+deb12u3|libs|optional|smart column output alignment library
libss2|1.47.0-2|libs|required|command-line interface parsing library
libstdc++6|12.2.0-14|libs|important|GNU Standard C++ Library v3
libsystemd0|252.33-1~deb12u1|libs|optional|systemd utility library
libtasn1-6|4.19.0-2+deb12u1|libs|optional|Manage ASN.1 structures (runtime)
libtinfo6|6.4-4|libs|optional|shared low-level terminfo library for terminal handling
libudev1|252.33-1~deb12u1|libs|optional|libudev shared library
libunistring2|1.0-2|libs|optional|Unicode string library for C
libuuid1|2.38.1-5+deb12u3|libs|optional|Universally Unique ID library
libxxhash0|0.8.1-1|libs|optional|shared library for xxhash
libzstd1|1.5.4+dfsg2-5|libs|optional|fast lossless compression algorithm
login|1:4.13+dfsg1-1+b1|admin|required|system login tools
mawk|1.3.4.20200120-3.1|interpreters|required|Pattern scanning and text processing language
mount|2.38.1-5+deb12u3|admin|required|tools for mounting and manipulating filesystems
ncurses-base|6.4-4|misc|required|basic terminal type definitions
ncurses-bin|6.4-4|utils|required|terminal-related programs and man pages
passwd|1:4.13+dfsg1-1+b1|admin|required|change and administer password and group data
perl-base|5.36.0-7+deb12u1|perl|required|minimal Perl system
sed|4.9-1|utils|required|GNU stream editor for filtering/transforming text
sysvinit-utils|3.06-4|admin|required|System-V-like utilities
tar|1.34+dfsg-1.2+deb12u1|utils|required|GNU version of the tar archiving utility
tzdata|2024b-0+deb12u1|localization|required|time zone and daylight-saving time data
usr-is-merged|37~deb12u1|oldlibs|optional|Transitional package to assert a merged-/usr system
util-linux|2.38.1-5+deb12u3|utils|required|miscellaneous system utilities
util-linux-extra|2.38.1-5+deb12u3|utils|optional|interactive login tools
zlib1g|1:1.2.13.dfsg-1|libs|required|compression library - runtime
`

// serviceScript is the text of /usr/sbin/service: a stand-in for the real 9 kB
// script that says what it does.
const serviceScript = "#!/bin/sh\n" +
	"# A convenient wrapper for the /etc/init.d init scripts (layerlab stand-in for\n" +
	"# Debian's /usr/sbin/service): service NAME start|stop|restart|status runs\n" +
	"# /etc/init.d/NAME with that argument in a clean environment.\n" +
	"set -e\n" +
	"[ $# -ge 1 ] || { echo \"Usage: service < option > | --status-all | [ service_name [ command | --full-restart ] ]\" >&2; exit 1; }\n" +
	"exec env -i LANG=\"$LANG\" PATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\" TERM=\"$TERM\" \"/etc/init.d/$1\" ${2:+\"$2\"}\n"

// debPackage is one line of debPackages.
type debPackage struct{ name, version, section, priority, desc string }

func parseDebPackages(list string) []debPackage {
	var out []debPackage
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		f := strings.SplitN(line, "|", 5)
		out = append(out, debPackage{f[0], f[1], f[2], f[3], f[4]})
	}
	return out
}

// packages returns the release's installed packages.
func (r debRelease) packages() []debPackage {
	skip := map[string]bool{}
	for _, n := range r.noPackages {
		skip[n] = true
	}
	var out []debPackage
	for _, p := range parseDebPackages(debPackages) {
		if skip[p.name] {
			continue
		}
		if v, ok := r.overrides[p.name]; ok {
			p.version = v
		}
		out = append(out, p)
	}
	return out
}

// dpkgStatus renders /var/lib/dpkg/status entries for pkgs.
func dpkgStatus(pkgs []debPackage, maintainer string) string {
	var b strings.Builder
	for _, p := range pkgs {
		essential := ""
		if p.priority == "required" && !strings.HasPrefix(p.name, "lib") {
			essential = "Essential: yes\n"
		}
		arch := "amd64"
		if p.name == "debconf" || p.name == "adduser" || p.name == "tzdata" || p.name == "ncurses-base" || p.name == "debian-archive-keyring" || p.name == "libpam-runtime" {
			arch = "all"
		}
		fmt.Fprintf(&b, "Package: %s\n%sStatus: install ok installed\nPriority: %s\nSection: %s\nInstalled-Size: %d\nMaintainer: %s\nArchitecture: %s\nVersion: %s\nDescription: %s\n\n",
			p.name, essential, p.priority, p.section, 64+int(seedOf(p.name)%4000), maintainer, arch, p.version, p.desc)
	}
	return b.String()
}

// debCoreutils are the commands of a Debian-family base image: coreutils and friends
// as separate executables, in their pre-merged-/usr locations, with weights (KiB).
const debCoreutils = `
/bin/bash 1234 x
/bin/dash 122 x
/bin/cat 43 x
/bin/chgrp 71 x
/bin/chmod 63 x
/bin/chown 71 x
/bin/cp 151 x
/bin/date 108 x
/bin/dd 76 x
/bin/df 96 x
/bin/echo 35 x
/bin/false 31 x
/bin/grep 199 x
/bin/gzip 97 x
/bin/hostname 22 x
/bin/ln 67 x
/bin/login 51 x
/bin/ls 147 x
/bin/mkdir 96 x
/bin/mktemp 43 x
/bin/more 43 x
/bin/mount 59 x
/bin/mv 143 x
/bin/pwd 43 x
/bin/readlink 47 x
/bin/rm 71 x
/bin/rmdir 47 x
/bin/sed 119 x
/bin/sleep 35 x
/bin/stty 79 x
/bin/su 71 x
/bin/sync 35 x
/bin/tar 522 x
/bin/touch 96 x
/bin/true 31 x
/bin/umount 35 x
/bin/uname 35 x
/bin/gunzip 3 x
/bin/zcat 2 x
/usr/bin/[ 51 x
/usr/bin/apt 19 x
/usr/bin/apt-get 51 x
/usr/bin/apt-cache 87 x
/usr/bin/apt-config 27 x
/usr/bin/apt-mark 59 x
/usr/bin/basename 35 x
/usr/bin/cut 47 x
/usr/bin/dirname 35 x
/usr/bin/dpkg 313 x
/usr/bin/dpkg-deb 150 x
/usr/bin/dpkg-divert 154 x
/usr/bin/dpkg-query 166 x
/usr/bin/dpkg-split 146 x
/usr/bin/dpkg-statoverride 138 x
/usr/bin/dpkg-trigger 134 x
/usr/bin/du 104 x
/usr/bin/env 47 x
/usr/bin/expr 47 x
/usr/bin/find 220 x
/usr/bin/head 47 x
/usr/bin/id 47 x
/usr/bin/install 155 x
/usr/bin/md5sum 47 x
/usr/bin/mawk 146 x
/usr/bin/nproc 35 x
/usr/bin/perl 3897 x
/usr/bin/printf 55 x
/usr/bin/realpath 47 x
/usr/bin/seq 51 x
/usr/bin/sha256sum 55 x
/usr/bin/sort 121 x
/usr/bin/stat 87 x
/usr/bin/tail 63 x
/usr/bin/tee 39 x
/usr/bin/test 43 x
/usr/bin/timeout 39 x
/usr/bin/tr 47 x
/usr/bin/uniq 47 x
/usr/bin/wc 47 x
/usr/bin/base64 43 x
/usr/bin/tac 39 x
/usr/bin/nl 43 x
/usr/bin/paste 39 x
/usr/bin/comm 39 x
/usr/bin/fold 39 x
/usr/bin/od 71 x
/usr/bin/truncate 39 x
/usr/bin/split 55 x
/usr/bin/unlink 35 x
/usr/bin/link 35 x
/usr/bin/mkfifo 43 x
/usr/bin/nice 35 x
/usr/bin/nohup 35 x
/usr/bin/printenv 35 x
/usr/bin/arch 35 x
/usr/bin/sha1sum 47 x
/usr/bin/sha512sum 59 x
/usr/bin/cmp 51 x
/usr/bin/diff 211 x
/usr/bin/which 2 x
/usr/bin/whoami 35 x
/usr/bin/xargs 67 x
/usr/bin/yes 35 x
/usr/bin/getent 35 x
/usr/bin/ldd 6 x
/usr/bin/locale 55 x
/usr/bin/iconv 63 x
/usr/bin/passwd 67 x
/usr/bin/chage 79 x
/usr/bin/gpasswd 87 x
/usr/bin/newgrp 47 x
/usr/bin/update-alternatives 63 x
/usr/bin/gpgv 290 x
/usr/sbin/adduser 55 x
/usr/sbin/deluser 34 x
/usr/sbin/useradd 147 x
/usr/sbin/userdel 95 x
/usr/sbin/usermod 135 x
/usr/sbin/groupadd 91 x
/usr/sbin/groupdel 87 x
/usr/sbin/chpasswd 59 x
/usr/sbin/nologin 15 x
/usr/sbin/pam_getenv 3 x
/sbin/ldconfig 1016 x
/sbin/start-stop-daemon 47 x
/sbin/mke2fs 142 x
/lib/x86_64-linux-gnu/libc.so.6 1922 x
/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 210 x
/lib/x86_64-linux-gnu/libm.so.6 907 x
/lib/x86_64-linux-gnu/libresolv.so.2 67 x
/lib/x86_64-linux-gnu/libnss_files.so.2 27 x
/lib/x86_64-linux-gnu/libtinfo.so.6.4 204
/lib/x86_64-linux-gnu/libselinux.so.1 171
/lib/x86_64-linux-gnu/libpcre2-8.so.0.11.2 613
/lib/x86_64-linux-gnu/libacl.so.1.1.2301 35
/lib/x86_64-linux-gnu/libattr.so.1.1.2501 27
/lib/x86_64-linux-gnu/libcrypt.so.1.1.0 207
/lib/x86_64-linux-gnu/libpam.so.0.85.1 67
/lib/x86_64-linux-gnu/libz.so.1.2.13 119
/lib/x86_64-linux-gnu/libzstd.so.1.5.4 816
/lib/x86_64-linux-gnu/liblzma.so.5.4.1 170
/lib/x86_64-linux-gnu/libbz2.so.1.0.4 75
/lib/x86_64-linux-gnu/libgcc_s.so.1 123
/lib/x86_64-linux-gnu/libmount.so.1.1.0 318
/lib/x86_64-linux-gnu/libblkid.so.1.1.0 227
/lib/x86_64-linux-gnu/libsystemd.so.0.35.0 888
/lib/x86_64-linux-gnu/libudev.so.1.7.5 199
/lib/x86_64-linux-gnu/libgcrypt.so.20.4.1 1262
/lib/x86_64-linux-gnu/libgpg-error.so.0.33.1 147
/lib/x86_64-linux-gnu/libdb-5.3.so 1780
/lib/x86_64-linux-gnu/security/pam_unix.so 63
/usr/lib/x86_64-linux-gnu/libapt-pkg.so.6.0.0 2322
/usr/lib/x86_64-linux-gnu/libapt-private.so.0.0.0 415
/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30 2190
/usr/lib/x86_64-linux-gnu/libgnutls.so.30.34.3 2068
/usr/lib/x86_64-linux-gnu/libp11-kit.so.0.3.0 1373
/usr/lib/x86_64-linux-gnu/libunistring.so.2.2.0 1780
/usr/lib/x86_64-linux-gnu/libgmp.so.10.4.1 644
/usr/lib/x86_64-linux-gnu/libnettle.so.8.6 317
/usr/lib/x86_64-linux-gnu/libhogweed.so.6.6 309
/usr/lib/x86_64-linux-gnu/libidn2.so.0.3.8 207
/usr/lib/x86_64-linux-gnu/libtasn1.so.6.6.3 83
/usr/lib/x86_64-linux-gnu/libxxhash.so.0.8.1 115
/usr/lib/x86_64-linux-gnu/libffi.so.8.1.2 47
/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache 27
/usr/lib/x86_64-linux-gnu/gconv/UTF-16.so 19
/usr/lib/x86_64-linux-gnu/gconv/UTF-32.so 19
/usr/lib/x86_64-linux-gnu/gconv/libJIS.so 3218
/usr/lib/x86_64-linux-gnu/gconv/libGB.so 2110
/usr/lib/x86_64-linux-gnu/gconv/BIG5HKSCS.so 2200
/usr/lib/x86_64-linux-gnu/perl-base/Config_heavy.pl 45
/usr/lib/x86_64-linux-gnu/perl-base/POSIX.pm 19
/usr/lib/x86_64-linux-gnu/perl-base/strict.pm 5
/usr/lib/x86_64-linux-gnu/perl-base/unicore/Heavy.pl 30
/usr/lib/x86_64-linux-gnu/perl-base/unicore/To/Uc.pl 36
/usr/lib/locale/C.utf8/LC_CTYPE 346
/usr/lib/locale/C.utf8/LC_COLLATE 1406
/usr/share/zoneinfo/Etc/UTC 1
/usr/share/zoneinfo/America/New_York 4
/usr/share/zoneinfo/Europe/London 4
/usr/share/zoneinfo/Asia/Tokyo 1
/usr/share/zoneinfo/tzdata.zi 105
/usr/share/zoneinfo/zone1970.tab 18
/usr/share/zoneinfo/leap-seconds.list 5
/usr/share/keyrings/debian-archive-keyring.gpg 12
/usr/share/terminfo/x/xterm 4
/usr/share/terminfo/l/linux 2
/usr/share/terminfo/d/dumb 1
/usr/share/debconf/confmodule 3
/usr/share/perl5/Debconf/Config.pm 24
/usr/share/perl5/Debconf/Template.pm 19
/etc/ld.so.cache 12
/etc/services 12
/etc/protocols 3
/etc/login.defs 12
/etc/bash.bashrc 2
/etc/pam.d/common-auth 1
/etc/pam.d/login 4
/etc/pam.d/su 3
/var/cache/debconf/templates.dat 396
/var/cache/debconf/config.dat 24
/var/lib/dpkg/info/format 1
`

// debDocs are what a full (non-slim) Debian image keeps that -slim deletes: docs, man
// pages and message catalogues.
const debDocs = `
/usr/share/doc/bash/changelog.Debian.gz 29
/usr/share/doc/coreutils/changelog.Debian.gz 12
/usr/share/doc/apt/changelog.gz 238
/usr/share/doc/dpkg/changelog.Debian.gz 381
/usr/share/doc/libc6/changelog.Debian.gz 312
/usr/share/doc/perl-base/changelog.Debian.gz 90
/usr/share/doc/tar/changelog.Debian.gz 11
/usr/share/info/coreutils.info.gz 381
/usr/share/info/grep.info.gz 64
/usr/share/info/sed.info.gz 87
/usr/share/man/man1/bash.1.gz 96
/usr/share/man/man1/ls.1.gz 4
/usr/share/man/man1/apt-get.8.gz 11
/usr/share/man/man1/dpkg.1.gz 27
/usr/share/man/man1/tar.1.gz 17
/usr/share/man/man5/passwd.5.gz 2
/usr/share/locale/de/LC_MESSAGES/coreutils.mo 360
/usr/share/locale/de/LC_MESSAGES/dpkg.mo 290
/usr/share/locale/de/LC_MESSAGES/apt.mo 210
/usr/share/locale/de/LC_MESSAGES/libc.mo 280
/usr/share/locale/es/LC_MESSAGES/coreutils.mo 355
/usr/share/locale/es/LC_MESSAGES/libc.mo 275
/usr/share/locale/fr/LC_MESSAGES/coreutils.mo 370
/usr/share/locale/fr/LC_MESSAGES/dpkg.mo 300
/usr/share/locale/fr/LC_MESSAGES/libc.mo 290
/usr/share/locale/ja/LC_MESSAGES/coreutils.mo 380
/usr/share/locale/pt_BR/LC_MESSAGES/coreutils.mo 350
/usr/share/locale/ru/LC_MESSAGES/coreutils.mo 450
/usr/share/locale/zh_CN/LC_MESSAGES/coreutils.mo 330
/usr/share/locale/locale.alias 3
/usr/share/common-licenses/GPL-3 35
/usr/share/common-licenses/Apache-2.0 12
`

// debPasswd is the passwd of a Debian-family release.
func (r debRelease) passwd() string {
	aptUID, ircHome := "42", "/run/ircd"
	gnats := ""
	if r.oldPasswd() {
		aptUID = "100"
		gnats = "gnats:x:41:41:Gnats Bug-Reporting System (admin):/var/lib/gnats:/usr/sbin/nologin\n"
	}
	if r.distro == "debian" && r.oldPasswd() {
		ircHome = "/var/run/ircd"
	}
	s := "root:x:0:0:root:/root:/bin/bash\n" +
		"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n" +
		"bin:x:2:2:bin:/bin:/usr/sbin/nologin\n" +
		"sys:x:3:3:sys:/dev:/usr/sbin/nologin\n" +
		"sync:x:4:65534:sync:/bin:/bin/sync\n" +
		"games:x:5:60:games:/usr/games:/usr/sbin/nologin\n" +
		"man:x:6:12:man:/var/cache/man:/usr/sbin/nologin\n" +
		"lp:x:7:7:lp:/var/spool/lpd:/usr/sbin/nologin\n" +
		"mail:x:8:8:mail:/var/mail:/usr/sbin/nologin\n" +
		"news:x:9:9:news:/var/spool/news:/usr/sbin/nologin\n" +
		"uucp:x:10:10:uucp:/var/spool/uucp:/usr/sbin/nologin\n" +
		"proxy:x:13:13:proxy:/bin:/usr/sbin/nologin\n" +
		"www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n" +
		"backup:x:34:34:backup:/var/backups:/usr/sbin/nologin\n" +
		"list:x:38:38:Mailing List Manager:/var/list:/usr/sbin/nologin\n" +
		"irc:x:39:39:ircd:" + ircHome + ":/usr/sbin/nologin\n" +
		gnats +
		"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n" +
		"_apt:x:" + aptUID + ":65534::/nonexistent:/usr/sbin/nologin\n"
	if r.codename == "noble" {
		s += "ubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\n"
	}
	return s
}

// oldPasswd reports whether the release's base-passwd still has gnats and _apt at 100
// (before Debian 12 and Ubuntu 24.04).
func (r debRelease) oldPasswd() bool {
	switch r.codename {
	case "bookworm", "trixie", "noble":
		return false
	}
	return true
}

// group is the /etc/group of a Debian-family release.
func (r debRelease) group() string {
	s := "root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nadm:x:4:\ntty:x:5:\ndisk:x:6:\nlp:x:7:\nmail:x:8:\n" +
		"news:x:9:\nuucp:x:10:\nman:x:12:\nproxy:x:13:\nkmem:x:15:\ndialout:x:20:\nfax:x:21:\nvoice:x:22:\n" +
		"cdrom:x:24:\nfloppy:x:25:\ntape:x:26:\nsudo:x:27:\naudio:x:29:\ndip:x:30:\nwww-data:x:33:\n" +
		"backup:x:34:\noperator:x:37:\nlist:x:38:\nirc:x:39:\nsrc:x:40:\n"
	if r.oldPasswd() {
		s += "gnats:x:41:\n"
	}
	s += "shadow:x:42:\nutmp:x:43:\nvideo:x:44:\nsasl:x:45:\nplugdev:x:46:\nstaff:x:50:\ngames:x:60:\nusers:x:100:\nnogroup:x:65534:\n"
	if r.codename == "noble" {
		s += "ubuntu:x:1000:\n"
	}
	return s
}

// osRelease is /usr/lib/os-release.
func (r debRelease) osRelease() string {
	if r.distro == "ubuntu" {
		name := map[string]string{"noble": "Noble Numbat", "jammy": "Jammy Jellyfish", "focal": "Focal Fossa",
			"bionic": "Bionic Beaver", "xenial": "Xenial Xerus", "trusty": "Trusty Tahr"}[r.codename]
		pretty := strings.TrimSuffix(r.point, " ("+name+")")
		s := fmt.Sprintf("PRETTY_NAME=\"Ubuntu %s\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"%s\"\nVERSION=\"%s\"\nVERSION_CODENAME=%s\nID=ubuntu\nID_LIKE=debian\nHOME_URL=\"https://www.ubuntu.com/\"\nSUPPORT_URL=\"https://help.ubuntu.com/\"\nBUG_REPORT_URL=\"https://bugs.launchpad.net/ubuntu/\"\nPRIVACY_POLICY_URL=\"https://www.ubuntu.com/legal/terms-and-policies/privacy-policy\"\nUBUNTU_CODENAME=%s\n",
			pretty, r.version, r.point, r.codename, r.codename)
		if r.codename == "noble" {
			s += "LOGO=ubuntu-logo\n"
		}
		return s
	}
	return fmt.Sprintf("PRETTY_NAME=\"Debian GNU/Linux %s (%s)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"%s\"\nVERSION=\"%s (%s)\"\nVERSION_CODENAME=%s\nID=debian\nHOME_URL=\"https://www.debian.org/\"\nSUPPORT_URL=\"https://www.debian.org/support\"\nBUG_REPORT_URL=\"https://bugs.debian.org/\"\n",
		r.version, r.codename, r.version, r.version, r.codename, r.codename)
}

// aptSources writes the release's apt sources, in the form its image ships.
func (b *builder) aptSources(r debRelease) {
	snap := r.created[:4] + r.created[5:7] + r.created[8:10] + "T000000Z"
	switch r.codename {
	case "bookworm", "trixie":
		b.file("/etc/apt/sources.list.d/debian.sources", modeFile, "Types: deb\n# http://snapshot.debian.org/archive/debian/"+snap+"\nURIs: http://deb.debian.org/debian\nSuites: "+r.codename+" "+r.codename+"-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\n# http://snapshot.debian.org/archive/debian-security/"+snap+"\nURIs: http://deb.debian.org/debian-security\nSuites: "+r.codename+"-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n")
	case "bullseye", "buster", "stretch":
		c := r.codename
		b.file("/etc/apt/sources.list", modeFile, "# deb http://snapshot.debian.org/archive/debian/"+snap+" "+c+" main\ndeb http://deb.debian.org/debian "+c+" main\n# deb http://snapshot.debian.org/archive/debian-security/"+snap+" "+c+"-security main\ndeb http://deb.debian.org/debian-security "+c+"-security main\n# deb http://snapshot.debian.org/archive/debian/"+snap+" "+c+"-updates main\ndeb http://deb.debian.org/debian "+c+"-updates main\n")
	case "noble":
		b.file("/etc/apt/sources.list", modeFile, "# Ubuntu sources have moved to /etc/apt/sources.list.d/ubuntu.sources\n")
		b.file("/etc/apt/sources.list.d/ubuntu.sources", modeFile, "Types: deb\nURIs: http://archive.ubuntu.com/ubuntu/\nSuites: noble noble-updates noble-backports\nComponents: main universe restricted multiverse\nSigned-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg\n\nTypes: deb\nURIs: http://security.ubuntu.com/ubuntu/\nSuites: noble-security\nComponents: main universe restricted multiverse\nSigned-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg\n")
	default:
		var s strings.Builder
		for _, suite := range []string{r.codename, r.codename + "-updates", r.codename + "-backports"} {
			fmt.Fprintf(&s, "deb http://archive.ubuntu.com/ubuntu/ %s main restricted universe multiverse\n", suite)
		}
		fmt.Fprintf(&s, "deb http://security.ubuntu.com/ubuntu/ %s-security main restricted universe multiverse\n", r.codename)
		b.file("/etc/apt/sources.list", modeFile, s.String())
	}
}

// buildDeb is a Debian or Ubuntu base image: one ADD of the release's rootfs, then
// CMD ["bash"] (Ubuntu: LABEL/ARG rows first, CMD ["/bin/bash"]).
func buildDeb(r debRelease, slim bool, name string) (*Image, error) {
	b := newBuilder(name, date(r.created))
	b.seed = r.distro + ":" + r.codename // slim and full share their common files
	if r.distro == "ubuntu" {
		b.meta("/bin/sh -c #(nop)  ARG RELEASE")
		b.meta("/bin/sh -c #(nop)  ARG LAUNCHPAD_BUILD_ARCH")
		b.label("org.opencontainers.image.ref.name", "ubuntu")
		b.label("org.opencontainers.image.version", r.version)
	}
	b.dir(modeDir, "/boot", "/dev", "/etc", "/home", "/media", "/mnt", "/opt", "/proc", "/run", "/srv", "/sys",
		"/usr/bin", "/usr/sbin", "/usr/games", "/usr/include", "/usr/lib/x86_64-linux-gnu", "/usr/libexec", "/usr/share",
		"/usr/src", "/usr/local/bin", "/usr/local/etc", "/usr/local/games", "/usr/local/include", "/usr/local/lib",
		"/usr/local/man", "/usr/local/sbin", "/usr/local/share", "/usr/local/src",
		"/var/backups", "/var/cache/apt/archives/partial", "/var/lib/apt/lists/partial", "/var/lib/dpkg/info",
		"/var/lib/dpkg/updates", "/var/lib/dpkg/alternatives", "/var/lib/misc", "/var/local", "/var/log/apt",
		"/var/mail", "/var/opt", "/var/spool", "/etc/apt/apt.conf.d", "/etc/apt/preferences.d",
		"/etc/apt/sources.list.d", "/etc/apt/trusted.gpg.d", "/etc/alternatives", "/etc/default", "/etc/dpkg/dpkg.cfg.d",
		"/etc/profile.d", "/etc/skel", "/etc/update-motd.d", "/etc/pam.d", "/etc/security")
	b.dir(0o700, "/root")
	b.dir(modeTmp, "/tmp", "/var/tmp")
	b.link("/var/run", "/run", "/var/lock", "/run/lock")
	if r.mergedUsr {
		b.dir(modeDir, "/usr/lib64")
		b.link("/bin", "usr/bin", "/sbin", "usr/sbin", "/lib", "usr/lib", "/lib64", "usr/lib64")
	} else {
		b.dir(modeDir, "/bin", "/sbin", "/lib/x86_64-linux-gnu", "/lib64")
	}
	b.link("/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
	b.file("/usr/lib/os-release", modeFile, r.osRelease())
	b.link("/etc/os-release", "../usr/lib/os-release")
	if r.distro == "debian" {
		b.file("/etc/debian_version", modeFile, r.point+"\n")
		b.file("/etc/issue", modeFile, "Debian GNU/Linux "+r.version+" \\n \\l\n\n")
	} else {
		b.file("/etc/debian_version", modeFile, map[string]string{"noble": "trixie/sid", "jammy": "bookworm/sid", "focal": "bullseye/sid",
			"bionic": "buster/sid", "xenial": "stretch/sid", "trusty": "jessie/sid"}[r.codename]+"\n")
		b.file("/etc/issue", modeFile, "Ubuntu "+strings.Fields(r.point)[0]+" LTS \\n \\l\n\n")
		b.file("/etc/lsb-release", modeFile, fmt.Sprintf("DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=%s\nDISTRIB_CODENAME=%s\nDISTRIB_DESCRIPTION=\"Ubuntu %s\"\n", r.version, r.codename, strings.Fields(r.point)[0]+" LTS"))
	}
	b.file("/etc/hostname", modeFile, "")
	b.file("/etc/hosts", modeFile, "")
	b.file("/etc/resolv.conf", modeFile, "")
	b.file("/etc/passwd", modeFile, r.passwd())
	b.file("/etc/group", modeFile, r.group())
	b.file("/etc/shadow", 0o640, shadowFor(r.passwd(), "*:20000:0:99999:7:::"))
	b.chown("/etc/shadow", 0, 42)
	b.file("/etc/gshadow", 0o640, shadowFor(r.group(), "*::"))
	b.chown("/etc/gshadow", 0, 42)
	b.file("/etc/shells", modeFile, "# /etc/shells: valid login shells\n/bin/sh\n/usr/bin/sh\n/bin/bash\n/usr/bin/bash\n/bin/rbash\n/usr/bin/rbash\n/bin/dash\n/usr/bin/dash\n")
	b.file("/etc/profile", modeFile, "# /etc/profile: system-wide .profile file for the Bourne shell (sh(1))\n\nif [ \"$(id -u)\" -eq 0 ]; then\n  PATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\nelse\n  PATH=\"/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games\"\nfi\nexport PATH\n")
	b.file("/etc/skel/.bashrc", modeFile, "# ~/.bashrc: executed by bash(1) for non-login shells.\n")
	b.file("/etc/skel/.profile", modeFile, "# ~/.profile: executed by the command interpreter for login shells.\n")
	b.file("/root/.bashrc", modeFile, "# ~/.bashrc: executed by bash(1) for non-login shells.\n\n# You may uncomment the following lines if you want `ls' to be colorized:\n# export LS_OPTIONS='--color=auto'\n# eval \"$(dircolors)\"\n# alias ls='ls $LS_OPTIONS'\n")
	b.file("/root/.profile", modeFile, "# ~/.profile: executed by Bourne-compatible login shells.\n\nif [ \"$BASH\" ]; then\n  if [ -f ~/.bashrc ]; then\n    . ~/.bashrc\n  fi\nfi\n\nmesg n 2> /dev/null || true\n")
	b.file("/etc/apt/apt.conf.d/docker-clean", modeFile, "DPkg::Post-Invoke { \"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true\"; };\nAPT::Update::Post-Invoke { \"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true\"; };\nDir::Cache::pkgcache \"\";\nDir::Cache::srcpkgcache \"\";\n")
	b.file("/etc/apt/apt.conf.d/docker-no-languages", modeFile, "Acquire::Languages \"none\";\n")
	b.file("/etc/apt/apt.conf.d/docker-gzip-indexes", modeFile, "Acquire::GzipIndexes \"true\";\n")
	b.file("/etc/apt/apt.conf.d/docker-autoremove-suggests", modeFile, "Apt::AutoRemove::SuggestsImportant \"false\";\n")
	b.file("/etc/dpkg/dpkg.cfg.d/docker-apt-speedup", modeFile, "force-unsafe-io\n")
	if slim || r.distro == "ubuntu" {
		b.file("/etc/dpkg/dpkg.cfg.d/docker", modeFile, "path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\npath-exclude /usr/share/man/*\npath-exclude /usr/share/groff/*\npath-exclude /usr/share/info/*\npath-exclude /usr/share/lintian/*\npath-exclude /usr/share/linda/*\npath-exclude /usr/share/locale/*\npath-include /usr/share/locale/locale.alias\n")
	}
	b.aptSources(r)
	maint := "Debian Install System Team <debian-boot@lists.debian.org>"
	if r.distro == "ubuntu" {
		maint = "Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>"
	}
	pkgs := r.packages()
	b.file("/var/lib/dpkg/status", modeFile, dpkgStatus(pkgs, maint))
	for _, p := range pkgs {
		b.file("/var/lib/dpkg/info/"+p.name+":amd64.list", modeFile, "/.\n/usr\n/usr/share/doc/"+p.name+"\n/usr/share/doc/"+p.name+"/copyright\n")
		b.file("/usr/share/doc/"+p.name+"/copyright", modeFile, "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: "+p.name+"\n\nFiles: *\nLicense: see /usr/share/common-licenses\n")
	}
	b.link("/bin/sh", "dash", "/bin/rbash", "bash", "/etc/alternatives/awk", "/usr/bin/mawk", "/usr/bin/awk", "/etc/alternatives/awk",
		"/lib/x86_64-linux-gnu/libc.so", "libc.so.6",
		"/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "libstdc++.so.6.0.30",
		"/usr/bin/addgroup", "adduser", "/usr/sbin/addgroup", "adduser", "/usr/sbin/delgroup", "deluser")
	b.remove("/usr/bin/addgroup") // only /usr/sbin/addgroup, as adduser ships it
	// service(8), the init script wrapper: every Debian and Ubuntu image has it
	// (sysvinit-utils ships it up to bullseye, init-system-helpers from bookworm on
	// and in Ubuntu); the sandbox runs it by name
	b.file("/usr/sbin/service", modeExec, serviceScript)
	core := r.size
	if slim || r.distro == "debian" {
		core = r.slimSize
	}
	b.fill(core, debCoreutils)
	if r.distro == "debian" && !slim {
		b.fill(r.size, debDocs)
	}
	b.add("/")
	if r.distro == "ubuntu" {
		b.cmd("/bin/bash")
	} else {
		b.cmd("bash")
	}
	b.img.Config.Env = []string{"PATH=" + defaultPath}
	return b.done()
}
