package sandbox

import (
	"strings"
	"testing"

	"layerlab/engine/rootfs"
)

// apacheFS is a php:*-apache-like image: Debian's apache2 with its helpers.
func apacheFS(t testing.TB) *rootfs.FS {
	f := debianFS(t)
	for _, b := range []string{"a2enmod", "a2dismod", "a2ensite", "a2dissite", "a2enconf", "a2disconf", "apache2ctl", "apache2"} {
		put(t, f, "/usr/sbin/"+b, elf, 0o755)
	}
	symlink(t, f, "/usr/sbin/apachectl", "apache2ctl")
	put(t, f, "/etc/apache2/apache2.conf", "DefaultRuntimeDir ${APACHE_RUN_DIR}\nIncludeOptional conf-enabled/*.conf\n", 0o644)
	put(t, f, "/etc/apache2/sites-available/000-default.conf", "<VirtualHost *:80>\n</VirtualHost>\n", 0o644)
	put(t, f, "/etc/apache2/sites-available/app.conf", "<VirtualHost *:80>\n\tDocumentRoot /var/www/app\n</VirtualHost>\n", 0o644)
	put(t, f, "/etc/apache2/conf-available/servername.conf", "ServerName localhost\n", 0o644)
	put(t, f, "/etc/apache2/mods-available/custom.load", "# Depends: headers\nLoadModule custom_module /usr/lib/apache2/modules/mod_custom.so\n", 0o644)
	symlink(t, f, "/etc/apache2/sites-enabled/000-default.conf", "../sites-available/000-default.conf")
	symlink(t, f, "/etc/apache2/mods-enabled/mpm_event.load", "../mods-available/mpm_event.load")
	symlink(t, f, "/etc/apache2/mods-enabled/mpm_event.conf", "../mods-available/mpm_event.conf")
	return f
}

func TestApacheHelpers(t *testing.T) {
	tests := []struct {
		name     string
		script   string
		fs       func(testing.TB) *rootfs.FS
		user     string
		wantCode int
		want     string // the whole log, when set
		wantHas  []string
		links    map[string]string // path -> link target that must exist afterwards
		gone     []string          // paths that must not exist afterwards
	}{
		{name: "a2enmod several", script: "a2enmod rewrite expires headers",
			want:  "Enabling module rewrite.\nEnabling module expires.\nEnabling module headers.\nTo activate the new configuration, you need to run:\n  service apache2 restart\n",
			links: map[string]string{"/etc/apache2/mods-enabled/rewrite.load": "../mods-available/rewrite.load", "/etc/apache2/mods-enabled/headers.load": "../mods-available/headers.load"}},
		{name: "already enabled", script: "a2enmod rewrite >/dev/null && a2enmod rewrite", want: "Module rewrite already enabled\n"},
		{name: "with a conf and dependencies", script: "a2enmod ssl",
			wantHas: []string{"Considering dependency setenvif for ssl:\nEnabling module setenvif.\n", "Considering dependency socache_shmcb for ssl:\nEnabling module socache_shmcb.\nEnabling module ssl.\n", "README.Debian.gz", "  service apache2 restart\n"},
			links:   map[string]string{"/etc/apache2/mods-enabled/ssl.conf": "../mods-available/ssl.conf", "/etc/apache2/mods-enabled/mime.load": "../mods-available/mime.load"}},
		{name: "a module the image ships, its Depends line read", script: "a2enmod custom.load",
			want: "Considering dependency headers for custom:\nEnabling module headers.\nEnabling module custom.\nTo activate the new configuration, you need to run:\n  service apache2 restart\n"},
		{name: "unknown module", script: "a2enmod rewrit", wantCode: 1, want: "ERROR: Module rewrit does not exist!\n"},
		{name: "mpm conflict", script: "a2enmod mpm_prefork", wantCode: 1,
			wantHas: []string{"Considering conflict mpm_event for mpm_prefork:\n", "ERROR: Module mpm_event is enabled - cannot proceed due to conflicts. It needs to be disabled first!\n"}},
		{name: "the php image's switch of mpm", script: "a2dismod mpm_event && a2enmod mpm_prefork",
			want:  "Module mpm_event disabled.\nTo activate the new configuration, you need to run:\n  service apache2 restart\nConsidering conflict mpm_event for mpm_prefork:\nConsidering conflict mpm_worker for mpm_prefork:\nEnabling module mpm_prefork.\nTo activate the new configuration, you need to run:\n  service apache2 restart\n",
			gone:  []string{"/etc/apache2/mods-enabled/mpm_event.load", "/etc/apache2/mods-enabled/mpm_event.conf"},
			links: map[string]string{"/etc/apache2/mods-enabled/mpm_prefork.conf": "../mods-available/mpm_prefork.conf"}},
		{name: "dismod of a disabled module", script: "a2dismod rewrite", want: "Module rewrite already disabled\n"},
		{name: "quiet", script: "a2enmod -q rewrite", want: ""},
		{name: "sites", script: "a2dissite 000-default && a2ensite app.conf",
			want:  "Site 000-default disabled.\nTo activate the new configuration, you need to run:\n  service apache2 reload\nEnabling site app.\nTo activate the new configuration, you need to run:\n  service apache2 reload\n",
			links: map[string]string{"/etc/apache2/sites-enabled/app.conf": "../sites-available/app.conf"}, gone: []string{"/etc/apache2/sites-enabled/000-default.conf"}},
		{name: "unknown site", script: "a2ensite nope", wantCode: 1, want: "ERROR: Site nope does not exist!\n"},
		{name: "conf", script: "a2enconf servername", want: "Enabling conf servername.\nTo activate the new configuration, you need to run:\n  service apache2 reload\n",
			links: map[string]string{"/etc/apache2/conf-enabled/servername.conf": "../conf-available/servername.conf"}},
		{name: "configtest without ServerName", script: "apachectl configtest",
			want: "AH00558: apache2: Could not reliably determine the server's fully qualified domain name, using 172.17.0.2. Set the 'ServerName' directive globally to suppress this message\nSyntax OK\n"},
		{name: "configtest with ServerName", script: "a2enconf -q servername && apache2ctl -t", want: "Syntax OK\n"},
		{name: "restart refused as a daemon", script: "a2enmod -q rewrite && apachectl restart", wantCode: 1,
			wantHas: []string{"does not start daemons in a build step: apache2 belongs in CMD or ENTRYPOINT"}},
		{name: "service apache2 restart refused", fs: func(tb testing.TB) *rootfs.FS {
			f := apacheFS(tb)
			put(tb, f, "/usr/sbin/service", elf, 0o755)
			return f
		}, script: "service apache2 restart", wantCode: 1, wantHas: []string{"service: the playground sandbox does not start daemons in a build step: apache2 restart belongs in CMD or ENTRYPOINT"}},
		{name: "non-root", user: "nobody", script: "a2enmod rewrite", wantCode: 1, want: "Enabling module rewrite.\nERROR: Could not create /etc/apache2/mods-enabled/rewrite.load: Permission denied\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mk := apacheFS
			if tc.fs != nil {
				mk = tc.fs
			}
			f := mk(t)
			r := run(t, f, tc.script, func(o *Options) { o.User = tc.user })
			if r.err != nil {
				t.Fatalf("err = %v\n%s", r.err, r.out)
			}
			if r.code != tc.wantCode {
				t.Errorf("code = %d, want %d\n%s", r.code, tc.wantCode, r.out)
			}
			if tc.want != "" || tc.wantHas == nil {
				if r.out != tc.want {
					t.Errorf("log = %q\nwant  %q", r.out, tc.want)
				}
			}
			for _, w := range tc.wantHas {
				if !strings.Contains(r.out, w) {
					t.Errorf("log lacks %q:\n%s", w, r.out)
				}
			}
			for p, target := range tc.links {
				e, _, err := f.Lstat(p)
				if err != nil || e.Kind != rootfs.KindSymlink || e.Linkname != target {
					t.Errorf("%s: %+v %v, want a link to %s", p, e, err, target)
				}
			}
			for _, p := range tc.gone {
				if _, _, err := f.Lstat(p); err == nil {
					t.Errorf("%s still exists", p)
				}
			}
		})
	}
}
