// Package image holds the data of a Docker image as the classic builder writes it:
// the image JSON (config, container_config, history, rootfs), its content-derived ID,
// and the references that name images.
package image

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"
)

// ContainerConfig is Docker's container.Config, the "config" and "container_config"
// of an image. Field order and JSON names follow Docker 20.10 exactly, because the
// image ID is the digest of this JSON.
type ContainerConfig struct {
	Hostname     string
	Domainname   string
	User         string
	AttachStdin  bool
	AttachStdout bool
	AttachStderr bool
	ExposedPorts map[string]struct{} `json:",omitempty"`
	Tty          bool
	OpenStdin    bool
	StdinOnce    bool
	Env          []string
	Cmd          []string
	Healthcheck  *HealthConfig `json:",omitempty"`
	ArgsEscaped  bool          `json:",omitempty"`
	Image        string
	Volumes      map[string]struct{}
	WorkingDir   string
	Entrypoint   []string
	OnBuild      []string
	Labels       map[string]string
	StopSignal   string   `json:",omitempty"`
	Shell        []string `json:",omitempty"`
}

// HealthConfig is Docker 20.10's HEALTHCHECK configuration. Its field set matters:
// the classic builder prints it with %q into history.
type HealthConfig struct {
	Test        []string      `json:",omitempty"`
	Interval    time.Duration `json:",omitempty"`
	Timeout     time.Duration `json:",omitempty"`
	StartPeriod time.Duration `json:",omitempty"`
	Retries     int           `json:",omitempty"`
}

// Clone returns a deep copy.
func (c *ContainerConfig) Clone() *ContainerConfig {
	if c == nil {
		return &ContainerConfig{}
	}
	n := *c
	n.Env = cloneStrings(c.Env)
	n.Cmd = cloneStrings(c.Cmd)
	n.Entrypoint = cloneStrings(c.Entrypoint)
	n.OnBuild = cloneStrings(c.OnBuild)
	n.Shell = cloneStrings(c.Shell)
	if c.ExposedPorts != nil {
		n.ExposedPorts = map[string]struct{}{}
		for k := range c.ExposedPorts {
			n.ExposedPorts[k] = struct{}{}
		}
	}
	if c.Volumes != nil {
		n.Volumes = map[string]struct{}{}
		for k := range c.Volumes {
			n.Volumes[k] = struct{}{}
		}
	}
	if c.Labels != nil {
		n.Labels = map[string]string{}
		for k, v := range c.Labels {
			n.Labels[k] = v
		}
	}
	if c.Healthcheck != nil {
		h := *c.Healthcheck
		h.Test = cloneStrings(h.Test)
		n.Healthcheck = &h
	}
	return &n
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string{}, s...)
}

// GetEnv returns the value of key in Env.
func (c *ContainerConfig) GetEnv(key string) (string, bool) {
	for _, kv := range c.Env {
		k, v, _ := strings.Cut(kv, "=")
		if k == key {
			return v, true
		}
	}
	return "", false
}

// SetEnv sets key=value, replacing an earlier value in place as Docker does.
func (c *ContainerConfig) SetEnv(key, value string) {
	for i, kv := range c.Env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			c.Env[i] = key + "=" + value
			return
		}
	}
	c.Env = append(c.Env, key+"="+value)
}

// CacheKey is what Docker's classic image cache compares between a step's
// container_config and a candidate child image's (image/cache/compare.go): User, Tty,
// OpenStdin, the attach flags, Cmd, Env, Labels, ExposedPorts, Entrypoint and Volumes.
// Hostname, Image, WorkingDir and the rest are not compared.
func (c *ContainerConfig) CacheKey() string {
	// Every field is written length-prefixed, so no two configs share an encoding. This
	// runs once per step on the cached-rebuild path: no fmt, no reflection.
	h := sha256.New()
	var buf []byte
	str := func(x string) {
		buf = binary.AppendUvarint(buf[:0], uint64(len(x)))
		h.Write(buf)
		io.WriteString(h, x)
	}
	list := func(tag string, s []string) {
		str(tag)
		buf = binary.AppendUvarint(buf[:0], uint64(len(s)))
		h.Write(buf)
		for _, x := range s {
			str(x)
		}
	}
	flag := func(b bool) {
		if b {
			h.Write([]byte{1})
		} else {
			h.Write([]byte{0})
		}
	}
	str(c.User)
	flag(c.Tty)
	flag(c.OpenStdin)
	flag(c.AttachStdout)
	flag(c.AttachStderr)
	list("cmd", c.Cmd)
	list("env", c.Env)
	list("entrypoint", c.Entrypoint)
	list("labels", sortedLabels(c.Labels))
	list("ports", sortedKeys(c.ExposedPorts))
	list("volumes", sortedKeys(c.Volumes))
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func sortedKeys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedLabels(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// History is one row of an image's history.
type History struct {
	Created    time.Time `json:"created,omitempty"`
	Author     string    `json:"author,omitempty"` // before created_by, as in Docker's image.History: the ID hashes this order
	CreatedBy  string    `json:"created_by,omitempty"`
	Comment    string    `json:"comment,omitempty"`
	EmptyLayer bool      `json:"empty_layer,omitempty"`
}

// RootFS lists an image's layers by diffID, base first.
type RootFS struct {
	Type    string          `json:"type"`
	DiffIDs []digest.Digest `json:"diff_ids,omitempty"`
}

// Image is Docker's image JSON (image.Image in moby): what `docker save` writes as
// the config blob, and what the image ID is the digest of.
type Image struct {
	ID              string           `json:"id,omitempty"`
	Comment         string           `json:"comment,omitempty"`
	Created         time.Time        `json:"created"`
	Container       string           `json:"container,omitempty"`
	ContainerConfig *ContainerConfig `json:"container_config,omitempty"`
	DockerVersion   string           `json:"docker_version,omitempty"`
	Author          string           `json:"author,omitempty"`
	Config          *ContainerConfig `json:"config,omitempty"`
	Architecture    string           `json:"architecture,omitempty"`
	Variant         string           `json:"variant,omitempty"`
	OS              string           `json:"os,omitempty"`
	Parent          digest.Digest    `json:"parent,omitempty"`
	RootFS          RootFS           `json:"rootfs"`
	History         []History        `json:"history,omitempty"`
}

// DockerVersion is what the classic builder writes into docker_version: layerlab
// reproduces Docker Engine 20.10's classic builder, so it says so.
const DockerVersion = "20.10.24+dfsg1"

// MarshalJSON writes the image with its top-level keys sorted, as moby's
// image.Image.MarshalJSON does, so IDs are computed over the same bytes Docker would.
func (img *Image) MarshalJSON() ([]byte, error) {
	type plain Image
	pass1, err := json.Marshal((*plain)(img))
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(pass1, &m); err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads an image JSON; a missing rootfs type defaults to "layers".
func (img *Image) UnmarshalJSON(b []byte) error {
	type plain Image
	if err := json.Unmarshal(b, (*plain)(img)); err != nil {
		return err
	}
	return nil
}

// Encode returns the canonical JSON bytes and the image ID (their sha256).
func (img *Image) Encode() ([]byte, digest.Digest, error) {
	b, err := json.Marshal(img)
	if err != nil {
		return nil, "", fmt.Errorf("encode image config: %w", err)
	}
	return b, digest.FromBytes(b), nil
}

// Decode parses an image JSON and checks the fields every image must have.
func Decode(b []byte) (*Image, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	var img Image
	if err := d.Decode(&img); err != nil {
		return nil, fmt.Errorf("decode image config: %w", err)
	}
	if img.RootFS.Type != "layers" {
		return nil, fmt.Errorf("decode image config: rootfs type is %q, want \"layers\"", img.RootFS.Type)
	}
	for _, id := range img.RootFS.DiffIDs {
		if err := id.Validate(); err != nil {
			return nil, fmt.Errorf("decode image config: diff_id %q: %w", id, err)
		}
	}
	return &img, nil
}

// ShortID is the 12 hex digits Docker prints for an image ID.
func ShortID(id digest.Digest) string {
	h := id.Encoded()
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// EmptyLayerDiffID is the diffID of an empty tar (1024 zero bytes).
const EmptyLayerDiffID = digest.Digest("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef")
