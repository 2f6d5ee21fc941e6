package build

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"

	"layerlab/engine/rootfs"
)

// The classic builder's content hashes, as they appear in COPY/ADD history rows
// (`COPY file:<sha256> in /app/ `). They are Docker's "tarsum v1" per-file sums: a
// sha256 over selected tar header fields (name, mode with type bits, uid, gid, size,
// typeflag, linkname, uname, gname, devmajor, devminor; not mtime) and then the
// content. That is why an mtime-only change is a cache hit while a rename or a chmod is
// a miss. Verified against the recordings in testdata/conformance.

// fileSum is one entry's tarsum. name is the tar name (a directory ends in "/");
// uname/gname are what the sender's tar header carried: empty for a build context
// (the docker CLI sends 0:0 without names), "root" for uid/gid 0 of an image source
// (the daemon looks names up on its host).
func fileSum(name string, e *rootfs.Entry, uname, gname string) string {
	return fileSumMode(name, e, uname, gname, true)
}

// fileSumMode is fileSum with the mode's file-type bits in the sum or not, as the
// sender's tar header had them (File.BareMode).
func fileSumMode(name string, e *rootfs.Entry, uname, gname string, typeBits bool) string {
	h := sha256.New()
	mode := rootfs.ModeBits(e.Mode)
	var size int64
	typ := byte('0')
	link := ""
	switch e.Kind {
	case rootfs.KindDir:
		mode |= 0o40000
		typ = '5'
	case rootfs.KindSymlink:
		mode |= 0o120000
		typ = '2'
		link = e.Linkname
	default:
		mode |= 0o100000
		size = e.Size()
	}
	if !typeBits {
		mode &= 0o7777
	}
	var b strings.Builder
	b.WriteString("name")
	b.WriteString(name)
	b.WriteString("mode")
	b.WriteString(strconv.FormatInt(mode, 10))
	b.WriteString("uid")
	b.WriteString(strconv.Itoa(e.UID))
	b.WriteString("gid")
	b.WriteString(strconv.Itoa(e.GID))
	b.WriteString("size")
	b.WriteString(strconv.FormatInt(size, 10))
	b.WriteString("typeflag")
	b.WriteByte(typ)
	b.WriteString("linkname")
	b.WriteString(link)
	b.WriteString("uname")
	b.WriteString(uname)
	b.WriteString("gname")
	b.WriteString(gname)
	b.WriteString("devmajor0devminor0")
	io.WriteString(h, b.String())
	if e.Kind == rootfs.KindFile && size > 0 {
		if b, ok := e.Data.(rootfs.Bytes); ok {
			h.Write(b)
		} else {
			io.Copy(h, e.Data.Open())
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// hashList is the classic builder's hashStringSlice: prefix ":" sha256(join(",")).
func hashList(prefix string, sums []string) string {
	h := sha256.Sum256([]byte(strings.Join(sums, ",")))
	return prefix + ":" + hex.EncodeToString(h[:])
}

// HashContext is the classic builder's hash of a whole build context, the "dir:<sha256>"
// that `COPY . /x` writes into its history row, computed by the same code a build runs
// (every file's tarsum, then the list's). Builds hash lazily, per COPY; this is the
// whole-context figure for benchmarks and tools.
func HashContext(c *Context) (string, error) {
	r := &run{bctx: c, srcHash: map[string]string{}}
	srcs, err := r.resolveSources(c.FS, ".", "", false, map[string]string{})
	if err != nil {
		return "", fmt.Errorf("hash context: %w", err)
	}
	if len(srcs) != 1 {
		return "", fmt.Errorf("hash context: %d sources for \".\", want 1", len(srcs))
	}
	return srcs[0].hash, nil
}
