package handlers

// The flash: an action's result (command, output, error) carried over the redirect
// back to the images page in a short-lived cookie, shown once.

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"layerlab/engine/commands"
	"layerlab/web"
)

const (
	flashCookie    = "layerlab_flash"
	maxFlashOutput = 1000 // bytes of a command's output carried to the next page
)

// setFlash carries f to the next page in a cookie signed with the session key and
// bound to the session's token: a flash a page script, another site or another student
// wrote, or one edited on its way, is ignored (takeFlash), so the images page never
// shows a command output the server did not produce.
func (s *Server) setFlash(w http.ResponseWriter, r *http.Request, f *web.Flash) {
	// A browser drops a cookie over 4 KiB: cut the output until it fits.
	for limit := maxFlashOutput; limit >= 50; limit /= 2 {
		g := *f
		g.Output, g.Error = cutMiddle(f.Output, limit), cutMiddle(f.Error, limit/2)
		if s.putSigned(w, r, signedCookie{name: flashCookie, path: "/images", purpose: "flash"}, &g) {
			return
		}
	}
}

// signedCookie names a short-lived cookie that carries a value to the next page
// (the images page's flash, the class pages' notices).
type signedCookie struct{ name, path, purpose string }

// maxSignedCookie bounds a signed cookie's value: a browser drops a cookie over 4 KiB.
const maxSignedCookie = 3500

// putSigned sets c to v's JSON, signed with the session key for c's purpose and bound
// to the session's token, for 60 s. It reports false, setting nothing, when the value
// would pass maxSignedCookie or cannot be signed.
func (s *Server) putSigned(w http.ResponseWriter, r *http.Request, c signedCookie, v any) bool {
	key, err := s.sessionKey(r.Context())
	if err != nil {
		s.log.Error(c.purpose+" not set", "err", err)
		return false
	}
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	token, _ := r.Context().Value(keyToken).(string)
	payload := base64.RawURLEncoding.EncodeToString(b)
	value := payload + "." + base64.RawURLEncoding.EncodeToString(sign(key, c.purpose, token, payload))
	if len(value) > maxSignedCookie {
		return false
	}
	http.SetCookie(w, &http.Cookie{Name: c.name, Value: value, Path: c.path, MaxAge: 60,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
	return true
}

// takeSigned reads c into v and clears it; false when there is none, or when its
// signature is not the server's for this session and purpose.
func (s *Server) takeSigned(w http.ResponseWriter, r *http.Request, c signedCookie, v any) bool {
	got, err := r.Cookie(c.name)
	if err != nil {
		return false
	}
	http.SetCookie(w, &http.Cookie{Name: c.name, Value: "", Path: c.path, MaxAge: -1, HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteStrictMode})
	key, err := s.sessionKey(r.Context())
	if err != nil {
		return false
	}
	token, _ := r.Context().Value(keyToken).(string)
	payload, mac, ok := strings.Cut(got.Value, ".")
	if !ok {
		return false
	}
	if m, err := base64.RawURLEncoding.DecodeString(mac); err != nil || !hmac.Equal(m, sign(key, c.purpose, token, payload)) {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	return err == nil && json.Unmarshal(b, v) == nil
}

// cutMiddle keeps the first and last lines of a long output (the last line of prune's
// report is the space it freed), with a line saying how many were left out.
func cutMiddle(s string, max int) string {
	if len(s) <= max {
		return s
	}
	lines := strings.Split(s, "\n")
	tailN, n := 0, 0
	for tailN < 3 && tailN < len(lines) && n+len(lines[len(lines)-1-tailN])+1 <= max/2 {
		n += len(lines[len(lines)-1-tailN]) + 1
		tailN++
	}
	headN := 0
	for headN < len(lines)-tailN && n+len(lines[headN])+1 <= max {
		n += len(lines[headN]) + 1
		headN++
	}
	out := append([]string{}, lines[:headN]...)
	if cut := len(lines) - tailN - headN; cut > 0 {
		out = append(out, fmt.Sprintf("… %d more lines (run the command in the terminal to see them all)", cut))
	}
	out = append(out, lines[len(lines)-tailN:]...)
	s = strings.Join(out, "\n")
	if len(s) > max+100 { // one huge line
		s = strings.ToValidUTF8(s[:max], "") + " …"
	}
	return s
}

// takeFlash reads and clears the flash cookie; nil when there is none, or when its
// signature is not the server's for this session.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) *web.Flash {
	var f web.Flash
	if !s.takeSigned(w, r, signedCookie{name: flashCookie, path: "/images", purpose: "flash"}, &f) || f.Cmd == "" {
		return nil
	}
	return &f
}

// flashHint is what to do after a refusal that Docker explains in its own terms, chosen
// by the error's class (engine/commands' sentinels), never by its text.
func flashHint(err error) string {
	switch {
	case errors.Is(err, commands.ErrMultipleRefs):
		return "The image has more than one tag. Remove the tags one by one (docker image rm name:tag), or tick -f to untag and remove it at once."
	case errors.Is(err, commands.ErrHasChildren):
		return "Other images were built on this one (it is their parent): remove them first. Even -f cannot remove a parent."
	case errors.Is(err, commands.ErrNotFound):
		return "Check the name in the table: docker image ls -a lists every image of your workspace."
	case errors.Is(err, commands.ErrBadReference):
		return "A name is lowercase letters, digits and . _ - separators, optionally with /, then an optional :tag (e.g. demo:v2)."
	}
	return ""
}
