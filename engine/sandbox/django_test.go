package sandbox

import (
	"cmp"
	"crypto/md5"
	"encoding/hex"
	"strings"
	"testing"

	"layerlab/engine/rootfs"
)

const djangoManagePy = `#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site1.settings")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
`

// djangoProject is a python image with Django 3.2 installed and a project at /app
// whose settings file is settings.
func djangoProject(t *testing.T, settings string, install bool) *rootfs.FS {
	t.Helper()
	f := pythonFS(t)
	if install {
		if r := run(t, f, "pip install --no-cache-dir Django==3.2.25"); r.code != 0 {
			t.Fatalf("pip install django: %d %s", r.code, r.out)
		}
	}
	put(t, f, "/app/manage.py", djangoManagePy, 0o755)
	put(t, f, "/app/site1/__init__.py", "", 0o644)
	put(t, f, "/app/site1/settings.py", settings, 0o644)
	put(t, f, "/app/blog/__init__.py", "", 0o644)
	put(t, f, "/app/blog/static/blog/site.css", "body{}\n", 0o644)
	put(t, f, "/app/blog/static/blog/.hidden", "x\n", 0o644)
	put(t, f, "/app/assets/logo.svg", "<svg/>\n", 0o644)
	return f
}

const djangoApps = `INSTALLED_APPS = [
    "django.contrib.admin",  # the admin ships 128 static files
    "django.contrib.auth",
    "django.contrib.staticfiles",
    "blog.apps.BlogConfig",
]
`

func TestCollectStatic(t *testing.T) {
	admin := len(djangoAdminStatic())
	if admin != 128 {
		t.Fatalf("admin static tree has %d files, Django 3.2 ships 128", admin)
	}
	tests := []struct {
		name     string
		settings string
		env      string
		install  bool
		script   string
		code     int
		want     []string // in the output
		files    []string // written
		absent   []string
	}{
		{name: "pathlib BASE_DIR and STATICFILES_DIRS", install: true,
			settings: "from pathlib import Path\nBASE_DIR = Path(__file__).resolve().parent.parent\n" + djangoApps +
				"STATIC_URL = '/static/'\nSTATIC_ROOT = BASE_DIR / 'staticfiles'\nSTATICFILES_DIRS = [BASE_DIR / \"assets\"]\n",
			script: "cd /app && python manage.py collectstatic --noinput",
			want:   []string{"\n130 static files copied to '/app/staticfiles'.\n"},
			files:  []string{"/app/staticfiles/blog/site.css", "/app/staticfiles/logo.svg", "/app/staticfiles/admin/js/vendor/jquery/jquery.js", "/app/staticfiles/admin/js/vendor/select2/i18n/pt-BR.js"},
			absent: []string{"/app/staticfiles/blog/.hidden"}},
		{name: "os.path BASE_DIR, join and env default", install: true,
			settings: "import os\nBASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))\n" + djangoApps +
				"STATIC_ROOT = os.environ.get('STATIC_ROOT', os.path.join(BASE_DIR, 'static_out'))\nSTATICFILES_DIRS = (\n    ('brand', os.path.join(BASE_DIR, 'assets')),\n)\n",
			script: "cd /app && python manage.py collectstatic --no-input -v 0 && ls static_out/brand",
			want:   []string{"logo.svg\n"},
			files:  []string{"/app/static_out/brand/logo.svg"}},
		{name: "environment overrides the default", install: true, env: "STATIC_ROOT=/srv/static",
			settings: "import os\n" + djangoApps + "STATIC_ROOT = os.getenv('STATIC_ROOT', '/nowhere')\n",
			script:   "cd /app && python manage.py collectstatic --noinput",
			want:     []string{"129 static files copied to '/srv/static'."},
			files:    []string{"/srv/static/blog/site.css"}},
		{name: "star import of base settings", install: true,
			settings: "from .base import *\nSTATIC_ROOT = '/static'\n",
			script:   "cd /app && mkdir -p site1 && printf '" + strings.ReplaceAll(djangoApps, "\n", "\\n") + "' > site1/base.py && python manage.py collectstatic --noinput",
			want:     []string{"129 static files copied to '/static'."}},
		{name: "rerun counts unmodified", install: true,
			settings: djangoApps + "STATIC_ROOT = '/app/s'\n",
			script:   "cd /app && python manage.py collectstatic --noinput && python manage.py collectstatic --noinput",
			want:     []string{"\n129 static files copied to '/app/s'.\n", "\n0 static files copied to '/app/s', 129 unmodified.\n"}},
		{name: "prompt without noinput over a filled root ends at EOF", install: true,
			settings: djangoApps + "STATIC_ROOT = '/app/s'\n",
			script:   "cd /app && python manage.py collectstatic --noinput -v0 && python manage.py collectstatic",
			code:     1,
			want:     []string{"This will overwrite existing files!\nAre you sure you want to do this?\n\nType 'yes' to continue, or 'no' to cancel: ", "EOFError: EOF when reading a line"}},
		{name: "no prompt when the root is empty", install: true,
			settings: djangoApps + "STATIC_ROOT = '/app/s'\n",
			script:   "cd /app && python manage.py collectstatic",
			want:     []string{"129 static files copied to '/app/s'."}},
		{name: "manage.py run by its shebang", install: true,
			settings: djangoApps + "STATIC_ROOT = '/app/s'\n",
			script:   "cd /app && ./manage.py collectstatic --noinput",
			want:     []string{"129 static files copied to '/app/s'."}},
		{name: "missing STATIC_ROOT", install: true,
			settings: djangoApps,
			script:   "cd /app && python manage.py collectstatic --noinput",
			code:     1,
			want:     []string{"django.core.exceptions.ImproperlyConfigured: You're using the staticfiles app without having set the STATIC_ROOT setting to a filesystem path."}},
		{name: "non-literal setting refused", install: true,
			settings: "import environ\nenv = environ.Env()\n" + djangoApps + "STATIC_ROOT = env('STATIC_ROOT')\n",
			script:   "cd /app && python manage.py collectstatic --noinput",
			code:     1,
			want:     []string{"the sandbox reads Django settings literally", "cannot read STATIC_ROOT", "settings.py line"}},
		{name: "no django", install: false,
			settings: djangoApps + "STATIC_ROOT = '/s'\n",
			script:   "cd /app && python manage.py collectstatic --noinput",
			code:     1,
			want:     []string{"Traceback (most recent call last):\n  File \"/app/manage.py\", line 13, in <module>\n    main()\n  File \"/app/manage.py\", line 8, in main\n    from django.core.management import execute_from_command_line\nModuleNotFoundError: No module named 'django'\n"}},
		{name: "migrate refused", install: true,
			settings: djangoApps + "STATIC_ROOT = '/s'\n",
			script:   "cd /app && python manage.py migrate",
			code:     1,
			want:     []string{"layerlab: manage.py migrate: not simulated", "database"}},
		{name: "python -c version check", install: true,
			settings: djangoApps,
			script:   "python -c 'import django; print(django.get_version())'",
			want:     []string{"3.2.25\n"}},
		{name: "python -c nltk download refused", install: true,
			settings: djangoApps,
			script:   "python -c \"import nltk; nltk.download('punkt')\"",
			code:     127,
			want:     []string{"downloads data from the network"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := djangoProject(t, tc.settings, tc.install)
			r := run(t, f, tc.script+" 2>&1", func(o *Options) {
				if tc.env != "" {
					o.Env = append(o.Env, tc.env)
				}
			})
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d: %s", r.code, tc.code, r.out)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.out, w) {
					t.Errorf("output lacks %q:\n%s", w, r.out)
				}
			}
			for _, p := range tc.files {
				if _, err := f.ReadFile(p); err != nil {
					t.Errorf("%s not written: %v", p, err)
				}
			}
			for _, p := range tc.absent {
				if _, err := f.ReadFile(p); err == nil {
					t.Errorf("%s written, Django ignores it", p)
				}
			}
		})
	}
}

// TestCollectStaticFollowsInputs: the collected file is a copy, so an edited source
// gives different bytes in STATIC_ROOT.
func TestCollectStaticFollowsInputs(t *testing.T) {
	f := djangoProject(t, djangoApps+"STATIC_ROOT = '/app/s'\n", true)
	if r := run(t, f, "cd /app && python manage.py collectstatic --noinput"); r.code != 0 {
		t.Fatalf("collectstatic: %d %s", r.code, r.out)
	}
	if got := readFS(t, f, "/app/s/blog/site.css"); got != "body{}\n" {
		t.Fatalf("copy holds %q", got)
	}
}

// hash12 is the first 12 hex digits of the md5 of s, as Django's file_hash.
func hash12(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])[:12]
}

// TestCollectStaticHashedStorage: ManifestStaticFilesStorage and WhiteNoise's
// storages, chosen by STATICFILES_STORAGE or (Django 4.2+) STORAGES.
func TestCollectStaticHashedStorage(t *testing.T) {
	const apps = "INSTALLED_APPS = ['django.contrib.staticfiles', 'blog']\nSTATIC_URL = '/static/'\nSTATIC_ROOT = '/app/s'\n"
	css := "/* " + strings.Repeat("padding ", 40) + "*/\nbody{background:url('../img/a.png#x')}\n@import 'base.css';\na{b:url(data:image/png;base64,AA==)}\n"
	png := "PNG-bytes\n"
	base := "p{}\n"
	// what Django writes: the references rewritten to hashed names, hashed after
	cssOut := strings.Replace(css, "url('../img/a.png#x')", `url("../img/a.`+hash12(png)+`.png#x")`, 1)
	cssOut = strings.Replace(cssOut, "@import 'base.css'", `@import url("base.`+hash12(base)+`.css")`, 1)
	hashedCSS := "blog/site." + hash12(cssOut) + ".css"
	manifest32 := `{"paths": {"blog/base.css": "blog/base.` + hash12(base) + `.css", "blog/site.css": "` + hashedCSS + `", "img/a.png": "img/a.` + hash12(png) + `.png"}, "version": "1.0"}`
	pairs := `[["blog/base.css", "blog/base.` + hash12(base) + `.css"], ["blog/site.css", "` + hashedCSS + `"], ["img/a.png", "img/a.` + hash12(png) + `.png"]]`
	manifest42 := strings.TrimSuffix(strings.Replace(manifest32, `"1.0"`, `"1.1"`, 1), "}") + `, "hash": "` + hash12(pairs) + `"}`
	const manifestStorage = "STATICFILES_STORAGE = 'django.contrib.staticfiles.storage.ManifestStaticFilesStorage'\n"
	const wnStorages = "STORAGES = {\n    'default': {'BACKEND': 'django.core.files.storage.FileSystemStorage'},\n    'staticfiles': {'BACKEND': 'whitenoise.storage.CompressedManifestStaticFilesStorage'},\n}\n"
	tests := []struct {
		name     string
		settings string
		pip      string
		css      string
		script   string
		code     int
		want     []string
		files    map[string]string // path -> content ("" any)
		absent   []string
	}{
		{name: "manifest storage, Django 3.2", pip: "Django==3.2.25", settings: apps + manifestStorage,
			want: []string{"\n3 static files copied to '/app/s', 3 post-processed.\n"},
			files: map[string]string{"/app/s/" + hashedCSS: cssOut, "/app/s/img/a." + hash12(png) + ".png": png,
				"/app/s/blog/site.css": css, "/app/s/staticfiles.json": manifest32},
			absent: []string{"/app/s/blog/site." + hash12(css) + ".css", "/app/s/blog/site.css.gz"}},
		{name: "whitenoise in STORAGES, Django 4.2", pip: "Django==4.2.11 whitenoise==6.6.0", settings: apps + wnStorages,
			// 3 originals + 3 hashed copies; the two CSS files of each kind that shrink get .gz
			want: []string{"\n3 static files copied to '/app/s', 5 post-processed.\n"},
			files: map[string]string{"/app/s/staticfiles.json": manifest42, "/app/s/" + hashedCSS: cssOut,
				"/app/s/blog/site.css.gz": "", "/app/s/" + hashedCSS + ".gz": ""},
			absent: []string{"/app/s/img/a.png.gz", "/app/s/blog/base.css.gz", "/app/s/blog/site.css.br"}},
		{name: "whitenoise compression only", pip: "Django==3.2.25 whitenoise==5.3.0",
			settings: apps + "STATICFILES_STORAGE = 'whitenoise.storage.CompressedStaticFilesStorage'\n",
			want:     []string{"\n3 static files copied to '/app/s', 1 post-processed.\n"},
			files:    map[string]string{"/app/s/blog/site.css.gz": ""},
			absent:   []string{"/app/s/staticfiles.json", "/app/s/" + hashedCSS}},
		{name: "no post-process", pip: "Django==3.2.25", settings: apps + manifestStorage,
			script: "cd /app && python manage.py collectstatic --noinput --no-post-process",
			want:   []string{"\n3 static files copied to '/app/s'.\n"},
			absent: []string{"/app/s/staticfiles.json", "/app/s/" + hashedCSS}},
		{name: "missing reference fails as Django", pip: "Django==3.2.25", settings: apps + manifestStorage,
			css: "a{b:url(../img/gone.png)}\n", code: 1,
			want:   []string{"Post-processing 'blog/site.css' failed!\n", "ValueError: The file 'img/gone.png' could not be found with <django.contrib.staticfiles.storage.ManifestStaticFilesStorage object at 0x"},
			absent: []string{"/app/s/staticfiles.json"}},
		{name: "missing reference through whitenoise", pip: "Django==4.2.11 whitenoise==6.6.0", settings: apps + wnStorages,
			css: "a{b:url(../img/gone.png)}\n", code: 1,
			want: []string{"whitenoise.storage.MissingFileError: The file 'img/gone.png' could not be found with <whitenoise.storage.CompressedManifestStaticFilesStorage object at 0x",
				"The CSS file 'blog/site.css' references a file which could not be found:\n  img/gone.png\n"}},
		{name: "whitenoise not installed, Django 3.2", pip: "Django==3.2.25",
			settings: apps + "STATICFILES_STORAGE = 'whitenoise.storage.CompressedManifestStaticFilesStorage'\n", code: 1,
			want: []string{"ModuleNotFoundError: No module named 'whitenoise'\n"}},
		{name: "whitenoise not installed, Django 4.2", pip: "Django==4.2.11", settings: apps + wnStorages, code: 1,
			want: []string{"django.core.files.storage.handler.InvalidStorageError: Could not find backend 'whitenoise.storage.CompressedManifestStaticFilesStorage': No module named 'whitenoise'\n"}},
		{name: "both storage settings on 4.2", pip: "Django==4.2.11 whitenoise==6.6.0", settings: apps + wnStorages + manifestStorage, code: 1,
			want: []string{"ImproperlyConfigured: STATICFILES_STORAGE/STORAGES are mutually exclusive."}},
		{name: "S3 backend refused by name", pip: "Django==4.2.11 django-storages==1.14.2",
			settings: apps + "STORAGES = {'staticfiles': {'BACKEND': 'storages.backends.s3boto3.S3StaticStorage'}}\n", code: 1,
			want: []string{`STORAGES["staticfiles"]["BACKEND"] is storages.backends.s3boto3.S3StaticStorage`}},
		{name: "Django 5.1 ignores STATICFILES_STORAGE", pip: "Django==5.1.4 whitenoise==6.6.0",
			settings: apps + "STATICFILES_STORAGE = 'whitenoise.storage.CompressedManifestStaticFilesStorage'\n",
			want:     []string{"ignores STATICFILES_STORAGE", "\n3 static files copied to '/app/s'.\n"},
			absent:   []string{"/app/s/staticfiles.json"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := djangoProject(t, tc.settings, false)
			put(t, f, "/app/blog/static/blog/site.css", cmp.Or(tc.css, css), 0o644)
			put(t, f, "/app/blog/static/blog/base.css", base, 0o644)
			put(t, f, "/app/blog/static/img/a.png", png, 0o644)
			script := cmp.Or(tc.script, "cd /app && python manage.py collectstatic --noinput")
			r := run(t, f, "pip install -q "+tc.pip+" && "+script+" 2>&1")
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d: %s", r.code, tc.code, r.out)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.out, w) {
					t.Errorf("output lacks %q:\n%s", w, r.out)
				}
			}
			for p, want := range tc.files {
				got, err := f.ReadFile(p)
				if err != nil {
					t.Errorf("%s not written: %v", p, err)
				} else if want != "" && string(got) != want {
					t.Errorf("%s holds\n%s\nwant\n%s", p, got, want)
				}
			}
			for _, p := range tc.absent {
				if _, err := f.ReadFile(p); err == nil {
					t.Errorf("%s written, Django does not write it", p)
				}
			}
		})
	}
}

// TestCollectStaticHashFollowsInputs: an edited image changes its hashed name and,
// through the rewritten url(), the CSS file's.
func TestCollectStaticHashFollowsInputs(t *testing.T) {
	settings := "INSTALLED_APPS = ['django.contrib.staticfiles', 'blog']\nSTATIC_ROOT = '/app/s'\nSTATICFILES_STORAGE = 'django.contrib.staticfiles.storage.ManifestStaticFilesStorage'\n"
	manifest := func(png string) string {
		f := djangoProject(t, settings, true)
		put(t, f, "/app/blog/static/blog/site.css", "a{b:url(/static/img/a.png)}\n", 0o644)
		put(t, f, "/app/blog/static/img/a.png", png, 0o644)
		if r := run(t, f, "cd /app && python manage.py collectstatic --noinput"); r.code != 0 {
			t.Fatalf("collectstatic: %d %s", r.code, r.out)
		}
		return readFS(t, f, "/app/s/staticfiles.json")
	}
	a, b := manifest("one"), manifest("two")
	if a == b || !strings.Contains(b, "img/a."+hash12("two")+".png") {
		t.Fatalf("manifest did not follow the image:\n%s\n%s", a, b)
	}
	cssA := `a{b:url("/static/img/a.` + hash12("one") + `.png")}` + "\n"
	if !strings.Contains(a, `"blog/site.css": "blog/site.`+hash12(cssA)+`.css"`) {
		t.Fatalf("site.css not hashed after its rewrite:\n%s", a)
	}
}
