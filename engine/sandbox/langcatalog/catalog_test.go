package langcatalog

import (
	"errors"
	"testing"
)

// minCatalog is how many packages each catalog must hold at least: the issue asks for
// a few hundred PyPI and npm packages and about a hundred gems and Composer packages.
var minCatalog = map[Ecosystem]int{PyPI: 300, NPM: 300, RubyGems: 100, Packagist: 100}

func TestCatalogsLoad(t *testing.T) {
	if _, err := load(); err != nil {
		t.Fatal(err)
	}
	for eco, n := range minCatalog {
		if got := len(Names(eco)); got < n {
			t.Errorf("%s: %d packages, want at least %d", eco, got, n)
		}
		for _, name := range Names(eco) {
			p, _ := Lookup(eco, name)
			if _, ok := parseVersion(p.Version); !ok {
				t.Errorf("%s %s: unparsable version %q", eco, name, p.Version)
			}
			if err := invalid(eco, name); err != "" {
				t.Errorf("%s %s: catalog name breaks the rules: %s", eco, name, err)
			}
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		eco     Ecosystem
		pkg     string
		near    string // want a typo refusal naming this package
		invalid bool   // want an invalid-name refusal
	}{
		{name: "catalog", eco: PyPI, pkg: "requests"},
		{name: "catalog other spelling", eco: PyPI, pkg: "Flask_SQLAlchemy"},
		{name: "swap", eco: PyPI, pkg: "reqeusts", near: "requests"},
		{name: "swap django", eco: PyPI, pkg: "djnago", near: "django"},
		{name: "two edits long name", eco: PyPI, pkg: "sqlalchmey", near: "sqlalchemy"},
		{name: "short names are never typos", eco: PyPI, pkg: "flsk"},
		{name: "digits differ", eco: PyPI, pkg: "jinja"},
		{name: "word added", eco: PyPI, pkg: "requests-cache"},
		{name: "suffix letter", eco: PyPI, pkg: "pytestx"},
		{name: "unknown valid", eco: PyPI, pkg: "layerlab-demo-package"},
		{name: "pep508 invalid", eco: PyPI, pkg: "-bad-", invalid: true},
		{name: "npm typo", eco: NPM, pkg: "expresss", near: ""},
		{name: "npm typo substitution", eco: NPM, pkg: "exprezs", near: "express"},
		{name: "npm scoped", eco: NPM, pkg: "@acme/widgets"},
		{name: "npm scoped short local part", eco: NPM, pkg: "@types/q"},
		{name: "npm other scope", eco: NPM, pkg: "@nuxtjs/opencollective"},
		{name: "npm scoped typo", eco: NPM, pkg: "@nestjs/comon", near: "@nestjs/common"},
		{name: "npm capital", eco: NPM, pkg: "React", invalid: true},
		{name: "npm space", eco: NPM, pkg: "my package", invalid: true},
		{name: "npm leading dot", eco: NPM, pkg: ".hidden", invalid: true},
		{name: "gem", eco: RubyGems, pkg: "sinatra"},
		{name: "gem typo", eco: RubyGems, pkg: "sintara", near: "sinatra"},
		{name: "composer needs vendor", eco: Packagist, pkg: "monolog", invalid: true},
		{name: "composer synthesized", eco: Packagist, pkg: "acme/widgets"},
		{name: "composer typo", eco: Packagist, pkg: "monolog/monolgo", near: "monolog/monolog"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.eco, tt.pkg)
			var nf *NotFoundError
			switch {
			case tt.near == "" && !tt.invalid:
				if err != nil {
					t.Fatalf("Check(%s) = %v, want nil", tt.pkg, err)
				}
			case !errors.As(err, &nf) || !errors.Is(err, ErrNotFound):
				t.Fatalf("Check(%s) = %v, want a NotFoundError", tt.pkg, err)
			case tt.invalid && nf.Invalid == "":
				t.Fatalf("Check(%s) = %v, want an invalid-name refusal", tt.pkg, err)
			case tt.near != "" && nf.Near != tt.near:
				t.Fatalf("Check(%s) near %q, want %q", tt.pkg, nf.Near, tt.near)
			}
		})
	}
}

func TestResolveSynthesizes(t *testing.T) {
	a, err := Resolve(PyPI, "layerlab-demo-package", "")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Resolve(PyPI, "Layerlab_Demo.Package", "")
	if !a.Synthesized || a.Version != b.Version || a.Size != b.Size || a.Name != b.Name {
		t.Fatalf("synthesis not deterministic by normalized name: %+v vs %+v", a, b)
	}
	c, _ := Resolve(PyPI, "layerlab-other-package", "")
	if c.Size == a.Size && c.Version == a.Version {
		t.Fatalf("two names synthesized alike: %+v", c)
	}
	r, _ := Resolve(PyPI, "requests", "")
	if r.Synthesized {
		t.Fatal("catalog package marked synthesized")
	}
}

func TestPick(t *testing.T) {
	tests := []struct {
		name, eco, catalog, constraint, want string
	}{
		{"any", "pypi", "2.32.3", "", "2.32.3"},
		{"pin", "pypi", "2.32.3", "==2.28.1", "2.28.1"},
		{"pin not in catalog", "pypi", "5.3.1", "==5.3.0", "5.3.0"},
		{"range holds", "pypi", "2.32.3", ">=2.0,<3", "2.32.3"},
		{"range below catalog", "pypi", "2.32.3", ">=1.0,<2.0", "1.9.0"},
		{"compatible release", "pypi", "8.1.8", "~=7.1", "7.9.0"},
		{"wildcard", "pypi", "1.26.4", "==1.24.*", "1.24.9"},
		{"npm caret holds", "npm", "4.21.2", "^4.18.2", "4.21.2"},
		{"npm major", "npm", "4.7.0", "5", "5.9.0"},
		{"npm caret zero", "npm", "0.5.0", "^0.3.1", "0.3.9"},
		{"npm tilde", "npm", "4.21.2", "~4.17.1", "4.17.9"},
		{"npm or", "npm", "3.0.0", "^1.2.0 || ^2.0.0", "2.9.0"},
		{"npm exact", "npm", "18.2.0", "18.2.0", "18.2.0"},
		{"npm hyphen", "npm", "9.0.0", "1.2.3 - 2.3.4", "2.3.4"},
		{"gem pessimistic", "rubygems", "4.1.1", "~> 3", "3.9.0"},
		{"gem pessimistic two", "rubygems", "4.1.1", "~> 3.0", "3.9.0"},
		{"composer caret", "packagist", "11.44.0", "^10.0", "10.9.0"},
		{"composer tilde", "packagist", "7.9.2", "~7.2", "7.9.2"},
		{"composer or", "packagist", "8.0.0", "^7.2|^6.5", "7.9.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Pick(Ecosystem(tt.eco), tt.catalog, tt.constraint)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("Pick(%s, %q) = %s, want %s", tt.catalog, tt.constraint, got, tt.want)
			}
			if !Satisfies(Ecosystem(tt.eco), got, tt.constraint) {
				t.Fatalf("%s does not satisfy %q", got, tt.constraint)
			}
		})
	}
}

func TestPickImpossible(t *testing.T) {
	if _, err := Pick(PyPI, "1.0", ">=3,<2"); !errors.Is(err, ErrNoVersion) {
		t.Fatalf("err = %v, want ErrNoVersion", err)
	}
}
