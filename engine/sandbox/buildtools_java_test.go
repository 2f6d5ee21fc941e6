package sandbox

import (
	"testing"

	"layerlab/engine/rootfs"
)

// javaFS is a maven/gradle/eclipse-temurin-like image: Debian plus the JDK and both tools.
func javaFS(t testing.TB) *rootfs.FS {
	f := debianFS(t)
	for _, b := range []string{"/opt/java/openjdk/bin/java", "/opt/java/openjdk/bin/javac", "/opt/java/openjdk/bin/jar", "/usr/share/maven/bin/mvn", "/opt/gradle/bin/gradle"} {
		put(t, f, b, elf, 0o755)
	}
	return f
}

var javaEnv = func(o *Options) {
	o.Env = []string{"PATH=/opt/java/openjdk/bin:/usr/share/maven/bin:/opt/gradle/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "JAVA_VERSION=jdk-17.0.10+7", "HOME=/root"}
	o.Dir = "/app"
}

const bootPom = `<?xml version="1.0" encoding="UTF-8"?>
<project>
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>3.2.5</version>
  </parent>
  <groupId>com.example</groupId>
  <artifactId>demo</artifactId>
  <version>0.0.1-SNAPSHOT</version>
  <properties><java.version>17</java.version></properties>
  <dependencies>
    <dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-web</artifactId></dependency>
    <dependency><groupId>org.junit</groupId><artifactId>junit</artifactId><version>5</version><scope>test</scope></dependency>
  </dependencies>
</project>
`

const plainPom = `<project><groupId>com.mycompany.app</groupId><artifactId>my-app</artifactId><version>1.0-SNAPSHOT</version><packaging>jar</packaging></project>`

const bootGradle = "plugins {\n\tid 'java'\n\tid 'org.springframework.boot' version '3.0.4'\n}\n\ngroup = 'io.example'\nversion = '0.0.1-SNAPSHOT'\n\ndependencies {\n\timplementation 'org.springframework.boot:spring-boot-starter-web'\n\timplementation 'org.apache.commons:commons-lang3:3.0'\n}\n"

const appGradle = "plugins {\n    id 'application'\n}\n\nversion = \"0.1.0-SNAPSHOT\"\n\ndependencies {\n    implementation \"io.grpc:grpc-stub:1.60.0\",\n            \"com.google.protobuf:protobuf-java:3.25.0\"\n}\n\nstartScripts.enabled = false\n\ntask downloadRepos(type: Copy) {\n}\n\ntask adService(type: CreateStartScripts) {\n    mainClass.set('hipstershop.AdService')\n    applicationName = 'AdService'\n}\n"

func TestJavaOutputsFollowInputs(t *testing.T) {
	src := "/app/src/main/java/com/example/DemoApplication.java"
	boot := map[string]string{"/app/pom.xml": bootPom, src: "package com.example;\nclass DemoApplication {}\n", "/app/src/main/resources/application.properties": "server.port=8080\n"}
	checkOutputsFollowInputs(t, []buildCase{
		{name: "mvn package (Spring Boot)", image: javaFS, opts: javaEnv, script: "mvn -B -DskipTests package", files: boot,
			outputs: []string{"/app/target/demo-0.0.1-SNAPSHOT.jar", "/app/target/classes/com/example/DemoApplication.class"}, edit: src},
		{name: "mvn package: resources are inputs", image: javaFS, opts: javaEnv, script: "mvn package", files: boot,
			outputs: []string{"/app/target/demo-0.0.1-SNAPSHOT.jar"}, edit: "/app/src/main/resources/application.properties"},
		{name: "mvn -f install (plain jar)", image: javaFS, opts: javaEnv, script: "cd / && mvn -q -f /app/pom.xml install",
			files:   map[string]string{"/app/pom.xml": plainPom, "/app/src/main/java/com/mycompany/app/App.java": "package com.mycompany.app;\n"},
			outputs: []string{"/app/target/my-app-1.0-SNAPSHOT.jar", "/root/.m2/repository/com/mycompany/app/my-app/1.0-SNAPSHOT/my-app-1.0-SNAPSHOT.jar"}, edit: "/app/src/main/java/com/mycompany/app/App.java"},
		{name: "gradle bootJar", image: javaFS, opts: javaEnv, script: "gradle bootJar --no-daemon",
			files:   map[string]string{"/app/build.gradle": bootGradle, "/app/settings.gradle": "rootProject.name = 'sample-project'\n", "/app/src/main/java/io/example/Application.java": "package io.example;\n"},
			outputs: []string{"/app/build/libs/sample-project-0.0.1-SNAPSHOT.jar"}, edit: "/app/src/main/java/io/example/Application.java"},
		{name: "javac", image: javaFS, opts: javaEnv, script: "javac -d out Hello.java", files: map[string]string{"/app/Hello.java": "class Hello {}\n"},
			outputs: []string{"/app/out/Hello.class"}, edit: "/app/Hello.java"},
	})
}

func TestJavaCommands(t *testing.T) {
	boot := map[string]string{"/app/pom.xml": bootPom, "/app/src/main/java/com/example/DemoApplication.java": "package com.example;\n"}
	tests := []buildToolCase{
		{name: "jar -xf of a Spring Boot jar", files: boot, script: "mvn install && mkdir -p target/dependency && cd target/dependency && jar -xf ../*.jar",
			exists: []string{"/app/target/dependency/BOOT-INF/classes/com/example/DemoApplication.class", "/app/target/dependency/META-INF/MANIFEST.MF", "/app/target/dependency/BOOT-INF/lib/spring-webmvc-6.1.6.jar"}},
		{name: "layertools extract", files: boot, script: "mvn package && cd target && java -Djarmode=layertools -jar demo-0.0.1-SNAPSHOT.jar extract --destination x && ls x",
			want:   []string{"application\ndependencies\nsnapshot-dependencies\nspring-boot-loader\n"},
			exists: []string{"/app/target/x/application/BOOT-INF/classes/com/example/DemoApplication.class", "/app/target/x/dependencies/BOOT-INF/lib/spring-boot-3.2.5.jar", "/app/target/x/spring-boot-loader/org/springframework/boot/loader/launch/JarLauncher.class"}},
		{name: "go-offline fills ~/.m2", files: map[string]string{"/app/pom.xml": bootPom}, script: "mvn dependency:go-offline", exists: []string{"/root/.m2/repository/org/springframework/spring-core/6.1.6/spring-core-6.1.6.jar"}},
		{name: "no pom", script: "mvn package", code: 1, want: []string{"there is no POM in this directory (/app)"}},
		{name: "unknown phase", files: map[string]string{"/app/pom.xml": plainPom}, script: "mvn frobnicate", code: 1, want: []string{"Unknown lifecycle phase \"frobnicate\""}},
		{name: "clean package", files: map[string]string{"/app/pom.xml": plainPom, "/app/target/old.jar": "x"}, script: "mvn clean package", absent: []string{"/app/target/old.jar"}, exists: []string{"/app/target/my-app-1.0-SNAPSHOT.jar"}},
		{name: "./gradlew is the tool", files: map[string]string{"/app/build.gradle": appGradle, "/app/settings.gradle": "rootProject.name = 'hipstershop'\n", "/app/gradlew": "#!/bin/sh\nexec \"$@\"\n", "/app/src/main/java/hipstershop/AdService.java": "package hipstershop;\n"},
			script: "chmod +x gradlew && ./gradlew downloadRepos && ./gradlew installDist",
			want:   []string{"custom task downloadRepos"}, exists: []string{"/app/build/install/hipstershop/bin/AdService", "/app/build/install/hipstershop/lib/grpc-stub-1.60.0.jar", "/app/build/install/hipstershop/lib/hipstershop-0.1.0-SNAPSHOT.jar"},
			absent: []string{"/app/build/install/hipstershop/bin/hipstershop"}},
		{name: "gradle unknown task", files: map[string]string{"/app/build.gradle": bootGradle}, script: "gradle frob", code: 1, want: []string{"Task 'frob' not found in root project 'app'."}},
		{name: "gradle build -x test", files: map[string]string{"/app/build.gradle": bootGradle, "/app/src/main/java/A.java": ""}, script: "gradle build -x test", exists: []string{"/app/build/libs/app-0.0.1-SNAPSHOT.jar", "/app/build/libs/app-0.0.1-SNAPSHOT-plain.jar"}},
		{name: "java -version", script: "java -version", want: []string{"openjdk version \"17.0.10\""}},
		{name: "java -jar is refused by name", files: boot, script: "mvn package && java -jar target/demo-0.0.1-SNAPSHOT.jar", code: 1, want: []string{"cannot run a JVM"}},
		{name: "jar cf then tf", files: map[string]string{"/app/classes/a/B.class": "x"}, script: "jar cf out.jar -C classes . && jar tf out.jar", want: []string{"a/B.class"}},
	}
	runBuildToolCases(t, javaFS, "/app", javaEnv, tests)
}
