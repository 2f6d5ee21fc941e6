package remote

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Credential is a user name and password (or token) for one registry.
type Credential struct {
	Username string
	Password string
}

// Credentials is the file `login` writes and pull and push read: the "auths" of a
// docker config.json ({"auths": {"HOST": {"auth": base64("user:pass")}}}), readable
// by its owner only (0600). The password is stored unencrypted, as Docker stores it
// without a credential helper.
type Credentials struct {
	Path string
}

// CredentialsFile is the credentials file of a layerlab data directory.
func CredentialsFile(dataDir string) *Credentials {
	return &Credentials{Path: filepath.Join(dataDir, "credentials.json")}
}

type authFile struct {
	Auths map[string]authEntry `json:"auths"`
}

type authEntry struct {
	Auth string `json:"auth"`
}

func (c *Credentials) read() (*authFile, error) {
	f := &authFile{Auths: map[string]authEntry{}}
	b, err := os.ReadFile(c.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read credentials: %w", err)
	}
	if err := json.Unmarshal(b, f); err != nil {
		return nil, fmt.Errorf("read credentials %s: %w", c.Path, err)
	}
	if f.Auths == nil {
		f.Auths = map[string]authEntry{}
	}
	return f, nil
}

// write replaces the file: a temp file with mode 0600 in the same directory, synced,
// then renamed over it, so a crash leaves the old file or the new one.
func (c *Credentials) write(f *authFile) error {
	b, err := json.MarshalIndent(f, "", "\t")
	if err != nil {
		return err
	}
	dir := filepath.Dir(c.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".credentials-*")
	if err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write credentials: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write credentials: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write credentials: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	if err := os.Rename(tmp.Name(), c.Path); err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	return nil
}

// Get returns the credential stored for host; ok is false when there is none.
func (c *Credentials) Get(host string) (cred Credential, ok bool, err error) {
	f, err := c.read()
	if err != nil {
		return Credential{}, false, err
	}
	e, ok := f.Auths[host]
	if !ok {
		return Credential{}, false, nil
	}
	raw, err := base64.StdEncoding.DecodeString(e.Auth)
	if err != nil {
		return Credential{}, false, fmt.Errorf("credentials for %s: %w", host, err)
	}
	user, pass, found := strings.Cut(string(raw), ":")
	if !found {
		return Credential{}, false, fmt.Errorf("credentials for %s: not user:password", host)
	}
	return Credential{Username: user, Password: pass}, true, nil
}

// Set stores cred for host.
func (c *Credentials) Set(host string, cred Credential) error {
	f, err := c.read()
	if err != nil {
		return err
	}
	f.Auths[host] = authEntry{Auth: base64.StdEncoding.EncodeToString([]byte(cred.Username + ":" + cred.Password))}
	return c.write(f)
}

// Remove forgets host's credential; it reports whether there was one.
func (c *Credentials) Remove(host string) (bool, error) {
	f, err := c.read()
	if err != nil {
		return false, err
	}
	if _, ok := f.Auths[host]; !ok {
		return false, nil
	}
	delete(f.Auths, host)
	return true, c.write(f)
}

// Login checks cred against the registry at host: a GET of /v2/ with them (basic
// auth, or the token exchange a Bearer challenge asks for). A refusal reads as
// Docker's: "login attempt to http://HOST/v2/ failed with status: 401 Unauthorized".
func Login(ctx context.Context, host string, cred Credential) error {
	h, err := NewHTTP(host, cred)
	if err != nil {
		return err
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: cred.Username, Password: cred.Password})
	t, err := transport.NewWithContext(ctx, h.reg, auth, http.DefaultTransport, []string{h.reg.Scope(transport.PullScope)})
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) && te.StatusCode == http.StatusUnauthorized && te.Request != nil {
			return &kindError{msg: fmt.Sprintf("login attempt to %s failed with status: %d %s",
				te.Request.URL.String(), te.StatusCode, http.StatusText(te.StatusCode)), kind: ErrUnauthorized}
		}
		return h.wrap(err, nil, "login")
	}
	u := "https://" + h.reg.RegistryStr() + "/v2/"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: t}).Do(req)
	if err != nil {
		return h.wrap(err, nil, "login")
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	e := &kindError{msg: fmt.Sprintf("login attempt to %s failed with status: %d %s", resp.Request.URL.String(), resp.StatusCode, http.StatusText(resp.StatusCode))}
	if resp.StatusCode == http.StatusUnauthorized {
		e.kind = ErrUnauthorized
	}
	return e
}
