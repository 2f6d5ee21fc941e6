package build

import (
	"bufio"
	"io"
	"sort"
)

func sortStrings(s []string) { sort.Strings(s) }

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, 64<<10) }
