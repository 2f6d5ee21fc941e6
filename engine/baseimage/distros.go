package baseimage

import (
	"strings"
	"time"
)

// distro is one OS release an image stands on: a Debian or Ubuntu codename, an Alpine
// branch, an RPM-based release, or scratch. Its window is when official images were
// published on it, so a tag pairing a version with a distro of another era
// (node:7-alpine3.19) is refused as Docker Hub never had it.
type distro struct {
	distro   string // "debian", "ubuntu", "alpine", "rpm", "scratch"
	codename string // "bookworm", "noble"
	version  string // "12", "24.04", "3.21"; an RPM release's version
	slim     bool   // Debian's -slim
	rpmName  string // "fedora", "rockylinux", ... for rpm

	alp *alpineRelease
	deb *debRelease
	rpr *rpmRelease

	// Set while a tag is being matched, before the release is chosen.
	unresolved bool
	missing    bool   // the tag named a release there is no such image of
	rpm        string // the rpm distro an unresolved kind asks for
}

// id is a stable key of the release.
func (d *distro) id() string {
	s := d.distro + ":" + d.codename + d.version + d.rpmName
	if d.slim {
		s += "-slim"
	}
	return s
}

// slimOf is the -slim form of a Debian release.
func (d *distro) slimOf() *distro {
	c := *d
	c.slim = d.distro == "debian"
	return &c
}

// window is when official images were published on the release.
func (d *distro) window() (time.Time, time.Time) {
	now := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	switch {
	case d.alp != nil:
		from := day(d.alp.created[:10])
		if d.alp.released != "" {
			from = day(d.alp.released)
		}
		return from, from.AddDate(2, 0, 0)
	case d.deb != nil:
		end := now
		if d.deb.end != "" {
			end = day(d.deb.end)
		}
		return day(d.deb.released), end
	}
	return time.Time{}, now
}

// overlaps reports whether images of the release were published between from and until.
func (d *distro) overlaps(from, until time.Time) bool {
	a, b := d.window()
	return !until.Before(a) && !from.After(b)
}

// baseName is the stand-in a family's image on this release derives from.
func (d *distro) baseName() string {
	switch d.distro {
	case "alpine":
		return "alpine:" + d.version
	case "debian":
		if d.slim {
			return "debian:" + d.codename + "-slim"
		}
		return "debian:" + d.codename
	case "ubuntu":
		return "ubuntu:" + d.version
	case "rpm":
		return d.rpmName + ":" + d.version
	}
	return "scratch"
}

// distroByCodename is a Debian or Ubuntu release by codename, nil if none.
func distroByCodename(c string) *distro {
	for i := range debReleases {
		r := &debReleases[i]
		if r.codename == c {
			return &distro{distro: r.distro, codename: r.codename, version: r.version, deb: r}
		}
	}
	return nil
}

// alpineByVersion is an Alpine branch ("3.19") as a distro, nil if none.
func alpineByVersion(br string) *distro {
	for i := range alpineReleases {
		r := &alpineReleases[i]
		if r.branch == br {
			return &distro{distro: "alpine", version: r.branch, alp: r}
		}
	}
	return nil
}

// defaultDistro is the release of a kind that an unpinned tag published at `at` stood
// on: the newest whose images existed then.
func defaultDistro(kind string, at time.Time, repo string) *distro {
	var best *distro
	switch kind {
	case "alpine":
		for i := range alpineReleases {
			r := &alpineReleases[i]
			d := &distro{distro: "alpine", version: r.branch, alp: r}
			if from, _ := d.window(); !from.After(at) {
				best = d
			}
		}
		if best == nil && len(alpineReleases) > 0 {
			r := &alpineReleases[0]
			best = &distro{distro: "alpine", version: r.branch, alp: r}
		}
	case "debian", "ubuntu":
		var oldest *distro
		for i := range debReleases {
			r := &debReleases[i]
			if r.distro != kind {
				continue
			}
			d := &distro{distro: r.distro, codename: r.codename, version: r.version, deb: r}
			if oldest == nil || r.released < oldest.deb.released {
				oldest = d
			}
			if day(r.released).After(at) {
				continue
			}
			if best == nil || r.released > best.deb.released {
				best = d
			}
		}
		if best == nil {
			best = oldest
		}
	case "scratch":
		return &distro{distro: "scratch"}
	}
	return best
}

// rpmRelease is one RPM-based distro release served as a base.
type rpmRelease struct {
	name     string // "fedora"
	version  string // "41", "9.5", "2023"
	pretty   string // PRETTY_NAME
	id       string // ID in os-release
	idLike   string
	pm       string // "dnf", "yum", "microdnf"
	size     int64
	created  string
	platform string
}

// rpmDefault is the release an unpinned rpm kind resolves to for a spec: the newest
// of the named distro, or the release the kind names ("amazonlinux:2": amazoncorretto's
// images stay on Amazon Linux 2).
func rpmDefault(name string, s *spec) *distro {
	var best *distro
	name, version, _ := strings.Cut(name, ":")
	for i := range rpmReleases {
		r := &rpmReleases[i]
		if r.name != name || version != "" && r.version != version {
			continue
		}
		best = &distro{distro: "rpm", rpmName: r.name, version: r.version, rpr: r}
	}
	return best
}
