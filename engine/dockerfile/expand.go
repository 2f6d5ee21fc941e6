package dockerfile

import (
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Lexer expands $VAR, ${VAR:-x} and quotes in instruction arguments, as Docker does
// for ENV, LABEL, COPY, ADD, WORKDIR, USER, VOLUME, STOPSIGNAL, EXPOSE, ARG and FROM.
type Lexer struct{ lex *shell.Lex }

// NewLexer returns a Lexer for the file's escape character.
func NewLexer(escape rune) *Lexer {
	if escape == 0 {
		escape = '\\'
	}
	return &Lexer{lex: shell.NewLex(escape)}
}

// MaxWordBytes bounds what one instruction argument may expand to. Docker has no such
// limit, and `ENV A=$A$A` forty times asks for terabytes: the expansion is estimated
// from the variables the word names before it is built.
const MaxWordBytes = 64 << 10

// Word expands one word against env (KEY=VALUE pairs, later ones win).
func (l *Lexer) Word(word string, env []string) (string, error) {
	if err := checkExpansion(word, envList(env)); err != nil {
		return "", err
	}
	s, _, err := l.lex.ProcessWord(word, envList(env))
	return s, err
}

// Words expands a word into several, splitting on unquoted whitespace (EXPOSE).
func (l *Lexer) Words(word string, env []string) ([]string, error) {
	if err := checkExpansion(word, envList(env)); err != nil {
		return nil, err
	}
	return l.lex.ProcessWords(word, envList(env))
}

// checkExpansion refuses a word whose expansion could pass MaxWordBytes: its length
// plus the value of every variable it names ($NAME or ${NAME...}), an upper bound of
// what the lexer builds (an escaped \$ is counted too).
func checkExpansion(word string, env envList) error {
	n := int64(len(word))
	for i := 0; i < len(word); i++ {
		if word[i] != '$' {
			continue
		}
		j := i + 1
		if j < len(word) && word[j] == '{' {
			j++
		}
		k := j
		for k < len(word) && (word[k] == '_' || word[k] >= 'a' && word[k] <= 'z' || word[k] >= 'A' && word[k] <= 'Z' || word[k] >= '0' && word[k] <= '9') {
			k++
		}
		if k > j {
			if v, ok := env.Get(word[j:k]); ok {
				n += int64(len(v))
			}
		}
	}
	if n > MaxWordBytes {
		shown := word
		if len(shown) > 40 {
			shown = shown[:40] + "..."
		}
		return fmt.Errorf("%w: %q would expand to as much as %d bytes, past layerlab's limit of %d KiB for one argument (Docker has none)",
			ErrWordTooLarge, shown, n, MaxWordBytes>>10)
	}
	return nil
}

type envList []string

func (e envList) Get(key string) (string, bool) {
	for i := len(e) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(e[i], "="); ok && k == key {
			return v, true
		} else if !ok && e[i] == key {
			return "", true
		}
	}
	return "", false
}

func (e envList) Keys() []string {
	keys := make([]string, 0, len(e))
	seen := map[string]bool{}
	for _, kv := range e {
		k, _, _ := strings.Cut(kv, "=")
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys
}
