package sandbox

import (
	"testing"

	"layerlab/engine/rootfs"
)

var phpEnv = []string{"PHP_VERSION=8.2.27", "PHP_INI_DIR=/usr/local/etc/php"}

// phpFS is a php:8.2-cli-like image: php, pecl, the docker-php-ext-* scripts.
func phpFS(t testing.TB) *rootfs.FS {
	f := debianFS(t)
	put(t, f, "/usr/local/bin/php", elf, 0o755)
	put(t, f, "/usr/local/bin/pecl", elf, 0o755)
	put(t, f, "/usr/bin/curl", elf, 0o755)
	for _, n := range []string{"docker-php-ext-install", "docker-php-ext-enable", "docker-php-ext-configure"} {
		put(t, f, "/usr/local/bin/"+n, "#!/bin/sh\nset -e\n", 0o755)
	}
	put(t, f, "/usr/local/lib/php/extensions/no-debug-non-zts-20220829/opcache.so", elf, 0o755)
	put(t, f, "/usr/local/etc/php/conf.d/docker-php-ext-sodium.ini", "extension=sodium\n", 0o644)
	return f
}

const slimComposer = `{"name":"acme/blog","require":{"php":"^8.2","slim/slim":"^4.12"},"autoload":{"psr-4":{"App\\":"src/"}}}`

const slimLock = `{"packages":[{"name":"slim/slim","version":"4.12.0","bin":[]},{"name":"psr/log","version":"3.0.0"}],"packages-dev":[]}`

func TestPhpComposer(t *testing.T) {
	runToolCases(t, []toolCase{
		{name: "docker-php-ext-install writes the .so and the ini; php -m lists it", fs: phpFS, env: phpEnv,
			script:   "docker-php-ext-install -j4 pdo_mysql opcache && php -m",
			wantOut:  []string{"Installing shared extensions:     /usr/local/lib/php/extensions/no-debug-non-zts-20220829/", "pdo_mysql\n", "Zend OPcache"},
			contains: map[string]string{"/usr/local/etc/php/conf.d/docker-php-ext-pdo_mysql.ini": "extension=pdo_mysql\n", "/usr/local/etc/php/conf.d/docker-php-ext-opcache.ini": "zend_extension=opcache\n"},
			exist:    []string{"/usr/local/lib/php/extensions/no-debug-non-zts-20220829/pdo_mysql.so"}},
		{name: "docker-php-ext-install fails for an unknown extension as the script does", fs: phpFS, env: phpEnv,
			script: "docker-php-ext-install redis", wantCode: 1,
			wantOut: []string{"error: /usr/src/php/ext/redis does not exist", "Possible values for ext-name:"}},
		{name: "gd needs libpng-dev, and its configured freetype needs freetype", fs: phpFS, env: phpEnv,
			script:   "docker-php-ext-install gd; echo code=$?; echo 'Package: libpng-dev\nStatus: install ok installed\n' >> /var/lib/dpkg/status; docker-php-ext-configure gd --with-freetype --with-jpeg && docker-php-ext-install gd",
			wantCode: 1,
			wantOut:  []string{"No package 'libpng' found", "code=1", "No package 'freetype2' found"}},
		{name: "pecl install redis then docker-php-ext-enable", fs: phpFS, env: phpEnv,
			script:   "pecl install redis-6.0.2 && docker-php-ext-enable redis && pecl install nosuchext",
			wantCode: 1,
			wantOut:  []string{"install ok: channel://pecl.php.net/redis-6.0.2", "No releases available for package \"pecl.php.net/nosuchext\""},
			contains: map[string]string{"/usr/local/etc/php/conf.d/docker-php-ext-redis.ini": "extension=redis"}},
		{name: "the getcomposer installer piped to php installs composer", fs: phpFS, env: phpEnv,
			script:  "curl -sS https://getcomposer.org/installer | php -- --install-dir=/usr/local/bin --filename=composer && composer --version",
			wantOut: []string{"Composer (version 2.8.5) successfully installed to: /usr/local/bin/composer", "Composer version 2.8.5"}},
		{name: "composer's own install instructions through php -r", fs: phpFS, env: phpEnv, dir: "/app",
			script:   "php -r \"copy('https://getcomposer.org/installer', 'composer-setup.php');\" && php -r \"if (hash_file('sha384', 'composer-setup.php') === 'abc') { echo 'Installer verified'; } else { echo 'Installer corrupt'; unlink('composer-setup.php'); } echo PHP_EOL;\" && php composer-setup.php && php -r \"unlink('composer-setup.php');\" && php composer.phar --version && php -r 'echo strlen(1);'",
			wantCode: 127,
			wantOut:  []string{"Installer verified", "Composer version 2.8.5", "command not simulated"},
			absent:   []string{"/app/composer-setup.php"}, exist: []string{"/app/composer.phar"}},
		{name: "composer install from the lock, no dev, optimized autoloader", fs: phpFS, env: append(phpEnv, "COMPOSER_ALLOW_SUPERUSER=1"), dir: "/app",
			files:   map[string]string{"/app/composer.json": slimComposer, "/app/composer.lock": slimLock, "/app/src/Post.php": "<?php class Post {}\n"},
			script:  "curl -sS https://getcomposer.org/installer | php -- --install-dir=/usr/bin --filename=composer && composer install --no-dev --optimize-autoloader --no-interaction --prefer-dist",
			wantOut: []string{"Installing dependencies from lock file\n", "  - Installing slim/slim (v4.12.0): Extracting archive", "Generated optimized autoload files containing 1 classes"},
			noOut:   []string{"Do not run Composer as root"},
			exist:   []string{"/app/vendor/autoload.php", "/app/vendor/composer/autoload_static.php", "/app/vendor/psr/log/composer.json"}},
		{name: "composer fails when composer.json requires what the lock lacks, and on a missing extension", fs: phpFS, env: phpEnv, dir: "/app",
			files: map[string]string{"/app/composer.json": `{"require":{"slim/slim":"^4.12","monolog/monolog":"^3"}}`, "/app/composer.lock": slimLock,
				"/app/x/composer.json": `{"require":{"ext-gd":"*"}}`},
			script:   "curl -sS https://getcomposer.org/installer | php -- --install-dir=/usr/bin --filename=composer && composer install; echo code=$?; cd x && composer install",
			wantCode: 2,
			wantOut:  []string{"Do not run Composer as root/super user!", `- Required package "monolog/monolog" is not present in the lock file.`, "code=4", "Root composer.json requires PHP extension ext-gd * but it is missing from your system."}},
		{name: "composer without a lock resolves with its warning; a typo is not found", fs: phpFS, env: phpEnv, dir: "/app",
			files:  map[string]string{"/app/composer.json": `{"require":{"monolog/monolog":"^3"}}`, "/app/y/composer.json": `{"require":{"laravel/framwork":"^11"}}`},
			script: "curl -sS https://getcomposer.org/installer | php -- --install-dir=/usr/bin --filename=composer && composer install && cd y && composer install", wantCode: 2,
			wantOut: []string{"No composer.lock file present. Updating dependencies to latest instead of installing from lock file.", "  - Locking monolog/monolog", "Writing lock file",
				"Root composer.json requires laravel/framwork, it could not be found in any version, there may be a typo in the package name."},
			exist: []string{"/app/composer.lock", "/app/vendor/monolog/monolog/composer.json"}},
		{name: "artisan config:cache writes bootstrap/cache; migrate needs a database", fs: phpFS, env: phpEnv, dir: "/app",
			files:  map[string]string{"/app/artisan": "<?php\n", "/app/vendor/autoload.php": "<?php\n", "/app/config/app.php": "<?php return [];\n"},
			script: "php artisan config:cache && php artisan migrate --force", wantCode: 1,
			wantOut: []string{"Configuration cached successfully.", "artisan migrate needs a running database"},
			exist:   []string{"/app/bootstrap/cache/config.php"}},
	})
}

// TestComposerAutoloadFollowsSources: the optimized class map changes with a source.
func TestComposerAutoloadFollowsSources(t *testing.T) {
	id := func(src string) string {
		f := phpFS(t)
		put(t, f, "/app/composer.json", slimComposer, 0o644)
		put(t, f, "/app/src/Post.php", src, 0o644)
		put(t, f, "/usr/bin/composer", elf, 0o755)
		r := run(t, f, "composer dump-autoload --optimize", func(o *Options) { o.Dir = "/app"; o.Env = append(o.Env, phpEnv...) })
		if r.code != 0 {
			t.Fatalf("dump-autoload: %d %s", r.code, r.out)
		}
		e, ok := f.Lookup("app/vendor/composer/autoload_static.php")
		if !ok {
			t.Fatal("no autoload_static.php")
		}
		return pycID(e)
	}
	a, b, c := id("<?php class Post {}\n"), id("<?php class Post {}\n"), id("<?php class Post { public $x; }\n")
	if a != b {
		t.Errorf("same sources, different autoloader: %s vs %s", a, b)
	}
	if a == c {
		t.Errorf("edited source, same optimized autoloader: %s", a)
	}
}
