package sandbox

// What the container reports about itself (arch, tty, uptime, hostname's options,
// logname, groups, getent, free, df) and the commands it refuses (watch, chroot, mount).

import (
	"fmt"
	"strconv"
	"strings"
)

// cmdRefuse answers the commands the sandbox cannot honour with a clear message.
func cmdRefuse(p *proc) int {
	switch p.name {
	case "mount", "umount":
		if p.name == "mount" && len(p.args) == 0 {
			p.outf("overlay on / type overlay (rw,relatime)\nproc on /proc type proc (rw,nosuid,nodev,noexec,relatime)\ntmpfs on /dev type tmpfs (rw,nosuid,size=65536k,mode=755)\n")
			return 0
		}
		p.errf("permission denied (the playground sandbox has no mounts)")
		return 1
	case "chroot":
		if len(p.args) == 0 {
			p.errf("missing operand")
			return 125
		}
		p.errf("cannot change root directory to '%s': Operation not permitted (the playground sandbox does not run chroot)", p.args[0])
		return 125
	case "watch":
		p.errf("the playground sandbox does not run watch: a build step cannot repeat a command forever (use a loop with sleep)")
		return 1
	}
	return p.notSimulated(p.name)
}

func cmdArch(p *proc) int { p.outf("x86_64\n"); return 0 }

func cmdTty(p *proc) int { p.outf("not a tty\n"); return 1 }

func cmdLogname(p *proc) int {
	p.errf("%s", p.pick("getlogin: No such device or address", "no login name"))
	return 1
}

func cmdUptime(p *proc) int {
	t := p.s.now().UTC()
	p.outf(" %s up 1 day,  2:03,  0 users,  load average: 0.08, 0.03, 0.01\n", t.Format("15:04:05"))
	return 0
}

func cmdGroups(p *proc) int {
	uid := p.s.uid
	if len(p.args) > 0 {
		u, ok := p.s.userByName(p.args[0])
		if !ok {
			p.errf("%s", p.pick("unknown user "+p.args[0], "'"+p.args[0]+"': no such user"))
			return 1
		}
		uid = u.uid
	}
	gid := p.s.gid
	name := p.userName(uid)
	if u, ok := p.s.userByID(uid); ok && uid != p.s.uid {
		gid = u.gid
	}
	out := []string{p.groupName(gid)}
	for _, g := range p.s.groups() {
		if g.gid == gid {
			continue
		}
		for _, m := range g.members {
			if m == name {
				out = append(out, g.name)
			}
		}
	}
	p.outf("%s\n", strings.Join(out, " "))
	return 0
}

// cmdHostnameOpts prints the container's hostname; setting it is not permitted.
func cmdHostnameOpts(p *proc) int {
	f := parseFlags(p.args, "F")
	switch {
	case f.has('i', "ip-address"), f.has('I', "all-ip-addresses"):
		p.outf("172.17.0.2\n")
		return 0
	case f.has('d', "domain"):
		p.outf("\n")
		return 0
	case f.has('F', "file") || len(f.args) > 0:
		p.errf("%s", p.pick("sethostname: Operation not permitted", "you must be root to change the host name"))
		return 1
	}
	p.outf("%s\n", p.s.hostname)
	return 0
}

// cmdGetent looks entries up in the image's /etc files.
func cmdGetent(p *proc) int {
	if len(p.args) == 0 {
		p.errf("wrong number of arguments")
		return 1
	}
	db, keys := p.args[0], p.args[1:]
	file := map[string]string{"passwd": "/etc/passwd", "group": "/etc/group", "hosts": "/etc/hosts",
		"services": "/etc/services", "protocols": "/etc/protocols", "shadow": "/etc/shadow"}[db]
	if file == "" {
		fmt.Fprintf(p.errw, "Unknown database: %s\n", db)
		return 1
	}
	if db == "shadow" && p.s.uid != 0 {
		return 2
	}
	b, _ := p.s.readRaw(file)
	if db == "hosts" && len(b) == 0 {
		b = []byte("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			lines = append(lines, l)
		}
	}
	if len(keys) == 0 {
		for _, l := range lines {
			p.outf("%s\n", l)
		}
		return 0
	}
	code := 0
	for _, k := range keys {
		found := false
		for _, l := range lines {
			var match bool
			switch db {
			case "passwd", "group", "shadow":
				f := strings.Split(l, ":")
				match = f[0] == k || (len(f) > 2 && db != "shadow" && f[2] == k)
			default:
				for _, w := range strings.Fields(strings.SplitN(l, "#", 2)[0]) {
					if w == k || (db == "services" && strings.HasPrefix(w, k+"/")) {
						match = true
					}
				}
			}
			if match {
				p.outf("%s\n", l)
				found = true
				break
			}
		}
		if !found {
			code = 2
		}
	}
	return code
}

// cmdFree prints a fixed, realistic memory summary (an 8 GiB host, no swap use).
func cmdFree(p *proc) int {
	f := parseFlags(p.args, "s")
	type row struct{ total, used, free, shared, cache, avail int64 }
	mem := row{8039920, 1043688, 5163700, 11812, 1832532, 6694736}
	swap := row{2097148, 0, 2097148, 0, 0, 0}
	unit := int64(1)
	switch {
	case f.has('m', "mebi"):
		unit = 1024
	case f.has('g', "gibi"):
		unit = 1024 * 1024
	case f.has('b', "bytes"):
		unit = -1
	}
	conv := func(n int64) string {
		switch {
		case f.has('h', "human"):
			v := float64(n) * 1024
			for _, u := range []string{"B", "Ki", "Mi", "Gi"} {
				if v < 1024 || u == "Gi" {
					if u == "B" {
						return fmt.Sprintf("%.0f%s", v, u)
					}
					return fmt.Sprintf("%.1f%s", v, u)
				}
				v /= 1024
			}
		case unit == -1:
			return strconv.FormatInt(n*1024, 10)
		}
		return strconv.FormatInt(n/unit, 10)
	}
	w := 13 // first column ends at 19 (busybox) or 20 (procps)
	if !p.s.busybox {
		w = 14
	}
	head := fmt.Sprintf("%*s%12s%12s%12s%12s%12s\n", w+6, "total", "used", "free", "shared", "buff/cache", "available")
	p.outf("%s", head)
	p.outf("Mem:  %*s%12s%12s%12s%12s%12s\n", w, conv(mem.total), conv(mem.used), conv(mem.free), conv(mem.shared), conv(mem.cache), conv(mem.avail))
	p.outf("Swap: %*s%12s%12s\n", w, conv(swap.total), conv(swap.used), conv(swap.free))
	return 0
}

// cmdDf prints the container's mounts with fixed, realistic numbers.
func cmdDf(p *proc) int {
	f := parseFlags(p.args, "tBx")
	type mnt struct {
		fs                 string
		blocks, used, free int64
		pct                int
		on                 string
	}
	mounts := []mnt{
		{"overlay", 61255492, 21398248, 36715988, 37, "/"},
		{"tmpfs", 65536, 0, 65536, 0, "/dev"},
		{"shm", 65536, 0, 65536, 0, "/dev/shm"},
		{"/dev/sda1", 61255492, 21398248, 36715988, 37, "/etc/hosts"},
	}
	if len(f.args) > 0 {
		var sel []mnt
		for _, a := range f.args {
			ap := p.abs(a)
			if !p.s.exists(ap) {
				p.errf("%s", p.pick(a+": can't find mount point", a+": No such file or directory"))
				return 1
			}
			m := mounts[0]
			if ap == "/dev" || ap == "/dev/shm" {
				m = map[string]mnt{"/dev": mounts[1], "/dev/shm": mounts[2]}[ap]
			}
			sel = append(sel, m)
		}
		mounts = sel
	}
	human := f.has('h', "human-readable")
	size := func(kb int64) string {
		if !human {
			if f.has('m') {
				return strconv.FormatInt(kb/1024, 10)
			}
			return strconv.FormatInt(kb, 10)
		}
		if kb == 0 {
			return "0"
		}
		v := float64(kb)
		for _, u := range []string{"K", "M", "G", "T"} {
			if v < 1024 {
				if v < 10 && u != "K" {
					return fmt.Sprintf("%.1f%s", v, u)
				}
				return fmt.Sprintf("%.0f%s", v, u)
			}
			v /= 1024
		}
		return fmt.Sprintf("%.0fP", v)
	}
	col := "1K-blocks"
	if human {
		col = "Size"
	} else if f.has('m') {
		col = "1M-blocks"
	}
	if p.s.busybox {
		p.outf("%-20s %9s %9s %9s %3s%% %s\n", "Filesystem", col, "Used", "Available", "Use", "Mounted on")
		for _, m := range mounts {
			p.outf("%-20s %9s %9s %9s %3d%% %s\n", m.fs, size(m.blocks), size(m.used), size(m.free), m.pct, m.on)
		}
		return 0
	}
	p.outf("%-14s %9s %8s %9s %4s %s\n", "Filesystem", col, "Used", "Available"[:map[bool]int{true: 5, false: 9}[human]], "Use%", "Mounted on")
	for _, m := range mounts {
		p.outf("%-14s %9s %8s %9s %3d%% %s\n", m.fs, size(m.blocks), size(m.used), size(m.free), m.pct, m.on)
	}
	return 0
}
