package dockerfile

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestLexerWord(t *testing.T) {
	env := []string{"A=1", "B=two words", "A=3", "E=", "BARE"}
	tests := []struct {
		name    string
		escape  rune
		word    string
		env     []string
		want    string
		wantErr bool
	}{
		{name: "plain", word: "hello", want: "hello"},
		{name: "dollar var, later entry wins", word: "$A", want: "3"},
		{name: "braced var", word: "${A}", want: "3"},
		{name: "var inside a word", word: "a$A-b${A}c", want: "a3-b3c"},
		{name: "unset var is empty", word: "x$NOPE.y", want: "x.y"},
		{name: "default for unset", word: "${NOPE:-x}", want: "x"},
		{name: "default for empty", word: "${E:-x}", want: "x"},
		{name: "no default when set", word: "${A:-x}", want: "3"},
		{name: "dash without colon keeps empty", word: "${E-x}", want: ""},
		{name: "alternative when set", word: "${A:+x}", want: "x"},
		{name: "alternative when unset", word: "${NOPE:+x}", want: ""},
		{name: "single quotes are literal", word: "'$A'", want: "$A"},
		{name: "double quotes expand", word: `"$A"`, want: "3"},
		{name: "double quotes keep spaces", word: `"a  $B"`, want: "a  two words"},
		{name: "escaped dollar", word: `\$A`, want: "$A"},
		{name: "escaped dollar with backtick escape", escape: '`', word: "`$A", want: "$A"},
		{name: "backslash is literal with backtick escape", escape: '`', word: `C:\$A`, want: `C:\3`},
		{name: "entry without = is set and empty", word: "[${BARE:-unset}][${BARE-unset}]", want: "[unset][]"},
		{name: "required var missing", word: "${NOPE:?need it}", wantErr: true},
		{name: "unterminated brace", word: "${A", wantErr: true},
		{name: "nil env", word: "$A", env: []string{}, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := env
			if tt.env != nil {
				e = tt.env
			}
			got, err := NewLexer(tt.escape).Word(tt.word, e)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Word(%q) error = %v, wantErr %v", tt.word, err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("Word(%q) = %q, want %q", tt.word, got, tt.want)
			}
		})
	}
}

func TestLexerWords(t *testing.T) {
	env := []string{"PORTS=80 443", "P=8080"}
	tests := []struct {
		name string
		word string
		want []string
	}{
		{name: "two ports", word: "80 443", want: []string{"80", "443"}},
		{name: "extra spaces", word: "  80   443/udp ", want: []string{"80", "443/udp"}},
		{name: "var expanding to two", word: "$PORTS", want: []string{"80", "443"}},
		{name: "quoted var stays one", word: `"$PORTS"`, want: []string{"80 443"}},
		{name: "var and literal", word: "${P}/tcp 9090", want: []string{"8080/tcp", "9090"}},
		{name: "empty", word: "", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewLexer('\\').Words(tt.word, env)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Words(%q) = %q, want %q", tt.word, got, tt.want)
			}
		})
	}
}

func TestEnvListKeys(t *testing.T) {
	got := envList{"A=1", "B=2", "A=3", "C"}.Keys()
	if want := []string{"A", "B", "C"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Keys() = %q, want %q", got, want)
	}
}

// TestLexerWordBound: a word may expand to MaxWordBytes and not past it; the estimate
// is made before anything is built (ENV A=$A$A forty times asked for terabytes).
func TestLexerWordBound(t *testing.T) {
	// The estimate is the word's own length plus the values it names.
	v := strings.Repeat("x", (MaxWordBytes-len("$A${A}"))/2)
	def := strings.Repeat("y", MaxWordBytes-len("${NOPE:-}"))
	tests := []struct {
		name    string
		word    string
		env     []string
		wantErr bool
	}{
		{name: "two values and the word make the bound", word: "$A${A}", env: []string{"A=" + v}},
		{name: "one byte more is past it", word: "$A${A}", env: []string{"A=" + v + "y"}, wantErr: true},
		{name: "a doubling past the bound", word: "$A$A", env: []string{"A=" + v + v}, wantErr: true},
		{name: "an unset name costs nothing", word: "$NOPE$NOPE", env: []string{"A=" + v + v + v}},
		{name: "a default counts as written", word: "${NOPE:-" + def + "}"},
		{name: "a default one byte past", word: "${NOPE:-" + def + "y}", wantErr: true},
	}
	l := NewLexer('\\')
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := l.Word(tt.word, tt.env)
			if tt.wantErr {
				if !errors.Is(err, ErrWordTooLarge) || !strings.Contains(err.Error(), "past layerlab's limit of 64 KiB for one argument") {
					t.Fatalf("error %v, want ErrWordTooLarge naming the limit", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) > MaxWordBytes {
				t.Fatalf("expanded to %d bytes", len(got))
			}
		})
	}
}
