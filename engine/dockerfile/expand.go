package dockerfile

import (
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

// Word expands one word against env (KEY=VALUE pairs, later ones win).
func (l *Lexer) Word(word string, env []string) (string, error) {
	s, _, err := l.lex.ProcessWord(word, envList(env))
	return s, err
}

// Words expands a word into several, splitting on unquoted whitespace (EXPOSE).
func (l *Lexer) Words(word string, env []string) ([]string, error) {
	return l.lex.ProcessWords(word, envList(env))
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
