package dockerfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// minFuzzSeeds counts the seed Dockerfiles: those of 47 of the 48 recorded scenarios
// (x10-onbuild-child's context has none: its script writes it), the 28 recorded errors'
// and the 12 golden inputs.
const minFuzzSeeds = 47 + 28 + minGoldenInputs

func FuzzParse(f *testing.F) {
	var seeds []string
	for _, pattern := range []string{
		"../../testdata/conformance/scenarios/*/context/Dockerfile",
		"../../testdata/conformance/errors/*/context/Dockerfile",
		"testdata/golden/*.Dockerfile",
	} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, m...)
	}
	if len(seeds) < minFuzzSeeds {
		f.Fatalf("found only %d seed Dockerfiles, want at least %d; is ../../testdata/conformance there?", len(seeds), minFuzzSeeds)
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"",
		"\xef\xbb\xbfFROM a\n",
		"# escape=`\nFROM a\nRUN a `\n b\n",
		"FROM a\nRUN <<EOF\nx\nEOF\n",
		"FROM a\nRUN <<-EOT cat\n\tx\n\tEOT\n",
		"FROM a\nCOPY <<A <<B /d/\na\nA\nb\nB\n",
		"FROM a\nRUN a \\\n\n# c\n b \\\n",
		"FROM a\r\nRUN a \\\r\n b\r\n",
		"ARG A\nARG B=2\nFROM $A\n",
		"FROM a\nCMD [\"a\", \"b]\n",
		"FROM a\nONBUILD ONBUILD RUN x\n",
		"FROM a\nHEALTHCHECK --interval=1s --retries=-1 CMD x\n",
		"FROM a\nRUN \\",
		"\\\n\\\nFROM a",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := Parse(src)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not a *Error", err, err)
			}
			if e.Msg == "" {
				t.Fatal("*Error with an empty Msg")
			}
			if file != nil {
				t.Fatal("a *File returned along with an error")
			}
			return
		}
		if file == nil || len(file.Stages) == 0 {
			t.Fatal("no error and no stage")
		}
		lines := strings.Count(string(src), "\n") + 1
		all := allInstructions(file)
		if file.Steps != len(all) {
			t.Errorf("Steps = %d, but %d instructions", file.Steps, len(all))
		}
		for i, in := range all {
			if in.Line < 1 || in.Line > in.EndLine || in.EndLine > lines {
				t.Errorf("instruction %d (%q): lines %d-%d outside 1..%d", i, in.Original, in.Line, in.EndLine, lines)
			}
			if in.Step != i+1 {
				t.Errorf("instruction %d (%q): Step = %d", i, in.Original, in.Step)
			}
			if i > 0 && in.Line <= all[i-1].EndLine {
				t.Errorf("instruction %d (%q) starts on line %d, inside the previous one (ends %d)", i, in.Original, in.Line, all[i-1].EndLine)
			}
		}
	})
}
