package baseimage

import (
	"strings"
	"time"
)

// buildpack-deps:<codename> and its -curl and -scm steps: the bases of the full python,
// node, golang, ruby and other images. Each is the one RUN of its Dockerfile on top of
// the last. The package lists are bookworm's on every codename (an approximation: the
// versions in the dpkg database are bookworm's too).

// Bytes each buildpack-deps layer adds.
const (
	buildpackCurlSize = 27_000_000
	buildpackSCMSize  = 97_000_000
	buildpackDepsSize = 689_000_000
)

// addDebPackages appends packages to /var/lib/dpkg/status, as apt-get install does.
func (b *builder) addDebPackages(maintainer string, lines ...string) {
	old, err := b.cur.ReadFile("/var/lib/dpkg/status")
	if err != nil {
		b.fail(err)
		return
	}
	b.file("/var/lib/dpkg/status", modeFile, string(old)+dpkgStatus(parseDebPackages(strings.Join(lines, "\n")), maintainer))
}

// aptRun is the RUN line of an official image's apt-get install step.
func aptRun(pkgs string) string {
	return "set -eux; \tapt-get update; \tapt-get install -y --no-install-recommends \t\t" + pkgs + " \t; \trm -rf /var/lib/apt/lists/*"
}

const debMaint = "Debian QA Group <packages@qa.debian.org>"

func buildBuildpackCurl(d *distro, name string) (*Image, error) {
	b, err := deriveFrom(d.baseName(), name, buildpackDate(d, "2025-02-04T01:14:05Z"))
	if err != nil {
		return nil, err
	}
	b.addDebPackages(debMaint,
		"ca-certificates|20230311|misc|optional|Common CA certificates",
		"curl|7.88.1-10+deb12u8|web|optional|command line tool for transferring data with URL syntax",
		"gnupg|2.2.40-1.1|utils|optional|GNU privacy guard - a free PGP replacement",
		"netbase|6.4|admin|optional|Basic TCP/IP networking system",
		"sq|0.27.0-2+b1|utils|optional|OpenPGP command-line tool from Sequoia",
		"wget|1.21.3-1+deb12u1|web|standard|retrieves files from the web",
		"libssl3|3.0.15-1~deb12u1|libs|optional|Secure Sockets Layer toolkit - shared libraries",
		"openssl|3.0.15-1~deb12u1|utils|optional|Secure Sockets Layer toolkit - cryptographic utility")
	b.link("/etc/ssl/certs/ca-certificates.crt.pem", "ca-certificates.crt")
	b.fill(buildpackCurlSize, `
/usr/bin/curl 271 x
/usr/bin/wget 525 x
/usr/bin/gpg 1087 x
/usr/bin/gpg-agent 370 x
/usr/bin/gpgconf 190 x
/usr/bin/dirmngr 530 x
/usr/bin/sq 9800 x
/usr/bin/openssl 999 x
/usr/lib/x86_64-linux-gnu/libcurl.so.4.8.0 720
/usr/lib/x86_64-linux-gnu/libssl.so.3 692
/usr/lib/x86_64-linux-gnu/libcrypto.so.3 4604
/usr/lib/x86_64-linux-gnu/libkrb5.so.3.3 880
/usr/lib/x86_64-linux-gnu/libldap-2.5.so.0.1.8 380
/usr/lib/x86_64-linux-gnu/libnghttp2.so.14.24.1 160
/usr/lib/x86_64-linux-gnu/libssh2.so.1.0.1 270
/usr/lib/x86_64-linux-gnu/libsqlite3.so.0.8.6 1480
/usr/lib/x86_64-linux-gnu/libpsl.so.5.3.4 80
/usr/lib/x86_64-linux-gnu/librtmp.so.1 120
/usr/lib/x86_64-linux-gnu/libsasl2.so.2.0.25 110
/etc/ssl/certs/ca-certificates.crt 214
/etc/ssl/openssl.cnf 12
/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt 2
/usr/share/ca-certificates/mozilla/DigiCert_Global_Root_G2.crt 2
/usr/share/gnupg/options.skel 5
/usr/share/doc/curl/copyright 2
`)
	b.run(aptRun("ca-certificates \t\tcurl \t\tgnupg \t\tnetbase \t\tsq \t\twget"))
	return b.done()
}

func buildBuildpackSCM(d *distro, name string) (*Image, error) {
	b, err := deriveFrom(buildpackName(d, "curl"), name, buildpackDate(d, "2025-02-04T01:15:17Z"))
	if err != nil {
		return nil, err
	}
	b.addDebPackages(debMaint,
		"git|1:2.39.5-0+deb12u2|vcs|optional|fast, scalable, distributed revision control system",
		"mercurial|6.3.2-1+deb12u1|vcs|optional|easy-to-use, scalable distributed version control system",
		"openssh-client|1:9.2p1-2+deb12u4|net|standard|secure shell (SSH) client, for secure access to remote machines",
		"subversion|1.14.2-4+deb12u1|vcs|optional|Advanced version control system",
		"procps|2:4.0.2-3|admin|important|/proc file system utilities")
	b.fill(buildpackSCMSize, `
/usr/bin/git 3920 x
/usr/lib/git-core/git-remote-http 1590 x
/usr/lib/git-core/git-http-fetch 1560 x
/usr/lib/git-core/git-daemon 1400 x
/usr/share/git-core/templates/description 1
/usr/bin/hg 1 x
/usr/lib/python3/dist-packages/mercurial/localrepo.py 160
/usr/lib/python3/dist-packages/mercurial/cext/parsers.cpython-311-x86_64-linux-gnu.so 300
/usr/bin/python3.11 6660 x
/usr/lib/python3.11/os.py 40
/usr/lib/python3.11/typing.py 120
/usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so 180
/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0 7100
/usr/bin/ssh 1170 x
/usr/bin/scp 130 x
/usr/bin/ssh-keygen 480 x
/usr/bin/svn 350 x
/usr/lib/x86_64-linux-gnu/libsvn_subr-1.so.1.0.0 1300
/usr/lib/x86_64-linux-gnu/libsvn_client-1.so.1.0.0 700
/usr/bin/ps 140 x
/usr/bin/top 130 x
/usr/bin/free 30 x
/usr/bin/kill 30 x
/usr/bin/pgrep 35 x
/usr/bin/watch 35 x
/usr/lib/x86_64-linux-gnu/libprocps.so.8.0.3 80
/usr/lib/x86_64-linux-gnu/libperl.so.5.36.0 3900
/usr/lib/x86_64-linux-gnu/perl/5.36.0/Config_heavy.pl 45
/usr/share/perl/5.36.0/unicore/Name.pl 1400
`)
	b.run(aptRun("git \t\tmercurial \t\topenssh-client \t\tsubversion \t\t\t\tprocps"))
	return b.done()
}

func buildBuildpackDeps(d *distro, name string) (*Image, error) {
	b, err := deriveFrom(buildpackName(d, "scm"), name, buildpackDate(d, "2025-02-04T01:18:54Z"))
	if err != nil {
		return nil, err
	}
	b.addDebPackages(debMaint,
		"autoconf|2.71-3|devel|optional|automatic configure script builder",
		"automake|1:1.16.5-1.3|devel|optional|Tool for generating GNU Standards-compliant Makefiles",
		"bzip2|1.0.8-5+b1|utils|optional|high-quality block-sorting file compressor - utilities",
		"dpkg-dev|1.21.22|utils|optional|Debian package development tools",
		"file|1:5.44-3|utils|standard|Recognize the type of data in a file using \"magic\" numbers",
		"g++|4:12.2.0-3|devel|optional|GNU C++ compiler",
		"gcc|4:12.2.0-3|devel|optional|GNU C compiler",
		"imagemagick|8:6.9.11.60+dfsg-1.6+deb12u2|graphics|optional|image manipulation programs -- binaries",
		"libc6-dev|2.36-9+deb12u9|libdevel|optional|GNU C Library: Development Libraries and Header Files",
		"libssl-dev|3.0.15-1~deb12u1|libdevel|optional|Secure Sockets Layer toolkit - development files",
		"libsqlite3-dev|3.40.1-2+deb12u1|libdevel|optional|SQLite 3 development files",
		"libxml2-dev|2.9.14+dfsg-1.3~deb12u1|libdevel|optional|GNOME XML library - development files",
		"make|4.3-4.1|devel|optional|utility for directing compilation",
		"patch|2.7.6-7|vcs|standard|Apply a diff file to an original",
		"unzip|6.0-28|utils|optional|De-archiver for .zip files",
		"xz-utils|5.4.1-0.2|utils|important|XZ-format compression utilities",
		"zlib1g-dev|1:1.2.13.dfsg-1|libdevel|optional|compression library - development")
	b.link("/usr/bin/gcc", "gcc-12", "/usr/bin/g++", "g++-12", "/usr/bin/cc", "/etc/alternatives/cc", "/etc/alternatives/cc", "/usr/bin/gcc",
		"/usr/bin/c++", "/etc/alternatives/c++", "/etc/alternatives/c++", "/usr/bin/g++", "/usr/bin/cpp", "cpp-12",
		"/usr/bin/ld", "x86_64-linux-gnu-ld.bfd", "/usr/bin/as", "x86_64-linux-gnu-as")
	b.fill(buildpackDepsSize, `
/usr/bin/gcc-12 1200 x
/usr/bin/g++-12 1200 x
/usr/bin/cpp-12 1200 x
/usr/libexec/gcc/x86_64-linux-gnu/12/cc1 34000 x
/usr/libexec/gcc/x86_64-linux-gnu/12/cc1plus 37000 x
/usr/libexec/gcc/x86_64-linux-gnu/12/lto1 33000 x
/usr/libexec/gcc/x86_64-linux-gnu/12/collect2 300 x
/usr/lib/gcc/x86_64-linux-gnu/12/libstdc++.a 6200
/usr/lib/gcc/x86_64-linux-gnu/12/libgcc.a 5000
/usr/lib/gcc/x86_64-linux-gnu/12/include/immintrin.h 10
/usr/bin/x86_64-linux-gnu-ld.bfd 1900 x
/usr/bin/x86_64-linux-gnu-as 760 x
/usr/lib/x86_64-linux-gnu/libbfd-2.40-system.so 2200
/usr/bin/make 250 x
/usr/bin/patch 190 x
/usr/bin/unzip 180 x
/usr/bin/xz 80 x
/usr/bin/bzip2 40 x
/usr/bin/file 30 x
/usr/bin/autoconf 14 x
/usr/bin/automake 250 x
/usr/bin/convert-im6.q16 20 x
/usr/bin/dpkg-buildpackage 35 x
/usr/include/stdio.h 32
/usr/include/stdlib.h 41
/usr/include/string.h 19
/usr/include/unistd.h 44
/usr/include/openssl/ssl.h 130
/usr/include/sqlite3.h 640
/usr/include/libxml2/libxml/tree.h 40
/usr/include/zlib.h 96
/usr/include/c++/12/bits/stl_algo.h 210
/usr/include/c++/12/iostream 3
/usr/lib/x86_64-linux-gnu/libc.a 6000
/usr/lib/x86_64-linux-gnu/libm.a 4000
/usr/lib/x86_64-linux-gnu/libcrypto.a 9000
/usr/lib/x86_64-linux-gnu/libssl.a 1300
/usr/lib/x86_64-linux-gnu/libsqlite3.a 3800
/usr/lib/x86_64-linux-gnu/libxml2.a 3600
/usr/lib/x86_64-linux-gnu/libz.a 160
/usr/lib/x86_64-linux-gnu/libMagickCore-6.Q16.so.6.0.0 5500
/usr/lib/x86_64-linux-gnu/libMagickWand-6.Q16.so.6.0.0 1700
/usr/lib/x86_64-linux-gnu/libicudata.so.72.1 30700
/usr/lib/x86_64-linux-gnu/libicuuc.so.72.1 2100
/usr/lib/x86_64-linux-gnu/libicui18n.so.72.1 3400
/usr/lib/x86_64-linux-gnu/libLLVM-14.so.1 105000
/usr/lib/x86_64-linux-gnu/libglib-2.0.so.0.7400.6 1400
/usr/lib/x86_64-linux-gnu/libpq.so.5.15 330
/usr/lib/x86_64-linux-gnu/libmariadb.so.3 400
/usr/lib/x86_64-linux-gnu/libX11.so.6.4.0 1300
/usr/lib/x86_64-linux-gnu/libgtk-3.so.0.2406.32 7800
/usr/lib/x86_64-linux-gnu/dri/swrast_dri.so 28000
/usr/lib/x86_64-linux-gnu/libgs.so.10.00 16000
/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf 740
/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf 370
/usr/share/ghostscript/10.0.0/Resource/Init/gs_init.ps 90
/usr/share/mime/packages/freedesktop.org.xml 2700
/usr/share/icons/hicolor/icon-theme.cache 1
/usr/share/doc/gcc-12/copyright 1
/usr/lib/file/magic.mgc 7400
/usr/share/perl/5.36.0/Encode/JP.pm 3000
/usr/lib/python3/dist-packages/gi/_gi.cpython-311-x86_64-linux-gnu.so 400
`)
	b.run(aptRun("autoconf \t\tautomake \t\tbzip2 \t\tdefault-libmysqlclient-dev \t\tdpkg-dev \t\tfile \t\tg++ \t\tgcc \t\timagemagick \t\tlibbz2-dev \t\tlibc6-dev \t\tlibcurl4-openssl-dev \t\tlibdb-dev \t\tlibevent-dev \t\tlibffi-dev \t\tlibgdbm-dev \t\tlibglib2.0-dev \t\tlibgmp-dev \t\tlibjpeg-dev \t\tlibkrb5-dev \t\tliblzma-dev \t\tlibmagickcore-dev \t\tlibmagickwand-dev \t\tlibmaxminddb-dev \t\tlibncurses5-dev \t\tlibncursesw5-dev \t\tlibpng-dev \t\tlibpq-dev \t\tlibreadline-dev \t\tlibsqlite3-dev \t\tlibssl-dev \t\tlibtool \t\tlibwebp-dev \t\tlibxml2-dev \t\tlibxslt-dev \t\tlibyaml-dev \t\tmake \t\tpatch \t\tunzip \t\txz-utils \t\tzlib1g-dev"))
	return b.done()
}

// buildpackName is the stand-in name of a buildpack-deps step on a release
// ("buildpack-deps:bookworm-scm"; step "" is the full image).
func buildpackName(d *distro, step string) string {
	c := d.codename
	if d.distro == "ubuntu" {
		c = d.codename
	}
	if step == "" {
		return "buildpack-deps:" + c
	}
	return "buildpack-deps:" + c + "-" + step
}

// buildpackDate is when a buildpack-deps step on d was built: bookworm's steps keep the
// dates the stand-ins have had; another release's are offset from its base image's
// date by as much, so that every layer is younger than its base.
func buildpackDate(d *distro, bookworm string) time.Time {
	t := date(bookworm)
	if d.codename == "bookworm" || d.deb == nil {
		return t
	}
	return date(d.deb.created).Add(t.Sub(date("2025-02-03T00:00:00Z")))
}
