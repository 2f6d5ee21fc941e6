package sandbox

import (
	"fmt"
	"strconv"
	"strings"

	"layerlab/engine/rootfs"
)

func init() {
	register(map[string]cmdFunc{"useradd": cmdUseradd, "adduser": cmdAdduser, "groupadd": cmdGroupadd, "addgroup": cmdGroupadd})
}

type passwdEntry struct {
	name       string
	uid, gid   int
	home, shel string
}

type groupEntry struct {
	name    string
	gid     int
	members []string
}

func (s *session) passwd() []passwdEntry {
	b, _ := s.readRaw("/etc/passwd")
	var out []passwdEntry
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 7 {
			continue
		}
		uid, err1 := strconv.Atoi(f[2])
		gid, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, passwdEntry{name: f[0], uid: uid, gid: gid, home: f[5], shel: f[6]})
	}
	return out
}

func (s *session) groups() []groupEntry {
	b, _ := s.readRaw("/etc/group")
	var out []groupEntry
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 4 {
			continue
		}
		gid, err := strconv.Atoi(f[2])
		if err != nil {
			continue
		}
		var mem []string
		if f[3] != "" {
			mem = strings.Split(f[3], ",")
		}
		out = append(out, groupEntry{name: f[0], gid: gid, members: mem})
	}
	return out
}

// readRaw reads a file without permission checks (for the system's own lookups).
func (s *session) readRaw(p string) ([]byte, error) {
	var c rootfs.Content
	err := s.withFS(func(f *rootfs.FS) error {
		e, _, err := f.Stat(p)
		if err != nil {
			return err
		}
		c = e.Data
		return nil
	})
	if err != nil || c == nil {
		return nil, err
	}
	return c.Bytes()
}

func (s *session) userByName(name string) (passwdEntry, bool) {
	for _, u := range s.passwd() {
		if u.name == name {
			return u, true
		}
	}
	return passwdEntry{}, false
}

func (s *session) userByID(uid int) (passwdEntry, bool) {
	for _, u := range s.passwd() {
		if u.uid == uid {
			return u, true
		}
	}
	return passwdEntry{}, false
}

func (s *session) groupByName(name string) (groupEntry, bool) {
	for _, g := range s.groups() {
		if g.name == name {
			return g, true
		}
	}
	return groupEntry{}, false
}

func (s *session) groupByID(gid int) (groupEntry, bool) {
	for _, g := range s.groups() {
		if g.gid == gid {
			return g, true
		}
	}
	return groupEntry{}, false
}

// resolveUser turns Docker's USER value into ids, as runc does: names are looked up
// in the image's /etc/passwd and /etc/group; numeric ids need no entry.
func (s *session) resolveUser(spec string) (uid, gid int, home string, err error) {
	if spec == "" {
		spec = "root"
	}
	user, group, hasGroup := strings.Cut(spec, ":")
	home = "/"
	if n, err := strconv.Atoi(user); err == nil {
		uid = n
		if u, ok := s.userByID(n); ok {
			gid, home = u.gid, u.home
		} else if n == 0 {
			home = "/root"
		}
	} else {
		u, ok := s.userByName(user)
		if !ok {
			if user == "root" {
				u = passwdEntry{name: "root", home: "/root"}
			} else {
				return 0, 0, "", &StartError{Msg: fmt.Sprintf("unable to find user %s: no matching entries in passwd file", user)}
			}
		}
		uid, gid, home = u.uid, u.gid, u.home
	}
	if hasGroup {
		if n, err := strconv.Atoi(group); err == nil {
			gid = n
		} else {
			g, ok := s.groupByName(group)
			if !ok {
				return 0, 0, "", &StartError{Msg: fmt.Sprintf("unable to find group %s: no matching entries in group file", group)}
			}
			gid = g.gid
		}
	}
	return uid, gid, home, nil
}

// appendLine adds a line to a system file (as root would: the tools are setuid or run as root).
func (p *proc) appendLine(file, line string) error {
	b, _ := p.s.readRaw(file)
	if len(b) > 0 && b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	b = append(b, line+"\n"...)
	if err := p.s.account(int64(len(b))); err != nil {
		return err
	}
	return p.s.withFS(func(f *rootfs.FS) error {
		return f.WriteFile(file, rootfs.Bytes(b), 0o644, 0, 0, p.s.now())
	})
}

func (s *session) nextID(min int, group bool) int {
	used := map[int]bool{}
	if group {
		for _, g := range s.groups() {
			used[g.gid] = true
		}
	} else {
		for _, u := range s.passwd() {
			used[u.uid] = true
		}
	}
	for id := min; ; id++ {
		if !used[id] {
			return id
		}
	}
}

// cmdUseradd: useradd [-m] [-u UID] [-g GROUP] [-s SHELL] [-d HOME] [-r] [-U] [-G g] name
func cmdUseradd(p *proc) int {
	if p.s.uid != 0 {
		p.errf("Permission denied.")
		return 1
	}
	var name, uidS, group, shell, home string
	create, system := false, false
	args := p.args
	for i := 0; i < len(args); i++ {
		a := args[i]
		val := func() string {
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch a {
		case "-m", "--create-home":
			create = true
		case "-M", "--no-create-home", "-U", "-N", "-l":
		case "-r", "--system":
			system = true
		case "-u", "--uid":
			uidS = val()
		case "-g", "--gid":
			group = val()
		case "-s", "--shell":
			shell = val()
		case "-d", "--home-dir", "--home":
			home = val()
		case "-G", "--groups", "-c", "--comment", "-K", "-p", "-k":
			val()
		default:
			if strings.HasPrefix(a, "-") {
				continue
			}
			name = a
		}
	}
	if name == "" {
		p.outf("Usage: useradd [options] LOGIN\n")
		return 2
	}
	return p.addUser(name, uidS, group, shell, home, create, system, true)
}

func (p *proc) addUser(name, uidS, group, shell, home string, create, system, ownGroup bool) int {
	if _, ok := p.s.userByName(name); ok {
		p.errf("user '%s' already exists", name)
		return 9
	}
	min := 1000
	if system {
		min = 100
	}
	uid := p.s.nextID(min, false)
	if uidS != "" {
		n, err := strconv.Atoi(uidS)
		if err != nil {
			p.errf("invalid user ID '%s'", uidS)
			return 3
		}
		uid = n
	}
	gid := -1
	if group != "" {
		if n, err := strconv.Atoi(group); err == nil {
			gid = n
		} else if g, ok := p.s.groupByName(group); ok {
			gid = g.gid
		} else {
			p.errf("group '%s' does not exist", group)
			return 6
		}
	} else if ownGroup {
		if g, ok := p.s.groupByName(name); ok {
			gid = g.gid
		} else {
			gid = uid
			if _, taken := p.s.groupByID(gid); taken {
				gid = p.s.nextID(min, true)
			}
			if err := p.appendLine("/etc/group", fmt.Sprintf("%s:x:%d:", name, gid)); err != nil {
				return 1
			}
		}
	} else {
		gid = 100
	}
	if home == "" {
		home = "/home/" + name
	}
	if shell == "" {
		shell = "/bin/sh"
	}
	if err := p.appendLine("/etc/passwd", fmt.Sprintf("%s:x:%d:%d::%s:%s", name, uid, gid, home, shell)); err != nil {
		return 1
	}
	if p.s.exists("/etc/shadow") {
		p.appendLine("/etc/shadow", name+":!:19700:0:99999:7:::")
	}
	if create {
		p.s.withFS(func(f *rootfs.FS) error {
			if err := f.MkdirAll(home, 0o755, 0, 0, p.s.now()); err != nil {
				return err
			}
			e, k, err := f.Stat(home)
			if err != nil {
				return err
			}
			c := e.Clone()
			c.UID, c.GID, c.Mode = uid, gid, 0o755
			return f.Put(k, c)
		})
	}
	return 0
}

// cmdAdduser: busybox `adduser -D [-u UID] [-G group] [-s shell] [-h home] [-S] name`,
// Debian `adduser --disabled-password --gecos "" [--uid N] name`.
func cmdAdduser(p *proc) int {
	if p.s.uid != 0 {
		p.errf("Only root may add a user or group to the system.")
		return 1
	}
	var name, uidS, group, shell, home string
	system, noHome := false, false
	args := p.args
	for i := 0; i < len(args); i++ {
		a := args[i]
		val := func() string {
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch a {
		case "-D", "--disabled-password", "--disabled-login", "--quiet", "-q":
		case "-S", "--system":
			system = true
		case "-H", "--no-create-home":
			noHome = true
		case "-u", "--uid":
			uidS = val()
		case "-G", "--ingroup", "--gid":
			group = val()
		case "-s", "--shell":
			shell = val()
		case "-h", "--home":
			home = val()
		case "-g", "--gecos", "--comment":
			val()
		default:
			if strings.HasPrefix(a, "-") {
				continue
			}
			if name == "" {
				name = a
			} else if g, ok := p.s.groupByName(a); ok {
				// Debian `adduser user group`: add to a group.
				_ = g
				return 0
			}
		}
	}
	if name == "" {
		p.errf("Only one or two names allowed.")
		return 1
	}
	if !p.s.busybox && !system {
		p.outf("Adding user `%s' ...\n", name)
	}
	return p.addUser(name, uidS, group, shell, home, !noHome && !system, system, true)
}

// cmdGroupadd: groupadd [-g GID] [-r] name; addgroup [-g GID] [-S] name.
func cmdGroupadd(p *proc) int {
	if p.s.uid != 0 {
		p.errf("Permission denied.")
		return 1
	}
	var name, gidS string
	system := false
	for i := 0; i < len(p.args); i++ {
		switch a := p.args[i]; a {
		case "-g", "--gid":
			if i+1 < len(p.args) {
				i++
				gidS = p.args[i]
			}
		case "-r", "-S", "--system":
			system = true
		default:
			if !strings.HasPrefix(a, "-") {
				if name != "" && p.name == "addgroup" {
					// busybox `addgroup user group`: add a user to a group.
					return 0
				}
				name = a
			}
		}
	}
	if name == "" {
		p.errf("missing group name")
		return 2
	}
	if _, ok := p.s.groupByName(name); ok {
		p.errf("group '%s' already exists", name)
		return 9
	}
	min := 1000
	if system {
		min = 100
	}
	gid := p.s.nextID(min, true)
	if gidS != "" {
		n, err := strconv.Atoi(gidS)
		if err != nil {
			p.errf("invalid group ID '%s'", gidS)
			return 3
		}
		gid = n
	}
	if err := p.appendLine("/etc/group", fmt.Sprintf("%s:x:%d:", name, gid)); err != nil {
		return 1
	}
	return 0
}

func cmdID(p *proc) int {
	uid, gid := p.s.uid, p.s.gid
	var opts []string
	for _, a := range p.args {
		if strings.HasPrefix(a, "-") {
			opts = append(opts, a)
			continue
		}
		// id USER: that user's ids, from /etc/passwd.
		u, ok := p.s.userByName(a)
		if !ok {
			if n, err := strconv.Atoi(a); err == nil {
				u, ok = p.s.userByID(n)
			}
		}
		if !ok {
			p.errf("%s", p.pick("unknown user "+a, "'"+a+"': no such user"))
			return 1
		}
		uid, gid = u.uid, u.gid
	}
	p.args = opts
	uname := strconv.Itoa(uid)
	if u, ok := p.s.userByID(uid); ok {
		uname = u.name
	} else if uid == 0 {
		uname = "root"
	}
	gname := strconv.Itoa(gid)
	if g, ok := p.s.groupByID(gid); ok {
		gname = g.name
	} else if gid == 0 {
		gname = "root"
	}
	for _, a := range p.args {
		switch a {
		case "-u":
			p.outf("%d\n", uid)
			return 0
		case "-g":
			p.outf("%d\n", gid)
			return 0
		case "-un", "-nu":
			p.outf("%s\n", uname)
			return 0
		case "-gn", "-ng":
			p.outf("%s\n", gname)
			return 0
		}
	}
	p.outf("uid=%d(%s) gid=%d(%s) groups=%d(%s)\n", uid, uname, gid, gname, gid, gname)
	return 0
}

func cmdWhoami(p *proc) int {
	if u, ok := p.s.userByID(p.s.uid); ok {
		p.outf("%s\n", u.name)
		return 0
	}
	if p.s.uid == 0 {
		p.outf("root\n")
		return 0
	}
	p.errf("%s", p.pick("unknown uid "+strconv.Itoa(p.s.uid), "cannot find name for user ID "+strconv.Itoa(p.s.uid)))
	return 1
}
