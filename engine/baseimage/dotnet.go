package baseimage

import "strings"

// .NET images at mcr.microsoft.com/dotnet: runtime-deps, runtime on it, aspnet on
// runtime, sdk on aspnet, each on the same distro tag. From 10.0 the unpinned tags are
// Ubuntu's; chiseled images are Ubuntu slices with no shell and no package manager.

const dotnetMCR = "mcr.microsoft.com/dotnet/"

var dotnetForms = []string{"@debian-slim", "{deb}-slim@debian-slim", "{ubu}@ubuntu", "chiseled={ubu}-chiseled@ubuntu",
	"chiseled-extra={ubu}-chiseled-extra@ubuntu", "alpine@alpine", "{alp}@alpine"}

// The .NET Core lines (2.1 to 3.1) stood on Debian's previous release: their unpinned
// tags stayed on stretch (2.x) and buster (3.x) to the end.
const dotnetRuntimeLines = "2.1 2.1.30 2021-08-19 2018-05-30 2021-08-21 2.1.30 debian:stretch|2.2 2.2.8 2019-11-19 2018-12-04 2019-12-23 2.2.8 debian:stretch|" +
	"3.0 3.0.3 2020-02-18 2019-09-23 2020-03-03 3.0.3 debian:buster|3.1 3.1.32 2022-12-13 2019-12-03 2022-12-13 3.1.32 debian:buster|5.0 5.0.17 2022-05-10 2020-11-10 2022-05-10|" +
	"6.0 6.0.36 2024-11-12 2021-11-08 2024-11-12 6.0.36 debian:bookworm|7.0 7.0.20 2024-05-28 2022-11-08 2024-05-14 7.0.20 debian:bookworm|8.0 8.0.22 2026-11-10 2023-11-14 - 8.0.22 debian:bookworm|" +
	"9.0 9.0.11 2026-11-10 2024-11-12 - 9.0.11 debian:bookworm|10.0 10.0.12 2026-11-10 2025-11-11 - 10.0.12 ubuntu"

const dotnetSDKLines = "2.1 2.1.818 2021-08-19 2018-05-30 2021-08-21 2.1.818 debian:stretch|2.2 2.2.402 2019-11-19 2018-12-04 2019-12-23 2.2.402 debian:stretch|" +
	"3.0 3.0.103 2020-02-18 2019-09-23 2020-03-03 3.0.103 debian:buster|3.1 3.1.426 2022-12-13 2019-12-03 2022-12-13 3.1.426 debian:buster|5.0 5.0.408 2022-05-10 2020-11-10 2022-05-10|" +
	"6.0 6.0.428 2024-11-12 2021-11-08 2024-11-12 6.0.428 debian:bookworm|7.0 7.0.410 2024-05-28 2022-11-08 2024-05-14 7.0.410 debian:bookworm|8.0 8.0.416 2026-11-10 2023-11-14 - 8.0.416 debian:bookworm|" +
	"9.0 9.0.308 2026-11-10 2024-11-12 - 9.0.308 debian:bookworm|10.0 10.0.112 2026-11-10 2025-11-11 - 10.0.112 ubuntu"

func dotnetFamilies() []*family {
	rt := lines(strings.Split(dotnetRuntimeLines, "|")...)
	sdk := lines(strings.Split(dotnetSDKLines, "|")...)
	// The SDK has no chiseled images; up to 3.1 its Debian images were full Debian
	// (3.1-buster, on buildpack-deps:buster-scm), not slim.
	sdkForms := []string{}
	for _, f := range dotnetForms {
		if !strings.HasPrefix(f, "chiseled") {
			sdkForms = append(sdkForms, f)
		}
	}
	sdkForms = append(sdkForms, "{deb}@debian<5.0")
	fams := []*family{
		{repo: dotnetMCR + "runtime-deps", desc: "Native dependencies of .NET, for self-contained applications (Microsoft).", lines: rt, forms: dotnetForms,
			build: recipeBuild(recipe{baseFor: func(s spec) string {
				if strings.HasPrefix(s.flavor, "chiseled") {
					return "scratch"
				}
				return s.distro.baseName()
			}, ops: dotnetDepsOps()})},
		{repo: dotnetMCR + "runtime", desc: "The .NET runtime, for console applications (Microsoft).", lines: rt, forms: dotnetForms,
			build: recipeBuild(recipe{baseFor: dotnetBase("runtime-deps"), ops: []op{
				{env: "DOTNET_VERSION={version}"},
				{fill: "/usr/share/dotnet/dotnet 70 x\n/usr/share/dotnet/host/fxr/{version}/libhostfxr.so 400\n/usr/share/dotnet/shared/Microsoft.NETCore.App/{version}/libcoreclr.so 7000\n/usr/share/dotnet/shared/Microsoft.NETCore.App/{version}/System.Private.CoreLib.dll 15000\n/usr/share/dotnet/shared/Microsoft.NETCore.App/{version}/libclrjit.so 3500\n/usr/share/dotnet/shared/Microsoft.NETCore.App/{version}/System.Linq.dll 500\n/usr/share/dotnet/LICENSE.txt 1\n",
					size: 72_000_000, link: "/usr/bin/dotnet>/usr/share/dotnet/dotnet", copyTo: "/usr/share/dotnet"},
				{when: "!chiseled !chiseled-extra", link: "/usr/bin/dotnet>/usr/share/dotnet/dotnet", run: "ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet"},
			}})},
		{repo: dotnetMCR + "aspnet", desc: "The ASP.NET Core runtime, for web applications (Microsoft).", lines: rt, forms: dotnetForms,
			build: recipeBuild(recipe{baseFor: dotnetBase("runtime"), ops: []op{
				{env: "ASPNET_VERSION={version}"},
				{fill: "/usr/share/dotnet/shared/Microsoft.AspNetCore.App/{version}/Microsoft.AspNetCore.Server.Kestrel.Core.dll 2000\n/usr/share/dotnet/shared/Microsoft.AspNetCore.App/{version}/Microsoft.AspNetCore.Mvc.Core.dll 1700\n/usr/share/dotnet/shared/Microsoft.AspNetCore.App/{version}/Microsoft.AspNetCore.Components.dll 600\n/usr/share/dotnet/shared/Microsoft.AspNetCore.App/{version}/Microsoft.AspNetCore.App.deps.json 30\n",
					size: 33_000_000, copyTo: "/usr/share/dotnet/shared/Microsoft.AspNetCore.App"},
			}})},
		{repo: dotnetMCR + "sdk", desc: "The .NET SDK: the CLI, compilers and MSBuild (Microsoft).", lines: sdk, forms: sdkForms,
			build: recipeBuild(recipe{baseFor: dotnetSDKBase, ops: []op{
				{env: "DOTNET_GENERATE_ASPNET_CERTIFICATE=false"}, {env: "DOTNET_NOLOGO=true"}, {env: "DOTNET_SDK_VERSION={version}"},
				{env: "DOTNET_USE_POLLING_FILE_WATCHER=true"}, {env: "NUGET_XMLDOC_MODE=skip"}, {env: "POWERSHELL_DISTRIBUTION_CHANNEL=PSDocker-DotnetSDK"},
				{when: "!alpine", fill: "/usr/bin/git 3900 x\n/usr/bin/curl 270 x\n/usr/bin/wget 525 x\n/usr/bin/make 250 x\n/usr/lib/x86_64-linux-gnu/libatomic.so.1 30\n", size: 60_000_000,
					run: "apt-get update     && apt-get install -y --no-install-recommends         curl         git         libatomic1         wget     && rm -rf /var/lib/apt/lists/*"},
				{when: "alpine", fill: "/usr/bin/git 3000 x\n/usr/bin/curl 270 x\n", size: 20_000_000, run: "apk add --upgrade --no-cache         curl         git         icu-data-full         libintl         tzdata"},
				{fill: "/usr/share/dotnet/sdk/{version}/dotnet.dll 400\n/usr/share/dotnet/sdk/{version}/Roslyn/bincore/Microsoft.CodeAnalysis.CSharp.dll 7000\n/usr/share/dotnet/sdk/{version}/Microsoft.Build.dll 2500\n/usr/share/dotnet/sdk/{version}/Sdks/Microsoft.NET.Sdk/targets/Microsoft.NET.Sdk.targets 80\n/usr/share/dotnet/sdk/{version}/FSharp/FSharp.Compiler.Service.dll 20000\n/usr/share/dotnet/packs/Microsoft.NETCore.App.Ref/{line}.0/ref/net{line}/System.Runtime.dll 200\n/usr/share/dotnet/packs/Microsoft.AspNetCore.App.Ref/{line}.0/ref/net{line}/Microsoft.AspNetCore.dll 100\n/usr/share/dotnet/templates/microsoft.dotnet.common.projecttemplates.nupkg 300\n/usr/share/powershell/pwsh 80 x\n/usr/share/powershell/System.Management.Automation.dll 30000\n",
					size: 640_000_000, link: "/usr/bin/pwsh>/usr/share/powershell/pwsh",
					run: "curl -fSL --output dotnet.tar.gz https://builds.dotnet.microsoft.com/dotnet/Sdk/$DOTNET_SDK_VERSION/dotnet-sdk-$DOTNET_SDK_VERSION-linux-x64.tar.gz     && mkdir -p /usr/share/dotnet     && tar -oxzf dotnet.tar.gz -C /usr/share/dotnet ./packs ./sdk ./sdk-manifests ./templates ./LICENSE.txt ./ThirdPartyNotices.txt     && rm dotnet.tar.gz     && dotnet help"},
			}})},
	}
	return append(fams, dotnetCoreFamilies(fams)...)
}

// dotnetCoreFamilies are the repositories Microsoft served .NET Core (2.1 to 3.1) under,
// mcr.microsoft.com/dotnet/core/sdk and so on: the same images as the new names give
// for those lines (Microsoft published each under both), so a core/ tag is the new
// name's image, with its ID; 5.0 and later were never published under core/.
func dotnetCoreFamilies(fams []*family) []*family {
	var out []*family
	for _, f := range fams {
		var core []line
		for _, l := range f.lines {
			if compareVersions(l.ver, "5.0") < 0 {
				core = append(core, l)
			}
		}
		var forms []string
		for _, form := range f.forms {
			if !strings.HasPrefix(form, "chiseled") {
				forms = append(forms, form)
			}
		}
		newRepo := f.repo
		out = append(out, &family{repo: dotnetMCR + "core/" + strings.TrimPrefix(f.repo, dotnetMCR), desc: f.desc + " Its .NET Core name (2.1 to 3.1).",
			lines: core, forms: forms,
			build: func(s spec) (*Image, error) { return Lookup(newRepo + ":" + s.canonicalTag()) }})
	}
	return out
}

// dotnetDepsOps is runtime-deps: the native libraries .NET needs, the app user, the
// container environment; chiseled images are those libraries alone, from scratch.
func dotnetDepsOps() []op {
	chisel := "chiseled"
	return []op{
		{when: chisel, file: "/etc/os-release", text: "PRETTY_NAME=\"Ubuntu {codename}\"\nNAME=\"Ubuntu\"\nVERSION_CODENAME={codename}\nID=ubuntu\nID_LIKE=debian\n"},
		{when: chisel, file: "/etc/passwd", text: "root:x:0:0:root:/root:/noshell\napp:x:1654:1654::/home/app:/noshell\n"},
		{when: chisel, file: "/etc/group", text: "root:x:0:\napp:x:1654:\n"},
		{when: chisel, dir: "/home/app"},
		{when: chisel, fill: "/usr/lib/x86_64-linux-gnu/libc.so.6 2100\n/usr/lib64/ld-linux-x86-64.so.2 240\n/usr/lib/x86_64-linux-gnu/libssl.so.3 700\n/usr/lib/x86_64-linux-gnu/libcrypto.so.3 4600\n/usr/lib/x86_64-linux-gnu/libstdc++.so.6 2300\n/usr/lib/x86_64-linux-gnu/libgcc_s.so.1 150\n/etc/ssl/certs/ca-certificates.crt 214\n/var/lib/dpkg/status.d/libc6 2\n",
			size: 11_000_000, run: "chisel cut --release ubuntu-{alpine}{codename} --root /rootfs base-files_base ca-certificates_data libc6_libs libgcc-s1_libs libssl3t64_libs libstdc++6_libs"},
		{when: "chiseled-extra", fill: "/usr/lib/x86_64-linux-gnu/libicuuc.so.74 2100\n/usr/lib/x86_64-linux-gnu/libicudata.so.74 30000\n/usr/share/zoneinfo/tzdata.zi 105\n", size: 34_000_000, run: "chisel cut --release ubuntu-{codename} --root /rootfs libicu74_libs tzdata_zoneinfo"},
		{when: "!chiseled !chiseled-extra !alpine", fill: "/usr/lib/x86_64-linux-gnu/libicuuc.so.72 2100\n/usr/lib/x86_64-linux-gnu/libicudata.so.72 30000\n/usr/lib/x86_64-linux-gnu/libssl.so.3 700\n/usr/lib/x86_64-linux-gnu/libcrypto.so.3 4600\n/etc/ssl/certs/ca-certificates.crt 214\n/usr/share/zoneinfo/tzdata.zi 105\n", size: 38_000_000,
			run: "apt-get update     && apt-get install -y --no-install-recommends         ca-certificates                 libc6         libgcc-s1         libicu72         libssl3         libstdc++6         tzdata         zlib1g     && rm -rf /var/lib/apt/lists/*"},
		{when: "alpine", fill: "/usr/lib/libicuuc.so.76 2100\n/usr/lib/libicudata.so.76 30000\n/usr/lib/libstdc++.so.6 2500\n/usr/lib/libgcc_s.so.1 150\n", size: 38_000_000,
			run: "apk add --upgrade --no-cache         ca-certificates-bundle                 libgcc         libssl3         libstdc++         zlib"},
		// Before 8.0 the images listened on port 80 as root; 8.0 brought the app user and port 8080.
		{when: "<8.0", env: "ASPNETCORE_URLS=http://+:80"},
		{when: ">=8.0", env: "APP_UID=1654"}, {when: ">=8.0", env: "ASPNETCORE_HTTP_PORTS=8080"}, {env: "DOTNET_RUNNING_IN_CONTAINER=true"},
		{when: "!chiseled !chiseled-extra !alpine >=8.0", user: "app:1654:1654:/home/app:/bin/false", run: "groupadd         --gid=$APP_UID         app     && useradd -l         --uid=$APP_UID         --gid=$APP_UID         --create-home         app"},
		{when: "alpine >=8.0", user: "app:1654:1654:/home/app:/sbin/nologin", run: "addgroup         --gid=$APP_UID         app     && adduser         --uid=$APP_UID         --ingroup=app         --disabled-password         app"},
		{when: chisel, asUser: "1654"}, {when: "chiseled-extra", asUser: "1654"},
	}
}

// dotnetBase is the image a .NET repository's tag stands on: the repository below
// it (runtime on runtime-deps) at the same line and distro.
func dotnetBase(below string) func(s spec) string {
	return func(s spec) string {
		return dotnetMCR + below + ":" + s.line.ver + dotnetSuffix(s)
	}
}

// dotnetSDKBase is aspnet at the SDK's line and distro. The full-Debian SDK images of
// .NET Core (3.1-buster) stand on aspnet's slim image of that release: the stand-in
// adds the SDK's git, curl and wget on it rather than buildpack-deps' whole set.
func dotnetSDKBase(s spec) string {
	suffix := dotnetSuffix(s)
	if s.distro != nil && s.distro.distro == "debian" && !s.distro.slim {
		suffix = "-" + s.distro.codename + "-slim"
	}
	return dotnetMCR + "aspnet:" + s.line.ver + suffix
}

// dotnetSuffix is the distro part of a spec's tag ("-alpine", "-noble-chiseled", "").
func dotnetSuffix(s spec) string {
	t := s.canonicalTag()
	if i := strings.IndexByte(t, '-'); i >= 0 {
		return t[i:]
	}
	return ""
}
