package commands

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// testLimits are small bounds, so each test runs at and just past one of them.
var testLimits = templateLimits{MaxOutput: 1000, MaxMade: 1000, MaxSteps: 100, Timeout: time.Minute}

// TestTemplateBudget runs templates at and past each bound of templateLimits: at the
// bound the template renders what Docker's would, past it the command fails with a
// message naming the limit, and nothing is built first (pad's 1e9 spaces would be 1 GB).
func TestTemplateBudget(t *testing.T) {
	tests := []struct {
		name    string
		format  string
		data    any
		want    string // output when it fits
		wantErr string // part of the error when it does not
	}{
		{name: "pad at the bound", format: `{{pad "x" 499 500}}`, want: strings.Repeat(" ", 499) + "x" + strings.Repeat(" ", 500)},
		{name: "pad past the bound", format: `{{pad "x" 500 500}}`, wantErr: "pad would make 1001 bytes, past layerlab's limit of 1000 bytes"},
		{name: "pad of a billion", format: `{{pad "x" 1000000000 0}}`, wantErr: "layerlab's limit of 1000 bytes of text"},
		{name: "pad negative is Docker's panic", format: `{{pad "x" -1 0}}`, wantErr: "negative Repeat count"},
		{name: "pad of empty makes nothing", format: `{{pad "" 1000000000 0}}.`, want: "."},
		{name: "pads add up", format: `{{pad "x" 400 0}}{{pad "x" 400 0}}{{pad "x" 400 0}}`, wantErr: "pad would make 401 bytes"},
		{name: "truncate is a substring", format: `{{truncate "abcdef" 1000000000}}|{{truncate "abcdef" 2}}`, want: "abcdef|ab"},
		{name: "printf width at the bound", format: `{{printf "%900d" 1}}`, want: strings.Repeat(" ", 899) + "1"},
		{name: "printf width past the bound", format: `{{printf "%1000d" 1}}`, wantErr: "printf would make about"},
		{name: "printf star width", format: `{{printf "%*d" 100000 1}}`, wantErr: "printf would make about"},
		{name: "printf indexed star width", format: `{{printf "%[2]*[1]d" 1 100000}}`, wantErr: "printf would make about"},
		{name: "printf precision", format: `{{printf "%.100000f" 1.0}}`, wantErr: "printf would make about"},
		{name: "printf past fmt's own bound is BADWIDTH", format: `{{printf "%*d" 2000000 1}}`, want: "%!(BADWIDTH)1"},
		{name: "printf many verbs", format: `{{printf "%300d%300d%300d%300d" 1 2 3 4}}`, wantErr: "printf would make about"},
		{name: "print of a big string", format: `{{$a := pad "x" 600 0}}{{print $a $a}}`, wantErr: "print would make about"},
		{name: "json of text", format: `{{$a := pad "x" 200 0}}{{json $a}}`, wantErr: "json would make about"},
		{name: "html escaping grows", format: `{{html "<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<"}}`, wantErr: "html would make about"},
		{name: "split and join count", format: `{{$a := pad "x" 0 300}}{{join (split $a "") ","}}`, wantErr: "would make"},
		{name: "output at the bound", format: `{{range 99}}0123456789{{end}}0123456789`, want: strings.Repeat("0123456789", 100)},
		{name: "output past the bound", format: `{{range 99}}0123456789{{end}}0123456789{{"x"}}`, wantErr: "output passed layerlab's limit of 1000 bytes per command"},
		{name: "range at the bound", format: `{{range 99}}{{end}}.`, want: "."},
		{name: "range past the bound", format: `{{range 1000000000000}}{{end}}`, wantErr: "more than layerlab's limit of 100 range iterations and template calls"},
		{name: "nested ranges count every iteration", format: `{{range 10}}{{range 10}}{{end}}{{end}}`, wantErr: "limit of 100 range iterations"},
		{name: "recursion counts", format: `{{define "a"}}{{if .}}{{template "a" (slice . 1)}}{{template "a" (slice . 1)}}{{end}}{{end}}{{template "a" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}`, wantErr: "limit of 100 range iterations and template calls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := parseTemplateLimits(tt.format, testLimits)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			err = tmpl.Execute(&out, tt.data)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				if tmpl.b.made > testLimits.MaxMade || tmpl.b.out > testLimits.MaxOutput {
					t.Errorf("spent %d made, %d out, past the limits", tmpl.b.made, tmpl.b.out)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("got %q (%d bytes), want %q", out.String(), out.Len(), tt.want)
			}
		})
	}
}

// TestTemplateTimeout: a template that runs past the time limit stops there (a zero
// timeout is past at the first clock read after the start).
func TestTemplateTimeout(t *testing.T) {
	lim := testLimits
	lim.MaxSteps, lim.Timeout = 1<<40, -1
	tmpl, err := parseTemplateLimits(`{{range 1000}}{{end}}`, lim)
	if err != nil {
		t.Fatal(err)
	}
	err = tmpl.Execute(&bytes.Buffer{}, nil)
	if err == nil || !strings.Contains(err.Error(), "ran past layerlab's limit of -1ns per command") {
		t.Fatalf("error %v, want the time limit", err)
	}
}

// TestImageLsPadBomb is the finding: `docker image ls --format '{{pad .Repository
// 300000000 0}}'` fails with the limit, where it took 4 GB.
func TestImageLsPadBomb(t *testing.T) {
	s := newScene(t)
	s.build("FROM busybox:local\nRUN echo one\n", nil, "demo:v1")
	out, errs, code := s.run("image", "ls", "--format", "{{pad .Repository 300000000 0}}")
	if code == 0 || out != "" || !strings.Contains(errs, "pad would make 300000004 bytes, past layerlab's limit of 64 MiB") {
		t.Fatalf("exit %d, out %d bytes, stderr %q", code, len(out), errs)
	}
}

// TestTemplateDepth: templates may call each other maxTemplateDepth deep (the command's
// own template counts as one), not one deeper: text/template's 100000 takes 130 MB.
func TestTemplateDepth(t *testing.T) {
	lim := testLimits
	lim.MaxSteps = 1 << 20
	// "a" of a string of n bytes calls itself n times: n+1 templates below the main one.
	deep := func(n int) string {
		return `{{define "a"}}{{if .}}{{template "a" (slice . 1)}}{{end}}{{end}}{{template "a" "` + strings.Repeat("x", n) + `"}}.`
	}
	tests := []struct {
		name    string
		format  string
		wantErr string
	}{
		{name: "at the bound", format: deep(maxTemplateDepth - 2)},
		{name: "one past it", format: deep(maxTemplateDepth - 1), wantErr: "templates call each other more than 1000 deep, layerlab's limit"},
		{name: "endless recursion", format: `{{define "a"}}{{template "a" .}}{{end}}{{template "a" .}}`, wantErr: "more than 1000 deep"},
		{name: "siblings do not add up", format: `{{define "b"}}{{end}}` + strings.Repeat(`{{template "b"}}`, 2000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := parseTemplateLimits(tt.format, lim)
			if err != nil {
				t.Fatal(err)
			}
			err = tmpl.Execute(&bytes.Buffer{}, nil)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}
