package action

import (
	"bytes"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

var printer = message.NewPrinter(language.English)

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
func bytesReader(b []byte) *bytes.Reader     { return bytes.NewReader(b) }
