package e2e

// A class on one server: one student fills their workspace to its quota while three
// classmates build (issue 13, "fair and safe for a shared server"). The quota refuses
// the one student's build, naming it, and the classmates' builds succeed; how long
// they took is logged beside their time on the quiet server.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var teacherLinkLine = regexp.MustCompile(`(http://\S+/teach/login\?key=\S+)`)

// rtTeacher opens the teacher link serve printed in a browser of its own.
func rtTeacher(t *testing.T, rt *rtServer) *rtClient {
	t.Helper()
	var link string
	for deadline := time.Now().Add(5 * time.Second); link == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := teacherLinkLine.FindStringSubmatch(rt.stdout.String()); m != nil {
			link = m[1]
		}
	}
	if link == "" {
		t.Fatalf("serve printed no teacher link; its output:\n%s", rt.stdout.String())
	}
	c, err := newRTClientFrom(rt.URL, 20)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET the teacher link: %d", res.StatusCode)
	}
	return c
}

// createClass makes a class as the teacher and returns its ID and join code.
func (c *rtClient) createClass(t *testing.T, name, lesson string) (string, string) {
	t.Helper()
	j, _ := json.Marshal(map[string]string{"name": name, "lesson": lesson})
	req, err := http.NewRequest(http.MethodPost, c.base+"/teach/classes", bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", c.csrf)
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, body := res.StatusCode, string(b)
	var cl struct {
		ID   string `json:"id"`
		Code string `json:"code"`
	}
	if code != http.StatusCreated || json.Unmarshal([]byte(body), &cl) != nil || cl.Code == "" {
		t.Fatalf("POST /teach/classes: %d %.300s", code, body)
	}
	return cl.ID, cl.Code
}

// join joins the class with code as name, by the /join form as a browser posts it.
func (c *rtClient) join(code, name string) error {
	form := url.Values{"code": {code}, "name": {name}, "csrf": {c.csrf}}
	req, err := http.NewRequest(http.MethodPost, c.base+"/join", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	defer func() { c.http.CheckRedirect = nil }()
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("POST /join as %s: %d, want 303 to the playground", name, res.StatusCode)
	}
	return nil
}

func TestClassQuotaFair(t *testing.T) {
	rt := startRedteam(t, "--workspace-quota=128MiB")
	teacher := rtTeacher(t, rt)
	_, code := teacher.createClass(t, "Quota fairness", "docker-images")

	hog, err := newRTClientFrom(rt.URL, 30)
	if err != nil {
		t.Fatal(err)
	}
	if err := hog.join(code, "Hog"); err != nil {
		t.Fatal(err)
	}
	var mates []*rtClient
	for i, name := range []string{"Ana", "Ben", "Cy"} {
		m, err := newRTClientFrom(rt.URL, 31+i)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.join(code, name); err != nil {
			t.Fatal(err)
		}
		if st, body, err := m.do(http.MethodPost, "/api/examples/"+rtVictimExample, map[string]any{}); err != nil || st != http.StatusOK {
			t.Fatalf("%s loads the example: %d %v %.200s", name, st, err, body)
		}
		if err := m.measureUsual(); err != nil {
			t.Fatalf("%s on the quiet server: %v", name, err)
		}
		mates = append(mates, m)
	}

	// 3 x 50 MB of random bytes (incompressible) against a quota of 128 MiB.
	var hogBuild rtBuild
	var hogErr error
	results := make([]victimResult, len(mates))
	var wg sync.WaitGroup
	wg.Add(1 + len(mates))
	go func() {
		defer wg.Done()
		hogBuild, hogErr = hog.build(rtBase+strings.Repeat("RUN head -c 50000000 /dev/urandom > /f$RANDOM\n", 3), 3*time.Minute)
	}()
	for i, m := range mates {
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(300+100*i) * time.Millisecond) // into the hog's writes
			results[i] = runVictim(m, fmt.Sprintf("mate%d:busy", i))
		}()
	}
	wg.Wait()

	if hogErr != nil {
		t.Fatalf("the hog's build: %v", hogErr)
	}
	if hogBuild.State != "failed" || !strings.Contains(hogBuild.Error, "quota") || !namesLimit(hogBuild.Error) {
		t.Errorf("the hog's build: %s: %q; want it refused by the storage quota, naming it", hogBuild.State, hogBuild.Error)
	} else {
		t.Logf("the hog's build: %s", oneLine(hogBuild.Error, 300))
	}
	for i, r := range results {
		usual := mates[i].usual
		t.Logf("classmate %d: %s during the hog's build; %.1fs on the quiet server", i, r, usual.Seconds())
		if r.State != "succeeded" {
			t.Errorf("classmate %d's build during the hog's: %s; want succeeded", i, r)
		}
		// Logged above; asserted only against a stall (a lock held for the hog's whole
		// build, a queue the hog fills): a shared machine's timings are noise.
		if bound := 10*usual + 20*time.Second; r.Dur > bound {
			t.Errorf("classmate %d's build took %.1fs during the hog's build, past %.0fs (ten times its quiet %.1fs, plus 20 s)", i, r.Dur.Seconds(), bound.Seconds(), usual.Seconds())
		}
	}
}
