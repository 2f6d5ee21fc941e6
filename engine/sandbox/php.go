package sandbox

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"layerlab/engine/rootfs"
	"layerlab/engine/sandbox/langcatalog"
)

// php, composer, the official image's docker-php-ext-install/-configure/-enable, pecl,
// and the Laravel artisan commands a Dockerfile runs.
//
// The sandbox does not execute PHP code: php -r and php FILE are refused, naming the
// code, except for what is a known stand-in (the getcomposer.org installer the sandbox
// wrote as a download placeholder, composer's own phar) and the artisan commands that
// only write files (config:cache, route:cache, view:cache, event:cache, optimize,
// package:discover, storage:link, key:generate), whose outputs follow their inputs.
//
// Extensions: docker-php-ext-install builds what PHP's source tree has (ext/NAME) and
// fails for anything else with the script's own text; an extension that needs a
// system library (gd: libpng, zip: libzip, intl: ICU, pgsql: libpq, ...) fails at
// configure as PHP's configure does when the -dev package is missing. The result is
// the .so in the extension dir and conf.d/docker-php-ext-NAME.ini, as the script
// writes them. pecl install builds from a list of PECL's common packages.
//
// Composer installs composer.lock exactly (a package composer.json requires but the
// lock lacks fails as composer does), resolves from the Packagist catalog without a
// lock (with composer's warning), checks the root's php and ext-* requirements against
// the image, and writes vendor/ with the autoloader as an artefact of the project's
// autoload config (and, optimized, of the source files it scans).

func init() {
	register(map[string]cmdFunc{
		"php": cmdPhp, "composer": cmdComposer, "composer.phar": cmdComposer, "pecl": cmdPecl,
		"docker-php-ext-install": cmdPhpExtInstall, "docker-php-ext-configure": cmdPhpExtConfigure, "docker-php-ext-enable": cmdPhpExtEnable,
	})
	// the image's docker-php-ext-* are shell scripts; the sandbox runs their effect in
	// their place, as it does for ./mvnw and ./gradlew
	for _, n := range []string{"docker-php-ext-install", "docker-php-ext-configure", "docker-php-ext-enable"} {
		wrapperScripts[n] = true
	}
}

const composerVersion = "2.8.5"

func (p *proc) phpVersion() string { return firstNonEmpty(p.getenv("PHP_VERSION"), "8.3.16") }

func (p *proc) phpIniDir() string {
	return firstNonEmpty(p.getenv("PHP_INI_DIR"), "/usr/local/etc/php")
}

// phpExtDir is the directory shared extensions go to: the image's, else the one of its
// PHP API version.
func (p *proc) phpExtDir() string {
	for _, d := range p.listDir("/usr/local/lib/php/extensions") {
		if strings.HasPrefix(d, "no-debug-") {
			return "/usr/local/lib/php/extensions/" + d
		}
	}
	api := map[string]string{"7.4": "20190902", "8.0": "20200930", "8.1": "20210902", "8.2": "20220829", "8.3": "20230831", "8.4": "20240924", "8.5": "20250925"}
	v := strings.Split(p.phpVersion(), ".")
	a := "20230831"
	if len(v) >= 2 && api[v[0]+"."+v[1]] != "" {
		a = api[v[0]+"."+v[1]]
	}
	return "/usr/local/lib/php/extensions/no-debug-non-zts-" + a
}

// phpBuiltin are the modules the official image compiles into PHP.
var phpBuiltin = []string{"Core", "ctype", "curl", "date", "dom", "fileinfo", "filter", "hash", "iconv", "json", "libxml", "mbstring", "mysqlnd", "openssl", "pcre", "PDO", "pdo_sqlite", "Phar", "posix", "random", "readline", "Reflection", "session", "SimpleXML", "SPL", "sqlite3", "standard", "tokenizer", "xml", "xmlreader", "xmlwriter", "zlib"}

// phpModules lists the loaded modules: built in, and those conf.d enables.
func (p *proc) phpModules() []string {
	mods := append([]string(nil), phpBuiltin...)
	dir := p.phpIniDir() + "/conf.d"
	for _, f := range p.listDir(dir) {
		b, _ := p.readFile(dir + "/" + f)
		for _, l := range strings.Split(string(b), "\n") {
			l = strings.TrimSpace(l)
			for _, pre := range []string{"extension=", "zend_extension="} {
				if v, ok := strings.CutPrefix(l, pre); ok {
					name := strings.TrimSuffix(path.Base(strings.Trim(v, `"`)), ".so")
					if name == "opcache" {
						name = "Zend OPcache"
					}
					mods = append(mods, name)
				}
			}
		}
	}
	sort.Slice(mods, func(i, j int) bool { return strings.ToLower(mods[i]) < strings.ToLower(mods[j]) })
	return sortedUniqueFold(mods)
}

func sortedUniqueFold(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range s {
		if !seen[strings.ToLower(x)] {
			seen[strings.ToLower(x)] = true
			out = append(out, x)
		}
	}
	return out
}

func (p *proc) phpHasExt(name string) bool {
	name = strings.ToLower(strings.TrimPrefix(name, "ext-"))
	for _, m := range p.phpModules() {
		if strings.ToLower(m) == name || (name == "opcache" || name == "zend-opcache") && m == "Zend OPcache" {
			return true
		}
	}
	return false
}

// composerPlaceholder reports whether a file is the stand-in the sandbox wrote for the
// composer installer download, or composer's phar itself.
func composerPlaceholder(b []byte) (installer, phar bool) {
	head := string(b[:min(len(b), 400)])
	installer = strings.Contains(head, "layerlab placeholder for https://getcomposer.org/installer") || strings.Contains(head, "layerlab placeholder for https://getcomposer.org/composer-setup") || strings.Contains(head, "layerlab placeholder for https://install.getcomposer.org")
	phar = strings.Contains(head, "layerlab stand-in: composer.phar")
	return
}

func cmdPhp(p *proc) int {
	args := p.args
	if len(args) == 0 {
		if p.in != nil {
			b, _ := readAllLimited(p.in)
			if inst, _ := composerPlaceholder(b); inst {
				return p.composerInstaller(nil)
			}
		}
		return p.notSimulated("php (reading a script from stdin)")
	}
	switch a := args[0]; {
	case a == "-v" || a == "--version":
		v := p.phpVersion()
		p.outf("PHP %s (cli) (built: Jan 16 2025 00:00:00) (NTS)\nCopyright (c) The PHP Group\nZend Engine v4.%s, Copyright (c) Zend Technologies\n", v, strings.TrimPrefix(v, strings.Split(v, ".")[0]+"."))
		if p.phpHasExt("opcache") {
			p.outf("    with Zend OPcache v%s, Copyright (c), by Zend Technologies\n", v)
		}
		return 0
	case a == "-m":
		p.outf("[PHP Modules]\n%s\n\n[Zend Modules]\n", strings.Join(p.phpModules(), "\n"))
		if p.phpHasExt("opcache") {
			p.outf("Zend OPcache\n")
		}
		p.outf("\n")
		return 0
	case a == "-i" || a == "--info":
		p.outf("phpinfo()\nPHP Version => %s\n\nextension_dir => %s => %s\n", p.phpVersion(), p.phpExtDir(), p.phpExtDir())
		return 0
	case a == "--ini":
		p.outf("Configuration File (php.ini) Path: %s\nLoaded Configuration File:         (none)\nScan for additional .ini files in: %s/conf.d\n", p.phpIniDir(), p.phpIniDir())
		return 0
	case a == "-r":
		if len(args) < 2 {
			p.errln("Error in argument 2, char 0: no argument for option r")
			return 1
		}
		return p.phpRun(args[1])
	case a == "--":
		// `curl ... | php -- --install-dir=...`: the script is stdin
		if p.in != nil {
			b, _ := readAllLimited(p.in)
			if inst, _ := composerPlaceholder(b); inst {
				return p.composerInstaller(args[1:])
			}
		}
		return p.notSimulated("php -- (a script from stdin)")
	case a == "-d" && len(args) > 2:
		c := *p
		c.args = args[2:]
		return cmdPhp(&c)
	case strings.HasPrefix(a, "-d"):
		c := *p
		c.args = args[1:]
		return cmdPhp(&c)
	case strings.HasPrefix(a, "-"):
		return p.unsupported("php " + a)
	}
	file := args[0]
	b, err := p.readFile(file)
	if err != nil {
		p.errln("Could not open input file: %s", file)
		return 1
	}
	if inst, phar := composerPlaceholder(b); inst || phar {
		if phar {
			c := *p
			c.name, c.args = "composer", args[1:]
			return cmdComposer(&c)
		}
		return p.composerInstaller(args[1:])
	}
	if path.Base(file) == "artisan" {
		return p.artisan(args[1:])
	}
	return p.notSimulated("php " + file + " (the sandbox does not execute PHP code)")
}

func readAllLimited(r interface{ Read([]byte) (int, error) }) ([]byte, error) {
	var out []byte
	buf := make([]byte, 32<<10)
	for len(out) < 4<<20 {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			break
		}
	}
	return out, nil
}

var (
	phpCopyRe   = newLazyRegexp(`copy\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)`)
	phpUnlinkRe = newLazyRegexp(`^\s*unlink\(\s*['"]([^'"]+)['"]\s*\)\s*;?\s*$`)
	phpHashRe   = newLazyRegexp(`hash_file\(\s*['"]sha384['"]\s*,\s*['"]([^'"]+)['"]\s*\)`)
)

// phpRun is php -r: the few one-liners of composer's own install instructions
// (copy the installer, check its hash, unlink it) and `file_exists(X) || copy(A, B)`;
// anything else is refused with the code named.
func (p *proc) phpRun(code string) int {
	if m := phpCopyRe.FindStringSubmatch(code); m != nil && !strings.Contains(code, "hash_file") {
		src, dst := m[1], m[2]
		if strings.Contains(code, "file_exists(") {
			if fe := regexp.MustCompile(`file_exists\(\s*['"]([^'"]+)['"]\s*\)`).FindStringSubmatch(code); fe != nil && p.s.exists(p.abs(fe[1])) {
				return 0
			}
		}
		if strings.Contains(src, "://") {
			if err := p.s.writeFile(p.abs(dst), placeholder(src), 0o644); err != nil {
				p.errln("PHP Warning:  copy(%s): Failed to open stream: Permission denied in Command line code on line 1", dst)
				return 1
			}
			p.netNote(src)
			return 0
		}
		b, err := p.readFile(src)
		if err != nil {
			p.errln("PHP Warning:  copy(%s): Failed to open stream: No such file or directory in Command line code on line 1", src)
			return 0
		}
		p.s.writeFile(p.abs(dst), rootfs.Bytes(b), 0o644)
		return 0
	}
	if m := phpUnlinkRe.FindStringSubmatch(code); m != nil {
		if !p.s.exists(p.abs(m[1])) {
			p.errln("PHP Warning:  unlink(%s): No such file or directory in Command line code on line 1", m[1])
			return 0
		}
		p.removeAll(p.abs(m[1]))
		return 0
	}
	if m := phpHashRe.FindStringSubmatch(code); m != nil {
		b, err := p.readFile(m[1])
		if inst, _ := composerPlaceholder(b); err == nil && inst {
			// the placeholder is not the real installer, so no published hash matches
			// it; it stands in for the verified download
			p.errln("layerlab: %s is the playground's stand-in for the composer installer; treating its hash check as passed", m[1])
			if strings.Contains(code, "Installer verified") {
				p.outf("Installer verified")
			}
			return 0
		}
	}
	if strings.Contains(code, "echo PHP_VERSION") {
		p.outf("%s", p.phpVersion())
		return 0
	}
	return p.notSimulated(fmt.Sprintf("php -r %q (the sandbox does not execute PHP code)", code))
}

// composerInstaller does what getcomposer.org/installer does: writes composer.phar
// (or --filename) into --install-dir.
func (p *proc) composerInstaller(args []string) int {
	dir, name, ver := p.dir, "composer.phar", composerVersion
	quiet := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "--install-dir="):
			dir = p.abs(strings.TrimPrefix(a, "--install-dir="))
		case a == "--install-dir" && i+1 < len(args):
			i++
			dir = p.abs(args[i])
		case strings.HasPrefix(a, "--filename="):
			name = strings.TrimPrefix(a, "--filename=")
		case a == "--filename" && i+1 < len(args):
			i++
			name = args[i]
		case strings.HasPrefix(a, "--version="):
			ver = strings.TrimPrefix(a, "--version=")
		case a == "--1":
			ver = "1.10.27"
		case a == "--2.2":
			ver = "2.2.25"
		case a == "--quiet":
			quiet = true
		}
	}
	if !p.isDir(dir) {
		p.outf("The defined install dir (%s) does not exist.\n", dir)
		return 1
	}
	if !quiet {
		p.outf("All settings correct for using Composer\nDownloading...\n\n")
	}
	// the real phar is about 3 MB: its stub, then the archive after __HALT_COMPILER()
	body := fmt.Sprintf("#!/usr/bin/env php\n<?php\n// layerlab stand-in: composer.phar %s (the sandbox runs composer by name)\n__HALT_COMPILER(); ?>\n", ver)
	body += strings.Repeat(fmt.Sprintf("%063x\n", seedOf("composer.phar", ver)), (3<<20)/64)
	if err := p.put(dir+"/"+name, rootfs.Bytes(body), 0o755, p.s.uid, p.s.gid); err != nil {
		p.outf("Could not write to %s/%s\n", dir, name)
		return 1
	}
	if !quiet {
		p.outf("Composer (version %s) successfully installed to: %s/%s\nUse it: php %s/%s\n\n", ver, dir, name, dir, name)
	}
	return 0
}

// ---- php artisan ----

func (p *proc) artisan(args []string) int {
	if !p.isFile(p.abs("vendor/autoload.php")) {
		p.errln("PHP Warning:  require(%s/vendor/autoload.php): Failed to open stream: No such file or directory in %s/artisan on line 10", p.dir, p.dir)
		p.errln("PHP Fatal error:  Uncaught Error: Failed opening required '%s/vendor/autoload.php' (include_path='.:/usr/local/lib/php') in %s/artisan:10", p.dir, p.dir)
		return 255
	}
	var cmd string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			cmd = a
			break
		}
	}
	write := func(file string, roots []string, extra ...string) int {
		d, ok := p.digestOf(roots, nil, append(extra, "artisan "+cmd)...)
		if !ok {
			return 1
		}
		if !p.writeArtefact(p.abs(file), artefact("artisan", file, d, 4*kib, 8*kib), 0o644) {
			return 1
		}
		return 0
	}
	envs := p.envPairs("APP_ENV", "APP_KEY", "APP_URL", "APP_DEBUG", "DB_CONNECTION", "DB_HOST", "DB_DATABASE", "CACHE_STORE", "SESSION_DRIVER", "QUEUE_CONNECTION")
	switch cmd {
	case "config:cache":
		p.outf("\n   INFO  Configuration cached successfully.\n\n")
		return write("bootstrap/cache/config.php", []string{"config", ".env"}, envs...)
	case "config:clear":
		p.removeAll(p.abs("bootstrap/cache/config.php"))
		p.outf("\n   INFO  Configuration cache cleared successfully.\n\n")
		return 0
	case "route:cache":
		p.outf("\n   INFO  Routes cached successfully.\n\n")
		return write("bootstrap/cache/routes-v7.php", []string{"routes", "app/Http"})
	case "view:cache":
		p.outf("\n   INFO  Blade templates cached successfully.\n\n")
		return write("storage/framework/views/compiled.php", []string{"resources/views"})
	case "event:cache":
		p.outf("\n   INFO  Events cached successfully.\n\n")
		return write("bootstrap/cache/events.php", []string{"app"})
	case "optimize":
		p.outf("\n   INFO  Caching framework bootstrap, configuration, and metadata.\n\n")
		if code := write("bootstrap/cache/config.php", []string{"config", ".env"}, envs...); code != 0 {
			return code
		}
		return write("bootstrap/cache/routes-v7.php", []string{"routes", "app/Http"})
	case "optimize:clear", "cache:clear", "route:clear", "view:clear":
		return 0
	case "package:discover":
		p.outf("\n   INFO  Discovering packages.\n\n")
		if code := write("bootstrap/cache/packages.php", []string{"vendor/composer/installed.json"}); code != 0 {
			return code
		}
		return write("bootstrap/cache/services.php", []string{"vendor/composer/installed.json", "config/app.php"})
	case "storage:link":
		if err := p.npmLink(p.abs("public/storage"), p.abs("storage/app/public")); err != nil {
			p.errln("%v", err)
			return 1
		}
		p.outf("\n   INFO  The [public/storage] link has been connected to [storage/app/public].\n\n")
		return 0
	case "key:generate":
		b, err := p.readFile(p.abs(".env"))
		if err != nil {
			p.errln("\n   ERROR  file_get_contents(%s/.env): Failed to open stream: No such file or directory.\n", p.dir)
			return 1
		}
		key := fmt.Sprintf("base64:%016x%016x", seedOf("appkey", string(b)), seedOf("appkey2", string(b)))
		text := regexp.MustCompile(`(?m)^APP_KEY=.*$`).ReplaceAllString(string(b), "APP_KEY="+key)
		p.putText(p.abs(".env"), text)
		p.outf("\n   INFO  Application key set successfully.\n\n")
		return 0
	case "migrate", "db:seed", "migrate:fresh", "queue:work", "serve", "schedule:work", "horizon", "octane:start", "reverb:start":
		p.errln("\n   Illuminate\\Database\\QueryException\n\n  SQLSTATE[HY000] [2002] Connection refused")
		p.errln("layerlab: artisan %s needs a running database or server; a build step has none (as with docker build)", cmd)
		return 1
	case "", "--version", "list":
		p.outf("Laravel Framework 11.44.0\n")
		return 0
	}
	return p.notSimulated("php artisan " + cmd + " (runs the application's PHP code)")
}

// ---- docker-php-ext-* ----

// phpSourceExts are the extensions of PHP's source tree (ext/), which
// docker-php-ext-install can build.
var phpSourceExts = strings.Fields("bcmath bz2 calendar ctype curl dba dl_test dom enchant exif ffi fileinfo filter ftp gd gettext gmp hash iconv imap intl json ldap mbstring mysqli oci8 odbc opcache pcntl pdo pdo_dblib pdo_firebird pdo_mysql pdo_oci pdo_odbc pdo_pgsql pdo_sqlite pgsql phar posix pspell random readline reflection session shmop simplexml snmp soap sockets sodium spl standard sysvmsg sysvsem sysvshm tidy tokenizer xml xmlreader xmlwriter xsl zend_test zip")

// phpExtNeeds is the -dev package an extension's configure looks for (Debian, Alpine)
// and what configure prints when it is missing.
var phpExtNeeds = map[string]struct{ deb, alp, err string }{
	"gd":        {"libpng-dev", "libpng-dev", "configure: error: Package requirements (libpng) were not met:\n\nNo package 'libpng' found"},
	"zip":       {"libzip-dev", "libzip-dev", "configure: error: Package requirements (libzip >= 0.11 libzip != 1.3.1 libzip != 1.7.0) were not met:\n\nNo package 'libzip' found"},
	"intl":      {"libicu-dev", "icu-dev", "configure: error: Package requirements (icu-uc >= 50.1 icu-io icu-i18n) were not met:\n\nNo package 'icu-uc' found"},
	"pgsql":     {"libpq-dev", "libpq-dev postgresql-dev", "configure: error: Cannot find libpq-fe.h. Please specify correct PostgreSQL installation path"},
	"pdo_pgsql": {"libpq-dev", "libpq-dev postgresql-dev", "configure: error: Cannot find libpq-fe.h. Please specify correct PostgreSQL installation path"},
	"soap":      {"libxml2-dev", "libxml2-dev", "configure: error: Package requirements (libxml-2.0 >= 2.9.0) were not met:\n\nNo package 'libxml-2.0' found"},
	"xsl":       {"libxslt1-dev libxslt-dev", "libxslt-dev", "configure: error: Package requirements (libxslt >= 1.1.0) were not met:\n\nNo package 'libxslt' found"},
	"gmp":       {"libgmp-dev", "gmp-dev", "configure: error: GNU MP Library version 4.2 or greater required."},
	"bz2":       {"libbz2-dev", "bzip2-dev", "configure: error: Please reinstall the BZip2 distribution"},
	"ldap":      {"libldap2-dev libldap-dev", "openldap-dev", "configure: error: Cannot find ldap.h"},
	"tidy":      {"libtidy-dev", "tidyhtml-dev", "configure: error: Cannot find libtidy"},
	"imap":      {"libc-client-dev", "imap-dev", "configure: error: Cannot find rfc822.h. Please check your c-client installation."},
	"enchant":   {"libenchant-2-dev", "enchant2-dev", "configure: error: Package requirements (enchant-2 >= 2.0) were not met:\n\nNo package 'enchant-2' found"},
	"snmp":      {"libsnmp-dev", "net-snmp-dev", "configure: error: Could not find net-snmp-config binary. Please check your net-snmp installation."},
	"ffi":       {"libffi-dev", "libffi-dev", "configure: error: Package requirements (libffi >= 3.0.11) were not met:\n\nNo package 'libffi' found"},
}

// distroInstalled reports whether the distro's package database lists one of names.
func (p *proc) distroInstalled(names string) bool {
	want := map[string]bool{}
	for _, n := range strings.Fields(names) {
		want[n] = true
	}
	if b, err := p.s.readRaw("/var/lib/dpkg/status"); err == nil {
		pkg := ""
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "Package: "); ok {
				pkg = strings.SplitN(v, ":", 2)[0]
			}
			if strings.HasPrefix(l, "Status: ") && strings.HasSuffix(l, " installed") && want[pkg] {
				return true
			}
		}
	}
	if b, err := p.s.readRaw("/lib/apk/db/installed"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "P:"); ok && want[v] {
				return true
			}
		}
	}
	return false
}

func (p *proc) isAlpine() bool {
	return p.s.exists("/etc/alpine-release") || p.osRelease("ID", "") == "alpine"
}

func (p *proc) phpExtUsage(prog string) {
	p.errln("\nusage: %s [-jN] [--ini-name file.ini] ext-name [ext-name ...]\n   ie: %s gd mysqli\n       %s pdo pdo_mysql\n       %s -j5 gd mbstring mysqli pdo pdo_mysql shmop\n\nif custom ./configure arguments are necessary, see docker-php-ext-configure\n\nPossible values for ext-name:\n%s\n\nSome of the above modules are already compiled into PHP; please check\nthe output of \"php -i\" to see which modules are already loaded.", prog, prog, prog, prog, strings.Join(p.phpAvailableExts(), " "))
}

func (p *proc) phpAvailableExts() []string {
	var out []string
	for _, e := range phpSourceExts {
		if e == "imap" && langcatalog.Compare(p.phpVersion(), "8.4") >= 0 || e == "pspell" && langcatalog.Compare(p.phpVersion(), "8.4") >= 0 {
			continue
		}
		if e == "random" && langcatalog.Compare(p.phpVersion(), "8.2") < 0 {
			continue
		}
		out = append(out, e)
	}
	return out
}

func cmdPhpExtInstall(p *proc) int {
	prog := "/usr/local/bin/docker-php-ext-install"
	var exts []string
	ini := ""
	for i := 0; i < len(p.args); i++ {
		a := p.args[i]
		switch {
		case a == "--ini-name" && i+1 < len(p.args):
			i++
			ini = p.args[i]
		case strings.HasPrefix(a, "-j") || a == "--jobs":
			if a == "-j" || a == "--jobs" {
				i++
			}
		case strings.HasPrefix(a, "-"):
		default:
			exts = append(exts, a)
		}
	}
	if len(exts) == 0 {
		p.phpExtUsage(prog)
		return 1
	}
	avail := map[string]bool{}
	for _, e := range p.phpAvailableExts() {
		avail[e] = true
	}
	for _, e := range exts {
		if !avail[e] {
			p.errln("error: /usr/src/php/ext/%s does not exist", e)
			p.phpExtUsage(prog)
			return 1
		}
	}
	for _, e := range exts {
		if code := p.phpExtBuild(e); code != 0 {
			return code
		}
		name := e
		if ini != "" && len(exts) == 1 {
			name = strings.TrimSuffix(strings.TrimPrefix(ini, "docker-php-ext-"), ".ini")
		}
		if code := p.phpExtEnable(e, name); code != 0 {
			return code
		}
	}
	return 0
}

// phpExtBuild configures and builds one extension: the .so is an artefact of the
// extension, the PHP version and the configure options recorded for it.
func (p *proc) phpExtBuild(e string) int {
	if need, ok := phpExtNeeds[e]; ok {
		pkgs := need.deb
		if p.isAlpine() {
			pkgs = need.alp
		}
		if !p.distroInstalled(pkgs) {
			p.outf("Configuring for:\nPHP Api Version:         %s\n", strings.TrimPrefix(path.Base(p.phpExtDir()), "no-debug-non-zts-"))
			p.errln("%s", need.err)
			p.errln("layerlab: docker-php-ext-install %s needs %s installed first (apt-get install / apk add), as the real build does", e, strings.Fields(pkgs)[0])
			return 1
		}
	}
	opts, _ := p.readFile("/usr/src/php/ext/" + e + "/.layerlab-configure")
	if e == "gd" {
		for _, o := range [][3]string{{"--with-freetype", "libfreetype6-dev libfreetype-dev", "freetype-dev"}, {"--with-jpeg", "libjpeg-dev libjpeg62-turbo-dev", "libjpeg-turbo-dev"}, {"--with-webp", "libwebp-dev", "libwebp-dev"}} {
			if strings.Contains(string(opts), o[0]) {
				pkgs := o[1]
				if p.isAlpine() {
					pkgs = o[2]
				}
				if !p.distroInstalled(pkgs) {
					lib := strings.TrimPrefix(o[0], "--with-")
					p.errln("configure: error: Package requirements (%s) were not met:\n\nNo package '%s' found", map[string]string{"freetype": "freetype2", "jpeg": "libjpeg", "webp": "libwebp >= 0.2.0"}[lib], map[string]string{"freetype": "freetype2", "jpeg": "libjpeg", "webp": "libwebp"}[lib])
					p.errln("layerlab: gd configured %s needs %s installed first", o[0], strings.Fields(pkgs)[0])
					return 1
				}
			}
		}
	}
	api := strings.TrimPrefix(path.Base(p.phpExtDir()), "no-debug-non-zts-")
	p.outf("Configuring for:\nPHP Api Version:         %s\nZend Module Api No:      %s\nZend Extension Api No:   4%s\n", api, api, api)
	p.outf("Build complete.\nDon't forget to run 'make test'.\n\nInstalling shared extensions:     %s/\n", p.phpExtDir())
	size := int64(120*kib) + int64(seedOf("phpext", e)%(400*uint64(kib)))
	c := rootfs.Generated{Seed: seedOf("phpext", e, p.phpVersion(), string(opts)), N: size}
	if err := p.put(p.phpExtDir()+"/"+e+".so", c, 0o755, 0, 0); err != nil {
		p.errln("%v", err)
		return 1
	}
	return 0
}

func (p *proc) phpExtEnable(ext, iniName string) int {
	if !p.isFile(p.phpExtDir() + "/" + ext + ".so") {
		p.errln("error: '%s' does not exist\n\nusage: /usr/local/bin/docker-php-ext-enable [options] module-name [module-name ...]\n   ie: /usr/local/bin/docker-php-ext-enable gd mysqli\n       /usr/local/bin/docker-php-ext-enable pdo pdo_mysql\n       /usr/local/bin/docker-php-ext-enable --ini-name 0-apc.ini apcu apc\n\nPossible values for module-name:\n%s", ext, strings.Join(p.listDir(p.phpExtDir()), " "))
		return 1
	}
	line := "extension=" + ext
	if ext == "opcache" || ext == "xdebug" {
		line = "zend_extension=" + ext
	}
	file := p.phpIniDir() + "/conf.d/docker-php-ext-" + iniName + ".ini"
	b, _ := p.readFile(file)
	if strings.Contains(string(b), line+"\n") {
		return 0
	}
	if err := p.putText(file, string(b)+line+"\n"); err != nil {
		p.errln("%v", err)
		return 1
	}
	return 0
}

func cmdPhpExtEnable(p *proc) int {
	ini := ""
	var exts []string
	for i := 0; i < len(p.args); i++ {
		switch a := p.args[i]; {
		case a == "--ini-name" && i+1 < len(p.args):
			i++
			ini = p.args[i]
		case !strings.HasPrefix(a, "-"):
			exts = append(exts, a)
		}
	}
	for _, e := range exts {
		name := e
		if ini != "" {
			name = strings.TrimSuffix(strings.TrimPrefix(ini, "docker-php-ext-"), ".ini")
		}
		if code := p.phpExtEnable(e, name); code != 0 {
			return code
		}
	}
	return 0
}

func cmdPhpExtConfigure(p *proc) int {
	if len(p.args) == 0 {
		p.errln("usage: /usr/local/bin/docker-php-ext-configure ext-name [configure flags]")
		return 1
	}
	e := p.args[0]
	ok := false
	for _, a := range p.phpAvailableExts() {
		ok = ok || a == e
	}
	if !ok {
		p.errln("error: /usr/src/php/ext/%s does not exist", e)
		return 1
	}
	var unknown []string
	for _, o := range p.args[1:] {
		// PHP 7.4 replaced gd's --with-*-dir options with --with-freetype/--with-jpeg
		if e == "gd" && strings.HasSuffix(strings.SplitN(o, "=", 2)[0], "-dir") && langcatalog.Compare(p.phpVersion(), "7.4") >= 0 {
			unknown = append(unknown, o)
		}
	}
	if len(unknown) > 0 {
		p.errln("configure: WARNING: unrecognized options: %s", strings.Join(unknown, ", "))
	}
	p.outf("Configuring for:\nPHP Api Version:         %s\n", strings.TrimPrefix(path.Base(p.phpExtDir()), "no-debug-non-zts-"))
	if err := p.putText("/usr/src/php/ext/"+e+"/.layerlab-configure", strings.Join(p.args[1:], " ")+"\n"); err != nil {
		p.errln("%v", err)
		return 1
	}
	return 0
}

// peclPackages are the PECL packages Dockerfiles install, with their latest releases
// and the -dev packages they build against (Debian, Alpine).
var peclPackages = map[string]struct{ ver, deb, alp string }{
	"redis": {"6.1.0", "", ""}, "xdebug": {"3.4.1", "", ""}, "apcu": {"5.1.24", "", ""}, "igbinary": {"3.2.16", "", ""},
	"msgpack": {"3.0.0", "", ""}, "pcov": {"1.0.12", "", ""}, "ds": {"1.5.0", "", ""}, "xhprof": {"2.3.10", "", ""},
	"imagick": {"3.7.0", "libmagickwand-dev", "imagemagick-dev"}, "mongodb": {"1.20.1", "", ""},
	"memcached": {"3.3.0", "libmemcached-dev", "libmemcached-dev"}, "memcache": {"8.2", "", ""},
	"amqp": {"2.1.2", "librabbitmq-dev", "rabbitmq-c-dev"}, "swoole": {"6.0.1", "", ""}, "openswoole": {"22.1.2", "", ""},
	"grpc": {"1.70.0", "", ""}, "protobuf": {"4.29.3", "", ""}, "mcrypt": {"1.0.7", "libmcrypt-dev", "libmcrypt-dev"},
	"yaml": {"2.2.4", "libyaml-dev", "yaml-dev"}, "ssh2": {"1.4.1", "libssh2-1-dev", "libssh2-dev"}, "uuid": {"1.2.1", "uuid-dev", "util-linux-dev"},
	"event": {"3.1.4", "libevent-dev", "libevent-dev"}, "ev": {"1.2.0", "", ""}, "zstd": {"0.14.0", "", ""}, "opentelemetry": {"1.1.2", "", ""},
	"excimer": {"1.2.3", "", ""}, "oauth": {"2.0.9", "", ""}, "rdkafka": {"6.0.5", "librdkafka-dev", "librdkafka-dev"},
	"sqlsrv": {"5.12.0", "unixodbc-dev", "unixodbc-dev"}, "pdo_sqlsrv": {"5.12.0", "unixodbc-dev", "unixodbc-dev"},
	"mailparse": {"3.1.8", "", ""}, "timezonedb": {"2025.1", "", ""}, "lzf": {"1.7.0", "", ""}, "apfd": {"1.0.3", "", ""},
	"raphf": {"2.0.1", "", ""}, "pecl_http": {"4.2.6", "libcurl4-openssl-dev", "curl-dev"}, "xlswriter": {"1.5.8", "", ""},
	"inotify": {"3.0.0", "", ""}, "psr": {"1.2.0", "", ""}, "phalcon": {"5.8.0", "", ""}, "decimal": {"1.5.0", "", ""},
	"opencensus": {"0.2.2", "", ""}, "geoip": {"1.1.1", "", ""}, "maxminddb": {"1.12.0", "libmaxminddb-dev", "libmaxminddb-dev"},
	"smbclient": {"1.1.1", "libsmbclient-dev", "samba-dev"}, "gnupg": {"1.5.1", "libgpgme-dev", "gpgme-dev"},
}

func cmdPecl(p *proc) int {
	if len(p.args) == 0 {
		p.outf("Commands:\ninstall\nuninstall\nupgrade\nchannel-update\n")
		return 1
	}
	sub, args := p.args[0], p.args[1:]
	switch sub {
	case "version", "-V":
		p.outf("PEAR Version: 1.10.16\nPHP Version: %s\nZend Engine Version: 4.3\n", p.phpVersion())
		return 0
	case "channel-update", "update-channels", "clear-cache", "config-set", "list":
		if sub == "channel-update" {
			p.outf("Updating channel \"%s\"\nUpdate of Channel \"%s\" succeeded\n", firstNonEmpty(strings.Join(args, " "), "pecl.php.net"), firstNonEmpty(strings.Join(args, " "), "pecl.php.net"))
		}
		return 0
	case "install", "upgrade":
	default:
		return p.notSimulated("pecl " + sub)
	}
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		name, ver, _ := strings.Cut(a, "-")
		name = strings.ToLower(name)
		pk, ok := peclPackages[name]
		if !ok {
			p.outf("No releases available for package \"pecl.php.net/%s\"\ninstall failed\n", name)
			p.errln("layerlab: %s is not among the PECL packages the playground knows (%d of PECL's most installed)", name, len(peclPackages))
			return 1
		}
		ver = firstNonEmpty(ver, pk.ver)
		if p.isAlpine() && !p.distroInstalled("autoconf") {
			p.outf("downloading %s-%s.tgz ...\nStarting to download %s-%s.tgz\n", name, ver, name, ver)
			p.outf("Cannot find autoconf. Please check your autoconf installation and the\n$PHP_AUTOCONF environment variable. Then, rerun this script.\n\nERROR: `phpize' failed\n")
			p.errln("layerlab: pecl builds with $PHPIZE_DEPS (apk add $PHPIZE_DEPS), which this Alpine image lacks")
			return 1
		}
		deps := pk.deb
		if p.isAlpine() {
			deps = pk.alp
		}
		if deps != "" && !p.distroInstalled(deps) {
			p.outf("downloading %s-%s.tgz ...\nrunning: phpize\nrunning: ./configure\n", name, ver)
			p.errln("configure: error: %s not found; install %s", name, strings.Fields(deps)[0])
			p.outf("ERROR: `/tmp/pear/temp/%s/configure --with-php-config=/usr/local/bin/php-config' failed\n", name)
			return 1
		}
		so := p.phpExtDir() + "/" + name + ".so"
		if err := p.put(so, rootfs.Generated{Seed: seedOf("pecl", name, ver, p.phpVersion()), N: int64(200*kib) + int64(seedOf("pecl", name)%(uint64(kib)*800))}, 0o755, 0, 0); err != nil {
			p.errln("%v", err)
			return 1
		}
		p.putText(fmt.Sprintf("/usr/local/lib/php/.registry/.channel.pecl.php.net/%s.reg", name), fmt.Sprintf("a:1:{s:7:\"version\";s:%d:\"%s\";}\n", len(ver), ver))
		p.outf("downloading %s-%s.tgz ...\nStarting to download %s-%s.tgz\nrunning: phpize\nrunning: make\nBuild process completed successfully\nInstalling '%s'\ninstall ok: channel://pecl.php.net/%s-%s\nconfiguration option \"php_ini\" is not set to php.ini location\nYou should add \"extension=%s.so\" to php.ini\n", name, ver, name, ver, so, name, ver, name)
	}
	return 0
}

// ---- composer ----

type composerJSON struct {
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Require    map[string]string `json:"require"`
	RequireDev map[string]string `json:"require-dev"`
	Autoload   json.RawMessage   `json:"autoload"`
	AutoDev    json.RawMessage   `json:"autoload-dev"`
	Scripts    map[string]any    `json:"scripts"`
}

type composerLockPkg struct {
	Name    string            `json:"name"`
	Version string            `json:"version"`
	Require map[string]string `json:"require"`
	Bin     []string          `json:"bin"`
	Type    string            `json:"type"`
}

type composerLock struct {
	Packages    []composerLockPkg `json:"packages"`
	PackagesDev []composerLockPkg `json:"packages-dev"`
}

func (p *proc) composerCacheDir() string {
	if v := p.getenv("COMPOSER_CACHE_DIR"); v != "" {
		return v
	}
	if h := p.getenv("COMPOSER_HOME"); h != "" {
		return h + "/cache"
	}
	return p.home() + "/.cache/composer"
}

func cmdComposer(p *proc) int {
	args := p.args
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if (a == "-d" || a == "--working-dir") && i+1 < len(args) {
			p.dir = p.abs(args[i+1])
			i++
			continue
		}
		if v, ok := strings.CutPrefix(a, "--working-dir="); ok {
			p.dir = p.abs(v)
			continue
		}
		rest = append(rest, a)
	}
	sub := "list"
	var flags []string
	for i, a := range rest {
		if !strings.HasPrefix(a, "-") {
			sub, flags = a, append(append([]string(nil), rest[:i]...), rest[i+1:]...)
			break
		}
		flags = rest
	}
	if contains(rest, "--version") || contains(rest, "-V") {
		p.outf("Composer version %s 2025-01-21 15:23:40\nPHP version %s (/usr/local/bin/php)\n", composerVersion, p.phpVersion())
		return 0
	}
	if p.s.uid == 0 && p.getenv("COMPOSER_ALLOW_SUPERUSER") != "1" && (sub == "install" || sub == "update" || sub == "require" || sub == "create-project" || sub == "dump-autoload" || sub == "dumpautoload") {
		p.errln("Do not run Composer as root/super user! See https://getcomposer.org/root for details")
	}
	switch sub {
	case "install", "i", "update", "u", "upgrade":
		return p.composerInstall(flags, nil, sub != "install" && sub != "i")
	case "require", "r":
		var named []string
		for _, a := range flags {
			if !strings.HasPrefix(a, "-") {
				named = append(named, a)
			}
		}
		return p.composerInstall(flags, named, true)
	case "dump-autoload", "dumpautoload":
		cj, code := p.readComposerJSON()
		if code != 0 {
			return code
		}
		opt := contains(flags, "-o") || contains(flags, "--optimize") || contains(flags, "-a") || contains(flags, "--classmap-authoritative")
		p.outf("Generating %sautoload files\n", map[bool]string{true: "optimized "}[opt])
		n, code := p.composerAutoload(cj, opt, !contains(flags, "--no-dev"))
		if code != 0 {
			return code
		}
		if opt {
			p.outf("Generated optimized autoload files containing %d classes\n", n)
		} else {
			p.outf("Generated autoload files\n")
		}
		if !contains(flags, "--no-scripts") {
			return p.composerScripts(cj, "post-autoload-dump")
		}
		return 0
	case "create-project":
		var pos []string
		for _, a := range flags {
			if !strings.HasPrefix(a, "-") {
				pos = append(pos, a)
			}
		}
		if len(pos) == 0 {
			p.errln("Not enough arguments (missing: \"package\").")
			return 1
		}
		name, constraint, _ := strings.Cut(pos[0], ":")
		dir := path.Base(name)
		if len(pos) > 1 {
			dir = pos[1]
			if len(pos) > 2 {
				constraint = pos[2]
			}
		}
		return p.composerCreateProject(name, constraint, p.abs(dir), flags)
	case "config", "validate", "diagnose", "show", "outdated", "check-platform-reqs", "audit", "global", "self-update", "selfupdate", "clear-cache", "clearcache", "list", "help", "licenses", "fund", "depends", "why":
		if sub == "clear-cache" || sub == "clearcache" {
			p.removeAll(p.composerCacheDir())
			p.outf("Cache directory does not exist (cache-vcs-dir): \nClearing cache (cache-repo-dir): %s/repo\nClearing cache (cache-files-dir): %s/files\nAll caches cleared.\n", p.composerCacheDir(), p.composerCacheDir())
		}
		if sub == "list" {
			p.outf("Composer version %s\n", composerVersion)
		}
		return 0
	case "run-script", "run":
		cj, code := p.readComposerJSON()
		if code != 0 || len(flags) == 0 {
			return code
		}
		return p.composerScripts(cj, flags[0])
	}
	p.errln("Command \"%s\" is not defined.", sub)
	return 1
}

func (p *proc) readComposerJSON() (*composerJSON, int) {
	b, err := p.readFile(p.abs("composer.json"))
	if err != nil {
		p.errln("Composer could not find a composer.json file in %s\nTo initialize a project, please create a composer.json file. See https://getcomposer.org/basic-usage", p.dir)
		return nil, 1
	}
	var cj composerJSON
	if err := json.Unmarshal(b, &cj); err != nil {
		p.errln("\"./composer.json\" does not contain valid JSON\nParse error: %v", err)
		return nil, 1
	}
	return &cj, 0
}

// composerPlatform checks the root's php and ext-* requirements against the image.
func (p *proc) composerPlatform(cj *composerJSON, dev bool, ignore []string) []string {
	var problems []string
	ignored := func(n string) bool {
		for _, i := range ignore {
			if i == "*" || i == n || strings.HasSuffix(i, "*") && strings.HasPrefix(n, strings.TrimSuffix(i, "*")) {
				return true
			}
		}
		return false
	}
	reqs := sortedDeps(cj.Require)
	if dev {
		reqs = append(reqs, sortedDeps(cj.RequireDev)...)
	}
	for _, r := range reqs {
		if ignored(r.name) {
			continue
		}
		switch {
		case r.name == "php" || r.name == "php-64bit":
			if !langcatalog.Satisfies(langcatalog.Packagist, p.phpVersion(), r.spec) {
				problems = append(problems, fmt.Sprintf("Root composer.json requires php %s but your php version (%s) does not satisfy that requirement.", r.spec, p.phpVersion()))
			}
		case strings.HasPrefix(r.name, "ext-"):
			if !p.phpHasExt(r.name) {
				e := strings.TrimPrefix(r.name, "ext-")
				problems = append(problems, fmt.Sprintf("Root composer.json requires PHP extension %s %s but it is missing from your system. Install or enable PHP's %s extension.", r.name, r.spec, e))
			}
		}
	}
	return problems
}

func isPlatformPkg(n string) bool {
	return n == "php" || n == "php-64bit" || strings.HasPrefix(n, "ext-") || strings.HasPrefix(n, "lib-") || n == "composer-plugin-api" || n == "composer-runtime-api" || n == "composer"
}

// composerInstall is install/update/require.
func (p *proc) composerInstall(flags, named []string, update bool) int {
	dev, autoload, scripts, optimize := true, true, true, false
	var ignore []string
	for _, f := range flags {
		switch {
		case f == "--no-dev" || f == "--update-no-dev":
			dev = false
		case f == "--no-autoloader":
			autoload = false
		case f == "--no-scripts":
			scripts = false
		case f == "-o" || f == "--optimize-autoloader" || f == "-a" || f == "--classmap-authoritative":
			optimize = true
		case f == "--ignore-platform-reqs":
			ignore = append(ignore, "*")
		case strings.HasPrefix(f, "--ignore-platform-req="):
			ignore = append(ignore, strings.TrimPrefix(f, "--ignore-platform-req="))
		}
	}
	cj, code := p.readComposerJSON()
	if code != 0 {
		if len(named) == 0 {
			return code
		}
		cj = &composerJSON{}
	}
	if cj.Require == nil {
		cj.Require = map[string]string{}
	}
	for _, n := range named {
		name, c, _ := strings.Cut(n, ":")
		if c == "" {
			name, c, _ = strings.Cut(n, "=")
		}
		if !isPlatformPkg(name) {
			if err := langcatalog.Check(langcatalog.Packagist, name); err != nil {
				p.errln("\n  [InvalidArgumentException]\n  Could not find a matching version of package %s. Check the package spelling, your version constraint and that the package is available in a stability which matches your minimum-stability (stable).", name)
				return 1
			}
			if c == "" {
				pk, _ := langcatalog.Resolve(langcatalog.Packagist, name, "")
				c = "^" + pk.Version
				p.outf("./composer.json has been %s\nUsing version %s for %s\n", map[bool]string{true: "updated", false: "created"}[code == 0], c, name)
			}
		}
		cj.Require[name] = c
	}
	if len(named) > 0 {
		b, _ := p.readFile(p.abs("composer.json"))
		var raw map[string]any
		if json.Unmarshal(b, &raw) != nil || raw == nil {
			raw = map[string]any{}
		}
		raw["require"] = cj.Require
		out, _ := json.MarshalIndent(raw, "", "    ")
		p.putText(p.abs("composer.json"), strings.ReplaceAll(string(out), "/", `\/`)+"\n")
	}
	if probs := p.composerPlatform(cj, dev, ignore); len(probs) > 0 {
		if p.isFile(p.abs("composer.lock")) && !update {
			p.errln("Installing dependencies from lock file (including require-dev)\nVerifying lock file contents can be installed on current platform.\nYour lock file does not contain a compatible set of packages. Please run composer update.\n")
		} else {
			p.errln("Loading composer repositories with package information\nUpdating dependencies\nYour requirements could not be resolved to an installable set of packages.\n")
		}
		for i, pr := range probs {
			p.errln("  Problem %d\n    - %s\n", i+1, pr)
		}
		p.errln("To enable extensions, verify that they are enabled in your .ini files:\n    - %s/conf.d\nYou can also run `php --ini` in a terminal to see which files are used by PHP in CLI mode.\nAlternatively, you can run Composer with `--ignore-platform-req=ext-...` to temporarily ignore these required extensions.", p.phpIniDir())
		return 2
	}
	type inst struct {
		name, version string
		bins          []string
		dev           bool
	}
	var pkgs []inst
	lb, lerr := p.readFile(p.abs("composer.lock"))
	useLock := lerr == nil && !update
	if useLock {
		var lock composerLock
		if err := json.Unmarshal(lb, &lock); err != nil {
			p.errln("\"./composer.lock\" does not contain valid JSON\nParse error: %v", err)
			return 1
		}
		inLock := map[string]bool{}
		for _, pk := range lock.Packages {
			inLock[strings.ToLower(pk.Name)] = true
		}
		for _, pk := range lock.PackagesDev {
			inLock[strings.ToLower(pk.Name)] = true
		}
		var missing []string
		reqs := sortedDeps(cj.Require)
		if dev {
			reqs = append(reqs, sortedDeps(cj.RequireDev)...)
		}
		for _, r := range reqs {
			if !isPlatformPkg(r.name) && !inLock[strings.ToLower(r.name)] {
				missing = append(missing, r.name)
			}
		}
		p.outf("Installing dependencies from lock file%s\nVerifying lock file contents can be installed on current platform.\n", map[bool]string{true: " (including require-dev)"}[dev])
		if len(missing) > 0 {
			p.errln("Warning: The lock file is not up to date with the latest changes in composer.json. You may be getting outdated dependencies. It is recommended that you run `composer update` or `composer update <package name>`.")
			for _, m := range missing {
				p.errln("- Required package \"%s\" is not present in the lock file.", m)
			}
			p.errln("This usually happens when composer files are incorrectly merged or the composer.json file is manually edited.\nRead more about correct resolution: https://getcomposer.org/doc/articles/resolving-merge-conflicts.md\nand prefer using the \"require\" command over editing the composer.json file directly when adding packages.")
			return 4
		}
		for _, pk := range lock.Packages {
			pkgs = append(pkgs, inst{pk.Name, strings.TrimPrefix(pk.Version, "v"), pk.Bin, false})
		}
		if dev {
			for _, pk := range lock.PackagesDev {
				pkgs = append(pkgs, inst{pk.Name, strings.TrimPrefix(pk.Version, "v"), pk.Bin, true})
			}
		}
	} else {
		if !update {
			p.errln("No composer.lock file present. Updating dependencies to latest instead of installing from lock file. See https://getcomposer.org/install for more information.")
		}
		p.outf("Loading composer repositories with package information\nUpdating dependencies\n")
		seen := map[string]bool{}
		var problems []string
		var visit func(name, c string, isDev bool)
		visit = func(name, c string, isDev bool) {
			key := strings.ToLower(name)
			if seen[key] || isPlatformPkg(key) {
				return
			}
			seen[key] = true
			if err := langcatalog.Check(langcatalog.Packagist, name); err != nil {
				problems = append(problems, fmt.Sprintf("Root composer.json requires %s, it could not be found in any version, there may be a typo in the package name.", name))
				return
			}
			pk, err := langcatalog.Resolve(langcatalog.Packagist, name, c)
			if err != nil {
				problems = append(problems, fmt.Sprintf("Root composer.json requires %s %s, found %s[...] but it does not match the constraint.", name, c, name))
				return
			}
			for _, d := range pk.Deps {
				visit(d, "", isDev)
			}
			pkgs = append(pkgs, inst{pk.Name, pk.Version, pk.Bins, isDev})
		}
		for _, r := range sortedDeps(cj.Require) {
			visit(r.name, r.spec, false)
		}
		if dev {
			for _, r := range sortedDeps(cj.RequireDev) {
				visit(r.name, r.spec, true)
			}
		}
		if len(problems) > 0 {
			p.errln("Your requirements could not be resolved to an installable set of packages.\n")
			for i, pr := range problems {
				p.errln("  Problem %d\n    - %s\n", i+1, pr)
			}
			return 2
		}
		p.outf("Lock file operations: %d installs, 0 updates, 0 removals\n", len(pkgs))
		for _, pk := range pkgs {
			p.outf("  - Locking %s (v%s)\n", pk.name, pk.version)
		}
		p.outf("Writing lock file\n")
		lock := map[string]any{"_readme": []string{"This file locks the dependencies of your project to a known state", "Read more about it at https://getcomposer.org/doc/01-basic-usage.md#installing-dependencies", "This file is @generated automatically"}}
		var prodL, devL []map[string]any
		for _, pk := range pkgs {
			e := map[string]any{"name": pk.name, "version": "v" + pk.version, "dist": map[string]string{"type": "zip", "url": fmt.Sprintf("https://api.github.com/repos/%s/zipball/%016x", pk.name, seedOf("composer", pk.name, pk.version))}}
			if len(pk.bins) > 0 {
				e["bin"] = pk.bins
			}
			if pk.dev {
				devL = append(devL, e)
			} else {
				prodL = append(prodL, e)
			}
		}
		lock["packages"], lock["packages-dev"] = prodL, devL
		out, _ := json.MarshalIndent(lock, "", "    ")
		p.putText(p.abs("composer.lock"), strings.ReplaceAll(string(out), "/", `\/`)+"\n")
		p.outf("Installing dependencies from lock file%s\n", map[bool]string{true: " (including require-dev)"}[dev])
	}
	p.outf("Package operations: %d installs, 0 updates, 0 removals\n", len(pkgs))
	cache := p.composerCacheDir()
	var installed []map[string]any
	for _, pk := range pkgs {
		cp, err := langcatalog.ResolveLocked(langcatalog.Packagist, pk.name, pk.version)
		if err != nil {
			p.errln("%v", err)
			return 1
		}
		if cp.Synthesized {
			p.outf("layerlab: %s is not in the playground's Packagist catalog; installing a stand-in synthesized from its name\n", pk.name)
		}
		zip := fmt.Sprintf("%s/files/%s/%016x.zip", cache, strings.ToLower(pk.name), seedOf("composer-dist", pk.name, pk.version))
		if !p.isFile(zip) {
			p.outf("  - Downloading %s (v%s)\n", pk.name, pk.version)
			p.put(zip, rootfs.Generated{Seed: seedOf("composer-zip", pk.name, pk.version), N: cp.Size / 3}, 0o644, p.s.uid, p.s.gid)
		}
	}
	for _, pk := range pkgs {
		cp, _ := langcatalog.ResolveLocked(langcatalog.Packagist, pk.name, pk.version)
		dir := p.abs("vendor/" + strings.ToLower(pk.name))
		p.outf("  - Installing %s (v%s): Extracting archive\n", pk.name, pk.version)
		if err := p.put(dir+"/src/"+path.Base(pk.name)+".php", rootfs.Generated{Seed: seedOf("composer", pk.name, pk.version), N: cp.Size}, 0o644, p.s.uid, p.s.gid); err != nil {
			p.errln("%v", err)
			return 1
		}
		p.putText(dir+"/composer.json", fmt.Sprintf("{\n    \"name\": %q,\n    \"version\": %q\n}\n", pk.name, pk.version))
		for _, b := range mergeBins(pk.bins, cp.Bins) {
			bin := b
			if !strings.Contains(bin, "/") {
				bin = "bin/" + bin
			}
			p.put(dir+"/"+bin, rootfs.Bytes("#!/usr/bin/env php\n<?php\n// "+pk.name+" "+path.Base(bin)+" (layerlab stand-in)\n"), 0o755, p.s.uid, p.s.gid)
			p.npmLink(p.abs("vendor/bin/"+path.Base(bin)), dir+"/"+bin)
		}
		installed = append(installed, map[string]any{"name": pk.name, "version": pk.version, "version_normalized": pk.version + ".0", "type": "library", "install-path": "../" + strings.ToLower(pk.name)})
	}
	ij, _ := json.MarshalIndent(map[string]any{"packages": installed, "dev": dev}, "", "    ")
	p.putText(p.abs("vendor/composer/installed.json"), string(ij)+"\n")
	if autoload {
		p.outf("Generating %sautoload files\n", map[bool]string{true: "optimized "}[optimize])
		n, code := p.composerAutoload(cj, optimize, dev)
		if code != 0 {
			return code
		}
		if optimize {
			p.outf("Generated optimized autoload files containing %d classes\n", n)
		}
	}
	if scripts {
		for _, ev := range []string{map[bool]string{true: "post-update-cmd", false: "post-install-cmd"}[update], "post-autoload-dump"} {
			if ev == "post-autoload-dump" && !autoload {
				continue
			}
			if code := p.composerScripts(cj, ev); code != 0 {
				return code
			}
		}
	}
	if len(pkgs) == 0 {
		p.outf("Nothing to install, update or remove\n")
	}
	return 0
}

// composerAutoload writes vendor/autoload.php and vendor/composer/*: an artefact of the
// project's autoload config and the installed packages; optimized, also of the source
// files the class map scans. It returns the number of classes mapped.
func (p *proc) composerAutoload(cj *composerJSON, optimize, dev bool) (int, int) {
	var dirs []string
	collect := func(raw json.RawMessage) {
		var a struct {
			PSR4     map[string]any `json:"psr-4"`
			PSR0     map[string]any `json:"psr-0"`
			Classmap []string       `json:"classmap"`
			Files    []string       `json:"files"`
		}
		if len(raw) == 0 || json.Unmarshal(raw, &a) != nil {
			return
		}
		for _, m := range []map[string]any{a.PSR4, a.PSR0} {
			for _, v := range m {
				switch d := v.(type) {
				case string:
					dirs = append(dirs, d)
				case []any:
					for _, x := range d {
						if s, ok := x.(string); ok {
							dirs = append(dirs, s)
						}
					}
				}
			}
		}
		dirs = append(dirs, a.Classmap...)
		dirs = append(dirs, a.Files...)
	}
	collect(cj.Autoload)
	if dev {
		collect(cj.AutoDev)
	}
	roots := []string{"composer.json", "vendor/composer/installed.json"}
	classes := 0
	if optimize {
		for _, d := range dirs {
			d = strings.TrimSuffix(d, "/")
			roots = append(roots, d)
			classes += len(p.findFiles(p.abs(d), nil, func(n string) bool { return strings.HasSuffix(n, ".php") }))
		}
	}
	d, ok := p.digestOf(roots, []string{".git"}, fmt.Sprintf("optimize=%v dev=%v", optimize, dev))
	if !ok {
		return 0, 1
	}
	suffix := d[:32]
	files := []webOut{{"autoload_real.php", 2 * kib}, {"autoload_static.php", 1*kib + int64(classes)*120}, {"autoload_classmap.php", 200 + int64(classes)*100}, {"autoload_psr4.php", 600}, {"autoload_namespaces.php", 200}, {"ClassLoader.php", 16 * kib}, {"platform_check.php", 900}}
	for _, f := range files {
		if !p.writeArtefact(p.abs("vendor/composer/"+f.name), artefact("composer-autoload", f.name, d, f.size, 0), 0o644) {
			return 0, 1
		}
	}
	auto := fmt.Sprintf("<?php\n\n// autoload.php @generated by Composer\n\nrequire_once __DIR__ . '/composer/autoload_real.php';\n\nreturn ComposerAutoloaderInit%s::getLoader();\n", suffix)
	if !p.writeArtefact(p.abs("vendor/autoload.php"), rootfs.Bytes(auto), 0o644) {
		return 0, 1
	}
	return classes, 0
}

// composerScripts runs one event's scripts: shell commands and @php ... through the
// sandbox shell, @other scripts by reference; a PHP callback (Class::method) is PHP
// code, which the sandbox names and skips.
func (p *proc) composerScripts(cj *composerJSON, event string) int {
	raw, ok := cj.Scripts[event]
	if !ok {
		return 0
	}
	var list []string
	switch v := raw.(type) {
	case string:
		list = []string{v}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				list = append(list, s)
			}
		}
	}
	for _, s := range list {
		p.outf("> %s\n", s)
		switch {
		case strings.HasPrefix(s, "@php "):
			if code := p.runWithBin("php "+strings.TrimPrefix(s, "@php "), p.abs("vendor/bin")); code != 0 {
				p.errln("Script %s handling the %s event returned with error code %d", s, event, code)
				return code
			}
		case strings.HasPrefix(s, "@composer "):
			if code := p.runWithBin("composer "+strings.TrimPrefix(s, "@composer "), p.abs("vendor/bin")); code != 0 {
				return code
			}
		case strings.HasPrefix(s, "@"):
			if code := p.composerScripts(cj, strings.TrimPrefix(s, "@")); code != 0 {
				return code
			}
		case regexp.MustCompile(`^[A-Za-z_\\]+::[A-Za-z_]+$`).MatchString(s):
			p.errln("layerlab: %s is a PHP callback, which the sandbox does not execute; skipped", s)
		default:
			if code := p.runWithBin(s, p.abs("vendor/bin")); code != 0 {
				p.errln("Script %s handling the %s event returned with error code %d", s, event, code)
				return code
			}
		}
	}
	return 0
}

// composerCreateProject unpacks a project package into dir and installs its
// dependencies.
func (p *proc) composerCreateProject(name, constraint, dir string, flags []string) int {
	if err := langcatalog.Check(langcatalog.Packagist, name); err != nil {
		p.errln("\n  [InvalidArgumentException]\n  Could not find package %s with stability stable.", name)
		return 1
	}
	pk, err := langcatalog.Resolve(langcatalog.Packagist, name, constraint)
	if err != nil {
		p.errln("\n  [InvalidArgumentException]\n  Could not find package %s with version %s.", name, constraint)
		return 1
	}
	if len(p.listDir(dir)) > 0 {
		p.errln("\n  [InvalidArgumentException]\n  Project directory \"%s/\" is not empty.", dir)
		return 1
	}
	p.outf("Creating a \"%s\" project at \"./%s\"\nInstalling %s (v%s)\n  - Installing %s (v%s): Extracting archive\nCreated project in %s\n", name, path.Base(dir), name, pk.Version, name, pk.Version, dir)
	req := map[string]string{}
	for _, d := range pk.Deps {
		dp, _ := langcatalog.Resolve(langcatalog.Packagist, d, "")
		req[d] = "^" + dp.Version
	}
	cj, _ := json.MarshalIndent(map[string]any{"name": name, "type": "project", "require": req}, "", "    ")
	if err := p.putText(dir+"/composer.json", strings.ReplaceAll(string(cj), "/", `\/`)+"\n"); err != nil {
		p.errln("%v", err)
		return 1
	}
	c := *p
	c.dir = dir
	return c.composerInstall(flags, nil, true)
}
