package action

import (
	"bytes"
	"strings"
)

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
func bytesReader(b []byte) *bytes.Reader     { return bytes.NewReader(b) }
