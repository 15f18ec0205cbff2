package escape

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Name returns s with every control character (tabs and newlines too),
// bidirectional override and invalid UTF-8 byte escaped: one line, safe to
// print. A string with nothing to escape is returned as it is.
func Name(s string) string { return escape(s, false) }

// Text is Name for multi-line output whose own structure is made of lines:
// it keeps '\n', '\t' and a '\r' right before '\n' (CRLF text), and escapes
// everything else Name does, including a lone '\r', which would move the
// cursor back over what was printed.
func Text(s string) string { return escape(s, true) }

// JSON returns s for a JSON string: as it is when it is valid UTF-8 (JSON
// escapes control characters itself and carries the text exactly), else its
// escaped form (Name). Pair it with Base64 where the exact bytes matter.
func JSON(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return Name(s)
}

// Base64 returns the standard base64 of s when s is not valid UTF-8, and ""
// when it is (JSON carries valid UTF-8 exactly; invalid bytes would become
// U+FFFD). JSON outputs put it beside the escaped name, e.g. "rel_base64".
func Base64(s string) string {
	if utf8.ValidString(s) {
		return ""
	}
	return base64.StdEncoding.EncodeToString([]byte(s))
}

const hex = "0123456789abcdef"

func escape(s string, lines bool) string {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if needs(r, n, lines) && !crlf(s, i, lines) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case !needs(r, n, lines) || crlf(s, i, lines):
			b.WriteString(s[i : i+n])
		case r == utf8.RuneError && n == 1, r < 0x80:
			c := s[i]
			b.WriteString(`\x`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		default:
			b.WriteString(`\u`)
			for shift := 12; shift >= 0; shift -= 4 {
				b.WriteByte(hex[(r>>shift)&0xf])
			}
		}
		i += n
	}
	return b.String()
}

// crlf reports whether s[i] is the '\r' of a "\r\n" that Text keeps.
func crlf(s string, i int, lines bool) bool {
	return lines && s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n'
}

// needs reports whether the rune r (n bytes long) must be escaped.
func needs(r rune, n int, lines bool) bool {
	switch {
	case r == utf8.RuneError && n == 1:
		return true // a byte that is not UTF-8
	case r < 0x20:
		return !(lines && (r == '\n' || r == '\t'))
	case r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true // DEL and the C1 controls (0x9b is a one-byte CSI)
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f:
		return true // bidirectional embeddings, overrides and isolates
	}
	return false
}

// FromBase64 returns the exact name that the pair (escaped, b64) made by JSON
// and Base64 stands for: the decoded bytes when b64 is set, else escaped.
func FromBase64(escaped, b64 string) (string, error) {
	if b64 == "" {
		return escaped, nil
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", fmt.Errorf("name %q: invalid base64 bytes: %w", escaped, err)
	}
	return string(b), nil
}
