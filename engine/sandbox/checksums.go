package sandbox

// Checksums and encodings: md5sum, sha1sum, sha256sum and sha512sum (with -c), base64.

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"
)

// cmdSum is md5sum, sha1sum, sha256sum and sha512sum, with -c to check a list.
func cmdSum(p *proc) int {
	newHash := map[string]func() hash.Hash{"md5sum": md5.New, "sha1sum": sha1.New, "sha256sum": sha256.New, "sha512sum": sha512.New}[p.name]
	f := parseFlags(p.args, "")
	sum := func(b []byte) string { h := newHash(); h.Write(b); return hex.EncodeToString(h.Sum(nil)) }
	if !f.has('c', "check") {
		return p.inputs(f.args, func(name string, b []byte) bool {
			p.outf("%s  %s\n", sum(b), name)
			return true
		})
	}
	quiet, status := f.has('q', "quiet"), f.has('s', "status")
	bad, missing, total, malformed := 0, 0, 0, 0
	code := p.inputs(f.args, func(list string, b []byte) bool {
		for _, line := range splitLines(b) {
			if strings.TrimSpace(line) == "" {
				continue
			}
			want, name, ok := strings.Cut(line, " ")
			name = strings.TrimPrefix(strings.TrimPrefix(name, " "), "*")
			if !ok || len(want) != len(sum(nil)) || name == "" {
				malformed++
				continue
			}
			total++
			data, err := p.readFile(name)
			if err != nil {
				missing++
				if !status {
					p.errf("%s", p.pick("can't open '"+name+"': "+errno(err), name+": "+errno(err)))
					p.outf("%s: FAILED open or read\n", name)
				}
				continue
			}
			if !strings.EqualFold(sum(data), want) {
				bad++
				if !status {
					p.outf("%s: FAILED\n", name)
				}
			} else if !quiet && !status {
				p.outf("%s: OK\n", name)
			}
		}
		return true
	})
	if code != 0 {
		return 1
	}
	if total == 0 {
		p.errf("%s", p.pick("no checksums found", strings.Join(f.args, " ")+": no properly formatted checksum lines found"))
		return 1
	}
	if !status {
		if p.s.busybox {
			if bad+missing > 0 {
				p.errf("WARNING: %d of %d computed checksums did NOT match", bad+missing, total)
			}
		} else {
			if malformed > 0 {
				p.errf("WARNING: %d line%s improperly formatted", malformed, plural(malformed, " is", "s are"))
			}
			if missing > 0 {
				p.errf("WARNING: %d listed file%s could not be read", missing, plural(missing, "", "s"))
			}
			if bad > 0 {
				p.errf("WARNING: %d computed checksum%s did NOT match", bad, plural(bad, "", "s"))
			}
		}
	}
	if bad+missing > 0 {
		return 1
	}
	return 0
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// cmdBase64 encodes (wrapping at 76 columns, -w N, -w 0 for none) or decodes (-d).
func cmdBase64(p *proc) int {
	f := parseFlags(p.args, "w")
	wrap := 76
	if v, ok := f.val['w']; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			p.errf("invalid wrap size: '%s'", v)
			return 1
		}
		wrap = n
	}
	if len(f.args) > 1 {
		p.errf("extra operand '%s'", f.args[1])
		return 1
	}
	decode := f.has('d', "decode")
	return p.inputs(f.args, func(name string, b []byte) bool {
		if decode {
			clean := strings.Map(func(r rune) rune {
				if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
					return -1
				}
				return r
			}, string(b))
			out, err := base64.StdEncoding.DecodeString(clean)
			if err != nil {
				if f.has('i', "ignore-garbage") {
					out, _ = base64.StdEncoding.DecodeString(strings.TrimRight(clean, "="))
				} else {
					if ce, ok := err.(base64.CorruptInputError); ok {
						p.out.Write(out[:min(len(out), int(ce)*3/4)])
					}
					p.errf("invalid input")
					p.failed = true
					return false
				}
			}
			p.out.Write(out)
			return true
		}
		enc := base64.StdEncoding.EncodeToString(b)
		if wrap == 0 {
			p.outf("%s\n", enc)
			return true
		}
		for len(enc) > wrap {
			p.outf("%s\n", enc[:wrap])
			enc = enc[wrap:]
		}
		if enc != "" {
			p.outf("%s\n", enc)
		}
		return true
	}) | p.failCode()
}
