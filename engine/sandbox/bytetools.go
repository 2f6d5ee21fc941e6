package sandbox

// Tools that read bytes, not lines: cmp, od, hexdump (hd) and xxd.

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// cmdCmp compares two files byte by byte; -s is silent. Exit 1 when they differ.
func cmdCmp(p *proc) int {
	f := parseFlags(p.args, "in")
	if len(f.args) < 1 {
		p.errf("missing operand")
		return 2
	}
	names := append([]string(nil), f.args...)
	if len(names) == 1 {
		names = append(names, "-")
	}
	// Both inputs stream, compared a byte at a time: any length, nothing held.
	var in [2]*bufio.Reader
	for i, name := range names[:2] {
		r, err := p.openInput(name)
		if err != nil {
			if !f.has('s', "silent", "quiet") {
				p.openErr(name, err)
			}
			return 2
		}
		in[i] = bufio.NewReaderSize(r, streamChunk)
	}
	silent, verbose := f.has('s', "silent", "quiet"), f.has('l', "verbose")
	line, differ := int64(1), false
	for i := int64(0); ; i++ {
		a, errA := in[0].ReadByte()
		b, errB := in[1].ReadByte()
		if errA != nil || errB != nil {
			if p.stopped() {
				return 2
			}
			if errA == nil || errB == nil {
				// one input is longer: EOF on the other
				if !silent {
					short := names[0]
					if errB != nil {
						short = names[1]
					}
					switch {
					case p.s.busybox:
						p.errf("EOF on %s", short)
					case i == 0:
						p.errf("EOF on %s which is empty", short)
					default:
						p.errf("EOF on %s after byte %d, line %d", short, i, line)
					}
				}
				return 1
			}
			break
		}
		if a != b {
			if !verbose {
				if !silent {
					p.outf("%s %s differ: %s %d, line %d\n", names[0], names[1], p.pick("char", "byte"), i+1, line)
				}
				return 1
			}
			p.outf("%d %3o %3o\n", i+1, a, b)
			differ = true
		}
		if a == '\n' {
			line++
		}
	}
	if differ {
		return 1
	}
	return 0
}

// cmdOd dumps bytes: default octal 2-byte words, -c characters, -x hex words, -b octal
// bytes, -t x1|o1|c|d1|u1, -A d|o|x|n addresses, -An.
func cmdOd(p *proc) int {
	f := parseFlags(p.args, "tAjN")
	typ := "o2"
	switch {
	case f.has('c'):
		typ = "c"
	case f.has('x'):
		typ = "x2"
	case f.has('b'):
		typ = "o1"
	case f.has('d'):
		typ = "u2"
	}
	if v, ok := f.val['t']; ok {
		v = strings.TrimSuffix(strings.TrimSuffix(v, "z"), "C")
		switch v {
		case "x1", "o1", "d1", "u1", "c", "x2", "o2", "d2", "u2", "x", "o", "d", "u", "a":
		default:
			p.errf("invalid type string '%s'", v)
			return 1
		}
		if len(v) == 1 && v != "c" && v != "a" {
			v += "2"
		}
		typ = v
	}
	radix := "o"
	if v, ok := f.val['A']; ok {
		if v != "d" && v != "o" && v != "x" && v != "n" {
			p.errf("invalid output address radix '%s'; it must be one character from [doxn]", v)
			return 1
		}
		radix = v
	}
	var all bytes.Buffer
	code := p.inputs(f.args, func(_ string, b []byte) bool { all.Write(b); return true })
	data := all.Bytes()
	if v, ok := f.val['N']; ok {
		if n, err := strconv.Atoi(v); err == nil && n < len(data) {
			data = data[:max(n, 0)]
		}
	}
	addr := func(n int) string {
		switch radix {
		case "d":
			return fmt.Sprintf("%07d", n)
		case "x":
			return fmt.Sprintf("%06x", n)
		case "n":
			return ""
		}
		return fmt.Sprintf("%07o", n)
	}
	size := 1
	if strings.HasSuffix(typ, "2") {
		size = 2
	}
	for off := 0; off < len(data); off += 16 {
		row := data[off:min(off+16, len(data))]
		var sb strings.Builder
		sb.WriteString(addr(off))
		for i := 0; i < len(row); i += size {
			var v uint64
			for k := size - 1; k >= 0; k-- {
				v <<= 8
				if i+k < len(row) {
					v |= uint64(row[i+k])
				}
			}
			switch typ {
			case "c", "a":
				sb.WriteString(fmt.Sprintf("%4s", odChar(byte(v))))
			case "x1":
				sb.WriteString(fmt.Sprintf(" %02x", v))
			case "o1":
				sb.WriteString(fmt.Sprintf(" %03o", v))
			case "d1":
				sb.WriteString(fmt.Sprintf(" %4d", int8(v)))
			case "u1":
				sb.WriteString(fmt.Sprintf(" %3d", v))
			case "x2":
				sb.WriteString(fmt.Sprintf(" %04x", v))
			case "o2":
				sb.WriteString(fmt.Sprintf(" %06o", v))
			case "d2":
				sb.WriteString(fmt.Sprintf(" %6d", int16(v)))
			case "u2":
				sb.WriteString(fmt.Sprintf(" %5d", v))
			}
		}
		p.outf("%s\n", sb.String())
	}
	if radix != "n" {
		p.outf("%s\n", addr(len(data)))
	}
	return code
}

func odChar(c byte) string {
	switch c {
	case 0:
		return `\0`
	case '\a':
		return `\a`
	case '\b':
		return `\b`
	case '\f':
		return `\f`
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	case '\v':
		return `\v`
	}
	if c < 32 || c >= 127 {
		return fmt.Sprintf("%03o", c)
	}
	return string(c)
}

func printable(c byte) byte {
	if c < 32 || c >= 127 {
		return '.'
	}
	return c
}

// cmdHexdump is hexdump/hd; -C (canonical hex+ASCII) is the supported format, and hd's
// default. Plain hexdump prints 2-byte little-endian words.
func cmdHexdump(p *proc) int {
	f := parseFlags(p.args, "nse")
	if _, ok := f.val['e']; ok {
		p.errf("-e formats are not supported by the layerlab sandbox (use -C)")
		return 1
	}
	var all bytes.Buffer
	code := p.inputs(f.args, func(_ string, b []byte) bool { all.Write(b); return true })
	data := all.Bytes()
	if v, ok := f.val['s']; ok {
		if n, err := strconv.Atoi(v); err == nil {
			data = data[min(max(n, 0), len(data)):]
		}
	}
	if v, ok := f.val['n']; ok {
		if n, err := strconv.Atoi(v); err == nil && n < len(data) {
			data = data[:max(n, 0)]
		}
	}
	canonical := f.has('C') || p.name == "hd"
	var prev []byte
	star := false
	for off := 0; off < len(data); off += 16 {
		row := data[off:min(off+16, len(data))]
		if len(row) == 16 && prev != nil && bytes.Equal(row, prev) && !f.has('v') {
			if !star {
				p.outf("*\n")
				star = true
			}
			continue
		}
		star = false
		prev = row
		if !canonical {
			var sb strings.Builder
			fmt.Fprintf(&sb, "%07x", off)
			for i := 0; i < len(row); i += 2 {
				v := uint16(row[i])
				if i+1 < len(row) {
					v |= uint16(row[i+1]) << 8
				}
				fmt.Fprintf(&sb, " %04x", v)
			}
			p.outf("%s\n", sb.String())
			continue
		}
		var hexs strings.Builder
		for i := 0; i < 16; i++ {
			if i == 8 {
				hexs.WriteByte(' ')
			}
			if i < len(row) {
				fmt.Fprintf(&hexs, " %02x", row[i])
			} else {
				hexs.WriteString("   ")
			}
		}
		asc := make([]byte, len(row))
		for i, c := range row {
			asc[i] = printable(c)
		}
		p.outf("%08x %s  |%s|\n", off, hexs.String(), asc)
	}
	if len(data) > 0 || canonical {
		if canonical {
			p.outf("%08x\n", len(data))
		} else {
			p.outf("%07x\n", len(data))
		}
	}
	return code
}

// cmdXxd makes a hex dump (xxd FILE, -p plain, -r -p reverse of a plain dump).
func cmdXxd(p *proc) int {
	f := parseFlags(p.args, "lcs")
	var all bytes.Buffer
	code := p.inputs(f.args[:min(len(f.args), 1)], func(_ string, b []byte) bool { all.Write(b); return true })
	data := all.Bytes()
	if f.has('r') {
		if !f.has('p') {
			p.errf("only -r -p (plain hex) is supported by the layerlab sandbox")
			return 1
		}
		clean := strings.Join(strings.Fields(string(data)), "")
		out, err := hex.DecodeString(clean[:len(clean)/2*2])
		if err != nil {
			p.errf("invalid hex input")
			return 1
		}
		p.out.Write(out)
		return code
	}
	if v, ok := f.val['l']; ok {
		if n, err := strconv.Atoi(v); err == nil && n < len(data) {
			data = data[:max(n, 0)]
		}
	}
	if f.has('p') {
		s := hex.EncodeToString(data)
		for len(s) > 60 {
			p.outf("%s\n", s[:60])
			s = s[60:]
		}
		if s != "" {
			p.outf("%s\n", s)
		}
		return code
	}
	for off := 0; off < len(data); off += 16 {
		row := data[off:min(off+16, len(data))]
		var hexs strings.Builder
		for i := 0; i < 16; i += 2 {
			for k := i; k < i+2; k++ {
				if k < len(row) {
					fmt.Fprintf(&hexs, "%02x", row[k])
				} else {
					hexs.WriteString("  ")
				}
			}
			hexs.WriteByte(' ')
		}
		asc := make([]byte, len(row))
		for i, c := range row {
			asc[i] = printable(c)
		}
		p.outf("%08x: %s %s\n", off, hexs.String(), asc)
	}
	return code
}
