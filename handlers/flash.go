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
	key, err := s.sessionKey(r.Context())
	if err != nil {
		s.log.Error("flash not set", "err", err)
		return
	}
	token, _ := r.Context().Value(keyToken).(string)
	// A browser drops a cookie over 4 KiB: cut the output until it fits.
	for limit := maxFlashOutput; limit >= 50; limit /= 2 {
		g := *f
		g.Output, g.Error = cutMiddle(f.Output, limit), cutMiddle(f.Error, limit/2)
		b, err := json.Marshal(&g)
		if err != nil {
			return
		}
		payload := base64.RawURLEncoding.EncodeToString(b)
		v := payload + "." + base64.RawURLEncoding.EncodeToString(sign(key, "flash", token, payload))
		if len(v) <= 3500 {
			http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: v, Path: "/images", MaxAge: 60,
				HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
			return
		}
	}
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
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/images", MaxAge: -1, HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteStrictMode})
	key, err := s.sessionKey(r.Context())
	if err != nil {
		return nil
	}
	token, _ := r.Context().Value(keyToken).(string)
	payload, mac, ok := strings.Cut(c.Value, ".")
	if !ok {
		return nil
	}
	if got, err := base64.RawURLEncoding.DecodeString(mac); err != nil || !hmac.Equal(got, sign(key, "flash", token, payload)) {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil
	}
	var f web.Flash
	if json.Unmarshal(b, &f) != nil || f.Cmd == "" {
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
