package sandbox

import (
	"fmt"
	"strconv"
	"strings"

	"layerlab/engine/rootfs"
)

func init() {
	register(map[string]cmdFunc{"useradd": cmdUseradd, "adduser": cmdAdduser, "groupadd": cmdGroupadd, "addgroup": cmdGroupadd,
		"usermod": cmdUsermod, "chsh": cmdChsh, "passwd": cmdPasswd})
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
	var name, uidS, group, shell, home, extra string
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
		case "-G", "--groups":
			extra = val()
		case "-c", "--comment", "-K", "-p", "-k":
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
	if code := p.addUser(name, uidS, group, shell, home, create, system, true); code != 0 {
		return code
	}
	return p.addToGroups(name, extra)
}

// addToGroups adds user to each group of a comma-separated list (useradd -G, usermod -aG).
func (p *proc) addToGroups(user, list string) int {
	for _, g := range strings.Split(list, ",") {
		if g == "" {
			continue
		}
		if _, ok := p.s.groupByName(g); !ok {
			p.errf("group '%s' does not exist", g)
			return 6
		}
		if err := p.addMember(g, user); err != nil {
			return 1
		}
	}
	return 0
}

// addMember appends user to group's member list in /etc/group (and /etc/gshadow when present).
func (p *proc) addMember(group, user string) error {
	for _, file := range []string{"/etc/group", "/etc/gshadow"} {
		b, err := p.s.readRaw(file)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		for i, l := range lines {
			f := strings.Split(l, ":")
			if len(f) < 4 || f[0] != group {
				continue
			}
			mem := f[len(f)-1]
			for _, m := range strings.Split(mem, ",") {
				if m == user {
					return nil
				}
			}
			if mem != "" {
				mem += ","
			}
			f[len(f)-1] = mem + user
			lines[i] = strings.Join(f, ":")
		}
		out := strings.Join(lines, "\n") + "\n"
		if err := p.s.account(int64(len(out))); err != nil {
			return err
		}
		if err := p.s.withFS(func(fsys *rootfs.FS) error {
			e, _, err := fsys.Stat(file)
			if err != nil {
				return err
			}
			return fsys.WriteFile(file, rootfs.Bytes(out), e.Mode, e.UID, e.GID, p.s.now())
		}); err != nil {
			return err
		}
	}
	return nil
}

// cmdUsermod: usermod -aG GROUPS USER, -s SHELL, -d HOME, -u UID (the forms Dockerfiles use).
func cmdUsermod(p *proc) int {
	if p.s.uid != 0 {
		p.errf("Permission denied.")
		return 1
	}
	var groups, shell, home, uidS, user string
	for i := 0; i < len(p.args); i++ {
		a := p.args[i]
		val := func() string {
			if i+1 < len(p.args) {
				i++
				return p.args[i]
			}
			return ""
		}
		switch a {
		case "-aG", "-Ga", "-G", "--groups":
			groups = val()
		case "-a", "--append":
		case "-s", "--shell":
			shell = val()
		case "-d", "--home":
			home = val()
		case "-u", "--uid":
			uidS = val()
		case "-m", "--move-home", "-L", "-U":
		default:
			if !strings.HasPrefix(a, "-") {
				user = a
			}
		}
	}
	u, ok := p.s.userByName(user)
	if !ok {
		p.errf("user '%s' does not exist", user)
		return 6
	}
	if shell != "" || home != "" || uidS != "" {
		if shell != "" {
			u.shel = shell
		}
		if home != "" {
			u.home = home
		}
		if uidS != "" {
			n, err := strconv.Atoi(uidS)
			if err != nil {
				p.errf("invalid user ID '%s'", uidS)
				return 3
			}
			u.uid = n
		}
		if p.rewritePasswd(u) != nil {
			return 1
		}
	}
	return p.addToGroups(user, groups)
}

// rewritePasswd replaces a user's /etc/passwd line, keeping its GECOS field.
func (p *proc) rewritePasswd(u passwdEntry) error {
	b, _ := p.s.readRaw("/etc/passwd")
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	for i, l := range lines {
		f := strings.Split(l, ":")
		if len(f) >= 7 && f[0] == u.name {
			f[2], f[5], f[6] = strconv.Itoa(u.uid), u.home, u.shel
			lines[i] = strings.Join(f, ":")
		}
	}
	out := strings.Join(lines, "\n") + "\n"
	return p.s.withFS(func(fsys *rootfs.FS) error {
		return fsys.WriteFile("/etc/passwd", rootfs.Bytes(out), 0o644, 0, 0, p.s.now())
	})
}

// cmdChsh: chsh -s SHELL [USER].
func cmdChsh(p *proc) int {
	var shell, user string
	for i := 0; i < len(p.args); i++ {
		if p.args[i] == "-s" || p.args[i] == "--shell" {
			if i+1 < len(p.args) {
				i++
				shell = p.args[i]
			}
		} else if !strings.HasPrefix(p.args[i], "-") {
			user = p.args[i]
		}
	}
	if user == "" {
		user = p.userName(p.s.uid)
	}
	u, ok := p.s.userByName(user)
	if !ok {
		p.errf("user '%s' does not exist", user)
		return 1
	}
	if shell == "" {
		p.errf("no shell given (the sandbox does not ask)")
		return 1
	}
	u.shel = shell
	return distroCode(p.rewritePasswd(u) == nil)
}

// cmdPasswd: passwd -d USER (empty password) and -l USER (locked), in /etc/shadow.
func cmdPasswd(p *proc) int {
	var op, user string
	for _, a := range p.args {
		switch a {
		case "-d", "-l", "-u":
			op = a
		default:
			if !strings.HasPrefix(a, "-") {
				user = a
			}
		}
	}
	if user == "" {
		user = p.userName(p.s.uid)
	}
	if op == "" {
		p.errf("the sandbox has no terminal to read a new password from (use passwd -d, or chpasswd)")
		return 1
	}
	if p.s.uid != 0 {
		p.errf("You may not view or modify password information for %s.", user)
		return 1
	}
	b, err := p.s.readRaw("/etc/shadow")
	if err != nil {
		p.errf("cannot open /etc/shadow")
		return 1
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	for i, l := range lines {
		f := strings.Split(l, ":")
		if len(f) >= 2 && f[0] == user {
			switch op {
			case "-d":
				f[1] = ""
			case "-l":
				f[1] = "!" + strings.TrimPrefix(f[1], "!")
			case "-u":
				f[1] = strings.TrimPrefix(f[1], "!")
			}
			lines[i] = strings.Join(f, ":")
		}
	}
	out := strings.Join(lines, "\n") + "\n"
	if err := p.s.withFS(func(fsys *rootfs.FS) error {
		e, _, err := fsys.Stat("/etc/shadow")
		if err != nil {
			return err
		}
		return fsys.WriteFile("/etc/shadow", rootfs.Bytes(out), e.Mode, e.UID, e.GID, p.s.now())
	}); err != nil {
		return 1
	}
	if !p.s.busybox {
		p.outf("passwd: password changed.\n")
	} else {
		p.outf("passwd: password for %s changed by root\n", user)
	}
	return 0
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
			} else if _, ok := p.s.groupByName(a); ok {
				// `adduser USER GROUP` (Debian and busybox): add an existing user to a group.
				if _, ok := p.s.userByName(name); !ok {
					p.errf("The user `%s' does not exist.", name)
					return 1
				}
				if !p.s.busybox {
					p.outf("Adding user `%s' to group `%s' ...\nDone.\n", name, a)
				}
				return distroCode(p.addMember(a, name) == nil)
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
					// busybox `addgroup USER GROUP`: add an existing user to a group.
					if _, ok := p.s.groupByName(a); !ok {
						p.errf("unknown group %s", a)
						return 1
					}
					return distroCode(p.addMember(a, name) == nil)
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
