package sandbox

// Apache's helpers as Debian's apache2 package (php:*-apache) and the httpd image ship
// them: a2enmod/a2dismod, a2ensite/a2dissite, a2enconf/a2disconf link and unlink
// /etc/apache2/{mods,sites,conf}-available files into the -enabled directories,
// with Debian's messages, module dependencies and conflicts; apachectl -t/configtest
// checks the configuration; `service NAME start` and `apachectl start` would leave a
// daemon running, which a build step cannot.

import (
	"fmt"
	"sort"
	"strings"

	"layerlab/engine/rootfs"
)

func init() {
	register(map[string]cmdFunc{
		"a2enmod": cmdA2en, "a2dismod": cmdA2en, "a2ensite": cmdA2en, "a2dissite": cmdA2en,
		"a2enconf": cmdA2en, "a2disconf": cmdA2en,
		"apachectl": cmdApachectl, "apache2ctl": cmdApachectl, "service": cmdService,
	})
}

// apacheMod is a module of Debian's apache2 package: the "# Depends:" and
// "# Conflicts:" lines of its .load file, and whether it has a .conf too.
type apacheMod struct {
	deps, conflicts []string
	conf            bool
}

// apacheMods are the modules Debian's apache2 package puts in mods-available. The
// stand-in php:*-apache images do not ship that directory's files, so a module of this
// table counts as available when its .load file is missing; one the image does ship
// counts by its file (and its Depends/Conflicts lines) as a2enmod reads them.
var apacheMods = map[string]apacheMod{
	"access_compat": {}, "actions": {conf: true}, "alias": {conf: true}, "allowmethods": {}, "asis": {},
	"auth_basic": {}, "auth_digest": {}, "auth_form": {deps: []string{"request", "session"}},
	"authn_anon": {}, "authn_core": {}, "authn_dbd": {deps: []string{"dbd"}}, "authn_dbm": {}, "authn_file": {},
	"authn_socache": {}, "authnz_fcgi": {}, "authnz_ldap": {deps: []string{"ldap"}}, "authz_core": {},
	"authz_dbd": {deps: []string{"dbd"}}, "authz_dbm": {}, "authz_groupfile": {}, "authz_host": {}, "authz_owner": {},
	"authz_user": {}, "autoindex": {conf: true}, "brotli": {}, "buffer": {}, "cache": {}, "cache_disk": {deps: []string{"cache"}, conf: true},
	"cache_socache": {deps: []string{"cache"}}, "cern_meta": {}, "cgi": {}, "cgid": {conf: true}, "charset_lite": {},
	"data": {}, "dav": {}, "dav_fs": {deps: []string{"dav"}, conf: true}, "dav_lock": {}, "dbd": {}, "deflate": {deps: []string{"filter"}, conf: true},
	"dialup": {}, "dir": {conf: true}, "dump_io": {}, "echo": {}, "env": {}, "expires": {}, "ext_filter": {},
	"file_cache": {}, "filter": {}, "headers": {}, "heartbeat": {}, "heartmonitor": {}, "http2": {conf: true},
	"ident": {}, "imagemap": {}, "include": {deps: []string{"mime"}}, "info": {conf: true}, "lbmethod_bybusyness": {deps: []string{"proxy_balancer"}},
	"lbmethod_byrequests": {deps: []string{"proxy_balancer"}}, "lbmethod_bytraffic": {deps: []string{"proxy_balancer"}},
	"lbmethod_heartbeat": {deps: []string{"proxy_balancer"}}, "ldap": {conf: true}, "log_debug": {}, "log_forensic": {},
	"lua": {}, "macro": {}, "md": {}, "mime": {conf: true}, "mime_magic": {conf: true},
	"mpm_event":   {conflicts: []string{"mpm_worker", "mpm_prefork"}, conf: true},
	"mpm_prefork": {conflicts: []string{"mpm_event", "mpm_worker"}, conf: true},
	"mpm_worker":  {conflicts: []string{"mpm_event", "mpm_prefork"}, conf: true},
	"negotiation": {conf: true}, "php": {deps: []string{"mpm_prefork"}}, "proxy": {conf: true}, "proxy_ajp": {deps: []string{"proxy"}},
	"proxy_balancer": {deps: []string{"proxy", "alias", "slotmem_shm"}, conf: true}, "proxy_connect": {deps: []string{"proxy"}},
	"proxy_express": {deps: []string{"proxy"}}, "proxy_fcgi": {deps: []string{"proxy"}}, "proxy_fdpass": {deps: []string{"proxy"}},
	"proxy_ftp": {deps: []string{"proxy"}, conf: true}, "proxy_hcheck": {deps: []string{"proxy", "watchdog"}},
	"proxy_html": {deps: []string{"xml2enc"}, conf: true}, "proxy_http": {deps: []string{"proxy"}}, "proxy_http2": {deps: []string{"proxy"}},
	"proxy_scgi": {deps: []string{"proxy"}}, "proxy_uwsgi": {deps: []string{"proxy"}}, "proxy_wstunnel": {deps: []string{"proxy"}},
	"ratelimit": {}, "reflector": {}, "remoteip": {}, "reqtimeout": {conf: true}, "request": {}, "rewrite": {},
	"sed": {}, "session": {}, "session_cookie": {deps: []string{"session"}}, "session_crypto": {deps: []string{"session"}},
	"session_dbd": {deps: []string{"session", "dbd"}}, "setenvif": {conf: true}, "slotmem_plain": {}, "slotmem_shm": {},
	"socache_dbm": {}, "socache_memcache": {}, "socache_redis": {}, "socache_shmcb": {}, "speling": {},
	"ssl": {deps: []string{"setenvif", "mime", "socache_shmcb"}, conf: true}, "status": {conf: true}, "substitute": {},
	"suexec": {}, "unique_id": {}, "userdir": {conf: true}, "usertrack": {}, "vhost_alias": {}, "watchdog": {}, "xml2enc": {},
}

// a2kind is one of the three kinds a2en*/a2dis* manage.
type a2kind struct {
	word, Word string // "module", "Module"
	dir        string // "mods", "sites", "conf"
	state      string // /var/lib/apache2/<state>/enabled_by_admin
	action     string // what the daemon needs for the change: restart or reload
}

var (
	a2Mod  = a2kind{word: "module", Word: "Module", dir: "mods", state: "module", action: "restart"}
	a2Site = a2kind{word: "site", Word: "Site", dir: "sites", state: "site", action: "reload"}
	a2Conf = a2kind{word: "conf", Word: "Conf", dir: "conf", state: "conf", action: "reload"}
)

const apacheConfDir = "/etc/apache2"

// cmdA2en is a2enmod, a2dismod, a2ensite, a2dissite, a2enconf and a2disconf.
func cmdA2en(p *proc) int {
	enable := strings.HasPrefix(p.name, "a2en")
	k := a2Mod
	switch strings.TrimPrefix(strings.TrimPrefix(p.name, "a2en"), "a2dis") {
	case "site":
		k = a2Site
	case "conf":
		k = a2Conf
	}
	quiet := false
	var names []string
	for _, a := range p.args {
		switch a {
		case "-q", "--quiet":
			quiet = true
		case "-f", "--force", "-m", "--maintmode", "-p", "--purge":
		default:
			if strings.HasPrefix(a, "-") {
				fmt.Fprintf(p.errw, "Unknown option: %s\n", strings.TrimLeft(a, "-"))
				return 1
			}
			names = append(names, a)
		}
	}
	if len(names) == 0 {
		// The real scripts ask interactively; a build step has no terminal to answer.
		fmt.Fprintf(p.errw, "Your choices are: %s\nWhich %s(s) do you want to %s (wildcards ok)?\n", strings.Join(p.a2Available(k), " "), k.word, map[bool]string{true: "enable", false: "disable"}[enable])
		return 1
	}
	say := func(format string, a ...any) {
		if !quiet {
			p.outf(format, a...)
		}
	}
	code, changed := 0, false
	for _, n := range names {
		n = strings.TrimSuffix(strings.TrimSuffix(n, ".load"), ".conf")
		var c int
		var ch bool
		if enable {
			c, ch = p.a2Enable(k, n, say, map[string]bool{})
		} else {
			c, ch = p.a2Disable(k, n, say)
		}
		code = max(code, c)
		changed = changed || ch
	}
	if changed {
		say("To activate the new configuration, you need to run:\n  service apache2 %s\n", k.action)
	}
	return code
}

// a2Files are the available files of a module (.load, then .conf) or of a site or
// conf (NAME.conf); ok is false when it does not exist.
func (p *proc) a2Files(k a2kind, name string) ([]string, bool) {
	avail := apacheConfDir + "/" + k.dir + "-available/" + name
	if k != a2Mod {
		return []string{name + ".conf"}, p.s.exists(avail + ".conf")
	}
	if p.s.exists(avail + ".load") {
		files := []string{name + ".load"}
		if p.s.exists(avail + ".conf") {
			files = append(files, name+".conf")
		}
		return files, true
	}
	m, ok := apacheMods[name]
	if !ok || !p.s.exists("/usr/sbin/apache2") {
		return nil, false
	}
	files := []string{name + ".load"}
	if m.conf {
		files = append(files, name+".conf")
	}
	return files, true
}

// a2Relations are a module's Depends and Conflicts: its .load file's comment lines,
// else the table's.
func (p *proc) a2Relations(name string) (deps, conflicts []string) {
	b, err := p.s.readRaw(apacheConfDir + "/mods-available/" + name + ".load")
	if err != nil {
		m := apacheMods[name]
		return m.deps, m.conflicts
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "# Depends:"); ok {
			deps = append(deps, strings.Fields(v)...)
		}
		if v, ok := strings.CutPrefix(l, "# Conflicts:"); ok {
			conflicts = append(conflicts, strings.Fields(v)...)
		}
	}
	return deps, conflicts
}

func (p *proc) a2Enabled(k a2kind, file string) bool {
	_, err := p.s.lstat(apacheConfDir + "/" + k.dir + "-enabled/" + file)
	return err == nil
}

// a2Enable links name's files into the -enabled directory, its dependencies first;
// changed reports whether anything was linked.
func (p *proc) a2Enable(k a2kind, name string, say func(string, ...any), visiting map[string]bool) (int, bool) {
	files, ok := p.a2Files(k, name)
	if !ok {
		fmt.Fprintf(p.errw, "ERROR: %s %s does not exist!\n", k.Word, name)
		return 1, false
	}
	changed := false
	if k == a2Mod {
		visiting[name] = true
		deps, conflicts := p.a2Relations(name)
		for _, c := range conflicts {
			say("Considering conflict %s for %s:\n", c, name)
			if p.a2Enabled(k, c+".load") {
				fmt.Fprintf(p.errw, "ERROR: Module %s is enabled - cannot proceed due to conflicts. It needs to be disabled first!\n", c)
				return 1, false
			}
		}
		for _, d := range deps {
			say("Considering dependency %s for %s:\n", d, name)
			if visiting[d] {
				continue
			}
			code, ch := p.a2Enable(k, d, say, visiting)
			if code != 0 {
				fmt.Fprintf(p.errw, "ERROR: Could not enable dependency %s for %s, aborting\n", d, name)
				return code, changed
			}
			changed = changed || ch
		}
	}
	if p.a2Enabled(k, files[0]) {
		say("%s %s already enabled\n", k.Word, name)
		return 0, changed
	}
	say("Enabling %s %s.\n", k.word, name)
	if !p.writable(apacheConfDir + "/" + k.dir + "-enabled") {
		fmt.Fprintf(p.errw, "ERROR: Could not create %s/%s-enabled/%s: Permission denied\n", apacheConfDir, k.dir, files[0])
		return 1, false
	}
	err := p.s.withFS(func(f *rootfs.FS) error {
		dir := apacheConfDir + "/" + k.dir + "-enabled"
		if err := f.MkdirAll(dir, 0o755, 0, 0, p.s.now()); err != nil {
			return err
		}
		for _, file := range files {
			key, err := f.ResolveParent(dir + "/" + file)
			if err != nil {
				return err
			}
			if err := f.Put(key, &rootfs.Entry{Kind: rootfs.KindSymlink, Mode: 0o777, ModTime: p.s.now(), Linkname: "../" + k.dir + "-available/" + file}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		fmt.Fprintf(p.errw, "ERROR: Could not create %s/%s-enabled/%s: %s\n", apacheConfDir, k.dir, files[0], errno(err))
		return 1, false
	}
	// a2enmod records who enabled what, so the package's scripts leave it alone.
	state := "/var/lib/apache2/" + k.state
	p.removeAll(state + "/disabled_by_admin/" + name)
	p.putText(state+"/enabled_by_admin/"+name, "")
	if name == "ssl" && k == a2Mod {
		say("See /usr/share/doc/apache2/README.Debian.gz on how to configure SSL and create self-signed certificates.\n")
	}
	return 0, true
}

// a2Disable removes name's links from the -enabled directory.
func (p *proc) a2Disable(k a2kind, name string, say func(string, ...any)) (int, bool) {
	files, ok := p.a2Files(k, name)
	if !ok {
		fmt.Fprintf(p.errw, "ERROR: %s %s does not exist!\n", k.Word, name)
		return 1, false
	}
	if !p.a2Enabled(k, files[0]) {
		say("%s %s already disabled\n", k.Word, name)
		return 0, false
	}
	if !p.writable(apacheConfDir + "/" + k.dir + "-enabled") {
		fmt.Fprintf(p.errw, "ERROR: Could not remove %s/%s-enabled/%s: Permission denied\n", apacheConfDir, k.dir, files[0])
		return 1, false
	}
	for _, file := range files {
		p.removeAll(apacheConfDir + "/" + k.dir + "-enabled/" + file)
	}
	state := "/var/lib/apache2/" + k.state
	p.removeAll(state + "/enabled_by_admin/" + name)
	p.removeAll(state + "/enabled_by_maint/" + name)
	p.putText(state+"/disabled_by_admin/"+name, "")
	say("%s %s disabled.\n", k.Word, name)
	return 0, true
}

// a2Available lists what can be enabled, for the prompt without arguments.
func (p *proc) a2Available(k a2kind) []string {
	seen := map[string]bool{}
	p.s.withFS(func(f *rootfs.FS) error {
		names, _ := f.ReadDir(apacheConfDir + "/" + k.dir + "-available")
		for _, n := range names {
			seen[strings.TrimSuffix(strings.TrimSuffix(n, ".load"), ".conf")] = true
		}
		return nil
	})
	if k == a2Mod && p.s.exists("/usr/sbin/apache2") {
		for n := range apacheMods {
			seen[n] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// apacheServer is the server binary's name and main config of the image: Debian's
// apache2 or the httpd image's.
func (p *proc) apacheServer() (name, conf string, ok bool) {
	switch {
	case p.s.exists("/usr/sbin/apache2"):
		return "apache2", apacheConfDir + "/apache2.conf", true
	case p.s.exists("/usr/local/apache2/bin/httpd"):
		return "httpd", "/usr/local/apache2/conf/httpd.conf", true
	case p.s.exists("/usr/sbin/httpd"):
		return "httpd", "/etc/httpd/conf/httpd.conf", true
	}
	return "", "", false
}

// cmdApachectl is apachectl/apache2ctl: -t and configtest check the configuration;
// -v and -V print the version; start, restart and graceful would start the daemon.
func cmdApachectl(p *proc) int {
	server, conf, ok := p.apacheServer()
	if !ok {
		fmt.Fprintf(p.errw, "%s: no apache2 or httpd binary in this image\n", p.name)
		return 1
	}
	action := ""
	if len(p.args) > 0 {
		action = p.args[0]
	}
	switch action {
	case "-t", "configtest", "-M":
		if !p.s.exists(conf) {
			fmt.Fprintf(p.errw, "%s: Could not open configuration file %s: No such file or directory\n", server, conf)
			return 1
		}
		if !p.apacheHasServerName(conf) {
			// Every build prints this: the build container has no resolvable name.
			fmt.Fprintf(p.errw, "AH00558: %s: Could not reliably determine the server's fully qualified domain name, using 172.17.0.2. Set the 'ServerName' directive globally to suppress this message\n", server)
		}
		if action == "-M" {
			p.outf("Loaded Modules:\n core_module (static)\n so_module (static)\n")
			for _, m := range p.apacheEnabledMods() {
				p.outf(" %s_module (shared)\n", m)
			}
			return 0
		}
		fmt.Fprintf(p.errw, "Syntax OK\n")
		return 0
	case "-v", "-V", "-version":
		dist := "Debian"
		if server == "httpd" {
			dist = "Unix"
		}
		p.outf("Server version: Apache/2.4.62 (%s)\nServer built:   2024-10-04T15:21:08\n", dist)
		return 0
	case "start", "restart", "graceful", "-k":
		p.errf("the playground sandbox does not start daemons in a build step: %s belongs in CMD or ENTRYPOINT", server)
		return 1
	case "stop", "graceful-stop":
		fmt.Fprintf(p.errw, "httpd (no pid file) not running\n")
		return 0
	case "status", "fullstatus":
		fmt.Fprintf(p.errw, "Apache Server Status for localhost (port 80): not running\n")
		return 1
	}
	fmt.Fprintf(p.errw, "Usage: %s start|stop|restart|graceful|graceful-stop|configtest|status|fullstatus|help\n", p.name)
	return 1
}

func (p *proc) apacheHasServerName(conf string) bool {
	files := []string{conf}
	p.s.withFS(func(f *rootfs.FS) error {
		names, _ := f.ReadDir(apacheConfDir + "/conf-enabled")
		for _, n := range names {
			files = append(files, apacheConfDir+"/conf-enabled/"+n)
		}
		return nil
	})
	for _, file := range files {
		b, _ := p.s.readRaw(file)
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) > 1 && strings.EqualFold(f[0], "ServerName") {
				return true
			}
		}
	}
	return false
}

func (p *proc) apacheEnabledMods() []string {
	var out []string
	p.s.withFS(func(f *rootfs.FS) error {
		names, _ := f.ReadDir(apacheConfDir + "/mods-enabled")
		for _, n := range names {
			if m, ok := strings.CutSuffix(n, ".load"); ok {
				out = append(out, m)
			}
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// cmdService is Debian's service(8): starting, restarting or reloading a daemon would
// leave it running in a build step, whose processes end with the step.
func cmdService(p *proc) int {
	if len(p.args) == 0 {
		fmt.Fprintf(p.errw, "Usage: service < option > | --status-all | [ service_name [ command | --full-restart ] ]\n")
		return 1
	}
	if p.args[0] == "--status-all" {
		return 0
	}
	name := p.args[0]
	if !p.s.exists("/etc/init.d/"+name) && !(name == "apache2" && p.s.exists("/usr/sbin/apache2")) {
		fmt.Fprintf(p.errw, "%s: unrecognized service\n", name)
		return 1
	}
	action := ""
	if len(p.args) > 1 {
		action = p.args[1]
	}
	switch action {
	case "stop":
		return 0
	case "status":
		p.outf("%s is not running ... failed!\n", name)
		return 3
	}
	p.errf("the playground sandbox does not start daemons in a build step: %s %s belongs in CMD or ENTRYPOINT", name, action)
	return 1
}
