package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	ggcr "github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	digest "github.com/opencontainers/go-digest"
)

// HTTP is a registry reached over the network by address, through
// go-containerregistry's remote package (the distribution API: /v2/...). Loopback
// addresses (127.0.0.0/8, localhost) are spoken to over plain HTTP, as Docker trusts
// them by default; every other host over HTTPS.
type HTTP struct {
	host   string // as the user wrote it: 127.0.0.1:5000, docker.io
	reg    name.Registry
	creds  bool
	puller *ggcr.Puller
	pusher *ggcr.Pusher
}

var _ Registry = (*HTTP)(nil)

// NewHTTP returns the registry at host ("127.0.0.1:5000"; "docker.io" is Docker
// Hub's registry-1.docker.io), using cred when it is not the zero Credential.
func NewHTTP(host string, cred Credential) (*HTTP, error) {
	addr := host
	if host == "docker.io" {
		addr = "registry-1.docker.io"
	}
	reg, err := name.NewRegistry(addr)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", host, err)
	}
	auth := authn.Anonymous
	if cred.Username != "" || cred.Password != "" {
		auth = authn.FromConfig(authn.AuthConfig{Username: cred.Username, Password: cred.Password})
	}
	opts := []ggcr.Option{ggcr.WithAuth(auth), ggcr.WithUserAgent("layerlab")}
	puller, err := ggcr.NewPuller(opts...)
	if err != nil {
		return nil, err
	}
	pusher, err := ggcr.NewPusher(opts...)
	if err != nil {
		return nil, err
	}
	return &HTTP{host: host, reg: reg, creds: auth != authn.Anonymous, puller: puller, pusher: pusher}, nil
}

// Host is the registry's address as given.
func (h *HTTP) Host() string { return h.host }

func (h *HTTP) repo(repo string) name.Repository { return h.reg.Repo(repo) }

// Manifest implements Registry.
func (h *HTTP) Manifest(ctx context.Context, repo, reference string) (*Manifest, error) {
	var ref name.Reference = h.repo(repo).Tag(reference)
	if strings.HasPrefix(reference, "sha256:") {
		ref = h.repo(repo).Digest(reference)
	}
	d, err := h.puller.Get(ctx, ref)
	if err != nil {
		return nil, h.wrap(err, ErrManifestUnknown, "manifest")
	}
	return &Manifest{MediaType: string(d.MediaType), Raw: d.Manifest}, nil
}

// OpenBlob implements Registry.
func (h *HTTP) OpenBlob(ctx context.Context, repo string, d digest.Digest) (io.ReadCloser, error) {
	l, err := h.puller.Layer(ctx, h.repo(repo).Digest(d.String()))
	if err != nil {
		return nil, h.wrap(err, ErrBlobUnknown, "blob")
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, h.wrap(err, ErrBlobUnknown, "blob")
	}
	return &errReader{rc: rc, h: h}, nil
}

// errReader words the errors of a blob download as the rest.
type errReader struct {
	rc io.ReadCloser
	h  *HTTP
}

func (r *errReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if err != nil && err != io.EOF {
		err = r.h.wrap(err, ErrBlobUnknown, "blob")
	}
	return n, err
}

func (r *errReader) Close() error { return r.rc.Close() }

// StatBlob implements Registry.
func (h *HTTP) StatBlob(ctx context.Context, repo string, d digest.Digest) (int64, error) {
	l, err := h.puller.Layer(ctx, h.repo(repo).Digest(d.String()))
	if err != nil {
		return 0, h.wrap(err, ErrBlobUnknown, "blob")
	}
	n, err := l.Size()
	if err != nil {
		return 0, h.wrap(err, ErrBlobUnknown, "blob")
	}
	return n, nil
}

// PutBlob implements Registry.
func (h *HTTP) PutBlob(ctx context.Context, repo string, d digest.Digest, size int64, open func() (io.ReadCloser, error)) error {
	hash, err := v1.NewHash(d.String())
	if err != nil {
		return fmt.Errorf("blob %s: %w", d, err)
	}
	l := &uploadLayer{digest: hash, size: size, open: open}
	if err := h.pusher.Upload(ctx, h.repo(repo), l); err != nil {
		return h.wrap(err, nil, "blob")
	}
	return nil
}

// PutManifest implements Registry.
func (h *HTTP) PutManifest(ctx context.Context, repo, tag string, m *Manifest) error {
	if err := h.pusher.Put(ctx, h.repo(repo).Tag(tag), rawManifest{m}); err != nil {
		return h.wrap(err, nil, "manifest")
	}
	return nil
}

// rawManifest is a remote.Taggable: manifest bytes as they are.
type rawManifest struct{ m *Manifest }

func (r rawManifest) RawManifest() ([]byte, error)        { return r.m.Raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return types.MediaType(r.m.MediaType), nil }

// uploadLayer is a v1.Layer over a blob whose digest and size are known; only the
// compressed form is ever read by an upload.
type uploadLayer struct {
	digest v1.Hash
	size   int64
	open   func() (io.ReadCloser, error)
}

func (l *uploadLayer) Digest() (v1.Hash, error) { return l.digest, nil }
func (l *uploadLayer) DiffID() (v1.Hash, error) {
	return v1.Hash{}, errors.New("diffID of an upload is not known")
}
func (l *uploadLayer) Compressed() (io.ReadCloser, error) { return l.open() }
func (l *uploadLayer) Uncompressed() (io.ReadCloser, error) {
	return nil, errors.New("an upload reads only the blob")
}
func (l *uploadLayer) Size() (int64, error)                { return l.size, nil }
func (l *uploadLayer) MediaType() (types.MediaType, error) { return types.DockerLayer, nil }

// wrap words an error of go-containerregistry as Docker does and wraps the sentinel
// that says what it means. notFound is the sentinel a 404 means here (nil: none).
func (h *HTTP) wrap(err error, notFound error, what string) error {
	if err == nil {
		return nil
	}
	var te *transport.Error
	if errors.As(err, &te) {
		re := &RegistryError{Status: te.StatusCode}
		if len(te.Errors) > 0 {
			re.Code, re.Message = string(te.Errors[0].Code), te.Errors[0].Message
		}
		switch {
		case re.Code == string(transport.ManifestUnknownErrorCode):
			re.kind = ErrManifestUnknown
		case re.Code == string(transport.BlobUnknownErrorCode):
			re.kind = ErrBlobUnknown
		case re.Code == string(transport.NameUnknownErrorCode) && notFound != nil:
			re.kind = notFound
		case re.Code == string(transport.UnauthorizedErrorCode) || te.StatusCode == http.StatusUnauthorized:
			re.kind = ErrUnauthorized
			if re.Code == "" {
				// A HEAD answer has no body: the registry's usual words.
				re.Code, re.Message = string(transport.UnauthorizedErrorCode), "authentication required"
			}
			if !h.creds {
				// Docker's words when the registry challenges for basic auth and the
				// user has not logged in.
				re.Code, re.Message = "", "no basic auth credentials"
				if what == "manifest" && te.Request != nil {
					return &RegistryError{Status: te.StatusCode, Message: fmt.Sprintf("%s %q: no basic auth credentials",
						dockerMethod(te.Request), te.Request.URL.String()), kind: ErrUnauthorized}
				}
			}
		case re.Code == string(transport.DeniedErrorCode) || te.StatusCode == http.StatusForbidden:
			re.kind = ErrDenied
		case te.StatusCode == http.StatusNotFound && notFound != nil:
			re.kind = notFound
			if re.Code == "" {
				re.Code, re.Message = strings.ToUpper(strings.ReplaceAll(notFound.Error(), " ", "_")), notFound.Error()
			}
		}
		if re.Code == "" && re.Message == "" {
			re.Message = te.Error()
		}
		return re
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		var ne net.Error
		var oe *net.OpError
		var de *net.DNSError
		if errors.As(ue.Err, &oe) || errors.As(ue.Err, &de) || errors.As(ue.Err, &ne) {
			u, perr := url.Parse(ue.URL)
			if perr == nil && u.Path == "/v2/" {
				// The first request, the ping: say it as Docker does, with the scheme
				// Docker would have fallen back to.
				return &kindError{msg: fmt.Sprintf("%s %q: %v", ue.Op, h.scheme()+"://"+u.Host+"/v2/", ue.Err), kind: ErrUnreachable}
			}
			return &kindError{msg: ue.Error(), kind: ErrUnreachable}
		}
	}
	return err
}

// scheme is the scheme Docker reports for the registry: plain HTTP for loopback
// addresses (insecure by default), HTTPS for the rest.
func (h *HTTP) scheme() string {
	host := h.reg.RegistryStr()
	hn := host
	if sh, _, err := net.SplitHostPort(host); err == nil {
		hn = sh
	}
	if hn == "localhost" {
		return "http"
	}
	if ip := net.ParseIP(hn); ip != nil && ip.IsLoopback() {
		return "http"
	}
	return "https"
}

// dockerMethod: Docker asks for a manifest by tag with HEAD first; by digest with GET.
func dockerMethod(r *http.Request) string {
	if strings.Contains(r.URL.Path, "/manifests/sha256:") {
		return "Get"
	}
	return "Head"
}
