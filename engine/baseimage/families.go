package baseimage

import (
	"sync"
)

// Release data of the families with builders of their own. Lines are oldest first;
// latest is the release the line's tags resolve to, max the newest that exists
// upstream (exact tags up to it resolve, sharing the line's layers). The lines the
// stand-ins had before keep their releases of early 2025 so that their content and
// IDs stay; later lines are as published by 2026-12 (see the package comment).

var pythonLines = []line{
	pyLine("3.6", "3.6.15", "2021-09-04", "2016-12-23", "", "2021-12-23", "0D96DF4D4110E5C43FBFB17F2D347EA6AA65421D", "21.2.4", "57.5.0", 34_000_000),
	pyLine("3.7", "3.7.17", "2023-06-06", "2018-06-27", "", "2023-06-27", "0D96DF4D4110E5C43FBFB17F2D347EA6AA65421D", "23.0.1", "57.5.0", 35_000_000),
	pyLine("3.8", "3.8.20", "2024-09-07", "2019-10-14", "", "2024-10-07", "E3FF2839C048B25C084DEBE9B26995E310250568", "23.0.1", "57.5.0", 35_500_000),
	{ver: "3.9", latest: "3.9.21", date: "2025-02-04", first: "2020-10-05", max: "3.9.25", end: "2025-10-31",
		data: pythonRelease{"3.9", "3.9.21", "E3FF2839C048B25C084DEBE9B26995E310250568", "23.0.1", "58.1.0", 36_000_000, "2025-02-04T03:02:11Z"}},
	{ver: "3.10", latest: "3.10.16", date: "2025-02-04", first: "2021-10-04", max: "3.10.19",
		data: pythonRelease{"3.10", "3.10.16", "A035C8C19219BA821ECEA86B64E628F8D684696D", "23.0.1", "65.5.1", 38_000_000, "2025-02-04T03:05:42Z"}},
	{ver: "3.11", latest: "3.11.11", date: "2025-02-04", first: "2022-10-24", max: "3.11.14",
		data: pythonRelease{"3.11", "3.11.11", "A035C8C19219BA821ECEA86B64E628F8D684696D", "24.0", "65.5.1", 41_000_000, "2025-02-04T03:09:07Z"}},
	{ver: "3.12", latest: "3.12.9", date: "2025-02-05", first: "2023-10-02", max: "3.12.12",
		data: pythonRelease{"3.12", "3.12.9", "7169605F62C751356D054A26A821E680E5FA6305", "24.3.1", "", 53_000_000, "2025-02-05T18:31:54Z"}},
	{ver: "3.13", latest: "3.13.2", date: "2025-02-05", first: "2024-10-07", max: "3.13.11",
		data: pythonRelease{"3.13", "3.13.2", "7169605F62C751356D054A26A821E680E5FA6305", "24.3.1", "", 55_000_000, "2025-02-05T18:35:20Z"}},
	pyLine("3.14", "3.14.7", "2026-10-08", "2025-10-07", "", "", "", "25.2", "", 57_000_000),
	pyLine("3.15", "3.15.0", "2026-10-02", "2026-10-02", "", "", "", "25.3", "", 58_000_000),
}

func pyLine(ver, latest, date, first, max, end, gpg, pip, setuptools string, build int64) line {
	return line{ver: ver, latest: latest, date: date, first: first, max: max, end: end,
		data: pythonRelease{ver, latest, gpg, pip, setuptools, build, date + "T03:00:00Z"}}
}

var nodeLines = []line{
	nodeLine("10", "10.24.1", "2021-04-06", "2018-04-24", "2021-04-30", 70_000_000),
	nodeLine("12", "12.22.12", "2022-04-05", "2019-04-23", "2022-04-30", 78_000_000),
	nodeLine("14", "14.21.3", "2023-02-16", "2020-04-21", "2023-04-30", 86_000_000),
	nodeLine("16", "16.20.2", "2023-08-09", "2021-04-20", "2023-09-11", 96_000_000),
	{ver: "18", latest: "18.20.6", date: "2025-02-11", first: "2022-04-19", max: "18.20.8", end: "2025-04-30",
		data: nodeRelease{"18", "18.20.6", 110_000_000, "2025-02-11T00:29:13Z"}},
	nodeLine("19", "19.9.0", "2023-04-10", "2022-10-18", "2023-06-01", 112_000_000),
	{ver: "20", latest: "20.18.3", date: "2025-02-11", first: "2023-04-18", max: "20.20.2",
		data: nodeRelease{"20", "20.18.3", 120_000_000, "2025-02-11T00:31:46Z"}},
	nodeLine("21", "21.7.3", "2024-04-10", "2023-10-17", "2024-06-01", 125_000_000),
	{ver: "22", latest: "22.14.0", date: "2025-02-11", first: "2024-04-24", max: "22.21.1",
		data: nodeRelease{"22", "22.14.0", 135_000_000, "2025-02-11T22:05:03Z"}},
	nodeLine("23", "23.11.1", "2025-05-14", "2024-10-16", "2025-06-01", 140_000_000),
	{ver: "24", latest: "24.11.1", date: "2025-11-12", first: "2025-05-06", max: "24.12.0",
		data: nodeRelease{"24", "24.11.1", 145_000_000, "2025-11-12T04:10:21Z"}},
	nodeLine("25", "25.2.1", "2025-11-17", "2025-10-15", "", 148_000_000),
}

func nodeLine(ver, latest, date, first, end string, size int64) line {
	return line{ver: ver, latest: latest, date: date, first: first, end: end,
		data: nodeRelease{ver, latest, size, date + "T01:00:00Z"}}
}

var goLines = []line{
	// GOPATH-era lines: their images set GOPATH=/go and WORKDIR /go as every golang
	// image does; cmd/go before 1.16 builds in GOPATH mode when no go.mod is found.
	goLine("1.11", "1.11.13", "2019-08-13", "2018-08-24", "2019-09-03", 340_000_000),
	goLine("1.12", "1.12.17", "2020-02-12", "2019-02-25", "2020-02-25", 345_000_000),
	goLine("1.13", "1.13.15", "2020-08-06", "2019-09-03", "2020-08-11", 355_000_000),
	goLine("1.14", "1.14.15", "2021-02-04", "2020-02-25", "2021-02-16", 365_000_000),
	goLine("1.15", "1.15.15", "2021-08-05", "2020-08-11", "2021-08-16", 370_000_000),
	goLine("1.16", "1.16.15", "2022-03-03", "2021-02-16", "2022-03-15", 380_000_000),
	goLine("1.17", "1.17.13", "2022-08-01", "2021-08-16", "2022-08-02", 390_000_000),
	goLine("1.18", "1.18.10", "2023-01-10", "2022-03-15", "2023-02-01", 430_000_000),
	goLine("1.19", "1.19.13", "2023-09-06", "2022-08-02", "2023-09-06", 450_000_000),
	goLine("1.20", "1.20.14", "2024-02-06", "2023-02-01", "2024-02-06", 200_000_000),
	goLine("1.21", "1.21.13", "2024-08-06", "2023-08-08", "2024-08-13", 210_000_000),
	{ver: "1.22", latest: "1.22.12", date: "2025-02-04", first: "2024-02-06", end: "2025-02-11",
		data: goRelease{"1.22", "1.22.12", 220_000_000, "2025-02-04T22:40:11Z"}},
	{ver: "1.23", latest: "1.23.6", date: "2025-02-04", first: "2024-08-13", max: "1.23.12", end: "2025-08-12",
		data: goRelease{"1.23", "1.23.6", 235_000_000, "2025-02-04T22:44:27Z"}},
	goLine("1.24", "1.24.11", "2025-12-02", "2025-02-11", "2026-02-10", 240_000_000),
	goLine("1.25", "1.25.9", "2026-08-04", "2025-08-12", "", 245_000_000),
	goLine("1.26", "1.26.4", "2026-11-03", "2026-02-10", "", 250_000_000),
}

func goLine(ver, latest, date, first, end string, size int64) line {
	return line{ver: ver, latest: latest, date: date, first: first, end: end,
		data: goRelease{ver, latest, size, date + "T22:00:00Z"}}
}

var nginxLines = []line{
	nginxLine("1.13", "1.13.12", "2018-04-10", "2017-04-25", "2018-04-17", "0.2.0"),
	nginxLine("1.14", "1.14.2", "2018-12-04", "2018-04-17", "2019-04-23", "0.2.7"),
	nginxLine("1.15", "1.15.12", "2019-04-16", "2018-06-05", "2019-04-23", "0.3.1"),
	nginxLine("1.16", "1.16.1", "2019-08-13", "2019-04-23", "2020-04-21", "0.3.8"),
	nginxLine("1.17", "1.17.10", "2020-04-14", "2019-05-21", "2020-04-21", "0.3.9"),
	nginxLine("1.18", "1.18.0", "2020-04-21", "2020-04-21", "2021-04-20", "0.4.4"),
	nginxLine("1.19", "1.19.10", "2021-04-13", "2020-05-26", "2021-05-25", "0.5.3"),
	nginxLine("1.20", "1.20.2", "2021-11-16", "2021-04-20", "2022-05-24", "0.7.0"),
	nginxLine("1.21", "1.21.6", "2022-01-25", "2021-05-25", "2022-05-24", "0.7.2"),
	nginxLine("1.22", "1.22.1", "2022-10-19", "2022-05-24", "2023-04-11", "0.7.7"),
	nginxLine("1.23", "1.23.4", "2023-03-28", "2022-06-21", "2023-04-11", "0.7.11"),
	nginxLine("1.24", "1.24.0", "2023-04-11", "2023-04-11", "2024-04-23", "0.7.11"),
	nginxLine("1.25", "1.25.5", "2024-04-16", "2023-05-23", "2024-04-23", "0.8.4"),
	{ver: "1.26", latest: "1.26.3", date: "2025-02-05", first: "2024-04-23", end: "2025-04-23",
		data: nginxRelease{"1.26.3", "0.8.9", "2025-02-05T21:25:02Z"}},
	{ver: "1.27", latest: "1.27.4", date: "2025-02-05", first: "2024-05-29", max: "1.27.5", end: "2025-04-23",
		data: nginxRelease{"1.27.4", "0.8.9", "2025-02-05T21:27:16Z"}},
	nginxLine("1.28", "1.28.0", "2025-04-23", "2025-04-23", "", "0.8.10"),
	nginxLine("1.29", "1.29.3", "2025-10-28", "2025-06-24", "", "0.9.4"),
}

func nginxLine(ver, latest, date, first, end, njs string) line {
	return line{ver: ver, latest: latest, date: date, first: first, end: end,
		data: nginxRelease{latest, njs, date + "T21:00:00Z"}}
}

// Tag forms shared by the Debian-and-Alpine families (python, node, golang, ...).
var (
	debAlpineForms = []string{"@debian", "{deb}@debian", "alpine@alpine", "{alp}@alpine"}
	pythonForms    = []string{"@debian", "{deb}@debian", "slim=slim@debian-slim", "slim=slim-{deb}@debian-slim", "alpine@alpine", "{alp}@alpine"}
	nodeForms      = []string{"@debian", "{deb}@debian", "slim=slim@debian-slim", "slim={deb}-slim@debian-slim", "alpine@alpine", "{alp}@alpine"}
)

var (
	famOnce sync.Once
	famList []*family
	famByID map[string]*family
)

// families lists every family served; familyOf finds one by repository.
func families() []*family {
	famOnce.Do(func() {
		famList = append(coreFamilies(), recipeFamilies()...)
		famByID = map[string]*family{}
		for _, f := range famList {
			if _, dup := famByID[f.repo]; dup {
				panic("baseimage: family served twice: " + f.repo)
			}
			famByID[f.repo] = f
		}
	})
	return famList
}

func familyOf(repo string) *family {
	families()
	return famByID[repo]
}

// coreFamilies are the distros and the families with builders of their own.
func coreFamilies() []*family {
	var alpLines, debLines, ubuLines []line
	var debAliases, ubuAliases []alias
	for _, r := range alpineReleases {
		alpLines = append(alpLines, line{ver: r.branch, latest: r.version, date: r.created[:10], first: r.released, max: r.max, data: r})
	}
	for _, r := range debReleases {
		l := line{ver: r.version, latest: r.version, date: r.created[:10], first: r.released, end: r.end, data: r}
		if r.distro == "debian" {
			l.latest, l.max = r.point, r.point
			debLines = append(debLines, l)
			debAliases = append(debAliases, alias{r.codename, r.version})
		} else {
			ubuLines = append(ubuLines, l)
			ubuAliases = append(ubuAliases, alias{r.codename, r.version})
		}
	}
	sortLines(debLines)
	sortLines(ubuLines)
	debAliases = append(debAliases, alias{"stable", "13"}, alias{"oldstable", "12"})
	return []*family{
		{repo: "alpine", desc: "A minimal Docker image based on Alpine Linux with a complete package index and only 5 MB in size!",
			lines: alpLines, forms: []string{""}, defaultLine: "3.24", exactBuild: true,
			build: func(s spec) (*Image, error) {
				r := s.line.data.(alpineRelease)
				r.version = s.version
				return buildAlpine(r, "alpine:"+s.canonicalTag())
			}},
		{repo: "debian", desc: "Debian is a Linux distribution that's composed entirely of free and open-source software.",
			lines: debLines, aliases: debAliases, forms: []string{"", "slim=slim"}, defaultLine: "13", exactBuild: true,
			build: func(s spec) (*Image, error) {
				r := s.line.data.(debRelease)
				r.point = s.version
				// Named by codename, as the stand-ins always were ("debian:bookworm-slim").
				name := "debian:" + r.codename
				if s.exact() {
					name = "debian:" + s.version
				}
				if s.flavor == "slim" {
					name += "-slim"
				}
				return buildDeb(r, s.flavor == "slim", name)
			}},
		{repo: "ubuntu", desc: "Ubuntu is a Debian-based Linux operating system based on free software.",
			lines: ubuLines, aliases: ubuAliases, forms: []string{""}, defaultLine: "24.04",
			build: func(s spec) (*Image, error) {
				return buildDeb(s.line.data.(debRelease), false, "ubuntu:"+s.canonicalTag())
			}},
		{repo: "busybox", desc: "Busybox base image.",
			lines:   []line{{ver: "1.36", latest: "1.36.1", date: "2024-09-26", first: "2023-01-03"}},
			aliases: []alias{{"stable", "1.36"}}, forms: []string{""},
			build: func(s spec) (*Image, error) { return buildBusybox() }},
		{repo: "buildpack-deps", desc: "A collection of common build dependencies used for installing various modules, e.g., gems.",
			forms: []string{"{deb}@debian", "{ubu}@ubuntu", "curl=curl@debian", "curl={deb}-curl@debian", "curl={ubu}-curl@ubuntu",
				"scm=scm@debian", "scm={deb}-scm@debian", "scm={ubu}-scm@ubuntu", "@debian"},
			build: func(s spec) (*Image, error) {
				name := "buildpack-deps:" + s.canonicalTag()
				switch s.flavor {
				case "curl":
					return buildBuildpackCurl(s.distro, name)
				case "scm":
					return buildBuildpackSCM(s.distro, name)
				}
				return buildBuildpackDeps(s.distro, name)
			}},
		{repo: "python", desc: "Python is an interpreted, interactive, object-oriented, open-source programming language.",
			lines: pythonLines, forms: pythonForms, build: buildPython},
		{repo: "node", desc: "Node.js is a JavaScript-based platform for server-side and networking applications.",
			lines: nodeLines, forms: nodeForms, defaultLine: "25",
			aliases: []alias{{"lts", "24"}, {"current", "25"}, {"krypton", "24"}, {"jod", "22"}, {"iron", "20"}, {"hydrogen", "18"}},
			build:   buildNode},
		{repo: "golang", desc: "Go (golang) is a general purpose, higher-level, imperative programming language.",
			lines: goLines, forms: debAlpineForms, build: buildGolang},
		{repo: "nginx", desc: "Official build of Nginx.",
			lines: nginxLines, aliases: []alias{{"stable", "1.28"}, {"mainline", "1.29"}},
			forms: []string{"@debian", "{deb}@debian", "alpine@alpine", "{alp}@alpine", "slim=alpine-slim@alpine", "slim={alp}-slim@alpine"},
			build: buildNginx},
	}
}

// sortLines orders lines oldest first by version.
func sortLines(ls []line) {
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0 && compareVersions(ls[j].ver, ls[j-1].ver) < 0; j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
}
