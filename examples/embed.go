package examples

import "embed"

//go:embed all:fastapi all:node
var embedded embed.FS

// goMultistage is examples/go-multistage: go:embed cannot take files from a directory
// holding a go.mod (the go command sees another module there), so its files are kept
// here; TestFilesMatchDisk checks they equal the files on disk.
var goMultistage = []File{
	{Path: "Dockerfile", Data: []byte("# Build stage: the Go toolchain is big, but it never reaches the final image.\nFROM golang:1.22 AS build\nWORKDIR /src\nCOPY go.mod ./\nRUN go mod download\nCOPY . .\nRUN go build -o /out/hello .\n\n# Final stage: only the binary.\nFROM alpine:3.20\nCOPY --from=build /out/hello /usr/local/bin/hello\nUSER nobody\nENTRYPOINT [\"/usr/local/bin/hello\"]\n")},
	{Path: "go.mod", Data: []byte("module example.com/hello\n\ngo 1.22\n")},
	{Path: "main.go", Data: []byte("//go:build ignore\n\npackage main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello from a two-stage build\") }\n")},
}
