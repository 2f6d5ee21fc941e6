package sandbox

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"layerlab/engine/rootfs"
)

// Java: mvn (and ./mvnw), gradle (and ./gradlew), java, javac, jar. Each .java source
// compiles to a .class artefact of its own bytes and the compiler options; a jar is a
// real zip (stored, dated 1980-02-01 as reproducible builds date them) of the classes,
// resources and, for a Spring Boot project, the dependency jars, so `jar -xf` and
// `java -Djarmode=layertools -jar app.jar extract` unpack it exactly and a source edit
// changes the jar while an unchanged rebuild writes the same bytes.

func init() {
	register(map[string]cmdFunc{
		"mvn": cmdMvn, "mvnw": cmdMvn, "gradle": cmdGradle, "gradlew": cmdGradle,
		"java": cmdJava, "javac": cmdJavac, "jar": cmdJar,
	})
}

// wrapperScripts are the build tool wrappers projects commit (./mvnw, ./gradlew): shell
// scripts whose whole job is to fetch the tool's distribution and exec it on the JVM.
// The playground has no network and runs no JVM, so the sandbox runs the tool itself
// in their place (shell.go's execResolved asks this).
var wrapperScripts = map[string]bool{"mvnw": true, "gradlew": true}

// jarEpoch is the timestamp of every jar entry: reproducible builds' fixed date.
var jarEpoch = time.Date(1980, 2, 1, 0, 0, 0, 0, time.UTC)

// genComment marks a zip entry whose bytes are generated content, so extracting it
// writes the same Generated value back (cheap) instead of a copy of its bytes.
const genComment = "layerlab-generated:"

// jarEntry is one file of a jar being written.
type jarEntry struct {
	name string
	data rootfs.Content
}

// writeJar builds a deterministic stored zip of entries (sorted by name, parent
// directories added) and writes it to file.
func (p *proc) writeJar(file string, entries []jarEntry) bool {
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	dirs := map[string]bool{}
	for _, e := range entries {
		for d := path.Dir(e.name); d != "." && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	var dirList []string
	for d := range dirs {
		dirList = append(dirList, d)
	}
	sort.Strings(dirList)
	for _, d := range dirList {
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: d + "/", Method: zip.Store, Modified: jarEpoch}); err != nil {
			p.errf("write %s: %v", file, err)
			return false
		}
	}
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Store, Modified: jarEpoch}
		if g, ok := e.data.(rootfs.Generated); ok {
			h.Comment = fmt.Sprintf("%s%d:%d", genComment, g.Seed, g.N)
		}
		w, err := zw.CreateHeader(h)
		if err == nil {
			_, err = io.Copy(w, e.data.Open())
		}
		if err != nil {
			p.errf("write %s: %v", file, err)
			return false
		}
	}
	if err := zw.Close(); err != nil {
		p.errf("write %s: %v", file, err)
		return false
	}
	return p.writeArtefact(file, rootfs.Bytes(buf.Bytes()), 0o644)
}

// readJar opens a jar of the image as a zip.
func (p *proc) readJar(file string) (*zip.Reader, error) {
	e, err := p.s.stat(p.abs(file))
	if err != nil {
		return nil, err
	}
	b, err := e.Data.Bytes()
	if err != nil {
		return nil, err
	}
	return zip.NewReader(bytes.NewReader(b), int64(len(b)))
}

// entryContent is a zip entry's content: the Generated value it was written from, or
// its bytes.
func entryContent(f *zip.File) (rootfs.Content, error) {
	if c, ok := strings.CutPrefix(f.Comment, genComment); ok {
		s, n, _ := strings.Cut(c, ":")
		seed, err1 := strconv.ParseUint(s, 10, 64)
		size, err2 := strconv.ParseInt(n, 10, 64)
		if err1 == nil && err2 == nil && uint64(size) == f.UncompressedSize64 {
			return rootfs.Generated{Seed: seed, N: size}, nil
		}
	}
	r, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	// An entry is held in memory: one larger than the sandbox reads of a file fails,
	// naming the bound, rather than coming out cut.
	if f.UncompressedSize64 > maxJarEntry {
		return nil, fmt.Errorf("%s is %d bytes: the sandbox unpacks jar entries of up to %d MiB", f.Name, f.UncompressedSize64, maxJarEntry>>20)
	}
	b, err := io.ReadAll(io.LimitReader(r, maxJarEntry+1))
	if err == nil && len(b) > maxJarEntry {
		err = fmt.Errorf("%s: more than %d MiB once unpacked: the sandbox unpacks jar entries of up to %d MiB", f.Name, maxJarEntry>>20, maxJarEntry>>20)
	}
	return rootfs.Bytes(b), err
}

// maxJarEntry bounds one jar entry the sandbox unpacks into memory.
const maxJarEntry = 256 << 20

// extractJar writes the entries of a jar under dir; keep maps an entry name to its
// destination ("" skips it); nil keeps every name as it is.
func (p *proc) extractJar(file, dir string, keep func(name string) string) bool {
	zr, err := p.readJar(file)
	if err != nil {
		p.errf("%s: %v", file, err)
		return false
	}
	for _, f := range zr.File {
		name := f.Name
		if keep != nil {
			name = keep(name)
		}
		if name == "" || strings.Contains(name, "..") {
			continue
		}
		if strings.HasSuffix(f.Name, "/") {
			p.s.withFS(func(fs *rootfs.FS) error {
				return fs.MkdirAll(path.Join(p.abs(dir), name), 0o755, p.s.uid, p.s.gid, p.s.now())
			})
			continue
		}
		c, err := entryContent(f)
		if err != nil {
			p.errf("%s: %s: %v", file, f.Name, err)
			return false
		}
		if !p.writeArtefact(path.Join(dir, name), c, 0o644) {
			return false
		}
	}
	return true
}

// javaProject is what a Maven or Gradle build needs to know of a project.
type javaProject struct {
	dir      string
	group    string
	artifact string
	version  string
	jarName  string // file name of the main jar
	boot     bool   // Spring Boot: a fat jar with BOOT-INF
	bootVer  string
	deps     []javaDep
	buildDir string // "target" or "build/libs"
	tool     string
	release  string // compiler options that change the classes (release level)
}

type javaDep struct{ group, artifact, version string }

func (d javaDep) jar() string { return d.artifact + "-" + d.version + ".jar" }

// starterDeps is what a Spring Boot starter brings in, roughly: real starters pull
// these (and more) transitively.
var starterDeps = map[string][]string{
	"spring-boot-starter":          {"spring-boot", "spring-boot-autoconfigure", "spring-core", "spring-context", "spring-beans", "spring-aop", "spring-expression", "spring-jcl", "snakeyaml", "logback-classic", "logback-core", "log4j-to-slf4j", "jul-to-slf4j", "slf4j-api", "jakarta.annotation-api"},
	"spring-boot-starter-web":      {"spring-web", "spring-webmvc", "tomcat-embed-core", "tomcat-embed-el", "tomcat-embed-websocket", "jackson-databind", "jackson-core", "jackson-annotations", "jackson-datatype-jdk8", "jackson-datatype-jsr310", "jackson-module-parameter-names", "micrometer-observation"},
	"spring-boot-starter-data-jpa": {"spring-data-jpa", "spring-data-commons", "spring-orm", "spring-jdbc", "spring-tx", "hibernate-core", "HikariCP", "jakarta.persistence-api", "byte-buddy", "antlr4-runtime", "jboss-logging"},
	"spring-boot-starter-jdbc":     {"spring-jdbc", "spring-tx", "HikariCP"},
	"spring-boot-starter-jersey":   {"jersey-server", "jersey-client", "jersey-common", "jersey-container-servlet", "jersey-hk2", "hk2-api", "jakarta.ws.rs-api"},
	"spring-boot-starter-actuator": {"spring-boot-actuator", "spring-boot-actuator-autoconfigure", "micrometer-core"},
}

// depJarSize is a dependency jar's size: a function of its name, 30 kB to 3 MB.
func depJarSize(artifact string) int64 {
	return 30*kib + int64(seedOf("jar", artifact)%uint64(3*mib))
}

// runtimeDeps expands the declared dependencies the way a fat jar carries them.
func runtimeDeps(declared []javaDep, bootVer string) []javaDep {
	seen := map[string]bool{}
	var out []javaDep
	add := func(d javaDep) {
		if !seen[d.artifact] {
			seen[d.artifact] = true
			out = append(out, d)
		}
	}
	for _, d := range declared {
		if strings.HasPrefix(d.artifact, "spring-boot-starter") {
			for _, a := range append(starterDeps["spring-boot-starter"], starterDeps[d.artifact]...) {
				add(javaDep{"org.springframework", a, managedVersion(a, bootVer)})
			}
			if d.artifact != "spring-boot-starter" && starterDeps[d.artifact] == nil {
				add(javaDep{d.group, d.artifact, d.version})
			}
			continue
		}
		add(d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].artifact < out[j].artifact })
	return out
}

// managedVersion is the version a dependency without one resolves to: Spring Boot's
// own artefacts take the Boot version; others one derived from the name (the
// playground has no BOM to read).
func managedVersion(artifact, bootVer string) string {
	if strings.HasPrefix(artifact, "spring-boot") && bootVer != "" {
		return bootVer
	}
	if strings.HasPrefix(artifact, "spring-") && bootVer != "" {
		// Spring Framework's line for the Boot line: Boot 3 is Framework 6, Boot 2 is 5.
		if strings.HasPrefix(bootVer, "3.") {
			return "6.1.6"
		}
		return "5.3.31"
	}
	s := seedOf("mvnver", artifact)
	return fmt.Sprintf("%d.%d.%d", 1+s%6, (s/6)%20, (s/120)%10)
}

// pomXML is the part of a pom.xml a build reads.
type pomXML struct {
	GroupID    string `xml:"groupId"`
	ArtifactID string `xml:"artifactId"`
	Version    string `xml:"version"`
	Packaging  string `xml:"packaging"`
	Parent     struct {
		GroupID    string `xml:"groupId"`
		ArtifactID string `xml:"artifactId"`
		Version    string `xml:"version"`
	} `xml:"parent"`
	Properties struct {
		Inner []byte `xml:",innerxml"`
	} `xml:"properties"`
	Dependencies []struct {
		GroupID    string `xml:"groupId"`
		ArtifactID string `xml:"artifactId"`
		Version    string `xml:"version"`
		Scope      string `xml:"scope"`
	} `xml:"dependencies>dependency"`
	Build struct {
		FinalName string `xml:"finalName"`
		Plugins   []struct {
			ArtifactID string `xml:"artifactId"`
			Version    string `xml:"version"`
		} `xml:"plugins>plugin"`
	} `xml:"build"`
	Modules []string `xml:"modules>module"`
}

var propRef = newLazyRegexp(`\$\{([^}]+)\}`)

// readPom reads a Maven project.
func (p *proc) readPom(file string) (*javaProject, error) {
	b, err := p.readFile(file)
	if err != nil {
		return nil, err
	}
	var pom pomXML
	if err := xml.Unmarshal(b, &pom); err != nil {
		return nil, fmt.Errorf("non-parseable POM %s: %w", p.abs(file), err)
	}
	props := map[string]string{}
	dec := xml.NewDecoder(bytes.NewReader(append(append([]byte("<p>"), pom.Properties.Inner...), "</p>"...)))
	var key string
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			key = t.Name.Local
		case xml.CharData:
			if key != "" && strings.TrimSpace(string(t)) != "" {
				props[key] = strings.TrimSpace(string(t))
			}
		case xml.EndElement:
			key = ""
		}
	}
	expand := func(s string) string {
		return propRef.ReplaceAllStringFunc(s, func(m string) string {
			k := m[2 : len(m)-1]
			switch k {
			case "project.version":
				return firstNonEmpty(pom.Version, pom.Parent.Version)
			case "project.artifactId":
				return pom.ArtifactID
			}
			if v, ok := props[k]; ok {
				return v
			}
			return m
		})
	}
	jp := &javaProject{dir: path.Dir(p.abs(file)), tool: "maven", buildDir: "target"}
	jp.group = firstNonEmpty(pom.GroupID, pom.Parent.GroupID)
	jp.artifact = pom.ArtifactID
	jp.version = expand(firstNonEmpty(pom.Version, pom.Parent.Version))
	if pom.Parent.ArtifactID == "spring-boot-starter-parent" {
		jp.boot, jp.bootVer = true, pom.Parent.Version
	}
	for _, pl := range pom.Build.Plugins {
		if pl.ArtifactID == "spring-boot-maven-plugin" {
			jp.boot = true
			jp.bootVer = firstNonEmpty(jp.bootVer, expand(pl.Version))
		}
	}
	jp.release = firstNonEmpty(props["maven.compiler.release"], props["java.version"], props["maven.compiler.target"])
	for _, d := range pom.Dependencies {
		if d.Scope == "test" || d.Scope == "provided" || d.Scope == "system" {
			continue
		}
		v := expand(d.Version)
		if v == "" || strings.HasPrefix(v, "${") {
			v = managedVersion(d.ArtifactID, jp.bootVer)
		}
		jp.deps = append(jp.deps, javaDep{expand(d.GroupID), d.ArtifactID, v})
	}
	name := firstNonEmpty(expand(pom.Build.FinalName), jp.artifact+"-"+jp.version)
	ext := ".jar"
	if pom.Packaging == "war" {
		ext = ".war"
	}
	if pom.Packaging != "pom" {
		jp.jarName = name + ext
	}
	return jp, nil
}

// compileClasses compiles src/main/java into classesDir (one artefact per source) and
// copies src/main/resources; it returns the jar entries for them.
func (p *proc) compileClasses(jp *javaProject, srcDirs []string, classesDir string, extra ...string) ([]jarEntry, bool) {
	var entries []jarEntry
	n := 0
	for _, src := range srcDirs {
		for _, rel := range p.findFiles(path.Join(jp.dir, src), nil, func(n string) bool { return strings.HasSuffix(n, ".java") || strings.HasSuffix(n, ".kt") }) {
			file := path.Join(jp.dir, src, rel)
			digest, ok := p.digestOf([]string{file}, nil, append([]string{"javac", "release=" + jp.release}, extra...)...)
			if !ok {
				return nil, false
			}
			class := strings.TrimSuffix(strings.TrimSuffix(rel, ".java"), ".kt") + ".class"
			c := artefact("javac", class, digest, 1200, 3*kib)
			if !p.writeArtefact(path.Join(classesDir, class), c, 0o644) {
				return nil, false
			}
			entries = append(entries, jarEntry{class, c})
			n++
		}
	}
	res := path.Join(jp.dir, "src/main/resources")
	for _, rel := range p.findFiles(res, nil, func(string) bool { return true }) {
		e, err := p.s.stat(path.Join(res, rel))
		if err != nil {
			continue
		}
		if !p.writeArtefact(path.Join(classesDir, rel), dataOf(e), 0o644) {
			return nil, false
		}
		entries = append(entries, jarEntry{rel, dataOf(e)})
	}
	if n > 0 && jp.tool == "maven" {
		p.outf("[INFO] Compiling %d source files with javac [debug release %s] to target/classes\n", n, firstNonEmpty(jp.release, "17"))
	}
	return entries, true
}

// mainClassOf guesses the class with main: the one named Application, App or Main,
// else the first.
func mainClassOf(entries []jarEntry) string {
	best := ""
	for _, e := range entries {
		if !strings.HasSuffix(e.name, ".class") {
			continue
		}
		cls := strings.ReplaceAll(strings.TrimSuffix(e.name, ".class"), "/", ".")
		base := path.Base(strings.TrimSuffix(e.name, ".class"))
		if strings.HasSuffix(base, "Application") || base == "App" || base == "Main" {
			return cls
		}
		if best == "" {
			best = cls
		}
	}
	return best
}

// packageJar writes the project's jar: a plain jar of classes and resources, or a
// Spring Boot fat jar (BOOT-INF/classes, BOOT-INF/lib, loader, layers.idx).
func (p *proc) packageJar(jp *javaProject, classes []jarEntry, out string) bool {
	mainClass := mainClassOf(classes)
	if !jp.boot {
		entries := []jarEntry{{"META-INF/MANIFEST.MF", rootfs.Bytes(fmt.Sprintf("Manifest-Version: 1.0\r\nCreated-By: %s\r\nBuild-Jdk-Spec: 17\r\n\r\n", jp.tool))}}
		entries = append(entries, classes...)
		if jp.tool == "maven" {
			entries = append(entries, jarEntry{fmt.Sprintf("META-INF/maven/%s/%s/pom.properties", jp.group, jp.artifact), rootfs.Bytes(fmt.Sprintf("artifactId=%s\ngroupId=%s\nversion=%s\n", jp.artifact, jp.group, jp.version))})
		}
		return p.writeJar(out, entries)
	}
	deps := runtimeDeps(jp.deps, jp.bootVer)
	launcher := "org.springframework.boot.loader.launch.JarLauncher"
	if v := jp.bootVer; v != "" && v < "3.2" {
		launcher = "org.springframework.boot.loader.JarLauncher"
	}
	entries := []jarEntry{{"META-INF/MANIFEST.MF", rootfs.Bytes(fmt.Sprintf("Manifest-Version: 1.0\r\nMain-Class: %s\r\nStart-Class: %s\r\nSpring-Boot-Version: %s\r\nSpring-Boot-Classes: BOOT-INF/classes/\r\nSpring-Boot-Lib: BOOT-INF/lib/\r\nSpring-Boot-Classpath-Index: BOOT-INF/classpath.idx\r\nSpring-Boot-Layers-Index: BOOT-INF/layers.idx\r\n\r\n", launcher, mainClass, jp.bootVer))}}
	for _, c := range classes {
		entries = append(entries, jarEntry{"BOOT-INF/classes/" + c.name, c.data})
	}
	var idx, snap strings.Builder
	for _, d := range deps {
		entries = append(entries, jarEntry{"BOOT-INF/lib/" + d.jar(), rootfs.Generated{Seed: seedOf("jar", d.artifact, d.version), N: depJarSize(d.artifact)}})
		fmt.Fprintf(&idx, "- \"BOOT-INF/lib/%s\"\n", d.jar())
		if strings.HasSuffix(d.version, "SNAPSHOT") {
			fmt.Fprintf(&snap, "  - \"BOOT-INF/lib/%s\"\n", d.jar())
		}
	}
	loaderDir := strings.ReplaceAll(launcher[:strings.LastIndex(launcher, ".")], ".", "/")
	for _, c := range []string{"JarLauncher", "Launcher", "ExecutableArchiveLauncher", "LaunchedClassLoader", "Archive"} {
		entries = append(entries, jarEntry{loaderDir + "/" + c + ".class", rootfs.Generated{Seed: seedOf("boot-loader", c, jp.bootVer), N: 2*kib + int64(seedOf(c)%uint64(6*kib))}})
	}
	entries = append(entries,
		jarEntry{"BOOT-INF/classpath.idx", rootfs.Bytes(idx.String())},
		jarEntry{"BOOT-INF/layers.idx", rootfs.Bytes("- \"dependencies\":\n  - \"BOOT-INF/lib/\"\n- \"spring-boot-loader\":\n  - \"org/\"\n- \"snapshot-dependencies\":\n" + snap.String() + "- \"application\":\n  - \"BOOT-INF/classes/\"\n  - \"BOOT-INF/classpath.idx\"\n  - \"BOOT-INF/layers.idx\"\n  - \"META-INF/\"\n")})
	return p.writeJar(out, entries)
}

// fetchDeps puts the project's dependency jars into the local repository (~/.m2 or
// the Gradle cache), as a dependency resolution does.
func (p *proc) fetchDeps(jp *javaProject, repo string) bool {
	for _, d := range runtimeDeps(jp.deps, jp.bootVer) {
		var file string
		if jp.tool == "maven" {
			file = path.Join(repo, strings.ReplaceAll(d.group, ".", "/"), d.artifact, d.version, d.jar())
		} else {
			file = path.Join(repo, "caches/modules-2/files-2.1", d.group, d.artifact, d.version, fmt.Sprintf("%016x", seedOf("sha1", d.artifact, d.version)), d.jar())
		}
		if p.isFile(file) {
			continue
		}
		if jp.tool == "maven" {
			p.outf("Downloaded from central: https://repo.maven.apache.org/maven2/%s/%s/%s/%s\n", strings.ReplaceAll(d.group, ".", "/"), d.artifact, d.version, d.jar())
		}
		if !p.writeArtefact(file, rootfs.Generated{Seed: seedOf("jar", d.artifact, d.version), N: depJarSize(d.artifact)}, 0o644) {
			return false
		}
	}
	return true
}

// mvnPhases orders Maven's default lifecycle.
var mvnPhases = []string{"validate", "compile", "test", "package", "verify", "install"}

func cmdMvn(p *proc) int {
	file := "pom.xml"
	var goals []string
	repo := path.Join(p.getenv("HOME"), ".m2/repository")
	skipTests := false
	var defines []string
	for i := 0; i < len(p.args); i++ {
		a := p.args[i]
		switch {
		case a == "-f" || a == "--file":
			if i+1 < len(p.args) {
				i++
				file = p.args[i]
			}
		case a == "-v" || a == "--version" || a == "-version":
			p.outf("Apache Maven %s\nJava version: %s, vendor: Eclipse Adoptium\n", p.toolVersion("MAVEN_VERSION", "3.9.6"), javaVersion(p))
			return 0
		case strings.HasPrefix(a, "-Dmaven.repo.local="):
			repo = p.abs(strings.TrimPrefix(a, "-Dmaven.repo.local="))
		case a == "-DskipTests" || strings.HasPrefix(a, "-DskipTests=true") || strings.HasPrefix(a, "-Dmaven.test.skip"):
			skipTests = true
		case strings.HasPrefix(a, "-D"):
			defines = append(defines, a)
		case a == "-s" || a == "--settings" || a == "-P" || a == "--activate-profiles" || a == "-pl" || a == "--projects" || a == "-T" || a == "--threads" || a == "-gs":
			i++
		case a == "-B" || a == "--batch-mode" || a == "-q" || a == "--quiet" || a == "-e" || a == "--errors" || a == "-U" || a == "--update-snapshots" ||
			a == "-o" || a == "--offline" || a == "-ntp" || a == "--no-transfer-progress" || a == "-am" || a == "--also-make" || a == "-X" || a == "--debug" || a == "-C" || a == "-N" ||
			strings.HasPrefix(a, "-T") || strings.HasPrefix(a, "-P") || strings.HasPrefix(a, "-Dstyle"):
		case strings.HasPrefix(a, "-"):
			fmt.Fprintf(p.errw, "Unable to parse command line options: Unrecognized option: %s\n", a)
			return 1
		default:
			goals = append(goals, a)
		}
	}
	if len(goals) == 0 {
		p.outf("[ERROR] No goals have been specified for this build. You must specify a valid lifecycle phase or a goal in the format <plugin-prefix>:<goal> or <plugin-group-id>:<plugin-artifact-id>[:<plugin-version>]:<goal>.\n")
		return 1
	}
	if !p.isFile(file) {
		p.outf("[ERROR] The goal you specified requires a project to execute but there is no POM in this directory (%s). Please verify you invoked Maven from the correct directory. -> [Help 1]\n", p.dir)
		return 1
	}
	jp, err := p.readPom(file)
	if err != nil {
		p.outf("[ERROR] %v\n", err)
		return 1
	}
	p.outf("[INFO] Scanning for projects...\n[INFO] \n[INFO] --------------------< %s:%s >--------------------\n[INFO] Building %s %s\n", jp.group, jp.artifact, jp.artifact, jp.version)
	c := *p
	c.dir = jp.dir
	for _, g := range goals {
		if code := c.mvnGoal(jp, g, repo, skipTests, defines); code != 0 {
			return code
		}
	}
	p.outf("[INFO] ------------------------------------------------------------------------\n[INFO] BUILD SUCCESS\n[INFO] ------------------------------------------------------------------------\n")
	return 0
}

func (p *proc) mvnGoal(jp *javaProject, goal, repo string, skipTests bool, defines []string) int {
	phase := -1
	for i, ph := range mvnPhases {
		if ph == goal {
			phase = i
		}
	}
	switch {
	case goal == "clean":
		p.removeAll(path.Join(jp.dir, "target"))
		return 0
	case goal == "dependency:go-offline" || goal == "dependency:resolve" || goal == "dependency:resolve-plugins" || goal == "dependency:copy-dependencies":
		if !p.fetchDeps(jp, repo) {
			return 1
		}
		if goal == "dependency:copy-dependencies" {
			for _, d := range runtimeDeps(jp.deps, jp.bootVer) {
				p.writeArtefact(path.Join(jp.dir, "target/dependency", d.jar()), rootfs.Generated{Seed: seedOf("jar", d.artifact, d.version), N: depJarSize(d.artifact)}, 0o644)
			}
		}
		return 0
	case goal == "spring-boot:run" || goal == "exec:java":
		p.outf("[ERROR] %s: the layerlab sandbox builds Java but cannot run it\n", goal)
		return 1
	case goal == "spring-boot:repackage":
		phase = 3
	case phase < 0:
		p.outf("[ERROR] Unknown lifecycle phase %q: the layerlab sandbox simulates clean, %s, dependency:go-offline, dependency:resolve and dependency:copy-dependencies\n", goal, strings.Join(mvnPhases, ", "))
		return 1
	case goal == "deploy":
		p.outf("[ERROR] deploy: the playground has no network\n")
		return 1
	}
	if !p.fetchDeps(jp, repo) {
		return 1
	}
	classes, ok := p.compileClasses(jp, []string{"src/main/java", "src/main/kotlin"}, path.Join(jp.dir, "target/classes"), defines...)
	if !ok {
		return 1
	}
	if phase >= 2 {
		if skipTests {
			p.outf("[INFO] Tests are skipped.\n")
		} else {
			p.outf("[INFO] Tests run: 0, Failures: 0, Errors: 0, Skipped: 0 (layerlab: the sandbox compiles Java but does not run its tests)\n")
		}
	}
	if phase >= 3 && jp.jarName != "" {
		out := path.Join(jp.dir, "target", jp.jarName)
		if !p.packageJar(jp, classes, out) {
			return 1
		}
		p.outf("[INFO] Building jar: %s\n", out)
	}
	if phase >= 5 && jp.jarName != "" {
		src, _ := p.s.stat(path.Join(jp.dir, "target", jp.jarName))
		dst := path.Join(repo, strings.ReplaceAll(jp.group, ".", "/"), jp.artifact, jp.version, jp.jarName)
		if src == nil || !p.writeArtefact(dst, src.Data, 0o644) {
			return 1
		}
		p.outf("[INFO] Installing %s to %s\n", path.Join(jp.dir, "target", jp.jarName), dst)
	}
	return 0
}

func javaVersion(p *proc) string {
	v := strings.TrimPrefix(p.toolVersion("JAVA_VERSION", "17.0.10+7"), "jdk-")
	v = strings.TrimPrefix(v, "jdk")
	return strings.SplitN(v, "+", 2)[0]
}

// gradleQuoted reads `key = 'value'` or `key = "value"` (Groovy or Kotlin DSL).
func gradleQuoted(text, key string) []string {
	re := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(key) + `\s*(?:=|\(|\s)\s*['"]([^'"]+)['"]`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

var gradleDep = newLazyRegexp(`(?m)(?:implementation|api|runtimeOnly|compile|runtime)\s*\(?\s*['"]([^'":]+):([^'":]+)(?::([^'"]+))?['"]|^\s+['"]([^'":]+):([^'":]+):([^'"]+)['"],?\s*$`)

// readGradle reads a Gradle project (Groovy or Kotlin DSL).
func (p *proc) readGradle(dir string) (*javaProject, string) {
	build := ""
	for _, f := range []string{"build.gradle", "build.gradle.kts"} {
		if b, err := p.readFile(path.Join(dir, f)); err == nil {
			build = string(b)
		}
	}
	settings := ""
	for _, f := range []string{"settings.gradle", "settings.gradle.kts"} {
		if b, err := p.readFile(path.Join(dir, f)); err == nil {
			settings = string(b)
		}
	}
	jp := &javaProject{dir: dir, tool: "gradle", buildDir: "build/libs", artifact: path.Base(dir)}
	if n := gradleQuoted(settings, "rootProject.name"); len(n) > 0 {
		jp.artifact = n[0]
	}
	if v := gradleQuoted(build, "version"); len(v) > 0 {
		jp.version = v[0]
	}
	if g := gradleQuoted(build, "group"); len(g) > 0 {
		jp.group = g[0]
	}
	if m := regexp.MustCompile(`id\s*\(?\s*['"]org\.springframework\.boot['"]\s*\)?\s*version\s*['"]([^'"]+)['"]`).FindStringSubmatch(build); m != nil {
		jp.boot, jp.bootVer = true, m[1]
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s*(?:def|val)\s+(\w+)\s*=\s*['"]([^'"]+)['"]`).FindAllStringSubmatch(build, -1) {
		vars[m[1]] = m[2]
	}
	for _, m := range gradleDep.FindAllStringSubmatch(build, -1) {
		g, a, v := m[1], m[2], m[3]
		if g == "" {
			g, a, v = m[4], m[5], m[6]
		}
		v = regexp.MustCompile(`\$\{?(\w+)\}?`).ReplaceAllStringFunc(v, func(s string) string {
			return firstNonEmpty(vars[strings.Trim(s, "${}")], s)
		})
		if v == "" {
			v = managedVersion(a, jp.bootVer)
		}
		jp.deps = append(jp.deps, javaDep{g, a, v})
	}
	jp.release = firstNonEmpty(append(gradleQuoted(build, "sourceCompatibility"), "")...)
	name := jp.artifact
	if jp.version != "" {
		name += "-" + jp.version
	}
	jp.jarName = name + ".jar"
	return jp, build
}

// gradleTasks are the tasks of the java, application and Spring Boot plugins the
// sandbox simulates.
var gradleTasks = map[string]bool{
	"build": true, "assemble": true, "jar": true, "bootJar": true, "installDist": true, "clean": true,
	"test": true, "check": true, "classes": true, "compileJava": true, "dependencies": true, "installBootDist": true,
}

func cmdGradle(p *proc) int {
	var tasks []string
	excluded := map[string]bool{}
	dir := p.dir
	for i := 0; i < len(p.args); i++ {
		a := p.args[i]
		switch {
		case a == "-x" || a == "--exclude-task":
			if i+1 < len(p.args) {
				i++
				excluded[p.args[i]] = true
			}
		case a == "-p" || a == "--project-dir":
			if i+1 < len(p.args) {
				i++
				dir = p.abs(p.args[i])
			}
		case a == "--version" || a == "-v":
			p.outf("\n------------------------------------------------------------\nGradle %s\n------------------------------------------------------------\n", p.toolVersion("GRADLE_VERSION", "8.7"))
			return 0
		case a == "--no-daemon" || a == "--daemon" || a == "--offline" || a == "-q" || a == "--quiet" || a == "-i" || a == "--info" || a == "--stacktrace" || a == "-s" ||
			a == "--console=plain" || strings.HasPrefix(a, "--console") || a == "--build-cache" || a == "--parallel" || a == "--refresh-dependencies" || a == "--warning-mode" ||
			strings.HasPrefix(a, "--warning-mode=") || strings.HasPrefix(a, "-D") || strings.HasPrefix(a, "-P") || a == "--no-build-cache" || a == "--scan" || a == "--debug" || a == "-d":
		case strings.HasPrefix(a, "-"):
			fmt.Fprintf(p.errw, "\nFAILURE: Build failed with an exception.\n\n* What went wrong:\nProblem configuring task :help from command line.\n> Unknown command-line option '%s'.\n", a)
			return 1
		default:
			tasks = append(tasks, a)
		}
	}
	if !p.isFile(path.Join(dir, "build.gradle")) && !p.isFile(path.Join(dir, "build.gradle.kts")) && !p.isFile(path.Join(dir, "settings.gradle")) && !p.isFile(path.Join(dir, "settings.gradle.kts")) {
		fmt.Fprintf(p.errw, "\nFAILURE: Build failed with an exception.\n\n* What went wrong:\nDirectory '%s' does not contain a Gradle build.\n", dir)
		return 1
	}
	jp, build := p.readGradle(dir)
	if len(tasks) == 0 {
		tasks = []string{"help"}
	}
	home := firstNonEmpty(p.getenv("GRADLE_USER_HOME"), path.Join(p.getenv("HOME"), ".gradle"))
	custom := func(t string) bool {
		return regexp.MustCompile(`(?m)(?:^\s*task\s+` + regexp.QuoteMeta(t) + `\b|tasks\.register\(\s*['"]` + regexp.QuoteMeta(t) + `['"])`).MatchString(build)
	}
	for _, t := range tasks {
		switch {
		case t == "help":
			p.outf("\n> Task :help\n\nWelcome to Gradle %s.\n", p.toolVersion("GRADLE_VERSION", "8.7"))
		case t == "clean":
			p.removeAll(path.Join(dir, "build"))
		case gradleTasks[t]:
			if code := p.gradleBuild(jp, build, t, excluded, home); code != 0 {
				return code
			}
		case custom(t):
			if !p.fetchDeps(jp, home) {
				return 1
			}
			p.outf("\n> Task :%s\nlayerlab: custom task %s: the project's dependencies were resolved into %s; the task's own actions are not simulated\n", t, t, home)
		default:
			fmt.Fprintf(p.errw, "\nFAILURE: Build failed with an exception.\n\n* What went wrong:\nTask '%s' not found in root project '%s'.\n", t, jp.artifact)
			return 1
		}
	}
	p.outf("\nBUILD SUCCESSFUL in %ds\n", 5+seedOf(jp.artifact)%30)
	return 0
}

func (p *proc) gradleBuild(jp *javaProject, build, task string, excluded map[string]bool, home string) int {
	if !p.fetchDeps(jp, home) {
		return 1
	}
	classes, ok := p.compileClasses(jp, []string{"src/main/java", "src/main/kotlin"}, path.Join(jp.dir, "build/classes/java/main"))
	if !ok {
		return 1
	}
	p.outf("> Task :compileJava\n> Task :classes\n")
	if task == "classes" || task == "compileJava" || task == "dependencies" {
		return 0
	}
	libs := path.Join(jp.dir, "build/libs")
	plain := *jp
	plain.boot = false
	switch {
	case task == "jar":
		return exitOf(p.packageJar(&plain, classes, path.Join(libs, jp.jarName)))
	case task == "bootJar" || task == "installBootDist":
		if !jp.boot {
			fmt.Fprintf(p.errw, "\nFAILURE: Build failed with an exception.\n\n* What went wrong:\nTask '%s' not found in root project '%s'.\n", task, jp.artifact)
			return 1
		}
		p.outf("> Task :bootJar\n")
		return exitOf(p.packageJar(jp, classes, path.Join(libs, jp.jarName)))
	case task == "installDist":
		return p.installDist(jp, build, classes)
	}
	// build, assemble, test, check
	if jp.boot {
		p.outf("> Task :bootJar\n")
		if !p.packageJar(jp, classes, path.Join(libs, jp.jarName)) {
			return 1
		}
		if !p.packageJar(&plain, classes, path.Join(libs, strings.TrimSuffix(jp.jarName, ".jar")+"-plain.jar")) {
			return 1
		}
	} else if !p.packageJar(&plain, classes, path.Join(libs, jp.jarName)) {
		return 1
	}
	if (task == "build" || task == "test" || task == "check") && !excluded["test"] {
		p.outf("> Task :test\nlayerlab: the sandbox compiles Java but does not run its tests\n")
	}
	if strings.Contains(build, "'application'") || strings.Contains(build, "\"application\"") || strings.Contains(build, "application\n") {
		if p.installDist(jp, build, classes) != 0 {
			return 1
		}
	}
	return 0
}

// installDist is the application plugin's build/install/NAME: bin/ start scripts (one
// per applicationName, unless startScripts is disabled) and lib/ jars.
func (p *proc) installDist(jp *javaProject, build string, classes []jarEntry) int {
	root := path.Join(jp.dir, "build/install", jp.artifact)
	plain := *jp
	plain.boot = false
	if !p.packageJar(&plain, classes, path.Join(root, "lib", jp.jarName)) {
		return 1
	}
	for _, d := range runtimeDeps(jp.deps, jp.bootVer) {
		if !p.writeArtefact(path.Join(root, "lib", d.jar()), rootfs.Generated{Seed: seedOf("jar", d.artifact, d.version), N: depJarSize(d.artifact)}, 0o644) {
			return 1
		}
	}
	names := gradleQuoted(build, "applicationName")
	if !strings.Contains(build, "startScripts.enabled = false") {
		names = append([]string{jp.artifact}, names...)
	}
	main := firstNonEmpty(append(gradleQuoted(build, "mainClass.set"), mainClassOf(classes))...)
	for _, n := range names {
		script := fmt.Sprintf("#!/bin/sh\n# start script for %s, written by the layerlab sandbox's gradle installDist\nAPP_HOME=$(cd \"$(dirname \"$0\")/..\" && pwd -P)\nexec java -classpath \"$APP_HOME/lib/*\" %s \"$@\"\n", n, main)
		if !p.writeArtefact(path.Join(root, "bin", n), rootfs.Bytes(script), 0o755) {
			return 1
		}
	}
	p.outf("> Task :installDist\n")
	return 0
}

// dataOf is a file's content; an empty file may have none.
func dataOf(e *rootfs.Entry) rootfs.Content {
	if e.Data == nil {
		return rootfs.Bytes(nil)
	}
	return e.Data
}

func exitOf(ok bool) int {
	if ok {
		return 0
	}
	return 1
}

func cmdJava(p *proc) int {
	jarmode := ""
	jarFile := ""
	var rest []string
	for i := 0; i < len(p.args); i++ {
		a := p.args[i]
		switch {
		case a == "-version" || a == "--version":
			v := javaVersion(p)
			w := p.errw
			if a == "--version" {
				w = p.out
			}
			fmt.Fprintf(w, "openjdk version \"%s\" 2024-01-16\nOpenJDK Runtime Environment Temurin-%s (build %s)\nOpenJDK 64-Bit Server VM Temurin-%s (build %s, mixed mode, sharing)\n", v, v, v, v, v)
			return 0
		case strings.HasPrefix(a, "-Djarmode="):
			jarmode = strings.TrimPrefix(a, "-Djarmode=")
		case a == "-jar" && i+1 < len(p.args):
			i++
			jarFile = p.args[i]
			rest = p.args[i+1:]
			i = len(p.args)
		case a == "-cp" || a == "-classpath" || a == "--class-path":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			switch a {
			case "org.gradle.wrapper.GradleWrapperMain":
				c := *p
				c.name, c.args = "gradle", p.args[i+1:]
				return cmdGradle(&c)
			case "org.apache.maven.wrapper.MavenWrapperMain":
				c := *p
				c.name, c.args = "mvn", p.args[i+1:]
				return cmdMvn(&c)
			}
			p.errf("the layerlab sandbox builds Java but cannot run a JVM (main class %s)", a)
			return 1
		}
	}
	if jarFile != "" && (jarmode == "layertools" || jarmode == "tools") {
		return p.jarmodeExtract(jarmode, jarFile, rest)
	}
	if jarFile != "" {
		if !p.isFile(jarFile) {
			fmt.Fprintf(p.errw, "Error: Unable to access jarfile %s\n", jarFile)
			return 1
		}
		p.errf("the layerlab sandbox builds Java but cannot run a JVM (-jar %s)", jarFile)
		return 1
	}
	p.outf("Usage: java [options] <mainclass> [args...]\n           (to execute a class)\n   or  java [options] -jar <jarfile> [args...]\n")
	return 2
}

// jarmodeExtract is Spring Boot's `-Djarmode=layertools extract [--destination D]`
// (and `-Djarmode=tools extract --layers --launcher`): the fat jar's entries sorted
// into dependencies/, spring-boot-loader/, snapshot-dependencies/ and application/
// by its layers.idx.
func (p *proc) jarmodeExtract(mode, jarFile string, args []string) int {
	if !p.isFile(jarFile) {
		fmt.Fprintf(p.errw, "Error: Unable to access jarfile %s\n", jarFile)
		return 1
	}
	if len(args) == 0 || args[0] != "extract" {
		if len(args) > 0 && args[0] == "list" {
			p.outf("dependencies\nspring-boot-loader\nsnapshot-dependencies\napplication\n")
			return 0
		}
		return p.unsupported("-Djarmode=" + mode + " " + strings.Join(args, " "))
	}
	dest := "."
	if mode == "tools" {
		dest = strings.TrimSuffix(path.Base(jarFile), ".jar")
	}
	layers := mode == "layertools"
	for i := 1; i < len(args); i++ {
		switch a := args[i]; {
		case (a == "--destination") && i+1 < len(args):
			i++
			dest = args[i]
		case strings.HasPrefix(a, "--destination="):
			dest = strings.TrimPrefix(a, "--destination=")
		case a == "--layers":
			layers = true
		case a == "--launcher":
		default:
			return p.unsupported("-Djarmode=" + mode + " extract " + a)
		}
	}
	if !layers {
		return p.unsupported("-Djarmode=tools extract without --layers")
	}
	zr, err := p.readJar(jarFile)
	if err != nil {
		p.errf("%s: %v", jarFile, err)
		return 1
	}
	var idx []byte
	for _, f := range zr.File {
		if f.Name == "BOOT-INF/layers.idx" {
			c, _ := entryContent(f)
			idx, _ = c.Bytes()
		}
	}
	if idx == nil {
		fmt.Fprintf(p.errw, "Error: %s is not a layered Spring Boot jar (no BOOT-INF/layers.idx)\n", jarFile)
		return 1
	}
	// layers.idx: "- \"layer\":" then "  - \"prefix\"" lines; first match wins.
	type rule struct{ layer, prefix string }
	var rules []rule
	layer := ""
	for _, l := range strings.Split(string(idx), "\n") {
		if strings.HasPrefix(l, "- ") {
			layer = strings.Trim(strings.TrimSuffix(strings.TrimPrefix(l, "- "), ":"), `"`)
			p.s.withFS(func(f *rootfs.FS) error {
				return f.MkdirAll(path.Join(p.abs(dest), layer), 0o755, p.s.uid, p.s.gid, p.s.now())
			})
		} else if strings.HasPrefix(l, "  - ") {
			rules = append(rules, rule{layer, strings.Trim(strings.TrimPrefix(l, "  - "), `"`)})
		}
	}
	ok := p.extractJar(jarFile, dest, func(name string) string {
		for _, r := range rules {
			if strings.HasPrefix(name, r.prefix) {
				return path.Join(r.layer, name)
			}
		}
		return ""
	})
	return exitOf(ok)
}

func cmdJavac(p *proc) int {
	out := "."
	var srcs, extra []string
	for i := 0; i < len(p.args); i++ {
		a := p.args[i]
		switch {
		case a == "-version" || a == "--version":
			p.outf("javac %s\n", javaVersion(p))
			return 0
		case a == "-d" && i+1 < len(p.args):
			i++
			out = p.args[i]
		case (a == "-cp" || a == "-classpath" || a == "--release" || a == "-source" || a == "-target" || a == "-encoding" || a == "-sourcepath") && i+1 < len(p.args):
			extra = append(extra, a+"="+p.args[i+1])
			i++
		case a == "-g" || a == "-nowarn" || a == "-Xlint" || strings.HasPrefix(a, "-Xlint:") || a == "-verbose" || a == "-parameters":
			extra = append(extra, a)
		case strings.HasPrefix(a, "-"):
			return p.unsupported("option " + a)
		default:
			srcs = append(srcs, a)
		}
	}
	if len(srcs) == 0 {
		p.errf("error: no source files")
		return 2
	}
	for _, s := range srcs {
		if !p.isFile(s) {
			fmt.Fprintf(p.errw, "error: file not found: %s\n", s)
			return 2
		}
		b, _ := p.readFile(s)
		pkg := ""
		if m := regexp.MustCompile(`(?m)^\s*package\s+([\w.]+)\s*;`).FindSubmatch(b); m != nil {
			pkg = strings.ReplaceAll(string(m[1]), ".", "/")
		}
		class := path.Join(pkg, strings.TrimSuffix(path.Base(s), ".java")+".class")
		if out == "." && pkg == "" {
			class = path.Join(path.Dir(s), path.Base(class))
		}
		digest, ok := p.digestOf([]string{s}, nil, append([]string{"javac"}, extra...)...)
		if !ok {
			return 1
		}
		if !p.writeArtefact(path.Join(out, class), artefact("javac", class, digest, 1200, 3*kib), 0o644) {
			return 1
		}
	}
	return 0
}

// cmdJar is the JDK's jar tool: x (extract), t (list), c (create) with f, v, and -C.
func cmdJar(p *proc) int {
	if len(p.args) == 0 {
		p.errf("Usage: jar [OPTION...] [ [--release VERSION] [-C dir] files] ...")
		return 1
	}
	ops := strings.TrimLeft(p.args[0], "-")
	args := p.args[1:]
	if strings.HasPrefix(p.args[0], "--") {
		return p.unsupported("option " + p.args[0])
	}
	file := ""
	if strings.Contains(ops, "f") {
		if len(args) == 0 {
			p.errf("'f' flag requires a file name")
			return 1
		}
		file, args = args[0], args[1:]
	}
	switch {
	case strings.Contains(ops, "x"):
		if file == "" {
			return p.unsupported("extracting from standard input")
		}
		return exitOf(p.extractJar(file, ".", func(n string) string {
			if len(args) == 0 {
				return n
			}
			for _, a := range args {
				if n == a || strings.HasPrefix(n, strings.TrimSuffix(a, "/")+"/") {
					return n
				}
			}
			return ""
		}))
	case strings.Contains(ops, "t"):
		zr, err := p.readJar(file)
		if err != nil {
			p.errf("%s: %v", file, err)
			return 1
		}
		for _, f := range zr.File {
			p.outf("%s\n", f.Name)
		}
		return 0
	case strings.Contains(ops, "c"):
		if file == "" {
			return p.unsupported("writing to standard output")
		}
		var entries []jarEntry
		dir := "."
		for i := 0; i < len(args); i++ {
			if args[i] == "-C" && i+1 < len(args) {
				dir = args[i+1]
				i++
				continue
			}
			src := path.Join(dir, args[i])
			if p.isDir(src) {
				for _, rel := range p.findFiles(src, nil, func(string) bool { return true }) {
					e, _ := p.s.stat(p.abs(path.Join(src, rel)))
					if e != nil {
						entries = append(entries, jarEntry{path.Clean(path.Join(args[i], rel)), dataOf(e)})
					}
				}
			} else if e, err := p.s.stat(p.abs(src)); err == nil {
				entries = append(entries, jarEntry{path.Clean(args[i]), dataOf(e)})
			} else {
				p.errf("%s : no such file or directory", args[i])
				return 1
			}
			dir = "."
		}
		entries = append(entries, jarEntry{"META-INF/MANIFEST.MF", rootfs.Bytes("Manifest-Version: 1.0\r\nCreated-By: " + javaVersion(p) + "\r\n\r\n")})
		return exitOf(p.writeJar(file, entries))
	}
	return p.unsupported("mode " + p.args[0])
}
