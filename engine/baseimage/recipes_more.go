package baseimage

import (
	"fmt"
	"strings"
	"time"
)

const rubyFiles = `
/usr/local/bin/ruby 15 x
/usr/local/bin/gem 1 x
/usr/local/bin/bundle 1 x
/usr/local/bin/bundler 1 x
/usr/local/bin/irb 1 x
/usr/local/bin/erb 1 x
/usr/local/bin/rake 1 x
/usr/local/bin/rdoc 1 x
/usr/local/bin/ri 1 x
/usr/local/bin/racc 1 x
/usr/local/lib/libruby.so.{minor}.0 18000
/usr/local/lib/ruby/{minor}.0/rubygems.rb 40
/usr/local/lib/ruby/{minor}.0/x86_64-linux/openssl.so 900
/usr/local/lib/ruby/{minor}.0/x86_64-linux/psych.so 200
/usr/local/lib/ruby/gems/{minor}.0/gems/bundler-2.5.22/lib/bundler.rb 20
/usr/local/include/ruby-{minor}.0/ruby.h 2
`

// phpOps is the php image: PHPIZE_DEPS, the ini dir, the web server of the flavor,
// PHP itself with docker-php-ext-*, and the flavor's config.
func phpOps() []op {
	return []op{
		{env: "PHPIZE_DEPS=autoconf \t\tdpkg-dev \t\tfile \t\tg++ \t\tgcc \t\tlibc-dev \t\tmake \t\tpkg-config \t\tre2c"},
		{when: "!alpine", fill: "/usr/bin/gcc-12 1200 x\n/usr/bin/make 250 x\n/usr/bin/autoconf 14 x\n/usr/bin/re2c 900 x\n/usr/libexec/gcc/x86_64-linux-gnu/12/cc1 34000 x\n/usr/libexec/gcc/x86_64-linux-gnu/12/cc1plus 37000 x\n/usr/lib/x86_64-linux-gnu/libc.a 6000\n/usr/bin/curl 270 x\n/usr/bin/xz 80 x\n", size: 270_000_000,
			run: "set -eux; \tapt-get update; \tapt-get install -y --no-install-recommends \t\t$PHPIZE_DEPS \t\tca-certificates \t\tcurl \t\txz-utils \t; \trm -rf /var/lib/apt/lists/*"},
		{when: "alpine", fill: "/usr/bin/curl 270 x\n/usr/bin/tar 500 x\n/usr/bin/xz 80 x\n/etc/ssl/certs/ca-certificates.crt 214\n", size: 3_000_000,
			run: "apk add --no-cache \t\tca-certificates \t\tcurl \t\topenssl \t\ttar \t\txz"},
		{when: "alpine", user: "www-data:82:82:/var/www:/sbin/nologin", run: "set -eux; \tadduser -u 82 -D -S -G www-data www-data"},
		{env: "PHP_INI_DIR=/usr/local/etc/php"},
		{dir: "/usr/local/etc/php/conf.d", file: "/var/www/html/.keep", run: "set -eux; \tmkdir -p \"$PHP_INI_DIR/conf.d\"; \t[ ! -d /var/www/html ]; \tmkdir -p /var/www/html; \tchown www-data:www-data /var/www/html; \tchmod 1777 /var/www/html"},
		{when: "apache", env: "APACHE_CONFDIR=/etc/apache2"}, {when: "apache", env: "APACHE_ENVVARS=/etc/apache2/envvars"},
		{when: "apache", fill: "/usr/sbin/a2enmod 15 x\n/usr/sbin/a2dismod 1 x\n/usr/sbin/a2enconf 1 x\n/usr/sbin/a2disconf 1 x\n/usr/sbin/a2ensite 1 x\n/usr/sbin/a2dissite 1 x\n/usr/sbin/apache2ctl 8 x\n/usr/sbin/apache2 700 x\n/usr/lib/apache2/modules/mod_rewrite.so 80\n/usr/lib/apache2/modules/mod_ssl.so 250\n/etc/apache2/apache2.conf 8\n/usr/lib/x86_64-linux-gnu/libapr-1.so.0 260\n", size: 12_000_000,
			file: "/etc/apache2/envvars", text: "export APACHE_RUN_USER=www-data\nexport APACHE_RUN_GROUP=www-data\nexport APACHE_PID_FILE=/var/run/apache2/apache2.pid\nexport APACHE_RUN_DIR=/var/run/apache2\nexport APACHE_LOCK_DIR=/var/lock/apache2\nexport APACHE_LOG_DIR=/var/log/apache2\n",
			run: "set -eux; \tapt-get update; \tapt-get install -y --no-install-recommends apache2; \trm -rf /var/lib/apt/lists/*; \t\tsed -ri 's/^export ([^=]+)=(.*)$/: ${\\1:=\\2}\\nexport \\1/' \"$APACHE_ENVVARS\"; \t\t. \"$APACHE_ENVVARS\"; \tfor dir in \t\t\"$APACHE_LOCK_DIR\" \t\t\"$APACHE_RUN_DIR\" \t\t\"$APACHE_LOG_DIR\" \t; do \t\trm -rvf \"$dir\"; \t\tmkdir -p \"$dir\"; \t\tchown \"$APACHE_RUN_USER:$APACHE_RUN_GROUP\" \"$dir\"; \t\tchmod 1777 \"$dir\"; \tdone"},
		{when: "apache", file: "/etc/apache2/conf-available/docker-php.conf", text: "<FilesMatch \\.php$>\n\tSetHandler application/x-httpd-php\n</FilesMatch>\n\nDirectoryIndex disabled\nDirectoryIndex index.php index.html\n",
			run: "a2dismod mpm_event && a2enmod mpm_prefork"},
		{env: "PHP_CFLAGS=-fstack-protector-strong -fpic -fpie -O2 -D_LARGEFILE_SOURCE -D_FILE_OFFSET_BITS=64"},
		{env: "PHP_VERSION={version}"}, {env: "PHP_URL=https://www.php.net/distributions/php-{version}.tar.xz"},
		{fill: "/usr/src/php.tar.xz 12500\n/usr/src/php.tar.xz.asc 1\n", size: 12_600_000,
			run: "set -eux; \t\tmkdir -p /usr/src; \tcd /usr/src; \t\tcurl -fsSL -o php.tar.xz \"$PHP_URL\"; \t\tcurl -fsSL -o php.tar.xz.asc \"$PHP_ASC_URL\"; \tgpg --batch --verify php.tar.xz.asc php.tar.xz"},
		{file: "/usr/local/bin/docker-php-source", exec: true, text: "#!/bin/sh\nset -e\n\ndir=/usr/src/php\n\nusage() {\n\techo \"usage: $0 COMMAND\"\n\techo \"   extract\"\n\techo \"   delete\"\n}\n\ncase \"$1\" in\n\textract) mkdir -p \"$dir\"; tar -Jxf /usr/src/php.tar.xz -C \"$dir\" --strip-components=1 ;;\n\tdelete) rm -rf \"$dir\" ;;\n\t*) usage; exit 1 ;;\nesac\n",
			copyTo: "/usr/local/bin/"},
		{fill: phpFiles, size: 60_000_000, sizeA: 40_000_000, link: "/usr/local/bin/phar>phar.phar",
			run: "set -eux; \t\tsavedAptMark=\"$(apt-mark showmanual)\"; \tapt-get update; \tapt-get install -y --no-install-recommends \t\tlibargon2-dev \t\tlibcurl4-openssl-dev \t\tlibonig-dev \t\tlibreadline-dev \t\tlibsodium-dev \t\tlibsqlite3-dev \t\tlibssl-dev \t\tlibxml2-dev \t\tzlib1g-dev \t; \t\texport \t\tCFLAGS=\"$PHP_CFLAGS\" \t; \tdocker-php-source extract; \tcd /usr/src/php; \t./configure \t\t--with-config-file-path=\"$PHP_INI_DIR\" \t\t--with-config-file-scan-dir=\"$PHP_INI_DIR/conf.d\" \t\t--enable-option-checking=fatal \t\t--with-mhash \t\t--with-pic \t\t--enable-ftp \t\t--enable-mbstring \t\t--enable-mysqlnd \t\t--with-password-argon2 \t\t--with-sodium=shared \t\t--with-pdo-sqlite=/usr \t\t--with-sqlite3=/usr \t\t--with-curl \t\t--with-iconv \t\t--with-openssl \t\t--with-readline \t\t--with-zlib \t; \tmake -j \"$(nproc)\"; \tmake install; \t\tcp -v php.ini-* \"$PHP_INI_DIR/\"; \t\tcd /; \tdocker-php-source delete; \t\tpecl update-channels; \t\tphp --version"},
		{file: "/usr/local/bin/docker-php-ext-install", exec: true, text: "#!/bin/sh\nset -e\n\n# install the given extensions: configure, make, make install, then docker-php-ext-enable\nusage() {\n\techo \"usage: $0 [-jN] [--ini-name file.ini] ext-name [ext-name ...]\"\n}\n", copyTo: "/usr/local/bin/"},
		{file: "/usr/local/bin/docker-php-ext-enable", exec: true, text: "#!/bin/sh\nset -e\n\n# write docker-php-ext-NAME.ini into $PHP_INI_DIR/conf.d\n"},
		{file: "/usr/local/bin/docker-php-ext-configure", exec: true, text: "#!/bin/sh\nset -e\n\n# phpize and ./configure an extension with the given options\n"},
		{file: "/usr/local/etc/php/conf.d/docker-php-ext-sodium.ini", text: "extension=sodium\n", run: "docker-php-ext-enable sodium"},
		{when: "fpm", fill: "/usr/local/sbin/php-fpm 14000 x\n", size: 14_000_000, file: "/usr/local/etc/php-fpm.d/docker.conf", text: "[global]\nerror_log = /proc/self/fd/2\n\n[www]\naccess.log = /proc/self/fd/2\nclear_env = no\ncatch_workers_output = yes\ndecorate_workers_output = no\n",
			run: "set -eux; \tcd /usr/local/etc; \tif [ -d php-fpm.d ]; then \t\tsed 's!=NONE/!=!g' php-fpm.conf.default | tee php-fpm.conf > /dev/null; \t\tcp php-fpm.d/www.conf.default php-fpm.d/www.conf; \tfi; \t{ \t\techo '[global]'; \t\techo 'error_log = /proc/self/fd/2'; \t} | tee php-fpm.d/docker.conf"},
		{file: "/usr/local/bin/docker-php-entrypoint", exec: true, text: "#!/bin/sh\nset -e\n\n# first arg is `-f` or `--some-option`\nif [ \"${1#-}\" != \"$1\" ]; then\n\tset -- php \"$@\"\nfi\n\nexec \"$@\"\n", copyTo: "/usr/local/bin/"},
		{entrypoint: []string{"docker-php-entrypoint"}},
		{when: "apache", stopSignal: "SIGWINCH"},
		{when: "apache", file: "/usr/local/bin/apache2-foreground", exec: true, text: "#!/bin/bash\nset -e\n\n# Note: we don't just use \"apache2ctl\" here because it itself is just a shell-script wrapper around apache2\n: \"${APACHE_CONFDIR:=/etc/apache2}\"\nrm -f \"$APACHE_PID_FILE\"\nexec apache2 -DFOREGROUND \"$@\"\n", copyTo: "/usr/local/bin/"},
		{when: "apache", workdir: "/var/www/html"}, {when: "apache", expose: "80"}, {when: "apache", cmd: []string{"apache2-foreground"}},
		{when: "fpm", workdir: "/var/www/html"}, {when: "fpm", stopSignal: "SIGQUIT"}, {when: "fpm", expose: "9000"}, {when: "fpm", cmd: []string{"php-fpm"}},
		{when: "!fpm !apache", cmd: []string{"php", "-a"}},
	}
}

const phpFiles = `
/usr/local/bin/php 26000 x
/usr/local/bin/phpize 8 x
/usr/local/bin/php-config 6 x
/usr/local/bin/phpdbg 25000 x
/usr/local/bin/pecl 1 x
/usr/local/bin/pear 1 x
/usr/local/bin/peardev 1 x
/usr/local/bin/phar.phar 60 x
/usr/local/lib/php/PEAR.php 40
/usr/local/lib/php/extensions/no-debug-non-zts-20230831/opcache.so 1500
/usr/local/lib/php/extensions/no-debug-non-zts-20230831/sodium.so 200
/usr/local/include/php/main/php.h 15
/usr/local/etc/php/php.ini-production 70
/usr/local/etc/php/php.ini-development 70
`

// rustLines are Rust's six-weekly releases: 1.x is released 42·x days after 1.0
// (2015-05-15); each line's latest is its last point release.
func rustLines() []line {
	start := day("2015-05-15")
	points := map[int]int{56: 1, 58: 1, 59: 0, 62: 1, 64: 0, 65: 0, 66: 1, 67: 1, 68: 2, 70: 0, 71: 1, 72: 1, 73: 0, 74: 1, 77: 2, 78: 0, 79: 0, 80: 1, 81: 0, 82: 0, 83: 0, 84: 1, 85: 1, 86: 0, 87: 0, 88: 0, 89: 0, 90: 0, 91: 1}
	var out []line
	for m := 50; m <= 100; m++ {
		rel := start.AddDate(0, 0, 42*m)
		if rel.After(snapshot) {
			break
		}
		ver := fmt.Sprintf("1.%d", m)
		p := points[m]
		out = append(out, line{ver: ver, latest: fmt.Sprintf("%s.%d", ver, p), date: rel.AddDate(0, 0, 14*p).Format(time.DateOnly), first: rel.Format(time.DateOnly)})
	}
	return out
}

const rustRun = "set -eux; \tdpkgArch=\"$(dpkg --print-architecture)\"; \trustArch='x86_64-unknown-linux-gnu'; \turl=\"https://static.rust-lang.org/rustup/archive/1.28.2/${rustArch}/rustup-init\"; \twget \"$url\"; \tchmod +x rustup-init; \t./rustup-init -y --no-modify-path --profile minimal --default-toolchain $RUST_VERSION --default-host ${rustArch}; \trm rustup-init; \tchmod -R a+w $RUSTUP_HOME $CARGO_HOME; \trustup --version; \tcargo --version; \trustc --version"

const rustFiles = `
/usr/local/cargo/bin/rustup 17000 x
/usr/local/cargo/bin/cargo 1 x
/usr/local/cargo/bin/rustc 1 x
/usr/local/cargo/bin/rustdoc 1 x
/usr/local/cargo/bin/rustfmt 1 x
/usr/local/cargo/bin/cargo-fmt 1 x
/usr/local/cargo/bin/cargo-clippy 1 x
/usr/local/cargo/bin/clippy-driver 1 x
/usr/local/cargo/bin/rust-gdb 1 x
/usr/local/cargo/env 1
/usr/local/rustup/settings.toml 1
/usr/local/rustup/toolchains/{version}-x86_64-unknown-linux-gnu/bin/cargo 35000 x
/usr/local/rustup/toolchains/{version}-x86_64-unknown-linux-gnu/bin/rustc 600 x
/usr/local/rustup/toolchains/{version}-x86_64-unknown-linux-gnu/bin/rustdoc 16000 x
/usr/local/rustup/toolchains/{version}-x86_64-unknown-linux-gnu/lib/librustc_driver.so 160000
/usr/local/rustup/toolchains/{version}-x86_64-unknown-linux-gnu/lib/libLLVM.so.19.1-rust-{version}-stable 140000
/usr/local/rustup/toolchains/{version}-x86_64-unknown-linux-gnu/lib/rustlib/x86_64-unknown-linux-gnu/lib/libstd.rlib 15000
/usr/local/rustup/toolchains/{version}-x86_64-unknown-linux-gnu/lib/rustlib/x86_64-unknown-linux-gnu/lib/libcore.rlib 60000
`

// cargoChefBase is the rust image a cargo-chef tag names.
func cargoChefBase(s spec) string {
	rust := "rust:" + s.vars["rust"]
	if s.isDefaultDistro() {
		// An unpinned tag is on the rust image's own default distro.
		switch {
		case s.distroKind() == "alpine":
			return rust + "-alpine"
		case s.distro.slim:
			return rust + "-slim"
		}
		return rust
	}
	switch {
	case s.distroKind() == "alpine":
		return "rust:" + s.vars["rust"] + "-alpine" + s.distro.version
	case s.distro.slim:
		return "rust:" + s.vars["rust"] + "-slim-" + s.distro.codename
	}
	return "rust:" + s.vars["rust"] + "-" + s.distro.codename
}

// temurinOps is an OpenJDK build installed under home: eclipse-temurin's layout
// (openjdk's is the same with another home).
func temurinOps(home string) []op {
	return []op{
		{env: "JAVA_HOME=" + home}, {env: "PATH=" + home + "/bin:$PATH"},
		{env: "LANG=en_US.UTF-8"}, {env: "LANGUAGE=en_US:en"}, {env: "LC_ALL=en_US.UTF-8"},
		{when: "!alpine", fill: "/usr/lib/locale/locale-archive 3000\n/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt 2\n/usr/bin/fc-list 30 x\n/usr/lib/x86_64-linux-gnu/libfreetype.so.6 800\n", size: 24_000_000,
			run: "set -eux;     apt-get update;     DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends         curl         wget         fontconfig         ca-certificates p11-kit         tzdata         locales     ;     echo \"en_US.UTF-8 UTF-8\" >> /etc/locale.gen;     locale-gen en_US.UTF-8;     rm -rf /var/lib/apt/lists/*"},
		{when: "alpine", fill: "/usr/lib/libfreetype.so.6 800\n/etc/ssl/certs/ca-certificates.crt 214\n", size: 9_000_000,
			run: "set -eux;     apk add --no-cache         fontconfig ttf-dejavu         gnupg         ca-certificates p11-kit-trust         musl-locales musl-locales-lang         tzdata         coreutils         openssl     ;     rm -rf /var/cache/apk/*"},
		{env: "JAVA_VERSION=jdk-{version}"},
		{when: "!jre", fill: javaFiles(home) + home + "/bin/javac 12 x\n" + home + "/bin/jshell 12 x\n" + home + "/bin/jar 12 x\n" + home + "/jmods/java.base.jmod 22000\n" + home + "/lib/src.zip 57000\n", size: 330_000_000,
			run: "set -eux;     ARCH=\"$(dpkg --print-architecture)\";     BINARY_URL='https://github.com/adoptium/temurin-releases/download/jdk-{version}/OpenJDK-jdk_x64_linux_hotspot_{version}.tar.gz';     wget --progress=dot:giga -O /tmp/openjdk.tar.gz ${BINARY_URL};     mkdir -p \"$JAVA_HOME\";     tar --extract     \t--file /tmp/openjdk.tar.gz     \t--directory \"$JAVA_HOME\"     \t--strip-components 1     \t--no-same-owner     ;     rm -f /tmp/openjdk.tar.gz ${JAVA_HOME}/lib/src.zip;"},
		{when: "jre", fill: javaFiles(home), size: 160_000_000,
			run: "set -eux;     BINARY_URL='https://github.com/adoptium/temurin-releases/download/jdk-{version}/OpenJDK-jre_x64_linux_hotspot_{version}.tar.gz';     wget --progress=dot:giga -O /tmp/openjdk.tar.gz ${BINARY_URL};     mkdir -p \"$JAVA_HOME\";     tar --extract --file /tmp/openjdk.tar.gz --directory \"$JAVA_HOME\" --strip-components 1 --no-same-owner;     rm -f /tmp/openjdk.tar.gz;"},
		{file: "/__cacert_entrypoint.sh", exec: true, text: "#!/usr/bin/env bash\n# Converts CA certificates mounted at /certificates into the JVM truststore when\n# USE_SYSTEM_CA_CERTS is set, then runs the command.\nset -e\n\nexec \"$@\"\n", copyTo: "/__cacert_entrypoint.sh"},
		{entrypoint: []string{"/__cacert_entrypoint.sh"}},
		{when: "!jre", cmd: []string{"jshell"}},
	}
}

func javaFiles(home string) string {
	return home + "/bin/java 12 x\n" + home + "/bin/keytool 12 x\n" + home + "/lib/modules 130000\n" + home + "/lib/server/libjvm.so 22000\n" + home + "/lib/libjava.so 200\n" + home + "/conf/security/java.security 60\n" + home + "/release 1\n"
}

// javaToolBase is the JDK image maven and gradle tags name.
func javaToolBase(s spec) string {
	jdk := strings.TrimPrefix(s.vars["jdk"], "jdk")
	if jdk == "" {
		jdk = "21"
	}
	switch {
	case strings.HasPrefix(s.form, "amazoncorretto"):
		return "amazonlinux:2023"
	case strings.HasPrefix(s.form, "jdk-") && s.distroKind() == "alpine":
		return "openjdk:" + jdk + "-jdk-alpine"
	case strings.HasPrefix(s.form, "openjdk"), strings.HasPrefix(s.form, "jdk-"):
		if s.distro.slim {
			return "openjdk:" + jdk + "-jdk-slim"
		}
		return "openjdk:" + jdk + "-jdk"
	case s.distroKind() == "alpine":
		return "eclipse-temurin:" + jdk + "-jdk-alpine"
	case s.isDefaultDistro():
		return "eclipse-temurin:" + jdk + "-jdk"
	}
	return "eclipse-temurin:" + jdk + "-jdk-" + s.distro.codename
}

// gradleLines are Gradle's minor lines from 7.6 on.
func gradleLines() []line {
	return lines("7.6 7.6.6 2025-07-24 2022-11-25", "8.0 8.0.2 2023-03-03 2023-02-13", "8.1 8.1.1 2023-04-21 2023-04-12", "8.2 8.2.1 2023-07-10 2023-06-30",
		"8.3 8.3 2023-08-17 2023-08-17", "8.4 8.4 2023-10-04 2023-10-04", "8.5 8.5 2023-11-29 2023-11-29", "8.6 8.6 2024-02-02 2024-02-02",
		"8.7 8.7 2024-03-22 2024-03-22", "8.8 8.8 2024-05-31 2024-05-31", "8.9 8.9 2024-07-11 2024-07-11", "8.10 8.10.2 2024-09-23 2024-08-14",
		"8.11 8.11.1 2024-11-20 2024-11-11", "8.12 8.12.1 2025-01-24 2024-12-20", "8.13 8.13 2025-02-25 2025-02-25", "8.14 8.14.3 2025-07-04 2025-04-25",
		"9.0 9.0.0 2025-07-31 2025-07-31", "9.1 9.1.0 2025-09-18 2025-09-18", "9.2 9.2.1 2026-11-17 2025-10-29")
}

// dbFamily is a database image on Debian slim or Alpine.
func dbFamily(repo, desc string, ls []line, ops []op) *family {
	return &family{repo: repo, desc: desc, lines: ls, forms: []string{"@debian-slim", "{deb}@debian-slim", "alpine@alpine", "{alp}@alpine"},
		build: recipeBuild(recipe{ops: ops})}
}

func postgresOps() []op {
	return []op{
		{when: "!alpine", user: "postgres:999:999:/var/lib/postgresql:/bin/bash", run: "set -eux; \tgroupadd -r postgres --gid=999; \tuseradd -r -g postgres --uid=999 --home-dir=/var/lib/postgresql --shell=/bin/bash postgres; \tinstall --verbose --directory --owner postgres --group postgres --mode 1777 /var/lib/postgresql"},
		{when: "alpine", user: "postgres:70:70:/var/lib/postgresql:/bin/sh", run: "set -eux; \taddgroup -g 70 -S postgres; \tadduser -u 70 -S -D -G postgres -H -h /var/lib/postgresql -s /bin/sh postgres; \tinstall --verbose --directory --owner postgres --group postgres --mode 1777 /var/lib/postgresql"},
		{env: "GOSU_VERSION=1.17"}, gosu, {run: "set -eux; \tsavedAptMark=\"$(apt-mark showmanual)\"; \twget -O /usr/local/bin/gosu \"https://github.com/tianon/gosu/releases/download/$GOSU_VERSION/gosu-$dpkgArch\"; \tchmod +x /usr/local/bin/gosu; \tgosu --version; \tgosu nobody true"},
		{env: "LANG=en_US.utf8"}, {dir: "/docker-entrypoint-initdb.d", run: "mkdir /docker-entrypoint-initdb.d"},
		{env: "PG_MAJOR={major}"}, {when: "!alpine", env: "PATH=$PATH:/usr/lib/postgresql/{major}/bin"}, {env: "PG_VERSION={version}"},
		{when: "!alpine", fill: "/usr/lib/postgresql/{major}/bin/postgres 9500 x\n/usr/lib/postgresql/{major}/bin/initdb 150 x\n/usr/lib/postgresql/{major}/bin/pg_ctl 100 x\n/usr/lib/postgresql/{major}/bin/psql 700 x\n/usr/lib/postgresql/{major}/bin/pg_dump 450 x\n/usr/lib/postgresql/{major}/lib/llvmjit.so 300\n/usr/lib/x86_64-linux-gnu/libLLVM-14.so.1 105000\n/usr/lib/x86_64-linux-gnu/libicudata.so.72.1 30700\n/usr/share/postgresql/{major}/timezonesets/Default 30\n/usr/bin/psql 1 x\n/usr/bin/pg_dump 1 x\n", size: 330_000_000,
			run: "set -ex; \t\texport PYTHONDONTWRITEBYTECODE=1; \t\tdpkgArch=\"$(dpkg --print-architecture)\"; \techo \"deb [ signed-by=/usr/local/share/keyrings/postgres.gpg.asc ] http://apt.postgresql.org/pub/repos/apt/ {codename}-pgdg main $PG_MAJOR\" > /etc/apt/sources.list.d/pgdg.list; \tapt-get update; \tapt-get install -y --no-install-recommends \"postgresql-$PG_MAJOR=$PG_VERSION\"; \t\trm -rf /var/lib/apt/lists/*; \t\tpostgres --version"},
		{when: "alpine", fill: "/usr/local/bin/postgres 9500 x\n/usr/local/bin/initdb 150 x\n/usr/local/bin/pg_ctl 100 x\n/usr/local/bin/psql 700 x\n/usr/local/bin/pg_dump 450 x\n/usr/lib/libLLVM.so.19.1 110000\n/usr/lib/libicudata.so.76.1 31000\n", size: 220_000_000,
			run: "set -eux; \t\twget -O postgresql.tar.bz2 \"https://ftp.postgresql.org/pub/source/v$PG_VERSION/postgresql-$PG_VERSION.tar.bz2\"; \t./configure --prefix=/usr/local --with-icu --with-llvm --with-openssl --with-uuid=e2fs; \tmake -j \"$(nproc)\" world-bin; \tmake install-world-bin; \tpostgres --version"},
		{file: "/usr/share/postgresql/postgresql.conf.sample", text: "listen_addresses = '*'\n", run: "set -eux; \tcp -v /usr/share/postgresql/postgresql.conf.sample /usr/share/postgresql/postgresql.conf.sample.orig; \tsed -ri \"s!^#?(listen_addresses)\\s*=\\s*\\S+.*!\\1 = '*'!\" /usr/share/postgresql/postgresql.conf.sample"},
		{dir: "/var/run/postgresql", run: "install --verbose --directory --owner postgres --group postgres --mode 3777 /var/run/postgresql"},
		{env: "PGDATA=/var/lib/postgresql/data"},
		{dir: "/var/lib/postgresql/data", run: "install --verbose --directory --owner postgres --group postgres --mode 1777 \"$PGDATA\""},
		{volume: "/var/lib/postgresql/data"},
		{file: "/usr/local/bin/docker-entrypoint.sh", exec: true, text: entrypointScript("postgres", "postgres"), copyTo: "/usr/local/bin/"},
		{file: "/usr/local/bin/docker-ensure-initdb.sh", exec: true, text: "#!/usr/bin/env bash\nset -Eeuo pipefail\n# ensure the data directory is initialised, then exit\nsource /usr/local/bin/docker-entrypoint.sh\n", copyTo: "/usr/local/bin/"},
		{entrypoint: []string{"docker-entrypoint.sh"}}, {stopSignal: "SIGINT"}, {expose: "5432"}, {cmd: []string{"postgres"}},
	}
}

func redisOps() []op {
	return []op{
		{when: "!alpine", user: "redis:999:999:/home/redis:/bin/sh", run: "set -eux; \tgroupadd -r -g 999 redis; \tuseradd -r -g redis -u 999 redis"},
		{when: "alpine", user: "redis:999:1000:/home/redis:/bin/sh", run: "set -eux; \taddgroup -S -g 1000 redis; \tadduser -S -G redis -u 999 redis"},
		{env: "REDIS_VERSION={version}"}, {env: "REDIS_DOWNLOAD_URL=http://download.redis.io/releases/redis-{version}.tar.gz"},
		{fill: "/usr/local/bin/redis-server 11000 x\n/usr/local/bin/redis-cli 6000 x\n/usr/local/bin/redis-benchmark 5000 x\n/usr/local/bin/redis-check-aof 1 x\n/usr/local/bin/redis-check-rdb 1 x\n/usr/local/bin/redis-sentinel 1 x\n", size: 40_000_000, sizeA: 30_000_000,
			run: "set -eux; \t\tsavedAptMark=\"$(apt-mark showmanual)\"; \tapt-get update; \tapt-get install -y --no-install-recommends \t\tca-certificates \t\twget \t\tdpkg-dev \t\tgcc \t\tlibc6-dev \t\tlibssl-dev \t\tmake \t; \t\twget -O redis.tar.gz \"$REDIS_DOWNLOAD_URL\"; \tmkdir -p /usr/src/redis; \ttar -xzf redis.tar.gz -C /usr/src/redis --strip-components=1; \trm redis.tar.gz; \t\tmake -C /usr/src/redis -j \"$(nproc)\" all; \tmake -C /usr/src/redis install; \t\trm -r /usr/src/redis; \t\tredis-cli --version; \tredis-server --version"},
		{dir: "/data", run: "mkdir /data && chown redis:redis /data"},
		{volume: "/data"}, {workdir: "/data"},
		{file: "/usr/local/bin/docker-entrypoint.sh", exec: true, text: "#!/bin/sh\nset -e\n\n# first arg is `-f` or `--some-option`\n# or first arg is `something.conf`\nif [ \"${1#-}\" != \"$1\" ] || [ \"${1%.conf}\" != \"$1\" ]; then\n\tset -- redis-server \"$@\"\nfi\n\n# allow the container to be started with `--user`\nif [ \"$1\" = 'redis-server' -a \"$(id -u)\" = '0' ]; then\n\tfind . \\! -user redis -exec chown redis '{}' +\n\texec gosu redis \"$0\" \"$@\"\nfi\n\nexec \"$@\"\n", copyTo: "/usr/local/bin/"},
		{entrypoint: []string{"docker-entrypoint.sh"}}, {expose: "6379"}, {cmd: []string{"redis-server"}},
	}
}

func mysqlOps() []op {
	return []op{
		{user: "mysql:999:999:/var/lib/mysql:/bin/bash", run: "set -eux; \tgroupadd --system --gid 999 mysql; \tuseradd --system --uid 999 --gid 999 --home-dir /var/lib/mysql --no-create-home mysql"},
		{env: "GOSU_VERSION=1.17"}, gosu, {run: "set -eux; \tcurl -fL -o /usr/local/bin/gosu \"https://github.com/tianon/gosu/releases/download/$GOSU_VERSION/gosu-amd64\"; \tchmod +x /usr/local/bin/gosu; \tgosu --version; \tgosu nobody true"},
		{env: "MYSQL_MAJOR={minor}"}, {env: "MYSQL_VERSION={version}-1.el9"},
		{fill: "/usr/sbin/mysqld 80000 x\n/usr/bin/mysql 8000 x\n/usr/bin/mysqldump 7000 x\n/usr/bin/mysqladmin 7000 x\n/usr/lib64/mysql/plugin/component_reference_cache.so 100\n/usr/share/mysql-{minor}/english/errmsg.sys 200\n/usr/lib64/mysql/private/libprotobuf.so.24.4.0 3000\n", size: 340_000_000,
			run: "set -eu; \t. /etc/os-release; \t{ \t\techo '[mysql{minor}-server-minimal]'; \t\techo 'name=MySQL {minor} Server Minimal'; \t\techo 'enabled=1'; \t} | tee /etc/yum.repos.d/mysql-community-minimal.repo; \t\tmicrodnf install -y \"mysql-community-server-minimal-$MYSQL_VERSION\"; \tmicrodnf clean all; \t\tgrep -F 'socket=/var/lib/mysql/mysql.sock' /etc/my.cnf; \tsed -i 's!^socket=.*!socket=/var/run/mysqld/mysqld.sock!' /etc/my.cnf; \tinstall -d -m 1777 -o mysql -g mysql /var/lib/mysql-files /var/run/mysqld; \t\tmysqld --version; \tmysql --version"},
		{dir: "/var/lib/mysql", run: "mkdir -p /var/lib/mysql /var/lib/mysql-files /var/run/mysqld && chown mysql:mysql /var/lib/mysql"},
		{volume: "/var/lib/mysql"},
		{file: "/usr/local/bin/docker-entrypoint.sh", exec: true, text: entrypointScript("mysqld", "mysql"), copyTo: "/usr/local/bin/"},
		{entrypoint: []string{"docker-entrypoint.sh"}}, {expose: "3306"}, {expose: "33060"}, {cmd: []string{"mysqld"}},
	}
}

// serverOps is the shape of the Ubuntu-based database images (mariadb, mongo,
// rabbitmq): a service user, gosu, the server, a volume, docker-entrypoint.sh.
func serverOps(server, user, versionVar, data string, ports, cmd []string, size int64, files string) []op {
	ops := []op{
		{user: user, run: "set -eux; \tgroupadd -r " + strings.Split(user, ":")[0] + " --gid=999; \tuseradd -r -g " + strings.Split(user, ":")[0] + " --uid=999 --home-dir=" + data + " " + strings.Split(user, ":")[0]},
		{env: "GOSU_VERSION=1.17"}, gosu, {run: "set -eux; \tsavedAptMark=\"$(apt-mark showmanual)\"; \tapt-get update; \tapt-get install -y --no-install-recommends ca-certificates gnupg wget; \twget -O /usr/local/bin/gosu \"https://github.com/tianon/gosu/releases/download/$GOSU_VERSION/gosu-amd64\"; \tchmod +x /usr/local/bin/gosu; \tgosu --version; \tgosu nobody true"},
		{env: versionVar + "={version}"},
		{fill: files, size: size, sizeA: size * 4 / 5, run: "set -ex; \texport DEBIAN_FRONTEND=noninteractive; \tapt-get update; \tapt-get install -y --no-install-recommends " + server + "=${" + versionVar + "}; \trm -rf /var/lib/apt/lists/*"},
		{dir: data, run: "mkdir -p " + data + " /docker-entrypoint-initdb.d && chown -R " + strings.Split(user, ":")[0] + ":" + strings.Split(user, ":")[0] + " " + data},
		{volume: data},
		{file: "/usr/local/bin/docker-entrypoint.sh", exec: true, text: entrypointScript(cmd[0], strings.Split(user, ":")[0]), copyTo: "/usr/local/bin/"},
		{entrypoint: []string{"docker-entrypoint.sh"}},
	}
	for _, p := range ports {
		ops = append(ops, op{expose: p})
	}
	return append(ops, op{cmd: cmd})
}

// wordpressBase is the php image a wordpress tag stands on.
func wordpressBase(s spec) string {
	php := strings.TrimPrefix(s.vars["php"], "php")
	if s.distroKind() == "alpine" {
		return "php:" + php + "-fpm-alpine"
	}
	if s.flavor == "fpm" {
		return "php:" + php + "-fpm-" + s.distro.codename
	}
	return "php:" + php + "-apache-" + s.distro.codename
}

func dockerOps() []op {
	return []op{
		{fill: "/etc/ssl/certs/ca-certificates.crt 214\n/usr/bin/git 3000 x\n/usr/bin/ssh 900 x\n", size: 12_000_000, run: "apk add --no-cache \t\tca-certificates \t\tgit \t\topenssh-client"},
		{file: "/etc/nsswitch.conf", text: "hosts: files dns\n", run: "[ -e /etc/nsswitch.conf ] && grep '^hosts: files dns' /etc/nsswitch.conf"},
		{env: "DOCKER_VERSION={version}"},
		{fill: "/usr/local/bin/docker 38000 x\n", size: 38_000_000, run: "set -eux; \twget -O 'docker.tgz' \"https://download.docker.com/linux/static/stable/x86_64/docker-{version}.tgz\"; \ttar --extract --file docker.tgz --strip-components 1 --directory /usr/local/bin/ --no-same-owner 'docker/docker'; \trm docker.tgz; \tdocker --version"},
		{fill: "/usr/local/libexec/docker/cli-plugins/docker-buildx 60000 x\n/usr/local/libexec/docker/cli-plugins/docker-compose 70000 x\n", size: 130_000_000, run: "set -eux; \twget -O 'docker-buildx' \"https://github.com/docker/buildx/releases/download/v0.30.0/buildx-v0.30.0.linux-amd64\"; \tplugin='/usr/local/libexec/docker/cli-plugins/docker-buildx'; \tmkdir -p \"$(dirname \"$plugin\")\"; \tmv -vT 'docker-buildx' \"$plugin\"; \tchmod +x \"$plugin\"; \tdocker buildx version"},
		{file: "/usr/local/bin/docker-entrypoint.sh", exec: true, text: "#!/bin/sh\nset -eu\n\n# first arg is `-f` or `--some-option`\nif [ \"$#\" -eq 0 ] || [ \"${1#-}\" != \"$1\" ]; then\n\tset -- docker \"$@\"\nfi\n\nexec \"$@\"\n", copyTo: "/usr/local/bin/"},
		{env: "DOCKER_TLS_CERTDIR=/certs"}, {dir: "/certs/client", run: "mkdir /certs /certs/client && chmod 1777 /certs /certs/client"},
		{entrypoint: []string{"docker-entrypoint.sh"}},
		{when: "cli", cmd: []string{"sh"}},
		{when: "!cli", fill: "/usr/local/bin/dockerd 80000 x\n/usr/local/bin/containerd 40000 x\n/usr/local/bin/runc 12000 x\n/usr/sbin/iptables-legacy 100 x\n", size: 190_000_000, run: "set -eux; \tapk add --no-cache \t\tbtrfs-progs \t\te2fsprogs \t\tiptables \t\tip6tables \t\topenssl \t\tpigz \t\txfsprogs \t\txz \t; \twget -O 'docker.tgz' \"https://download.docker.com/linux/static/stable/x86_64/docker-{version}.tgz\"; \ttar --extract --file docker.tgz --strip-components 1 --directory /usr/local/bin/ --no-same-owner --exclude 'docker/docker'; \tdockerd --version"},
		{when: "!cli", file: "/usr/local/bin/dockerd-entrypoint.sh", exec: true, text: "#!/bin/sh\nset -eu\n\n# no arguments passed\n# or first arg is `-f` or `--some-option`\nif [ \"$#\" -eq 0 ] || [ \"${1#-}\" != \"$1\" ]; then\n\tset -- dockerd --host=unix:///var/run/docker.sock --host=tcp://0.0.0.0:2375 \"$@\"\nfi\n\nexec \"$@\"\n", copyTo: "/usr/local/bin/"},
		{when: "!cli", volume: "/var/lib/docker"}, {when: "!cli", expose: "2375"}, {when: "!cli", expose: "2376"},
		{when: "!cli", entrypoint: []string{"dockerd-entrypoint.sh"}}, {when: "!cli", cmd: []string{}},
	}
}

const condaFiles = `
/opt/conda/bin/conda 1 x
/opt/conda/bin/python3.12 30000 x
/opt/conda/bin/pip 1 x
/opt/conda/bin/activate 1 x
/opt/conda/condabin/conda 1 x
/opt/conda/etc/profile.d/conda.sh 3
/opt/conda/lib/libpython3.12.so.1.0 25000
/opt/conda/lib/libcrypto.so.3 5000
/opt/conda/lib/libmamba.so.2 9000
/opt/conda/lib/python3.12/site-packages/conda/__init__.py 5
/opt/conda/lib/python3.12/site-packages/conda_libmamba_solver/solver.py 40
/opt/conda/pkgs/urls.txt 1
`

// uvBase is what an uv tag stands on: scratch, a distro, or a python image.
func uvBase(s spec) string {
	switch {
	case s.distroKind() == "scratch":
		return "scratch"
	case s.flavor == "python":
		py := strings.TrimPrefix(s.vars["py"], "python")
		switch {
		case s.distroKind() == "alpine":
			return "python:" + py + "-alpine"
		case s.distro.slim:
			return "python:" + py + "-slim-" + s.distro.codename
		}
		return "python:" + py + "-" + s.distro.codename
	}
	return s.distro.baseName()
}
