package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// rtLowerFindings are issue 12's lower findings, each against its own server; no victim
// builds (none of them costs memory), but each still checks the server stays up.
func rtLowerFindings(t *testing.T) {
	t.Run("secure-cookies", func(t *testing.T) {
		if !serveHasFlag("--secure-cookies") {
			rt := startRedteam(t)
			rt.attack(t, nil, func(func()) string { return "serve has no --secure-cookies flag" })
			t.Fatal("layerlab serve has no --secure-cookies flag: the session cookie cannot be marked Secure")
		}
		rt := startRedteam(t, "--secure-cookies")
		saw := rt.attack(t, nil, func(func()) string {
			// No cookie jar: Go's jar would not send a Secure cookie back over http.
			code, body, cookies, err := doCookies(mustReq(http.MethodGet, rt.URL+"/", ""))
			if err != nil {
				return err.Error()
			}
			m := csrfMeta.FindStringSubmatch(body)
			if code != http.StatusOK || m == nil {
				return fmt.Sprintf("GET /: %d, no csrf-token in the page", code)
			}
			// The session cookie may be set by the page or by the first action.
			put := mustReq(http.MethodPut, rt.URL+"/api/context/file", `{"path":"a.txt","content":"a"}`)
			for _, c := range cookies {
				if nv, _, _ := strings.Cut(c, ";"); strings.HasPrefix(nv, "layerlab_session=") {
					put.Header.Add("Cookie", nv)
				}
			}
			put.Header.Set("Content-Type", "application/json")
			put.Header.Set("X-CSRF-Token", m[1])
			_, _, more, err := doCookies(put)
			if err != nil {
				return err.Error()
			}
			return strings.Join(append(cookies, more...), " || ")
		})
		for _, c := range strings.Split(saw, " || ") {
			if strings.HasPrefix(c, "layerlab_") && !strings.Contains(c, "; Secure") {
				t.Errorf("with --secure-cookies the server set %q, without Secure", c)
			}
		}
		if !strings.Contains(saw, "layerlab_session=") {
			t.Errorf("no session cookie seen (%s)", saw)
		}
	})

	// A well-formed token the server never issued is not adopted as a workspace
	// (session fixation): the server issues its own, and an action with the forged
	// cookie is refused.
	t.Run("forged-token", func(t *testing.T) {
		rt := startRedteam(t)
		var b [24]byte
		rand.Read(b[:])
		forged := base64.RawURLEncoding.EncodeToString(b[:])
		saw := rt.attack(t, nil, func(func()) string {
			req := mustReq(http.MethodGet, rt.URL+"/", "")
			req.AddCookie(&http.Cookie{Name: "layerlab_session", Value: forged})
			code, body, setCookies, err := doCookies(req)
			if err != nil {
				return err.Error()
			}
			reissued := false
			for _, c := range setCookies {
				if strings.HasPrefix(c, "layerlab_session=") && !strings.HasPrefix(c, "layerlab_session="+forged) {
					reissued = true
				}
			}
			m := csrfMeta.FindStringSubmatch(body)
			csrf := ""
			if m != nil {
				csrf = m[1]
			}
			put := mustReq(http.MethodPut, rt.URL+"/api/context/file", `{"path":"fixed.txt","content":"x"}`)
			put.AddCookie(&http.Cookie{Name: "layerlab_session", Value: forged})
			put.Header.Set("Content-Type", "application/json")
			put.Header.Set("X-CSRF-Token", csrf)
			pcode, pbody, _, err := doCookies(put)
			if err != nil {
				return err.Error()
			}
			return fmt.Sprintf("GET / with a forged token: %d, a new token issued: %v; PUT with it: %d %s", code, reissued, pcode, oneLine(pbody, 150))
		})
		if !strings.Contains(saw, "a new token issued: true") {
			t.Errorf("%s; want the server to issue its own token instead of adopting a forged one", saw)
		}
		if strings.Contains(saw, "PUT with it: 200") {
			t.Errorf("%s; want an action with a token the server never issued refused", saw)
		}
	})

	// The flash cookie carries an action's result to the next page; a forged one must
	// not be shown as if the server had said it.
	t.Run("forged-flash", func(t *testing.T) {
		rt := startRedteam(t)
		saw := rt.attack(t, nil, func(func()) string {
			c, err := newRTClient(rt.URL)
			if err != nil {
				return err.Error()
			}
			if err := c.put("a.txt", "a"); err != nil {
				return err.Error()
			}
			j, _ := json.Marshal(map[string]any{"c": "docker image prune -a -f", "o": "FORGED-FLASH-7c1e: all your images were deleted", "ok": true})
			u, _ := url.Parse(rt.URL + "/images")
			c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "layerlab_flash", Value: base64.RawURLEncoding.EncodeToString(j), Path: "/images"}})
			code, body, err := c.do(http.MethodGet, "/images", nil)
			if err != nil {
				return err.Error()
			}
			return fmt.Sprintf("GET /images with a forged flash: %d, forged text shown: %v", code, strings.Contains(body, "FORGED-FLASH-7c1e"))
		})
		if !strings.Contains(saw, "forged text shown: false") {
			t.Errorf("%s; want an unsigned flash ignored", saw)
		}
	})

	// File names with bidi overrides or zero-width characters are refused, naming the
	// character.
	t.Run("bidi-names", func(t *testing.T) {
		rt := startRedteam(t)
		saw := rt.attack(t, nil, func(func()) string {
			c, err := newRTClient(rt.URL)
			if err != nil {
				return err.Error()
			}
			var got []string
			for _, name := range []string{"evil\u202Etxt.sh", "a\u200Bb.txt", "bell\x07.txt"} {
				code, body, err := c.do(http.MethodPut, "/api/context/file", map[string]string{"path": name, "content": "x"})
				if err != nil {
					return err.Error()
				}
				got = append(got, fmt.Sprintf("%q: %d %s", name, code, oneLine(body, 150)))
			}
			return strings.Join(got, "; ")
		})
		for _, s := range strings.Split(saw, "; ") {
			if strings.Contains(s, ": 200 ") {
				t.Errorf("%s; want the name refused, naming the character", s)
			} else if !strings.Contains(strings.ToUpper(s), "U+") {
				t.Errorf("%s; want the refusal to name the character (U+202E ...)", s)
			}
		}
	})

	// A path that is both a file and a directory's prefix is refused when written, not
	// at every build after.
	t.Run("file-dir-same-name", func(t *testing.T) {
		rt := startRedteam(t)
		saw := rt.attack(t, nil, func(func()) string {
			c, err := newRTClient(rt.URL)
			if err != nil {
				return err.Error()
			}
			var got []string
			for _, pair := range [][2]string{{"conf", "conf/g"}, {"d/x", "d"}} {
				if err := c.put(pair[0], "x"); err != nil {
					return err.Error()
				}
				code, body, err := c.do(http.MethodPut, "/api/context/file", map[string]string{"path": pair[1], "content": "y"})
				if err != nil {
					return err.Error()
				}
				got = append(got, fmt.Sprintf("%s after %s: %d %s", pair[1], pair[0], code, oneLine(body, 150)))
			}
			return strings.Join(got, "; ")
		})
		for _, s := range strings.Split(saw, "; ") {
			if strings.Contains(s, ": 200 ") {
				t.Errorf("%s; want it refused at write time", s)
			}
		}
	})

	// The hub's login challenge names the server's own address, never the request's
	// Host header (which a client chooses).
	t.Run("host-header-challenge", func(t *testing.T) {
		rt := startRedteam(t)
		saw := rt.attack(t, nil, func(func()) string {
			req := mustReq(http.MethodGet, rt.URL+"/v2/", "")
			req.Host = "evil.example"
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return err.Error()
			}
			res.Body.Close()
			return fmt.Sprintf("GET /v2/ with Host: evil.example: %d, WWW-Authenticate: %s", res.StatusCode, res.Header.Get("WWW-Authenticate"))
		})
		if strings.Contains(saw, "evil.example/") {
			t.Errorf("%s; want the realm from the server's address (--public-url), not the Host header", saw)
		}
	})

	// `docker build /` in the terminal is refused like every context but ".".
	t.Run("docker-build-root", func(t *testing.T) {
		rt := startRedteam(t)
		saw := rt.attack(t, nil, func(func()) string {
			c, err := newRTClient(rt.URL)
			if err != nil {
				return err.Error()
			}
			if err := c.put("Dockerfile", rtBase); err != nil {
				return err.Error()
			}
			out, code, err := c.term("docker build /")
			if err != nil {
				return err.Error()
			}
			return fmt.Sprintf("docker build /: exit %d: %s", code, oneLine(out, 200))
		})
		if strings.Contains(saw, "exit 0:") {
			t.Errorf("%s; want it refused (only . is the playground's context)", saw)
		}
	})
}

func mustReq(method, u, body string) *http.Request {
	var req *http.Request
	if body == "" {
		req, _ = http.NewRequest(method, u, nil)
	} else {
		req, _ = http.NewRequest(method, u, strings.NewReader(body))
	}
	return req
}

// doCookies sends a request without a cookie jar and returns the cookies it sets.
func doCookies(req *http.Request) (int, string, []string, error) {
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer res.Body.Close()
	buf := new(strings.Builder)
	b := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(b)
		buf.Write(b[:n])
		if err != nil {
			break
		}
	}
	return res.StatusCode, buf.String(), res.Header.Values("Set-Cookie"), nil
}
