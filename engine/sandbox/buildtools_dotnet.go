package sandbox

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"layerlab/engine/rootfs"
)

// .NET: dotnet restore, build, publish, new, tool install, test. The assembly
// (NAME.dll) is an artefact of the project's sources (*.cs, *.cshtml, *.razor, *.resx
// and the project file, bin/ and obj/ left out), the configuration, runtime
// identifier and -p: properties; restore's obj/project.assets.json is one of the
// package references and target framework only, so a source edit does not change it.

func init() { register(map[string]cmdFunc{"dotnet": cmdDotnet}) }

// csproj is the part of a project file a build reads.
type csproj struct {
	Sdk    string `xml:"Sdk,attr"`
	Groups []struct {
		TargetFramework  string `xml:"TargetFramework"`
		TargetFrameworks string `xml:"TargetFrameworks"`
		AssemblyName     string `xml:"AssemblyName"`
		OutputType       string `xml:"OutputType"`
	} `xml:"PropertyGroup"`
	Items []struct {
		Packages []struct {
			Include string `xml:"Include,attr"`
			Version string `xml:"Version,attr"`
		} `xml:"PackageReference"`
	} `xml:"ItemGroup"`
}

// dotnetProject is a project as a build sees it.
type dotnetProject struct {
	file     string // absolute path of the .csproj / .fsproj
	dir      string
	name     string // assembly name
	tfm      string
	web      bool
	exe      bool
	packages [][2]string
}

func (p *proc) readProject(file string) (*dotnetProject, error) {
	b, err := p.readFile(file)
	if err != nil {
		return nil, err
	}
	var c csproj
	if err := xml.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s : error MSB4025: The project file could not be loaded. %v", p.abs(file), err)
	}
	abs := p.abs(file)
	dp := &dotnetProject{file: abs, dir: path.Dir(abs), name: strings.TrimSuffix(path.Base(abs), path.Ext(abs))}
	dp.web = strings.HasPrefix(c.Sdk, "Microsoft.NET.Sdk.Web")
	dp.exe = dp.web || strings.HasPrefix(c.Sdk, "Microsoft.NET.Sdk.Worker")
	for _, g := range c.Groups {
		if g.TargetFramework != "" {
			dp.tfm = g.TargetFramework
		}
		if g.TargetFrameworks != "" && dp.tfm == "" {
			dp.tfm = strings.Split(g.TargetFrameworks, ";")[0]
		}
		if g.AssemblyName != "" {
			dp.name = g.AssemblyName
		}
		if strings.EqualFold(g.OutputType, "Exe") || strings.EqualFold(g.OutputType, "WinExe") {
			dp.exe = true
		}
	}
	if dp.tfm == "" {
		dp.tfm = "net8.0"
	}
	for _, it := range c.Items {
		for _, pk := range it.Packages {
			dp.packages = append(dp.packages, [2]string{pk.Include, firstNonEmpty(pk.Version, "1.0.0")})
		}
	}
	sort.Slice(dp.packages, func(i, j int) bool { return dp.packages[i][0] < dp.packages[j][0] })
	return dp, nil
}

// dotnetOpts is one dotnet build/publish/restore's options.
type dotnetOpts struct {
	project     string
	config      string
	output      string
	runtime     string
	arch        string
	selfContain string
	props       []string
	noRestore   bool
	noBuild     bool
	singleFile  bool
	trimmed     bool
}

func (p *proc) parseDotnetOpts(sub string, args []string) (dotnetOpts, bool) {
	o := dotnetOpts{config: "Debug"}
	if sub == "publish" {
		o.config = "Release" // since .NET 8 publish defaults to Release
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		val := func() string {
			if k, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(k, "--") {
				return v
			}
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		name, _, _ := strings.Cut(a, "=")
		switch {
		case name == "-c" || name == "--configuration":
			o.config = val()
		case name == "-o" || name == "--output":
			o.output = val()
		case name == "-r" || name == "--runtime":
			o.runtime = val()
		case name == "-a" || name == "--arch":
			o.arch = val()
		case name == "--os" || name == "-f" || name == "--framework" || name == "-s" || name == "--source" || name == "-v" || name == "--verbosity" || name == "--packages" || name == "--version-suffix":
			val()
		case name == "--self-contained" || name == "--sc":
			o.selfContain = "true"
			if i+1 < len(args) && (args[i+1] == "true" || args[i+1] == "false") {
				i++
				o.selfContain = args[i]
			}
		case name == "--no-self-contained":
			o.selfContain = "false"
		case name == "--no-restore":
			o.noRestore = true
		case name == "--no-build":
			o.noBuild = true
		case strings.HasPrefix(a, "-p:") || strings.HasPrefix(a, "/p:") || strings.HasPrefix(a, "--property:"):
			prop := a[strings.Index(a, ":")+1:]
			o.props = append(o.props, prop)
			k, v, _ := strings.Cut(prop, "=")
			switch strings.ToLower(k) {
			case "publishsinglefile":
				o.singleFile = strings.EqualFold(v, "true")
			case "publishtrimmed":
				o.trimmed = strings.EqualFold(v, "true")
			}
		case name == "--nologo" || name == "--no-dependencies" || name == "--force" || name == "--locked-mode" || name == "--use-current-runtime" || name == "--ucr" || name == "--interactive" || name == "--disable-parallel" || name == "--no-cache" || name == "--no-incremental":
		case strings.HasPrefix(a, "-"):
			fmt.Fprintf(p.errw, "MSBUILD : error MSB1001: Unknown switch.\n    Full command line: '%s'\nSwitch: %s\n", strings.Join(args, " "), a)
			return o, false
		default:
			o.project = a
		}
	}
	if o.arch != "" && o.runtime == "" {
		arch := map[string]string{"amd64": "x64", "x86_64": "x64", "arm64": "arm64", "aarch64": "arm64", "arm": "arm"}[o.arch]
		o.runtime = "linux-" + firstNonEmpty(arch, o.arch)
	}
	return o, true
}

// findProject resolves the project argument as MSBuild does: a file, a directory
// holding exactly one project or solution, or the working directory.
func (p *proc) findProject(arg string) (string, bool) {
	dir := "."
	if arg != "" {
		if p.isFile(arg) {
			return arg, true
		}
		if !p.isDir(arg) {
			fmt.Fprintf(p.errw, "MSBUILD : error MSB1009: Project file does not exist.\nSwitch: %s\n", arg)
			return "", false
		}
		dir = arg
	}
	var found []string
	for _, n := range p.listDir(dir) {
		if strings.HasSuffix(n, ".csproj") || strings.HasSuffix(n, ".fsproj") || strings.HasSuffix(n, ".vbproj") || strings.HasSuffix(n, ".sln") {
			found = append(found, path.Join(dir, n))
		}
	}
	switch len(found) {
	case 0:
		fmt.Fprintf(p.errw, "MSBUILD : error MSB1003: Specify a project or solution file. The current working directory does not contain a project or solution file.\n")
		return "", false
	case 1:
		if strings.HasSuffix(found[0], ".sln") {
			fmt.Fprintf(p.errw, "layerlab: %s: solution files are not simulated; name the project file\n", found[0])
			return "", false
		}
		return found[0], true
	}
	fmt.Fprintf(p.errw, "MSBUILD : error MSB1011: Specify which project or solution file to use because this folder contains more than one project or solution file.\n")
	return "", false
}

func (p *proc) nugetHome() string {
	return firstNonEmpty(p.getenv("NUGET_PACKAGES"), path.Join(p.getenv("HOME"), ".nuget/packages"))
}

// restore writes obj/project.assets.json and fills the NuGet package folder.
func (p *proc) dotnetRestore(dp *dotnetProject, o dotnetOpts) bool {
	home := p.nugetHome()
	type lib struct {
		Type string   `json:"type"`
		Path string   `json:"path"`
		Dll  []string `json:"runtime"`
	}
	assets := struct {
		Version   int               `json:"version"`
		Targets   map[string]any    `json:"targets"`
		Libraries map[string]lib    `json:"libraries"`
		Project   map[string]string `json:"project"`
	}{Version: 3, Targets: map[string]any{}, Libraries: map[string]lib{}, Project: map[string]string{"name": dp.name, "framework": dp.tfm, "runtime": o.runtime}}
	tgt := dp.tfm
	if o.runtime != "" {
		tgt += "/" + o.runtime
	}
	deps := map[string]string{}
	for _, pk := range dp.packages {
		id, ver := strings.ToLower(pk[0]), pk[1]
		dll := path.Join(home, id, ver, "lib", dp.tfm, pk[0]+".dll")
		if !p.isFile(dll) {
			size := 40*kib + int64(seedOf("nuget", id)%uint64(2*mib))
			if !p.writeArtefact(dll, rootfs.Generated{Seed: seedOf("nuget-dll", id, ver), N: size}, 0o644) ||
				!p.writeArtefact(path.Join(home, id, ver, id+"."+ver+".nupkg"), rootfs.Generated{Seed: seedOf("nupkg", id, ver), N: size / 2}, 0o644) {
				return false
			}
		}
		assets.Libraries[pk[0]+"/"+ver] = lib{Type: "package", Path: id + "/" + ver, Dll: []string{"lib/" + dp.tfm + "/" + pk[0] + ".dll"}}
		deps[pk[0]] = ver
	}
	assets.Targets[tgt] = deps
	b, _ := json.MarshalIndent(assets, "", "  ")
	obj := path.Join(dp.dir, "obj")
	if !p.writeArtefact(path.Join(obj, "project.assets.json"), rootfs.Bytes(b), 0o644) ||
		!p.writeArtefact(path.Join(obj, path.Base(dp.file)+".nuget.g.props"), rootfs.Bytes("<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"no\"?>\n<Project />\n"), 0o644) {
		return false
	}
	p.outf("  Restored %s (in %d ms).\n", dp.file, 200+seedOf(dp.name)%800)
	return true
}

// hasAssets reports whether restore ran for this project (and runtime).
func (p *proc) hasAssets(dp *dotnetProject, o dotnetOpts) bool {
	b, err := p.readFile(path.Join(dp.dir, "obj/project.assets.json"))
	if err != nil {
		return false
	}
	if o.runtime == "" {
		return true
	}
	return strings.Contains(string(b), dp.tfm+"/"+o.runtime)
}

// compile writes the project's outputs into dir: NAME.dll (and .pdb), the apphost,
// deps.json, runtimeconfig.json and the package assemblies.
func (p *proc) dotnetCompile(dp *dotnetProject, o dotnetOpts, dir string, publish bool) bool {
	extra := []string{"dotnet", dp.tfm, "config=" + o.config, "rid=" + o.runtime, "sc=" + o.selfContain, "props=" + strings.Join(o.props, ";")}
	var roots []string
	for _, rel := range p.findFiles(dp.dir, map[string]bool{"bin": true, "obj": true, ".git": true, "node_modules": true}, func(n string) bool {
		for _, ext := range []string{".cs", ".fs", ".vb", ".cshtml", ".razor", ".resx", ".csproj", ".fsproj", ".props", ".targets", ".proto"} {
			if strings.HasSuffix(n, ext) {
				return true
			}
		}
		return false
	}) {
		roots = append(roots, path.Join(dp.dir, rel))
	}
	digest, ok := p.digestOf(roots, nil, extra...)
	if !ok {
		return false
	}
	size := 8*kib + int64(len(roots))*6*kib
	type out struct {
		name string
		c    rootfs.Content
		mode fs.FileMode
	}
	var outs []out
	if publish && o.singleFile && o.selfContain == "true" {
		// one self-contained file: the runtime included (trimmed: the unused part cut away)
		n := 68 * mib
		if o.trimmed {
			n = 18 * mib
		}
		outs = append(outs, out{dp.name, artefact("dotnet", "singlefile:"+dp.name, digest, n, 2*mib), 0o755},
			out{dp.name + ".pdb", artefact("dotnet", "pdb:"+dp.name, digest, size, 4*kib), 0o644})
	} else {
		outs = append(outs,
			out{dp.name + ".dll", artefact("dotnet", "dll:"+dp.name, digest, size, 8*kib), 0o644},
			out{dp.name + ".pdb", artefact("dotnet", "pdb:"+dp.name, digest, size/2, 4*kib), 0o644})
		if dp.exe || o.runtime != "" {
			outs = append(outs, out{dp.name, artefact("dotnet", "apphost:"+dp.tfm+o.runtime, "", 70*kib, 8*kib), 0o755})
		}
		var deps strings.Builder
		fmt.Fprintf(&deps, "{\n  \"runtimeTarget\": {\n    \"name\": \".NETCoreApp,Version=v%s%s\"\n  },\n  \"libraries\": {\n    \"%s/1.0.0\": {\"type\": \"project\"}", strings.TrimPrefix(dp.tfm, "net"), map[bool]string{true: "/" + o.runtime, false: ""}[o.runtime != ""], dp.name)
		for _, pk := range dp.packages {
			fmt.Fprintf(&deps, ",\n    \"%s/%s\": {\"type\": \"package\"}", pk[0], pk[1])
			dll := path.Join(p.nugetHome(), strings.ToLower(pk[0]), pk[1], "lib", dp.tfm, pk[0]+".dll")
			if e, err := p.s.stat(dll); err == nil {
				outs = append(outs, out{pk[0] + ".dll", dataOf(e), 0o644})
			}
		}
		deps.WriteString("\n  }\n}\n")
		outs = append(outs, out{dp.name + ".deps.json", rootfs.Bytes(deps.String()), 0o644})
		fw := "Microsoft.NETCore.App"
		if dp.web {
			fw = "Microsoft.AspNetCore.App"
		}
		outs = append(outs, out{dp.name + ".runtimeconfig.json", rootfs.Bytes(fmt.Sprintf("{\n  \"runtimeOptions\": {\n    \"tfm\": %q,\n    \"framework\": {\n      \"name\": %q,\n      \"version\": \"%s.0\"\n    }\n  }\n}\n", dp.tfm, fw, strings.TrimPrefix(dp.tfm, "net"))), 0o644})
	}
	for _, f := range outs {
		if !p.writeArtefact(path.Join(dir, f.name), f.c, f.mode) {
			return false
		}
	}
	if publish {
		// content the SDK copies to the publish folder: appsettings*.json, wwwroot/, Views for Razor runtime compilation are compiled in
		for _, rel := range p.findFiles(dp.dir, map[string]bool{"bin": true, "obj": true, ".git": true, "node_modules": true}, func(n string) bool { return true }) {
			if !(strings.HasPrefix(path.Base(rel), "appsettings") && strings.HasSuffix(rel, ".json") && !strings.Contains(rel, "/")) && !strings.HasPrefix(rel, "wwwroot/") {
				continue
			}
			e, err := p.s.stat(path.Join(dp.dir, rel))
			if err != nil || !p.writeArtefact(path.Join(dir, rel), dataOf(e), 0o644) {
				return false
			}
		}
		if dp.web {
			p.writeArtefact(path.Join(dir, "web.config"), rootfs.Bytes(fmt.Sprintf("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <location path=\".\" inheritInChildApplications=\"false\">\n    <system.webServer>\n      <aspNetCore processPath=\"dotnet\" arguments=\".\\%s.dll\" />\n    </system.webServer>\n  </location>\n</configuration>\n", dp.name)), 0o644)
		}
	}
	return true
}

func cmdDotnet(p *proc) int {
	if len(p.args) == 0 {
		p.outf("\nUsage: dotnet [options]\nUsage: dotnet [path-to-application]\n")
		return 0
	}
	sub, args := p.args[0], p.args[1:]
	sdk := p.toolVersion("DOTNET_SDK_VERSION", "8.0.204")
	switch sub {
	case "--version":
		if p.getenv("DOTNET_SDK_VERSION") == "" && p.getenv("DOTNET_VERSION") != "" {
			p.errf("No .NET SDKs were found.")
			return 1
		}
		p.outf("%s\n", sdk)
		return 0
	case "--info", "--list-sdks", "--list-runtimes":
		p.outf(".NET SDK:\n Version:   %s\n", sdk)
		return 0
	case "restore", "build", "publish", "test":
		if p.getenv("DOTNET_SDK_VERSION") == "" && p.getenv("DOTNET_VERSION") != "" {
			// a runtime image: the dotnet host without an SDK
			fmt.Fprintf(p.errw, "The command could not be loaded, possibly because:\n  * You intended to execute a .NET application:\n      The application '%s' does not exist.\n  * You intended to execute a .NET SDK command:\n      No .NET SDKs were found.\n", sub)
			return 145
		}
		o, ok := p.parseDotnetOpts(sub, args)
		if !ok {
			return 1
		}
		file, ok := p.findProject(o.project)
		if !ok {
			return 1
		}
		dp, err := p.readProject(file)
		if err != nil {
			fmt.Fprintln(p.errw, err)
			return 1
		}
		p.outf("MSBuild version 17.9.8 for .NET\n")
		if sub == "restore" || !o.noRestore && !o.noBuild {
			p.outf("  Determining projects to restore...\n")
			if !p.dotnetRestore(dp, o) {
				return 1
			}
			if sub == "restore" {
				return 0
			}
		}
		if !p.hasAssets(dp, o) {
			fmt.Fprintf(p.errw, "/usr/share/dotnet/sdk/%s/Sdks/Microsoft.NET.Sdk/targets/Microsoft.PackageDependencyResolution.targets(266,5): error NETSDK1004: Assets file '%s/obj/project.assets.json' not found. Run a NuGet package restore to generate this file. [%s]\n", sdk, dp.dir, dp.file)
			return 1
		}
		if sub == "test" {
			p.outf("Passed!  - Failed:     0, Passed:     0, Skipped:     0, Total:     0 (layerlab: the sandbox compiles .NET but does not run its tests)\n")
			return 0
		}
		binDir := path.Join(dp.dir, "bin", o.config, dp.tfm)
		if o.runtime != "" {
			binDir = path.Join(binDir, o.runtime)
		}
		if sub == "build" && o.output != "" {
			binDir = p.abs(o.output)
		}
		if !o.noBuild {
			if !p.dotnetCompile(dp, o, binDir, false) {
				return 1
			}
			p.outf("  %s -> %s\n", dp.name, path.Join(binDir, dp.name+".dll"))
		}
		if sub == "publish" {
			pub := path.Join(binDir, "publish")
			if o.output != "" {
				pub = p.abs(o.output)
			}
			if !p.dotnetCompile(dp, o, pub, true) {
				return 1
			}
			p.outf("  %s -> %s/\n", dp.name, pub)
		}
		return 0
	case "new":
		return p.dotnetNew(args)
	case "tool":
		if len(args) >= 2 && args[0] == "install" {
			dir := path.Join(p.getenv("HOME"), ".dotnet/tools")
			name := ""
			for i := 1; i < len(args); i++ {
				switch a := args[i]; {
				case a == "--tool-path" && i+1 < len(args):
					i++
					dir = p.abs(args[i])
				case a == "--version" && i+1 < len(args):
					i++
				case a == "-g" || a == "--global":
				case strings.HasPrefix(a, "-"):
					return p.unsupported("tool install " + a)
				default:
					name = a
				}
			}
			bin := strings.ToLower(name)
			if i := strings.LastIndex(bin, "."); i >= 0 && !strings.HasPrefix(bin, "dotnet-") {
				bin = bin[i+1:]
			}
			if !p.writeArtefact(path.Join(dir, bin), artefact("dotnet-tool", name, "", 150*kib, 64*kib), 0o755) {
				return 1
			}
			p.outf("You can invoke the tool using the following command: %s\nTool '%s' was successfully installed.\nlayerlab: %s synthesized (the playground has no network)\n", bin, strings.ToLower(name), name)
			return 0
		}
		return p.unsupported("tool " + strings.Join(args, " "))
	case "run", "watch":
		p.errf("%s: the layerlab sandbox builds .NET but cannot run it", sub)
		return 1
	}
	if strings.HasSuffix(sub, ".dll") {
		if !p.isFile(sub) {
			fmt.Fprintf(p.errw, "The application '%s' does not exist.\n", sub)
			return 1
		}
		p.errf("the layerlab sandbox builds .NET but cannot run %s", sub)
		return 1
	}
	fmt.Fprintf(p.errw, "Could not execute because the specified command or file was not found.\nPossible reasons for this include:\n  * You misspelled a built-in dotnet command.\n  * You intended to execute a .NET program, but dotnet-%s does not exist.\n", sub)
	return 1
}

// dotnetNew writes a project from the common templates.
func (p *proc) dotnetNew(args []string) int {
	if len(args) == 0 {
		return p.unsupported("new without a template")
	}
	tmpl := args[0]
	name, out := "", ""
	for i := 1; i < len(args); i++ {
		switch a := args[i]; {
		case (a == "-n" || a == "--name") && i+1 < len(args):
			i++
			name = args[i]
		case (a == "-o" || a == "--output") && i+1 < len(args):
			i++
			out = args[i]
		case (a == "-f" || a == "--framework") && i+1 < len(args):
			i++
		case a == "--force" || a == "--no-restore":
		default:
			return p.unsupported("new " + tmpl + " " + a)
		}
	}
	dir := p.abs(firstNonEmpty(out, name, "."))
	if name == "" {
		name = path.Base(dir)
	}
	sdk, code := "Microsoft.NET.Sdk", "Console.WriteLine(\"Hello, World!\");\n"
	exe := "\n    <OutputType>Exe</OutputType>"
	switch tmpl {
	case "console":
	case "web", "webapi", "mvc", "webapp", "razor", "blazor":
		sdk, exe = "Microsoft.NET.Sdk.Web", ""
		code = "var builder = WebApplication.CreateBuilder(args);\nvar app = builder.Build();\napp.MapGet(\"/\", () => \"Hello World!\");\napp.Run();\n"
		p.putText(path.Join(dir, "appsettings.json"), "{\n  \"Logging\": {\n    \"LogLevel\": {\n      \"Default\": \"Information\"\n    }\n  },\n  \"AllowedHosts\": \"*\"\n}\n")
	case "classlib":
		exe, code = "", "namespace "+name+";\n\npublic class Class1\n{\n}\n"
	case "worker":
		sdk = "Microsoft.NET.Sdk.Worker"
	default:
		fmt.Fprintf(p.errw, "No templates or subcommands found matching: '%s'.\n", tmpl)
		return 103
	}
	tfm := "net" + strings.Join(strings.SplitN(p.toolVersion("DOTNET_SDK_VERSION", "8.0.204"), ".", 3)[:2], ".")
	file := "Program.cs"
	if tmpl == "classlib" {
		file = "Class1.cs"
	}
	if err := p.putText(path.Join(dir, name+".csproj"), fmt.Sprintf("<Project Sdk=%q>\n\n  <PropertyGroup>%s\n    <TargetFramework>%s</TargetFramework>\n    <ImplicitUsings>enable</ImplicitUsings>\n    <Nullable>enable</Nullable>\n  </PropertyGroup>\n\n</Project>\n", sdk, exe, tfm)); err != nil {
		p.errf("write %s.csproj: %s", name, errno(err))
		return 1
	}
	p.putText(path.Join(dir, file), code)
	p.outf("The template was created successfully.\n")
	return 0
}
