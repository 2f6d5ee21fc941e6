package sandbox

import (
	"testing"

	"layerlab/engine/rootfs"
)

var rubyEnv = []string{"RUBY_VERSION=3.3.0", "GEM_HOME=/usr/local/bundle", "BUNDLE_APP_CONFIG=/usr/local/bundle", "PATH=/usr/local/bundle/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}

// rubyFS is a ruby:3.3-slim-like image: no compiler.
func rubyFS(t testing.TB) *rootfs.FS {
	f := debianFS(t)
	put(t, f, "/usr/local/bin/ruby", elf, 0o755)
	for _, n := range []string{"gem", "bundle", "bundler", "rake"} {
		put(t, f, "/usr/local/bin/"+n, "#!/usr/local/bin/ruby\n", 0o755)
	}
	put(t, f, "/usr/local/lib/ruby/gems/3.3.0/gems/bundler-2.5.22/lib/bundler.rb", "", 0o644)
	f.MkdirAll("/usr/local/bundle/bin", 0o777, 0, 0, testNow)
	return f
}

// rubyBuildFS adds build-essential and libpq-dev's pg_config.
func rubyBuildFS(t testing.TB) *rootfs.FS {
	f := rubyFS(t)
	for _, n := range []string{"gcc", "make", "pg_config"} {
		put(t, f, "/usr/bin/"+n, elf, 0o755)
	}
	return f
}

const sinatraLock = "GEM\n  remote: https://rubygems.org/\n  specs:\n    mustermann (3.0.0)\n    pg (1.5.6)\n    rack (2.2.8.1)\n    sinatra (3.2.0)\n      mustermann (~> 3.0)\n      rack (~> 2.2, >= 2.2.4)\n    rspec (3.13.0)\n\nPLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n  pg\n  rspec\n  sinatra (~> 3.2)\n\nBUNDLED WITH\n   2.5.22\n"

const sinatraGemfile = "source 'https://rubygems.org'\n\ngem 'sinatra', '~> 3.2'\ngem 'pg'\n\ngroup :development, :test do\n  gem 'rspec'\nend\n"

func TestRubyGemBundler(t *testing.T) {
	runToolCases(t, []toolCase{
		{name: "gem install with a requirement and its dependencies", fs: rubyFS, env: rubyEnv,
			script:  "gem install sinatra --version '~> 3' --no-document && gem install rack -v 2.2.8",
			wantOut: []string{"Successfully installed sinatra-3.", "Successfully installed rack-2.2.8\n", "gems installed"},
			exist:   []string{"/usr/local/bundle/gems/mustermann-3.0.3/lib/mustermann.rb", "/usr/local/bundle/specifications/rack-2.2.8.gemspec"}},
		{name: "gem refuses a typo as RubyGems does", fs: rubyFS, env: rubyEnv, script: "gem install railz", wantCode: 2,
			wantOut: []string{"ERROR:  Could not find a valid gem 'railz' (>= 0) in any repository"}},
		{name: "gem install of a C extension fails without a compiler, naming what is missing", fs: rubyFS, env: rubyEnv, script: "gem install bcrypt", wantCode: 1,
			wantOut: []string{"Building native extensions. This could take a while...", "ERROR: Failed to build gem native extension.", "layerlab: bcrypt 3.1.20 compiles a C extension and this image has no C compiler"}},
		{name: "bundle install from the lock, without groups set in BUNDLE_APP_CONFIG, pg compiled", fs: rubyBuildFS, env: rubyEnv, dir: "/app",
			files:    map[string]string{"/app/Gemfile": sinatraGemfile, "/app/Gemfile.lock": sinatraLock},
			script:   "bundle config set --local without 'development test' && bundle install --jobs 4 --retry 3",
			wantOut:  []string{"Installing sinatra 3.2.0\n", "Installing pg 1.5.6 with native extensions", "Gems in the groups 'development' and 'test' were not installed."},
			noOut:    []string{"rspec", "Resolving dependencies"},
			contains: map[string]string{"/usr/local/bundle/config": `BUNDLE_WITHOUT: "development:test"`},
			exist:    []string{"/usr/local/bundle/gems/rack-2.2.8.1/lib/rack.rb", "/usr/local/bundle/extensions/x86_64-linux/3.3.0/pg-1.5.6/pg.so"}},
		{name: "bundle install of pg without build tools fails as bundler does", fs: rubyFS, env: rubyEnv, dir: "/app",
			files: map[string]string{"/app/Gemfile": sinatraGemfile, "/app/Gemfile.lock": sinatraLock}, script: "bundle install", wantCode: 5,
			wantOut: []string{"An error occurred while installing pg (1.5.6), and Bundler cannot continue."}},
		{name: "frozen mode fails when the Gemfile changed", fs: rubyBuildFS, env: append(rubyEnv, "BUNDLE_DEPLOYMENT=true"), dir: "/app",
			files:  map[string]string{"/app/Gemfile": sinatraGemfile + "gem 'puma'\n", "/app/Gemfile.lock": sinatraLock},
			script: "bundle install", wantCode: 16,
			wantOut: []string{"The dependencies in your gemfile changed, but the lockfile can't be updated because frozen mode is set", "You have added to the Gemfile:\n* puma"}},
		{name: "frozen mode fails on a lockfile without this platform; plain install adds it", fs: rubyFS, env: rubyEnv, dir: "/app",
			files: map[string]string{"/app/Gemfile": "source 'https://rubygems.org'\ngem 'nokogiri', '~> 1.16.4'\n",
				"/app/Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    nokogiri (1.16.4-aarch64-linux)\n      racc (~> 1.4)\n    racc (1.7.3)\n\nPLATFORMS\n  aarch64-linux\n\nDEPENDENCIES\n  nokogiri (~> 1.16.4)\n\nBUNDLED WITH\n   2.5.22\n"},
			script:   "bundle config set frozen true; bundle install; echo code=$?; bundle config unset frozen; bundle install",
			wantOut:  []string{"Your bundle only supports platforms [\"aarch64-linux\"] but your local platform is x86_64-linux.", "code=16", "Installing nokogiri 1.16.4 (x86_64-linux)", "Using racc 1.7.3"},
			contains: map[string]string{"/app/Gemfile.lock": "  x86_64-linux\n"}},
		{name: "bundler refuses a typo and a Ruby the Gemfile does not allow", fs: rubyFS, env: rubyEnv, dir: "/app",
			files:  map[string]string{"/app/Gemfile": "source 'https://rubygems.org'\ngem 'railz'\n", "/app/g2/Gemfile": "ruby '3.1.2'\ngem 'rack'\n"},
			script: "bundle install; echo code=$?; cd g2 && bundle install", wantCode: 18,
			wantOut: []string{"Could not find gem 'railz' in rubygems repository https://rubygems.org/ or installed locally.", "code=7", "Your Ruby version is 3.3.0, but your Gemfile specified 3.1.2"}},
		{name: "a lockfile from an older bundler installs that bundler first", fs: rubyFS, env: rubyEnv, dir: "/app",
			files:   map[string]string{"/app/Gemfile": "source 'https://rubygems.org'\ngem 'rack'\n", "/app/Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (3.0.8)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rack\n\nBUNDLED WITH\n   2.4.19\n"},
			script:  "bundle install && bundle -v",
			wantOut: []string{"Bundler 2.5.22 is running, but your lockfile was generated with 2.4.19. Installing Bundler 2.4.19 and restarting using that version.", "Bundler version 2.5.22"},
			exist:   []string{"/usr/local/bundle/gems/bundler-2.4.19/lib/bundler.rb"}},
		{name: "rake assets:precompile writes digested assets", fs: rubyFS, env: append(rubyEnv, "RAILS_ENV=production", "SECRET_KEY_BASE_DUMMY=1"), dir: "/app",
			files:   map[string]string{"/app/Rakefile": "require_relative 'config/application'\n", "/app/config/application.rb": "module App; end\n", "/app/app/assets/stylesheets/application.css": "body{}\n"},
			script:  "rake assets:precompile && ls public/assets",
			wantOut: []string{"application-", ".css"}, exist: []string{"/app/public/assets/.manifest.json"}},
	})
}

// TestAssetsFollowSources: the compiled assets change with a stylesheet and only then.
func TestAssetsFollowSources(t *testing.T) {
	names := func(css string) string {
		f := rubyFS(t)
		put(t, f, "/app/Rakefile", "\n", 0o644)
		put(t, f, "/app/config/application.rb", "\n", 0o644)
		put(t, f, "/app/app/assets/stylesheets/application.css", css, 0o644)
		r := run(t, f, "rake assets:precompile && ls public/assets", func(o *Options) { o.Dir = "/app"; o.Env = append(o.Env, rubyEnv...) })
		if r.code != 0 {
			t.Fatalf("precompile: %d %s", r.code, r.out)
		}
		return r.out
	}
	a, b, c := names("body{}\n"), names("body{}\n"), names("body{color:red}\n")
	if a != b {
		t.Errorf("same sources, different assets:\n%s\n%s", a, b)
	}
	if a == c {
		t.Errorf("edited stylesheet, same assets:\n%s", a)
	}
}
