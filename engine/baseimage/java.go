package baseimage

import "strings"

// The JDK vendors' own repositories besides eclipse-temurin and openjdk: Amazon
// Corretto (still published, on Amazon Linux 2 unless the tag says al2023 or alpine) and
// AdoptOpenJDK (Temurin's predecessor: its images stopped in August 2021 when the
// project moved to Eclipse Adoptium, on Ubuntu).

// correttoOps install a Corretto line: on Amazon Linux from its yum repository (8
// keeps Java's old 1.8.0 naming), on Alpine from its apk repository.
func correttoOps() []op {
	al := "/usr/lib/jvm/java-{major}-amazon-corretto"
	al8 := "/usr/lib/jvm/java-1.8.0-amazon-corretto"
	alp := "/usr/lib/jvm/default-jvm"
	yum := "set -eux     && export GNUPGHOME=\"$(mktemp -d)\"     && curl -fL -o corretto.key https://yum.corretto.aws/corretto.key     && gpg --batch --import corretto.key     && gpg --batch --export --armor '6DC3636DAE534049C8B94623A122542AB04F24E3' > corretto.key     && rpm --import corretto.key     && rm -r \"$GNUPGHOME\" corretto.key     && curl -fL -o /etc/yum.repos.d/corretto.repo https://yum.corretto.aws/corretto.repo     && grep -q '^gpgcheck=1' /etc/yum.repos.d/corretto.repo     && echo \"priority=9\" >> /etc/yum.repos.d/corretto.repo     && yum install -y java-{line}-amazon-corretto-devel-{version}     && (find {home} -name src.zip -delete || true)     && yum install -y fontconfig     && yum clean all"
	return []op{
		{when: "rpm <11", fill: javaFiles(al8) + al8 + "/bin/javac 12 x\n", size: 270_000_000, link: "/usr/bin/java>" + al8 + "/bin/java",
			run: strings.ReplaceAll(strings.ReplaceAll(yum, "java-{line}", "java-1.8.0"), "{home}", al8)},
		{when: "rpm >=11", fill: javaFiles(al) + al + "/bin/javac 12 x\n" + al + "/jmods/java.base.jmod 22000\n", size: 300_000_000, link: "/usr/bin/java>" + al + "/bin/java",
			run: strings.ReplaceAll(yum, "{home}", al)},
		{when: "alpine", fill: javaFiles(alp) + alp + "/bin/javac 12 x\n", size: 190_000_000,
			run: "wget -O /THIRD-PARTY-LICENSES-20200824.tar.gz https://corretto.aws/downloads/resources/licenses/alpine/THIRD-PARTY-LICENSES-20200824.tar.gz &&     wget -O /etc/apk/keys/amazoncorretto.rsa.pub https://apk.corretto.aws/amazoncorretto.rsa.pub &&     echo \"https://apk.corretto.aws/\" >> /etc/apk/repositories &&     apk add --no-cache amazon-corretto-{line}={version}-r0 &&     rm -rf /usr/lib/jvm/java-{line}-amazon-corretto/lib/src.zip"},
		{env: "LANG=C.UTF-8"},
		{when: "rpm <11", env: "JAVA_HOME=" + al8},
		{when: "rpm >=11", env: "JAVA_HOME=" + al},
		{when: "alpine", env: "JAVA_HOME=" + alp},
		{when: "alpine", env: "PATH=$PATH:" + alp + "/bin"},
	}
}

func javaVendorFamilies() []*family {
	return []*family{
		{repo: "amazoncorretto", desc: "Amazon Corretto is a no-cost, multiplatform, production-ready distribution of OpenJDK.",
			lines: lines("8 8.472.08.1 2026-10-21 2019-01-31", "11 11.0.29.7.1 2026-10-21 2019-03-19", "17 17.0.17.10.1 2026-10-21 2021-09-14",
				"21 21.0.9.10.1 2026-10-21 2023-09-19", "25 25.0.1.8.1 2026-10-21 2025-09-16"),
			forms: []string{"@rpm:amazonlinux:2", "al2@rpm:amazonlinux:2", "al2023=al2023@rpm:amazonlinux:2023", "alpine@alpine", "{alp}@alpine"},
			build: recipeBuild(recipe{ops: correttoOps()})},
		{repo: "adoptopenjdk", desc: "AdoptOpenJDK's OpenJDK builds (deprecated in 2021: the project is now Eclipse Temurin).",
			lines: lines("8 8u292-b10 2021-04-23 2017-09-01 2021-08-01", "11 11.0.11_9 2021-04-23 2018-10-01 2021-08-01",
				"16 16.0.1_9 2021-04-23 2021-03-17 2021-08-01"),
			bareFlavor: "jdk", defaultLine: "16",
			forms: []string{"hotspot@ubuntu", "{v:jdk,jre}-hotspot@ubuntu", "hotspot-{ubu}@ubuntu", "{v:jdk,jre}-hotspot-{ubu}@ubuntu", "@ubuntu", "{v:jdk,jre}@ubuntu"},
			build: recipeBuild(recipe{ops: temurinOps("/opt/java/openjdk")})},
	}
}
