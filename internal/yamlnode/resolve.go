package yamlnode

import (
	"math"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Plain returns the value of an unquoted scalar as the YAML 1.2 core schema
// reads it: nil, a bool, an int64 (a uint64 above the int64 range, a float64
// beyond that), a float64, or the string itself. The YAML 1.1 forms the
// parser would also accept (yes, 0777 as octal, 1_000, 0b101) stay strings or
// decimal, as YAML 1.2 says.
func Plain(s string) any {
	switch s {
	case "", "~", "null", "Null", "NULL":
		return nil
	case "true", "True", "TRUE":
		return true
	case "false", "False", "FALSE":
		return false
	case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF":
		return math.Inf(1)
	case "-.inf", "-.Inf", "-.INF":
		return math.Inf(-1)
	case ".nan", ".NaN", ".NAN":
		return math.NaN()
	}
	c := s[0]
	if !(c >= '0' && c <= '9') && c != '-' && c != '+' && c != '.' {
		return s
	}
	if v, ok := integer(s); ok {
		return v
	}
	if isFloat(s) {
		if f, err := strconv.ParseFloat(s, 64); err == nil || math.IsInf(f, 0) {
			return f
		}
	}
	return s
}

// integer reads [-+]?[0-9]+, 0o[0-7]+ and 0x[0-9a-fA-F]+.
func integer(s string) (any, bool) {
	base, digits := 10, s
	switch {
	case strings.HasPrefix(s, "0o"):
		base, digits = 8, s[2:]
	case strings.HasPrefix(s, "0x"):
		base, digits = 16, s[2:]
	case s[0] == '-' || s[0] == '+':
		digits = s[1:]
	}
	if digits == "" {
		return nil, false
	}
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		ok := c >= '0' && c <= '9'
		switch base {
		case 8:
			ok = c >= '0' && c <= '7'
		case 16:
			ok = ok || (c|0x20 >= 'a' && c|0x20 <= 'f')
		}
		if !ok {
			return nil, false
		}
	}
	if base == 10 {
		if v, err := strconv.ParseInt(s, 10, 64); err == nil {
			return v, true
		}
		if v, err := strconv.ParseUint(strings.TrimPrefix(s, "+"), 10, 64); err == nil {
			return v, true
		}
		f, _ := strconv.ParseFloat(s, 64)
		return f, true
	}
	if v, err := strconv.ParseInt(digits, base, 64); err == nil {
		return v, true
	}
	if v, err := strconv.ParseUint(digits, base, 64); err == nil {
		return v, true
	}
	f := 0.0
	for i := 0; i < len(digits); i++ {
		d, _ := strconv.ParseInt(digits[i:i+1], base, 64)
		f = f*float64(base) + float64(d)
	}
	return f, true
}

// isFloat reports whether s is [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?.
func isFloat(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	whole := digits()
	if i < len(s) && s[i] == '.' {
		i++
		if frac := digits(); whole == 0 && frac == 0 {
			return false
		}
	} else if whole == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// IsPlain reports whether n is a scalar written without quotes, block
// indicator or tag: the only kind Plain resolves.
func IsPlain(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Style&(yaml.TaggedStyle|yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0
}

// Tag returns the explicit tag of n in its short form ("!!str"), or "" when
// n has none.
func Tag(n *yaml.Node) string {
	if n.Style&yaml.TaggedStyle == 0 {
		return ""
	}
	return n.ShortTag()
}
