package sandbox

import (
	"strings"
	"testing"

	"layerlab/engine/rootfs"
)

// dotnetFS is an mcr.microsoft.com/dotnet/sdk-like image.
func dotnetFS(t testing.TB) *rootfs.FS {
	f := debianFS(t)
	put(t, f, "/usr/share/dotnet/dotnet", elf, 0o755)
	symlink(t, f, "/usr/bin/dotnet", "/usr/share/dotnet/dotnet")
	return f
}

var dotnetEnv = func(o *Options) {
	o.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "DOTNET_SDK_VERSION=8.0.204", "DOTNET_VERSION=8.0.4", "HOME=/root"}
	o.Dir = "/source"
}

const workerCsproj = `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net7.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="StackExchange.Redis" Version="2.2.4" />
    <PackageReference Include="Newtonsoft.Json" Version="13.0.1" />
  </ItemGroup>
</Project>
`

func TestDotnetOutputsFollowInputs(t *testing.T) {
	files := map[string]string{"/source/Worker.csproj": workerCsproj, "/source/Program.cs": "class P {}\n", "/source/appsettings.json": "{}\n"}
	checkOutputsFollowInputs(t, []buildCase{
		{name: "publish -c release -o", image: dotnetFS, opts: dotnetEnv, script: "dotnet restore -a amd64 && dotnet publish -c release -o /app -a amd64 --self-contained false --no-restore", files: files,
			outputs: []string{"/app/Worker.dll", "/app/Worker.pdb"}, edit: "/source/Program.cs"},
		{name: "single file", image: dotnetFS, opts: dotnetEnv, script: "dotnet publish Worker.csproj -p:PublishSingleFile=true --self-contained true -p:PublishTrimmed=true -c release -o /out", files: files,
			outputs: []string{"/out/Worker"}, edit: "/source/Program.cs"},
	})
}

// TestDotnetRestoreFollowsPackages: the assets file is a function of the package
// references, not of the sources, so the restore layer caches across source edits.
func TestDotnetRestoreFollowsPackages(t *testing.T) {
	assets := func(csproj, program string) string {
		f := dotnetFS(t)
		put(t, f, "/source/Worker.csproj", csproj, 0o644)
		put(t, f, "/source/Program.cs", program, 0o644)
		if r := run(t, f, "dotnet restore", dotnetEnv); r.code != 0 {
			t.Fatalf("%d\n%s", r.code, r.out)
		}
		return readFS(t, f, "/source/obj/project.assets.json")
	}
	base := assets(workerCsproj, "class P {}")
	if assets(workerCsproj, "class Q {}") != base {
		t.Error("a source edit changed project.assets.json")
	}
	if assets(strings.Replace(workerCsproj, "13.0.1", "13.0.3", 1), "class P {}") == base {
		t.Error("a package version change left project.assets.json as it was")
	}
}

func TestDotnetCommands(t *testing.T) {
	tests := []buildToolCase{
		{name: "publish copies content", files: map[string]string{"/source/aspnetapp.csproj": `<Project Sdk="Microsoft.NET.Sdk.Web"><PropertyGroup><TargetFramework>net5.0</TargetFramework></PropertyGroup></Project>`, "/source/Program.cs": "", "/source/appsettings.json": "{}", "/source/wwwroot/css/site.css": "a{}"},
			script: "dotnet build aspnetapp.csproj -c Release -o /app/build && dotnet publish aspnetapp.csproj -c Release -o /app/publish",
			exists: []string{"/app/build/aspnetapp.dll", "/app/publish/aspnetapp.dll", "/app/publish/aspnetapp.deps.json", "/app/publish/aspnetapp.runtimeconfig.json", "/app/publish/appsettings.json", "/app/publish/wwwroot/css/site.css", "/app/publish/web.config"}},
		{name: "no-restore without restore", files: map[string]string{"/source/Worker.csproj": workerCsproj}, script: "dotnet build --no-restore", code: 1, want: []string{"error NETSDK1004: Assets file '/source/obj/project.assets.json' not found"}},
		{name: "no project", script: "dotnet build", code: 1, want: []string{"MSB1003"}},
		{name: "two projects", files: map[string]string{"/source/a.csproj": workerCsproj, "/source/b.csproj": workerCsproj}, script: "dotnet build", code: 1, want: []string{"MSB1011"}},
		{name: "restore fills the package folder", files: map[string]string{"/source/Worker.csproj": workerCsproj}, script: "dotnet restore", exists: []string{"/root/.nuget/packages/newtonsoft.json/13.0.1/lib/net7.0/Newtonsoft.Json.dll"}},
		{name: "new then publish", script: "dotnet new console -n hello -o /src/hello && cd /src/hello && dotnet publish -o out", exists: []string{"/src/hello/out/hello.dll"}},
		{name: "unknown switch", files: map[string]string{"/source/Worker.csproj": workerCsproj}, script: "dotnet build --frob", code: 1, want: []string{"MSB1001: Unknown switch"}},
		{name: "running is refused by name", files: map[string]string{"/source/x.dll": "x"}, script: "dotnet x.dll", code: 1, want: []string{"cannot run x.dll"}},
	}
	runBuildToolCases(t, dotnetFS, "/source", dotnetEnv, tests)
}
