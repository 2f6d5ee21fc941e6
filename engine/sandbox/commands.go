package sandbox

// The registry of the commands implemented outside coreutils.go, whose init adds them.

// addMoreCommands registers the everyday commands beyond the first coreutils subset:
// checksums, archives, text tools, awk, expr and process stand-ins.
func addMoreCommands() {
	register(map[string]cmdFunc{
		"md5sum": cmdSum, "sha1sum": cmdSum, "sha256sum": cmdSum, "sha512sum": cmdSum,
		"base64": cmdBase64, "expr": cmdExpr, "awk": cmdAwk, "gawk": cmdAwk, "mawk": cmdAwk, "nawk": cmdAwk,
		"tar": cmdTar, "gzip": cmdGzip, "gunzip": cmdGzip, "zcat": cmdGzip,
		"tac": cmdTac, "rev": cmdRev, "nl": cmdNl, "paste": cmdPaste, "comm": cmdComm, "cmp": cmdCmp,
		"diff": cmdDiff, "fold": cmdFold, "od": cmdOd, "hexdump": cmdHexdump, "hd": cmdHexdump, "xxd": cmdXxd,
		"install": cmdInstall, "truncate": cmdTruncate, "split": cmdSplit, "unlink": cmdUnlink, "link": cmdLink,
		"mkfifo": cmdMkfifo, "mknod": cmdMkfifo, "timeout": cmdTimeout, "nice": cmdNice, "nohup": cmdNice,
		"time": cmdTime, "getent": cmdGetent, "ps": cmdPs, "kill": cmdKill, "free": cmdFree, "df": cmdDf,
		"arch": cmdArch, "usleep": cmdUsleep, "watch": cmdRefuse, "chroot": cmdRefuse, "mount": cmdRefuse,
		"umount": cmdRefuse, "logname": cmdLogname, "groups": cmdGroups, "tty": cmdTty,
		"dnsdomainname": func(p *proc) int { return 0 }, "hostid": func(p *proc) int { p.outf("007f0101\n"); return 0 },
		"uptime": cmdUptime, "clear": func(p *proc) int { return 0 },
	})
}
