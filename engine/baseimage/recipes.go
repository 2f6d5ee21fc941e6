package baseimage

import (
	"fmt"
	"strings"
)

// The recipe families: each the official image's Dockerfile as data (see recipe).
// Versions are the lines' newest releases published by 2026-12 where known; sizes are
// the real images' `docker images` sizes, approximately.

// lines builds version lines from "ver latest date first [end]" rows.
func lines(rows ...string) []line {
	var out []line
	for _, r := range rows {
		f := strings.Fields(r)
		l := line{ver: f[0], latest: f[1], date: f[2], first: f[3]}
		if len(f) > 4 && f[4] != "-" {
			l.end = f[4]
		}
		if len(f) > 5 {
			l.max = f[5]
		}
		if len(f) > 6 {
			l.base = f[6]
		}
		out = append(out, l)
	}
	return out
}

// entrypointScript is the docker-entrypoint.sh the database images ship, abbreviated:
// it runs its command, switching to the service's user when started as root.
func entrypointScript(service, user string) string {
	return "#!/usr/bin/env bash\nset -Eeo pipefail\n# " + service + " image entrypoint (abbreviated): first run initialises the data\n# directory from /docker-entrypoint-initdb.d, then the server runs as " + user + ".\n\nif [ \"${1:0:1}\" = '-' ]; then\n\tset -- " + service + " \"$@\"\nfi\n\nexec \"$@\"\n"
}

var (
	gosu = op{file: "/usr/local/bin/gosu", exec: true, text: "#!/bin/sh\n# gosu 1.17 stand-in: run a command as another user\nshift\nexec \"$@\"\n"}
)

func recipeFamilies() []*family {
	fams := []*family{
		{repo: "ruby", desc: "Ruby is a dynamic, reflective, object-oriented, general-purpose, open-source programming language.",
			lines: lines("2.6 2.6.10 2022-04-12 2018-12-25 2022-04-30", "2.7 2.7.8 2023-03-31 2019-12-25 2023-04-30",
				"3.0 3.0.7 2024-04-23 2020-12-25 2024-04-30", "3.1 3.1.7 2025-03-26 2021-12-25 2025-03-31",
				"3.2 3.2.9 2025-07-24 2022-12-25", "3.3 3.3.10 2025-10-23 2023-12-25", "3.4 3.4.8 2026-10-14 2024-12-25"),
			forms: pythonForms, build: recipeBuild(recipe{base: "buildpack", ops: []op{
				{when: "slim", fill: "/usr/lib/x86_64-linux-gnu/libyaml-0.so.2.0.9 140\n/usr/lib/x86_64-linux-gnu/libgmp.so.10.4.1 520\n/etc/ssl/certs/ca-certificates.crt 214\n", size: 17_000_000,
					run: "set -eux; \tapt-get update; \tapt-get install -y --no-install-recommends \t\tbzip2 \t\tca-certificates \t\tlibffi-dev \t\tlibgmp-dev \t\tlibssl-dev \t\tlibyaml-dev \t\tprocps \t\tzlib1g-dev \t; \trm -rf /var/lib/apt/lists/*"},
				{when: "alpine", fill: "/usr/lib/libyaml-0.so.2.0.9 140\n/usr/lib/libgmp.so.10.5.0 450\n/usr/lib/libssl.so.3 600\n", size: 9_000_000,
					run: "set -eux; \tapk add --no-cache \t\tbzip2 \t\tca-certificates \t\tgmp-dev \t\tlibffi-dev \t\tprocps \t\tyaml-dev \t\tzlib-dev \t;"},
				{file: "/usr/local/etc/gemrc", text: "install: --no-document\nupdate: --no-document\n"},
				{run: "set -eux; \tmkdir -p /usr/local/etc; \t{ \t\techo 'install: --no-document'; \t\techo 'update: --no-document'; \t} >> /usr/local/etc/gemrc"},
				{env: "LANG=C.UTF-8"}, {env: "RUBY_VERSION={version}"}, {env: "RUBY_DOWNLOAD_URL=https://cache.ruby-lang.org/pub/ruby/{minor}/ruby-{version}.tar.xz"},
				{fill: rubyFiles, size: 48_000_000, sizeA: 42_000_000,
					run: "set -eux; \t\tsavedAptMark=\"$(apt-mark showmanual)\"; \tapt-get update; \tapt-get install -y --no-install-recommends \t\tbison \t\tdpkg-dev \t\tlibgdbm-dev \t\truby \t; \t\twget -O ruby.tar.xz \"$RUBY_DOWNLOAD_URL\"; \t\tmkdir -p /usr/src/ruby; \ttar -xJf ruby.tar.xz -C /usr/src/ruby --strip-components=1; \trm ruby.tar.xz; \t\tcd /usr/src/ruby; \t./configure \t\t--build=\"$gnuArch\" \t\t--disable-install-doc \t\t--enable-shared \t; \tmake -j \"$(nproc)\"; \tmake install; \t\tcd /; \trm -r /usr/src/ruby; \t\truby --version; \tgem --version; \tbundle --version"},
				{env: "GEM_HOME=/usr/local/bundle"}, {env: "BUNDLE_SILENCE_ROOT_WARNING=1"}, {env: "BUNDLE_APP_CONFIG=/usr/local/bundle"},
				{env: "PATH=/usr/local/bundle/bin:$PATH"},
				{dir: "/usr/local/bundle/bin"}, {run: "set -eux; \tmkdir \"$GEM_HOME\"; \tchmod 1777 \"$GEM_HOME\""},
				{cmd: []string{"irb"}},
			}})},
		{repo: "php", desc: "While designed for web development, the PHP scripting language also provides general-purpose use.",
			lines: lines("7.4 7.4.33 2022-11-03 2019-11-28 2022-11-28", "8.0 8.0.30 2023-08-03 2020-11-26 2023-11-26",
				"8.1 8.1.33 2025-07-03 2021-11-25 2025-12-31", "8.2 8.2.30 2026-11-20 2022-12-08", "8.3 8.3.29 2026-11-20 2023-11-23",
				"8.4 8.4.16 2026-11-20 2024-11-21", "8.5 8.5.1 2026-11-20 2025-11-20"),
			bareFlavor: "cli",
			forms: []string{"@debian-slim", "{deb}@debian-slim", "{v:cli,fpm,apache,zts}@debian-slim", "{v:cli,fpm,apache,zts}-{deb}@debian-slim",
				"alpine@alpine", "{alp}@alpine", "{v:cli,fpm,zts}-alpine@alpine", "{v:cli,fpm,zts}-{alp}@alpine"},
			build: recipeBuild(recipe{ops: phpOps()})},
		{repo: "composer", desc: "Composer is a dependency manager written in and for PHP.",
			lines:   lines("1.10 1.10.27 2023-09-22 2020-03-10", "2.2 2.2.25 2024-12-10 2021-12-22", "2.7 2.7.9 2024-09-04 2024-02-09", "2.8 2.8.12 2025-09-19 2024-10-02", "2.9 2.9.2 2026-11-04 2025-11-19"),
			aliases: []alias{{"lts", "2.2"}},
			forms:   []string{"@alpine"},
			build: recipeBuild(recipe{baseFor: func(s spec) string { return "php:8.4-cli-alpine" }, ops: []op{
				{fill: "/usr/lib/libzip.so.5.5 100\n/usr/bin/git 3000 x\n/usr/bin/unzip 180 x\n/usr/bin/ssh 900 x\n", size: 80_000_000,
					run: "set -eux ;   apk add --no-cache --virtual .composer-rundeps     7zip     bash     coreutils     git     make     mercurial     openssh-client     patch     subversion     tini     unzip     zip"},
				{env: "COMPOSER_ALLOW_SUPERUSER=1"}, {env: "COMPOSER_HOME=/tmp"}, {env: "COMPOSER_VERSION={version}"},
				{fill: "/usr/bin/composer 3100 x\n", size: 3_100_000, run: "set -eux ;   curl --silent --fail --location --retry 3 --output /tmp/keys.dev.pub --url https://raw.githubusercontent.com/composer/composer.github.io/main/snapshots.pub ;   php /tmp/installer.php --no-ansi --install-dir=/usr/bin --filename=composer --version=${COMPOSER_VERSION} ;   composer --ansi --version --no-interaction"},
				{file: "/docker-entrypoint.sh", exec: true, text: "#!/bin/sh\n\nisCommand() {\n  if [ \"$1\" = \"sh\" ]; then\n    return 1\n  fi\n  composer help --no-interaction \"$1\" > /dev/null 2>&1\n}\n\nif [ \"${1#-}\" != \"$1\" ] || isCommand \"$1\"; then\n  set -- /sbin/tini -- composer \"$@\"\nfi\n\nexec \"$@\"\n", copyTo: "/docker-entrypoint.sh"},
				{workdir: "/app"}, {entrypoint: []string{"/docker-entrypoint.sh"}}, {cmd: []string{"composer"}},
			}})},
		{repo: "rust", desc: "Rust is a systems programming language focused on three goals: safety, speed, and concurrency.",
			lines: rustLines(), forms: pythonForms,
			build: recipeBuild(recipe{base: "buildpack", ops: []op{
				{env: "RUSTUP_HOME=/usr/local/rustup"}, {env: "CARGO_HOME=/usr/local/cargo"}, {env: "PATH=/usr/local/cargo/bin:$PATH"}, {env: "RUST_VERSION={version}"},
				{when: "!alpine !slim", fill: rustFiles, size: 560_000_000, run: rustRun},
				{when: "slim", fill: rustFiles + "/usr/bin/gcc-12 1200 x\n/usr/lib/x86_64-linux-gnu/libc.a 6000\n", size: 640_000_000, run: "set -eux; \tapt-get update; \tapt-get install -y --no-install-recommends \t\tca-certificates \t\tgcc \t\tlibc6-dev \t\twget \t\t; \t" + rustRun + "; \tapt-get remove -y --auto-remove \t\twget \t\t; \trm -rf /var/lib/apt/lists/*;"},
				{when: "alpine", fill: rustFiles + "/usr/bin/gcc 900 x\n/usr/lib/libc.a 2000\n", size: 830_000_000, run: "apk add --no-cache \t\tca-certificates \t\tgcc \t\tmusl-dev \t\t; " + rustRun},
			}})},
		{repo: "lukemathwalker/cargo-chef", desc: "Cache the dependencies of your Rust project and speed up your Docker builds (cargo-chef on the rust image).",
			lines: lines("0.1 0.1.73 2026-10-01 2020-10-01 - 0.1.73"), latestSuffix: true,
			forms: []string{"rust-{rust#}@debian", "rust-{rust#}-slim@debian-slim", "rust-{rust#}-slim-{deb}@debian-slim", "rust-{rust#}-alpine@alpine", "rust-{rust#}-{alp}@alpine"},
			build: func(s spec) (*Image, error) {
				if _, err := Lookup("rust:" + s.vars["rust"]); err != nil {
					return nil, fmt.Errorf("cargo-chef on rust:%s: %w", s.vars["rust"], err)
				}
				return recipeBuild(recipe{baseFor: cargoChefBase, ops: []op{
					{fill: "/usr/local/cargo/bin/cargo-chef 9000 x\n/usr/local/cargo/registry/cache/index.crates.io/cargo-chef.crate 100\n", size: 26_000_000,
						run: "cargo install cargo-chef --locked --version {version}"},
				}})(s)
			}},
		{repo: "eclipse-temurin", desc: "Official Images for OpenJDK binaries built by Eclipse Temurin.",
			lines: lines("8 8u472-b08 2026-10-28 2021-08-01", "11 11.0.29_7 2026-10-28 2021-08-01", "17 17.0.17_10 2026-10-28 2021-09-20 - 17.0.17_10",
				"21 21.0.9_10 2026-10-28 2023-09-25", "24 24.0.2_12 2025-07-22 2025-03-20 2025-09-30", "25 25.0.3_9 2026-10-28 2025-09-20"),
			bareFlavor: "jdk",
			forms:      []string{"@ubuntu", "{ubu}@ubuntu", "{v:jdk,jre}@ubuntu", "{v:jdk,jre}-{ubu}@ubuntu", "alpine@alpine", "{v:jdk,jre}-alpine@alpine"},
			build:      recipeBuild(recipe{ops: temurinOps("/opt/java/openjdk")})},
		{repo: "openjdk", desc: "Pre-release builds of OpenJDK (deprecated: use eclipse-temurin or another distribution).",
			lines: lines("8 8u342 2022-07-19 2017-01-01 2022-07-31", "11 11.0.16 2022-07-19 2018-09-25 2022-07-31", "17 17.0.2 2022-01-18 2021-09-14 2022-07-31",
				"18 18.0.2.1 2022-08-18 2022-03-22 2022-08-31", "21 21-ea-22 2023-05-13 2022-12-08 2023-06-01"),
			bareFlavor: "jdk",
			forms:      []string{"@debian", "{v:jdk,jre}@debian", "slim@debian-slim", "{v:jdk,jre}-slim@debian-slim", "{v:jdk,jre}-slim-{deb}@debian-slim", "slim-{deb}@debian-slim", "{v:jdk,jre}-{deb}@debian", "{deb}@debian", "alpine@alpine", "{v:jdk,jre}-alpine@alpine"},
			build:      recipeBuild(recipe{base: "buildpack-scm", ops: temurinOps("/usr/local/openjdk-{major}")})},
		{repo: "maven", desc: "Apache Maven is a software project management and comprehension tool.",
			lines:       lines("3.6 3.6.3 2019-11-25 2018-10-24 2022-06-01", "3.8 3.8.8 2023-03-08 2021-03-30 2024-01-01", "3.9 3.9.11 2025-07-12 2023-02-01"),
			defaultVars: map[string]string{"jdk": "21"},
			forms: []string{"@ubuntu", "eclipse-temurin-{jdk:8,11,17,21,25}@ubuntu", "eclipse-temurin-{jdk:8,11,17,21,25}-{ubu}@ubuntu",
				"eclipse-temurin-{jdk:8,11,17,21,25}-alpine@alpine", "amazoncorretto-{jdk:8,11,17,21,25}@rpm:amazonlinux",
				"openjdk-{jdk:8,11,17,18}@debian", "openjdk-{jdk:8,11,17,18}-slim@debian-slim",
				// The older names of the openjdk-based images (3.6.3-jdk-8 was the same
				// image as 3.6.3-openjdk-8), published up to Maven 3.8.
				"jdk-{jdk:8,11,14,15,16}@debian<3.9", "jdk-{jdk:8,11,14,15,16}-slim@debian-slim<3.9", "jdk-{jdk:8,11}-alpine@alpine<3.8"},
			build: recipeBuild(recipe{baseFor: javaToolBase, ops: []op{
				{when: "rpm", env: "JAVA_HOME=/usr/lib/jvm/java-{jdk}-amazon-corretto"},
				{when: "rpm", fill: javaFiles("/usr/lib/jvm/java-{jdk}-amazon-corretto") + "/usr/lib/jvm/java-{jdk}-amazon-corretto/bin/javac 12 x\n", size: 320_000_000,
					link: "/usr/bin/java>/usr/lib/jvm/java-{jdk}-amazon-corretto/bin/java", run: "set -eux;     rpm --import file:///corretto.key;     echo \"localpkg_gpgcheck=1\" >> /etc/yum.conf;     dnf install -y java-{jdk}-amazon-corretto-devel;     dnf clean all"},
				{when: "rpm", link: "/usr/bin/javac>/usr/lib/jvm/java-{jdk}-amazon-corretto/bin/javac", run: "alternatives --install /usr/bin/javac javac /usr/lib/jvm/java-{jdk}-amazon-corretto/bin/javac 1"},
				{env: "MAVEN_HOME=/usr/share/maven"},
				{fill: "/usr/share/maven/lib/maven-core-{version}.jar 700\n/usr/share/maven/lib/guava-33.2.1-jre.jar 3000\n/usr/share/maven/boot/plexus-classworlds-2.8.0.jar 50\n/usr/share/maven/bin/mvn 7 x\n/usr/share/maven/conf/settings.xml 10\n", size: 10_000_000,
					link: "/usr/bin/mvn>/usr/share/maven/bin/mvn", copyTo: "/usr/share/maven"},
				{file: "/usr/local/bin/mvn-entrypoint.sh", exec: true, text: "#! /bin/bash -eu\n\nset -o pipefail\n\n# Copy files from /usr/share/maven/ref into ${MAVEN_CONFIG}\ncopy_reference_files\nunset MAVEN_CONFIG\n\nexec \"$@\"\n", copyTo: "/usr/local/bin/mvn-entrypoint.sh"},
				{file: "/usr/share/maven/ref/settings-docker.xml", text: "<settings xmlns=\"http://maven.apache.org/SETTINGS/1.0.0\">\n  <localRepository>/usr/share/maven/ref/repository</localRepository>\n</settings>\n", copyTo: "/usr/share/maven/ref/"},
				{env: "MAVEN_CONFIG=/root/.m2"}, {entrypoint: []string{"/usr/local/bin/mvn-entrypoint.sh"}}, {cmd: []string{"mvn"}},
			}})},
		{repo: "gradle", desc: "Gradle is a build tool with a focus on build automation and support for multi-language development.",
			lines:       gradleLines(),
			defaultVars: map[string]string{"jdk": "jdk21"},
			forms: []string{"@ubuntu", "{jdk:jdk,jdk8,jdk11,jdk17,jdk21,jdk23,jdk24,jdk25}@ubuntu", "{jdk:jdk,jdk8,jdk11,jdk17,jdk21,jdk23,jdk24,jdk25}-{ubu}@ubuntu",
				"alpine@alpine", "{jdk:jdk,jdk8,jdk11,jdk17,jdk21,jdk23,jdk24,jdk25}-alpine@alpine"},
			build: recipeBuild(recipe{baseFor: javaToolBase, ops: []op{
				{cmd: []string{"gradle"}}, {env: "GRADLE_HOME=/opt/gradle"}, {env: "GRADLE_VERSION={version}"},
				{user: "gradle:1000:1000:/home/gradle:/bin/sh", dir: "/home/gradle/.gradle", run: "set -o errexit -o nounset     && echo \"Adding gradle user and group\"     && groupadd --system --gid 1000 gradle     && useradd --system --gid gradle --uid 1000 --shell /bin/bash --create-home gradle     && mkdir /home/gradle/.gradle     && chown --recursive gradle:gradle /home/gradle     && chmod --recursive o+rwx /home/gradle"},
				{volume: "/home/gradle/.gradle"}, {workdir: "/home/gradle"},
				{fill: "/opt/gradle/lib/gradle-core-{version}.jar 9000\n/opt/gradle/lib/kotlin-compiler-embeddable-2.0.21.jar 60000\n/opt/gradle/lib/groovy-3.0.22.jar 7000\n/opt/gradle/bin/gradle 9 x\n", size: 140_000_000,
					link: "/usr/bin/gradle>/opt/gradle/bin/gradle", run: "set -o errexit -o nounset     && echo \"Downloading Gradle\"     && wget --no-verbose --output-document=gradle.zip \"https://services.gradle.org/distributions/gradle-${GRADLE_VERSION}-bin.zip\"     && echo \"Installing Gradle\"     && unzip gradle.zip     && rm gradle.zip     && mv \"gradle-${GRADLE_VERSION}\" \"${GRADLE_HOME}/\"     && ln --symbolic \"${GRADLE_HOME}/bin/gradle\" /usr/bin/gradle"},
			}})},
		dbFamily("postgres", "The PostgreSQL object-relational database system provides reliability and data integrity.",
			lines("9.6 9.6.24 2021-11-11 2016-09-29 2021-11-11", "10 10.23 2022-11-10 2017-10-05 2022-11-10", "11 11.22 2023-11-09 2018-10-18 2023-11-09",
				"12 12.22 2024-11-21 2019-10-03 2024-11-21", "13 13.23 2025-11-13 2020-09-24 2025-11-13", "14 14.20 2026-11-12 2021-09-30",
				"15 15.15 2026-11-12 2022-10-13", "16 16.11 2026-11-12 2023-09-14", "17 17.7 2026-11-12 2024-09-26", "18 18.1 2026-11-12 2025-09-25"), postgresOps()),
		dbFamily("redis", "Redis is the world's fastest data platform for caching, vector search, and NoSQL databases.",
			lines("5.0 5.0.14 2021-10-04 2018-10-17 2022-04-01", "6.0 6.0.20 2023-07-10 2020-04-30 2023-08-01", "6.2 6.2.20 2025-07-06 2021-02-22",
				"7.0 7.0.15 2024-01-09 2022-04-27 2024-07-01", "7.2 7.2.11 2025-10-03 2023-08-15", "7.4 7.4.6 2025-10-03 2024-07-29",
				"8.0 8.0.4 2025-10-03 2025-05-02", "8.2 8.2.3 2026-11-04 2025-08-04"), redisOps()),
		{repo: "mysql", desc: "MySQL is a widely used, open-source relational database management system (RDBMS).",
			lines:   lines("5.7 5.7.44 2023-10-25 2015-10-21 2023-10-31", "8.0 8.0.44 2026-01-20 2018-04-19 2026-04-30", "8.4 8.4.7 2026-10-21 2024-04-30", "9.5 9.5.0 2026-10-21 2025-10-21"),
			aliases: []alias{{"lts", "8.4"}, {"innovation", "9.5"}}, bareFlavor: "oracle",
			forms: []string{"@rpm:oraclelinux", "oracle=oracle@rpm:oraclelinux", "debian=debian@debian-slim"},
			build: recipeBuild(recipe{ops: mysqlOps()})},
		{repo: "mariadb", desc: "MariaDB Server is a high performing open source relational database, forked from MySQL.",
			lines:   lines("10.6 10.6.23 2026-11-06 2021-07-06", "10.11 10.11.14 2026-11-06 2023-02-16", "11.4 11.4.8 2026-11-06 2024-05-29", "11.8 11.8.3 2026-11-06 2025-06-04"),
			aliases: []alias{{"lts", "11.8"}}, forms: []string{"@ubuntu", "{ubu}@ubuntu"},
			build: recipeBuild(recipe{ops: serverOps("mariadb", "mysql:999:999:/var/lib/mysql:/bin/bash", "MARIADB_VERSION", "/var/lib/mysql", []string{"3306"}, []string{"mariadbd"}, 250_000_000, "/usr/sbin/mariadbd 25000 x\n/usr/bin/mariadb 5000 x\n/usr/bin/mysql 1 x\n/usr/share/mariadb/english/errmsg.sys 100\n")})},
		{repo: "mongo", desc: "MongoDB document databases provide high availability and easy scalability.",
			lines: lines("4.4 4.4.29 2024-02-22 2020-07-30 2024-02-29", "5.0 5.0.31 2024-12-09 2021-07-13 2024-12-31", "6.0 6.0.26 2025-09-24 2022-07-19",
				"7.0 7.0.25 2026-10-22 2023-08-15", "8.0 8.0.15 2026-10-22 2024-10-02", "8.2 8.2.1 2026-10-22 2025-09-17"),
			forms: []string{"@ubuntu", "{ubu}@ubuntu"},
			build: recipeBuild(recipe{ops: serverOps("mongod", "mongodb:999:999:/data/db:/bin/bash", "MONGO_VERSION", "/data/db", []string{"27017"}, []string{"mongod"}, 720_000_000, "/usr/bin/mongod 180000 x\n/usr/bin/mongos 90000 x\n/usr/bin/mongosh 120000 x\n/usr/bin/mongodump 20000 x\n")})},
		{repo: "httpd", desc: "The Apache HTTP Server Project.",
			lines: lines("2.4 2.4.65 2025-07-23 2012-02-21"), forms: []string{"@debian-slim", "{deb}@debian-slim", "alpine@alpine", "{alp}@alpine"},
			build: recipeBuild(recipe{ops: []op{
				{env: "HTTPD_PREFIX=/usr/local/apache2"}, {env: "PATH=/usr/local/apache2/bin:$PATH"},
				{dir: "/usr/local/apache2", run: "mkdir -p \"$HTTPD_PREFIX\" \t&& chown www-data:www-data \"$HTTPD_PREFIX\""},
				{workdir: "/usr/local/apache2"},
				{when: "!alpine", fill: "/usr/lib/x86_64-linux-gnu/libapr-1.so.0.7.2 260\n/usr/lib/x86_64-linux-gnu/libaprutil-1.so.0.6.3 200\n/usr/lib/x86_64-linux-gnu/libnghttp2.so.14 170\n", size: 10_000_000,
					run: "set -eux; \tapt-get update; \tapt-get install -y --no-install-recommends \t\tca-certificates \t\tlibaprutil1-ldap \t\tlibldap-common \t; \trm -rf /var/lib/apt/lists/*"},
				{env: "HTTPD_VERSION={version}"},
				{fill: "/usr/local/apache2/bin/httpd 2500 x\n/usr/local/apache2/bin/apachectl 4 x\n/usr/local/apache2/modules/mod_ssl.so 700\n/usr/local/apache2/modules/mod_proxy.so 300\n/usr/local/apache2/conf/httpd.conf 20\n/usr/local/apache2/htdocs/index.html 1\n", size: 60_000_000, sizeA: 50_000_000,
					run: "set -eux; \t\tsavedAptMark=\"$(apt-mark showmanual)\"; \tapt-get update; \tapt-get install -y --no-install-recommends \t\tbzip2 \t\tdpkg-dev \t\tgcc \t\tlibapr1-dev \t\tlibaprutil1-dev \t\tlibbrotli-dev \t\tlibcurl4-openssl-dev \t\tlibjansson-dev \t\tliblua5.2-dev \t\tlibnghttp2-dev \t\tlibpcre2-dev \t\tlibssl-dev \t\tlibxml2-dev \t\tmake \t\twget \t\tzlib1g-dev \t; \t\tddist 'httpd.tar.bz2' \"httpd/httpd-$HTTPD_VERSION.tar.bz2\"; \t./configure --build=\"$gnuArch\" --prefix=\"$HTTPD_PREFIX\" --enable-mods-shared=reallyall --enable-mpms-shared=all; \tmake -j \"$(nproc)\"; \tmake install; \t\thttpd -v"},
				{stopSignal: "SIGWINCH"},
				{file: "/usr/local/bin/httpd-foreground", exec: true, text: "#!/bin/sh\nset -e\n\n# Apache gets grumpy about PID files pre-existing\nrm -f /usr/local/apache2/logs/httpd.pid\n\nexec httpd -DFOREGROUND \"$@\"\n", copyTo: "/usr/local/bin/"},
				{expose: "80"}, {cmd: []string{"httpd-foreground"}},
			}})},
		{repo: "gcc", desc: "The GNU Compiler Collection is a compiling system that supports several languages.",
			lines: lines("9 9.5.0 2022-05-27 2019-05-03 2023-06-01", "10 10.5.0 2023-07-07 2020-05-07 2024-06-01", "11 11.5.0 2024-07-19 2021-04-27",
				"12 12.5.0 2025-07-11 2022-05-06", "13 13.4.0 2025-06-05 2023-04-26", "14 14.3.0 2025-05-23 2024-05-07", "15 15.2.0 2025-08-08 2025-04-25"),
			forms: []string{"@debian", "{deb}@debian"},
			build: recipeBuild(recipe{base: "buildpack", ops: []op{
				{env: "GCC_MIRRORS=https://ftpmirror.gnu.org/gcc https://mirrors.kernel.org/gnu/gcc https://bigsearcher.com/mirrors/gcc/releases https://mirror.koddos.net/gcc/releases"},
				{env: "GCC_VERSION={version}"},
				{fill: "/usr/local/bin/gcc 1300 x\n/usr/local/bin/g++ 1300 x\n/usr/local/bin/gfortran 1300 x\n/usr/local/libexec/gcc/x86_64-linux-gnu/{version}/cc1 36000 x\n/usr/local/libexec/gcc/x86_64-linux-gnu/{version}/cc1plus 40000 x\n/usr/local/libexec/gcc/x86_64-linux-gnu/{version}/f951 38000 x\n/usr/local/libexec/gcc/x86_64-linux-gnu/{version}/lto1 35000 x\n/usr/local/lib64/libstdc++.so.6.0.33 2500\n/usr/local/lib64/libstdc++.a 6500\n/usr/local/include/c++/{version}/iostream 3\n", size: 380_000_000,
					run: "set -ex; \t\tsavedAptMark=\"$(apt-mark showmanual)\"; \tapt-get update; \tapt-get install -y --no-install-recommends \t\tdpkg-dev \t\tflex \t\tgnupg \t; \t\tcurl -fL \"$GCC_MIRROR/gcc-$GCC_VERSION/gcc-$GCC_VERSION.tar.xz\" -o gcc.tar.xz; \tmkdir -p /usr/src/gcc; \ttar -xf gcc.tar.xz -C /usr/src/gcc --strip-components=1; \t\tcd /usr/src/gcc; \t./contrib/download_prerequisites; \t\tmkdir \"$dir\"; \tcd \"$dir\"; \t\t/usr/src/gcc/configure \t\t--build=\"$gnuArch\" \t\t--disable-multilib \t\t--enable-languages=c,c++,fortran,go \t; \tmake -j \"$(nproc)\"; \tmake install-strip; \t\tcd ..; \t\trm -rf \"$dir\" /usr/src/gcc; \t\tgcc --version"},
				{file: "/etc/ld.so.conf.d/000-local-lib.conf", text: "/usr/local/lib64\n", run: "set -ex; \techo '/usr/local/lib64' > /etc/ld.so.conf.d/local-lib64.conf; \tldconfig -v"},
			}})},
		{repo: "traefik", desc: "Traefik, The Cloud Native Edge Router.",
			lines: lines("2.11 2.11.31 2026-10-30 2024-02-12", "3.5 3.5.6 2026-10-30 2025-07-23", "3.6 3.6.2 2026-10-30 2025-11-04"),
			forms: []string{"@alpine"},
			build: recipeBuild(recipe{ops: []op{
				{fill: "/etc/ssl/certs/ca-certificates.crt 214\n/usr/share/zoneinfo/tzdata.zi 105\n", size: 1_500_000, run: "apk --no-cache add ca-certificates tzdata"},
				{fill: "/usr/local/bin/traefik 200000 x\n", size: 190_000_000, run: "set -ex; \tapkArch=\"$(apk --print-arch)\"; \twget --quiet -O /tmp/traefik.tar.gz \"https://github.com/traefik/traefik/releases/download/v{version}/traefik_v{version}_linux_$arch.tar.gz\"; \ttar xzvf /tmp/traefik.tar.gz -C /usr/local/bin traefik; \trm -f /tmp/traefik.tar.gz; \tchmod +x /usr/local/bin/traefik"},
				{file: "/entrypoint.sh", exec: true, text: "#!/bin/sh\nset -e\n\n# first arg is `-f` or `--some-option`\nif [ \"${1#-}\" != \"$1\" ]; then\n    set -- traefik \"$@\"\nfi\n\nexec \"$@\"\n", copyTo: "/"},
				{expose: "80"}, {entrypoint: []string{"/entrypoint.sh"}}, {cmd: []string{"traefik"}},
				{label: "org.opencontainers.image.version=v{version}"},
			}})},
		{repo: "caddy", desc: "Caddy 2 is a powerful, enterprise-ready, open source web server with automatic HTTPS written in Go.",
			lines: lines("2.8 2.8.4 2024-05-30 2024-05-30", "2.9 2.9.1 2025-01-09 2024-12-31", "2.10 2.10.2 2026-08-23 2025-04-18"),
			forms: []string{"@alpine", "alpine@alpine", "builder=builder@alpine", "builder=builder-alpine@alpine"},
			build: recipeBuild(recipe{ops: []op{
				{fill: "/etc/ssl/certs/ca-certificates.crt 214\n/usr/bin/mailcap 1\n", size: 1_200_000, run: "apk add --no-cache \tca-certificates \tlibcap \tmailcap"},
				{dir: "/config/caddy", file: "/etc/caddy/Caddyfile", text: "# The Caddyfile is an easy way to configure your Caddy web server.\n\n:80 {\n\troot * /usr/share/caddy\n\tfile_server\n}\n",
					run: "set -eux; \tmkdir -p \t\t/config/caddy \t\t/data/caddy \t\t/etc/caddy \t\t/usr/share/caddy \t; \twget -O /etc/caddy/Caddyfile \"https://github.com/caddyserver/dist/raw/33ae08ff08d168572df2956ed14fbc4949880d94/config/Caddyfile\""},
				{env: "CADDY_VERSION=v{version}"},
				{fill: "/usr/bin/caddy 40000 x\n", size: 40_000_000, run: "set -eux; \tapkArch=\"$(apk --print-arch)\"; \twget -O /tmp/caddy.tar.gz \"https://github.com/caddyserver/caddy/releases/download/v{version}/caddy_{version}_linux_amd64.tar.gz\"; \ttar x -z -f /tmp/caddy.tar.gz -C /usr/bin caddy; \trm -f /tmp/caddy.tar.gz; \tsetcap cap_net_bind_service=+ep /usr/bin/caddy; \tchmod +x /usr/bin/caddy; \tcaddy version"},
				{when: "builder", fill: "/usr/bin/xcaddy 6000 x\n/usr/local/go/bin/go 14500 x\n/usr/local/go/pkg/tool/linux_amd64/compile 26000 x\n", size: 230_000_000, run: "apk add --no-cache git libcap go; wget -O /tmp/xcaddy.tar.gz \"https://github.com/caddyserver/xcaddy/releases/download/v0.4.5/xcaddy_0.4.5_linux_amd64.tar.gz\"; tar x -z -f /tmp/xcaddy.tar.gz -C /usr/bin xcaddy"},
				{env: "XDG_CONFIG_HOME=/config"}, {env: "XDG_DATA_HOME=/data"},
				{volume: "/config"}, {volume: "/data"},
				{expose: "80"}, {expose: "443"}, {expose: "443/udp"}, {expose: "2019"},
				{workdir: "/srv"}, {cmd: []string{"caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"}},
			}})},
		{repo: "rabbitmq", desc: "RabbitMQ is an open source multi-protocol messaging broker.",
			lines: lines("3.13 3.13.7 2024-08-26 2024-02-22 2025-07-31", "4.1 4.1.6 2026-10-22 2025-04-15", "4.2 4.2.1 2026-10-22 2025-10-28"),
			forms: []string{"@ubuntu", "management=management@ubuntu", "alpine@alpine", "management=management-alpine@alpine"},
			build: recipeBuild(recipe{ops: append(serverOps("rabbitmq-server", "rabbitmq:999:999:/var/lib/rabbitmq:/usr/sbin/nologin", "RABBITMQ_VERSION", "/var/lib/rabbitmq",
				[]string{"4369", "5671", "5672", "15691", "15692", "25672"}, []string{"rabbitmq-server"}, 180_000_000,
				"/opt/rabbitmq/sbin/rabbitmq-server 1 x\n/opt/rabbitmq/sbin/rabbitmqctl 1 x\n/usr/local/lib/erlang/erts-15.2/bin/beam.smp 7000 x\n/opt/rabbitmq/plugins/rabbit-{version}.ez 9000\n"),
				op{when: "management", fill: "/opt/rabbitmq/plugins/rabbitmq_management-{version}/priv/www/js/main.js 3000\n/usr/local/bin/rabbitmqadmin 40 x\n", size: 8_000_000, run: "set eux; \trabbitmq-plugins enable --offline rabbitmq_management; \trm -f /etc/rabbitmq/conf.d/20-management_agent.disable_metrics_collector.conf"},
				op{when: "management", expose: "15672"})})},
		{repo: "memcached", desc: "Free & open source, high-performance, distributed memory object caching system.",
			lines: lines("1.6 1.6.39 2026-07-28 2020-03-08"), forms: []string{"@debian-slim", "{deb}@debian-slim", "alpine@alpine", "{alp}@alpine"},
			build: recipeBuild(recipe{ops: []op{
				{user: "memcache:11211:11211:/home/memcache:/bin/sh", run: "groupadd --system --gid 11211 memcache && useradd --system --gid memcache --uid 11211 memcache"},
				{env: "MEMCACHED_VERSION={version}"},
				{fill: "/usr/local/bin/memcached 450 x\n/usr/lib/x86_64-linux-gnu/libevent-2.1.so.7 400\n", size: 9_000_000, sizeA: 2_500_000, run: "set -x && \tsavedAptMark=\"$(apt-mark showmanual)\" && \tapt-get update && \twget -O memcached.tar.gz \"https://memcached.org/files/memcached-$MEMCACHED_VERSION.tar.gz\" && \t./configure --build=\"$gnuArch\" --enable-extstore --enable-sasl --enable-sasl-pwdb --enable-tls && \tmake -j \"$(nproc)\" && make install && memcached -V"},
				{file: "/usr/local/bin/docker-entrypoint.sh", exec: true, text: "#!/bin/sh\nset -e\n\n# first arg is `-f` or `--some-option`\nif [ \"${1#-}\" != \"$1\" ]; then\n\tset -- memcached \"$@\"\nfi\n\nexec \"$@\"\n", copyTo: "/usr/local/bin/"},
				{entrypoint: []string{"docker-entrypoint.sh"}}, {asUser: "memcache"}, {expose: "11211"}, {cmd: []string{"memcached"}},
			}})},
		{repo: "haproxy", desc: "HAProxy - The Reliable, High Performance TCP/HTTP Load Balancer.",
			lines:   lines("2.8 2.8.16 2026-11-06 2023-05-31", "3.0 3.0.12 2026-11-06 2024-05-29", "3.2 3.2.8 2026-11-06 2025-05-28"),
			aliases: []alias{{"lts", "3.2"}}, forms: []string{"@debian-slim", "{deb}@debian-slim", "alpine@alpine", "{alp}@alpine"},
			build: recipeBuild(recipe{ops: []op{
				{stopSignal: "SIGUSR1"}, {user: "haproxy:99:99:/var/lib/haproxy:/usr/sbin/nologin", run: "set -eux; \tgroupadd --gid 99 --system haproxy; \tuseradd \t\t--gid haproxy \t\t--home-dir /var/lib/haproxy \t\t--no-create-home \t\t--system \t\t--uid 99 \t\thaproxy \t; \tmkdir /var/lib/haproxy; \tchown haproxy:haproxy /var/lib/haproxy"},
				{env: "HAPROXY_VERSION={version}"},
				{fill: "/usr/local/sbin/haproxy 4000 x\n/usr/local/etc/haproxy/errors/503.http 1\n/usr/lib/x86_64-linux-gnu/liblua5.4.so.0 250\n", size: 40_000_000, sizeA: 18_000_000, run: "set -eux; \tsavedAptMark=\"$(apt-mark showmanual)\"; \tapt-get update && apt-get install -y --no-install-recommends \t\tgcc \t\tlibc6-dev \t\tliblua5.4-dev \t\tlibpcre2-dev \t\tlibssl-dev \t\tmake \t\twget \t; \tmake -C /usr/src/haproxy -j \"$nproc\" all $makeOpts; \tmake -C /usr/src/haproxy install-bin $makeOpts; \thaproxy -v"},
				{file: "/usr/local/bin/docker-entrypoint.sh", exec: true, text: "#!/bin/sh\nset -e\n\n# first arg is `-f` or `--some-option`\nif [ \"${1#-}\" != \"$1\" ]; then\n\tset -- haproxy \"$@\"\nfi\n\nif [ \"$1\" = 'haproxy' ]; then\n\tshift # \"haproxy\"\n\tset -- haproxy -W -db \"$@\"\nfi\n\nexec \"$@\"\n", copyTo: "/usr/local/bin/"},
				{entrypoint: []string{"docker-entrypoint.sh"}}, {asUser: "haproxy"}, {workdir: "/var/lib/haproxy"},
				{cmd: []string{"haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg"}},
			}})},
		{repo: "elasticsearch", desc: "Elasticsearch is a powerful open source search and analytics engine that makes data easy to explore.",
			lines:     lines("7.17 7.17.29 2025-06-24 2022-02-01", "8.19 8.19.7 2026-11-13 2025-07-29", "9.2 9.2.1 2026-11-13 2025-10-23"),
			exactOnly: true, forms: []string{"@ubuntu"},
			build: recipeBuild(recipe{ops: []op{
				{fill: "/bin/tini 24 x\n/etc/ssl/certs/ca-certificates.crt 214\n", size: 6_000_000, run: "apt-get update && apt-get install -y --no-install-recommends ca-certificates curl netcat p11-kit unzip zip && apt-get clean && rm -rf /var/lib/apt/lists/*"},
				{user: "elasticsearch:1000:1000:/usr/share/elasticsearch:/bin/bash", run: "groupadd -g 1000 elasticsearch &&     adduser --uid 1000 --gid 1000 --home /usr/share/elasticsearch elasticsearch &&     adduser elasticsearch root &&     chown -R 0:0 /usr/share/elasticsearch"},
				{env: "ELASTIC_CONTAINER=true"}, {workdir: "/usr/share/elasticsearch"},
				{fill: "/usr/share/elasticsearch/bin/elasticsearch 4 x\n/usr/share/elasticsearch/jdk/lib/modules 140000\n/usr/share/elasticsearch/jdk/bin/java 12 x\n/usr/share/elasticsearch/lib/elasticsearch-{version}.jar 14000\n/usr/share/elasticsearch/modules/x-pack-core/x-pack-core-{version}.jar 12000\n/usr/share/elasticsearch/modules/x-pack-ml/platform/linux-x86_64/lib/libtorch_cpu.so 400000\n", size: 1_150_000_000,
					copyTo: "/usr/share/elasticsearch"},
				{env: "PATH=/usr/share/elasticsearch/bin:$PATH"},
				{file: "/usr/local/bin/docker-entrypoint.sh", exec: true, text: "#!/bin/bash\nset -e\n\n# Files created by Elasticsearch should always be group writable too\numask 0002\n\nif [[ \"$1\" == \"eswrapper\" || $(basename \"$1\") == \"elasticsearch\" ]]; then\n  set -- \"${@:2}\"\n  exec /usr/share/elasticsearch/bin/elasticsearch \"$@\"\nfi\n\nexec \"$@\"\n", copyTo: "/usr/local/bin/docker-entrypoint.sh"},
				{expose: "9200"}, {expose: "9300"}, {asUser: "1000:0"},
				{entrypoint: []string{"/bin/tini", "--", "/usr/local/bin/docker-entrypoint.sh"}}, {cmd: []string{"eswrapper"}},
			}})},
		{repo: "wordpress", desc: "The rich content management system WordPress runs on PHP with MySQL or MariaDB.",
			lines:       lines("6.7 6.7.2 2025-02-11 2024-11-12", "6.8 6.8.3 2025-09-30 2025-04-15", "6.9 6.9.1 2026-11-04 2025-12-02"),
			defaultVars: map[string]string{"php": "php8.3"}, bareFlavor: "apache",
			forms: []string{"@debian-slim", "{php:php8.1,php8.2,php8.3,php8.4}@debian-slim", "{php:php8.1,php8.2,php8.3,php8.4}-{v:apache,fpm}@debian-slim",
				"{v:apache,fpm}@debian-slim", "fpm=fpm-alpine@alpine", "fpm={php:php8.1,php8.2,php8.3,php8.4}-fpm-alpine@alpine"},
			build: recipeBuild(recipe{baseFor: wordpressBase, ops: []op{
				{fill: "/usr/local/lib/php/extensions/no-debug-non-zts-20230831/imagick.so 500\n/usr/local/lib/php/extensions/no-debug-non-zts-20230831/gd.so 300\n/usr/lib/x86_64-linux-gnu/libMagickCore-6.Q16.so.6 5500\n", size: 150_000_000, sizeA: 60_000_000,
					run: "set -eux; \t\tapt-get update; \tapt-get install -y --no-install-recommends \t\tghostscript \t; \tdocker-php-ext-install -j \"$(nproc)\" \t\tbcmath \t\texif \t\tgd \t\tintl \t\tmysqli \t\tzip \t; \tpecl install imagick-3.7.0; \tdocker-php-ext-enable imagick"},
				{env: "WORDPRESS_VERSION={version}"},
				{fill: "/usr/src/wordpress/wp-includes/class-wp-query.php 150\n/usr/src/wordpress/wp-admin/includes/class-wp-upgrader.php 60\n/usr/src/wordpress/wp-content/themes/twentytwentyfive/style.css 40\n/usr/src/wordpress/wp-includes/js/dist/block-editor.js 3000\n", size: 75_000_000,
					run: "set -eux; \t\tcurl -o wordpress.tar.gz -fL \"https://wordpress.org/wordpress-$WORDPRESS_VERSION.tar.gz\"; \t\ttar -xzf wordpress.tar.gz -C /usr/src/; \trm wordpress.tar.gz; \tchown -R www-data:www-data /usr/src/wordpress"},
				{volume: "/var/www/html"},
				{file: "/usr/local/bin/docker-entrypoint.sh", exec: true, text: "#!/usr/bin/env bash\nset -Eeuo pipefail\n\nif [[ \"$1\" == apache2* ]] || [ \"$1\" = 'php-fpm' ]; then\n\tif [ ! -e index.php ] && [ ! -e wp-includes/version.php ]; then\n\t\techo >&2 \"WordPress not found in $PWD - copying now...\"\n\t\ttar --create --file - --directory /usr/src/wordpress . | tar --extract --file -\n\tfi\nfi\n\nexec \"$@\"\n", copyTo: "/usr/local/bin/"},
				{entrypoint: []string{"docker-entrypoint.sh"}},
				{when: "!fpm", cmd: []string{"apache2-foreground"}}, {when: "fpm", cmd: []string{"php-fpm"}},
			}})},
		{repo: "bash", desc: "Bash is the GNU Project's Bourne Again SHell.",
			lines: lines("4.4 4.4.23 2023-05-02 2016-09-15", "5.0 5.0.18 2023-05-02 2019-01-07", "5.1 5.1.16 2023-05-02 2020-12-07", "5.2 5.2.37 2025-01-06 2022-09-26", "5.3 5.3.3 2026-07-04 2025-07-03"),
			forms: []string{"@alpine", "{alp}@alpine"},
			build: recipeBuild(recipe{ops: []op{
				{env: "_BASH_VERSION={version}"},
				{fill: "/usr/local/bin/bash 1300 x\n/usr/local/lib/bash/loadables.h 3\n/usr/lib/libreadline.so.8.2 300\n/usr/lib/libncursesw.so.6.5 400\n", size: 6_000_000,
					run: "set -eux; \t\tapk add --no-cache --virtual .build-deps \t\tbison \t\tcoreutils \t\tgcc \t\tlibc-dev \t\tmake \t\tncurses-dev \t\tpatch \t\ttar \t; \t\twget -O bash.tar.gz \"https://ftp.gnu.org/gnu/bash/bash-$_BASH_VERSION.tar.gz\"; \t./configure --enable-readline --with-curses --without-bash-malloc; \tmake -j \"$(nproc)\"; \tmake install; \tbash --version; \tbash -c 'help' > /dev/null"},
				{file: "/usr/local/bin/docker-entrypoint.sh", exec: true, text: "#!/usr/bin/env bash\nset -e\n\nif [ \"${1:0:1}\" = '-' ] || [ -z \"$(command -v \"$1\" 2>/dev/null)\" ]; then\n\tset -- bash \"$@\"\nfi\n\nexec \"$@\"\n", copyTo: "/usr/local/bin/"},
				{entrypoint: []string{"docker-entrypoint.sh"}}, {cmd: []string{"bash"}},
			}})},
		{repo: "docker", desc: "Docker in Docker: the docker CLI and, in -dind, the daemon.",
			lines:      lines("26.1 26.1.4 2024-06-05 2024-04-22", "27.5 27.5.1 2025-01-22 2024-07-22", "28.5 28.5.2 2025-11-05 2025-02-19", "29.1 29.1.3 2026-11-10 2025-11-10"),
			bareFlavor: "dind",
			forms:      []string{"dind=@alpine", "cli=cli@alpine", "cli=cli-{alp}@alpine", "dind=dind@alpine", "dind=dind-{alp}@alpine"},
			build:      recipeBuild(recipe{ops: dockerOps()})},
		{repo: "continuumio/miniconda3", desc: "Powerful and flexible package manager: conda with Python, on Debian (not an official image).",
			lines: lines("4.12.0 4.12.0 2022-05-04 2022-05-04", "23.10.0 23.10.0 2023-11-15 2023-11-15", "24.1.2 24.1.2 2024-02-20 2024-02-20",
				"24.7.1 24.7.1 2024-08-30 2024-08-30", "24.11.1 24.11.1 2024-12-17 2024-12-17", "25.3.1 25.3.1 2025-05-05 2025-05-05", "25.9.1 25.9.1 2026-10-09 2025-10-09"),
			forms: []string{"@debian", "{build:0,1,2}@debian"},
			build: recipeBuild(recipe{ops: []op{
				{env: "LANG=C.UTF-8"}, {env: "LC_ALL=C.UTF-8"},
				{fill: "/usr/bin/bzip2 40 x\n/usr/lib/x86_64-linux-gnu/libglib-2.0.so.0 1300\n/usr/bin/git 3900 x\n", size: 60_000_000,
					run: "apt-get update -q &&     apt-get install -q -y --no-install-recommends         bzip2         ca-certificates         git         libglib2.0-0         libsm6         libxext6         libxrender1         mercurial         openssh-client         procps         subversion         wget     && apt-get clean     && rm -rf /var/lib/apt/lists/*"},
				{env: "PATH=/opt/conda/bin:$PATH"},
				{fill: condaFiles, size: 380_000_000, link: "/etc/profile.d/conda.sh>/opt/conda/etc/profile.d/conda.sh",
					run: "set -x &&     UNAME_M=\"$(uname -m)\" &&     MINICONDA_URL=\"https://repo.anaconda.com/miniconda/Miniconda3-py312_{version}-0-Linux-x86_64.sh\" &&     wget \"${MINICONDA_URL}\" -O miniconda.sh -q &&     mkdir -p /opt &&     bash miniconda.sh -b -p /opt/conda &&     rm miniconda.sh &&     ln -s /opt/conda/etc/profile.d/conda.sh /etc/profile.d/conda.sh &&     echo \". /opt/conda/etc/profile.d/conda.sh\" >> ~/.bashrc &&     echo \"conda activate base\" >> ~/.bashrc &&     find /opt/conda/ -follow -type f -name '*.a' -delete &&     /opt/conda/bin/conda clean -afy"},
				{cmd: []string{"/bin/bash"}},
			}})},
		{repo: "ghcr.io/astral-sh/uv", desc: "uv, an extremely fast Python package and project manager (astral-sh): the binaries alone, or on Debian, Alpine or Python images.",
			lines: lines("0.4 0.4.30 2024-11-05 2024-08-20", "0.5 0.5.31 2025-02-12 2024-11-07", "0.6 0.6.17 2025-04-23 2025-02-13",
				"0.7 0.7.22 2025-07-17 2025-04-24", "0.8 0.8.24 2025-10-06 2025-07-17", "0.9 0.9.13 2026-11-25 2025-10-07"),
			forms: []string{"@scratch", "debian=debian@debian", "debian={deb}@debian", "slim={deb}-slim@debian-slim", "slim=debian-slim@debian-slim", "alpine@alpine", "{alp}@alpine",
				"python={py:python3.8,python3.9,python3.10,python3.11,python3.12,python3.13,python3.14}-{deb}-slim@debian-slim",
				"python={py:python3.8,python3.9,python3.10,python3.11,python3.12,python3.13,python3.14}-{deb}@debian",
				"python={py:python3.8,python3.9,python3.10,python3.11,python3.12,python3.13,python3.14}-alpine@alpine"},
			build: recipeBuild(recipe{baseFor: uvBase, ops: []op{
				{when: "scratch", fill: "/uv 42000 x\n/uvx 330 x\n", size: 42_000_000, copyTo: "/"},
				{when: "scratch", entrypoint: []string{"/uv"}},
				{when: "!scratch", fill: "/usr/local/bin/uv 42000 x\n/usr/local/bin/uvx 330 x\n", size: 42_000_000, copyTo: "/usr/local/bin/"},
				{when: "!scratch", entrypoint: []string{}}, {when: "!scratch", cmd: []string{"/usr/local/bin/uv"}},
			}})},
		{repo: "gloursdocker/docker", desc: "The docker CLI with the buildx and compose plugins, FROM scratch, for COPY --from (used by Docker's awesome-compose dev environments; not an official image).",
			forms: []string{"@scratch"},
			build: recipeBuild(recipe{ops: []op{
				{fill: "/usr/local/bin/docker 38000 x\n/usr/local/lib/docker/cli-plugins/docker-buildx 60000 x\n/usr/local/lib/docker/cli-plugins/docker-compose 70000 x\n", size: 168_000_000,
					copyTo: "/usr/local/"},
			}})},
		rpmFamily("fedora", "Official Docker builds of Fedora.", "43", nil),
		rpmFamily("rockylinux", "The official build of Rocky Linux (deprecated on Docker Hub: newer releases are at rockylinux/rockylinux).", "9.3",
			[]alias{{"8", "8.9"}, {"9", "9.3"}}),
		rpmFamily("centos", "DEPRECATED; The official build of CentOS.", "8", []alias{{"centos7", "7"}, {"centos8", "8"}}),
		rpmFamily("amazonlinux", "Amazon Linux is provided by Amazon Web Services (AWS).", "2023", nil),
		rpmFamily("oraclelinux", "Official Docker builds of Oracle Linux.", "9", nil, "", "slim=slim"),
	}
	fams = append(fams, dotnetFamilies()...)
	fams = append(fams, javaVendorFamilies()...)
	fams = append(fams, distrolessFamilies()...)
	return fams
}

// recipeBuild is a family's build function from its recipe.
func recipeBuild(r recipe) func(s spec) (*Image, error) {
	return func(s spec) (*Image, error) { return buildRecipe(s, r) }
}
