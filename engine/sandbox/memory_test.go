package sandbox

import (
	"testing"
)

// benchScripts are RUN lines of the shapes real Dockerfiles have: loops that
// assign and concatenate, pipelines, command substitutions, redirects to files,
// background jobs. BenchmarkRun measures what the sandbox's budgets cost them.
var benchScripts = []struct {
	name, script string
}{
	{name: "loop of assignments", script: `i=0; s=; while [ $i -lt 2000 ]; do i=$((i+1)); s="x$i"; t="$s/$i:$s"; done; echo "$t"`},
	{name: "pipelines", script: `for i in $(seq 1 200); do echo "line $i" | grep line | wc -l > /dev/null; done`},
	{name: "command substitutions", script: `for i in $(seq 1 300); do a=$(echo "$i"); b="${a}-$(printf '%s' "$a")"; done; echo $b`},
	{name: "writes", script: `mkdir -p /app; for i in $(seq 1 300); do echo "value $i" > /app/f$i; cat /app/f$i >> /app/all; done; wc -l < /app/all`},
	{name: "apt-like", script: `set -eux; apt-get update; for p in a b c d e f; do echo "pkg $p"; done | sort | uniq > /tmp/l; rm -rf /var/lib/apt/lists/*`},
}

func BenchmarkRun(b *testing.B) {
	for _, bs := range benchScripts {
		b.Run(bs.name, func(b *testing.B) {
			f := debianFS(b)
			b.ResetTimer()
			for b.Loop() {
				r := run(b, f.Clone(), bs.script)
				if r.err != nil || r.code != 0 {
					b.Fatalf("exit %d, err %v: %.300s", r.code, r.err, r.out)
				}
			}
		})
	}
}
