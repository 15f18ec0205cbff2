package config

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strings"
	"time"
)

// Duration is a time.Duration written in Go syntax ("50ms", "2s").
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String formats d in Go syntax, which ParseDuration reads back.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes d in Go syntax, so a marshalled Config loads again.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses a duration in Go syntax.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// durationSyntax is the schema's duration pattern: what ParseDuration reads
// when the value is not too large.
var durationSyntax = regexp.MustCompile(`^(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`)

// ParseDuration parses a non-negative duration in Go syntax ("50ms", "1m30s").
func ParseDuration(s string) (Duration, error) {
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	if strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("duration %q has a sign", s)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		if durationSyntax.MatchString(s) {
			return 0, fmt.Errorf("duration %q is too long; the longest is %s", s, time.Duration(math.MaxInt64).Truncate(time.Hour))
		}
		return 0, fmt.Errorf("expected a duration like \"50ms\" or \"2s\", got %q", s)
	}
	return Duration(d), nil
}

// Size is a byte count written as an integer or with a unit (KiB, MiB, GiB).
type Size int64

// sizeUnits lists the accepted suffixes. Binary units come first so that
// String picks them.
var sizeUnits = []struct {
	name string
	mult int64
}{
	{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"kB", 1e3},
	{"B", 1},
}

// String formats s with the largest binary unit that divides it exactly
// ("8MiB", "1500B"), which ParseSize reads back.
func (s Size) String() string {
	if s == 0 {
		return "0"
	}
	for _, u := range sizeUnits[:4] {
		if int64(s)%u.mult == 0 {
			return fmt.Sprintf("%d%s", int64(s)/u.mult, u.name)
		}
	}
	return fmt.Sprintf("%dB", int64(s))
}

// MarshalText writes s with a unit, so a marshalled Config loads again.
func (s Size) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a size such as "8MiB" or "1048576".
func (s *Size) UnmarshalText(b []byte) error {
	v, err := ParseSize(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

var errSizeSyntax = errors.New(`expected a size like "8MiB" or 1048576`)

// ParseSize parses a byte count: a whole number, or a number followed by an
// optional space and a unit: B, KiB, MiB, GiB, TiB (powers of 1024) or KB, MB,
// GB, TB (powers of 1000; kB is accepted for KB). Fractions are allowed with a
// unit when the result is a whole number of bytes ("1.5KiB").
func ParseSize(s string) (Size, error) {
	num, unit, spaced := s, "", false
	for i, r := range s {
		if (r < '0' || r > '9') && r != '.' {
			num, unit = s[:i], s[i:]
			unit, spaced = strings.CutPrefix(unit, " ")
			break
		}
	}
	if num == "" || len(num) > 40 || (spaced && unit == "") || strings.Count(num, ".") > 1 || strings.HasPrefix(num, ".") || strings.HasSuffix(num, ".") {
		return 0, fmt.Errorf("%w, got %q", errSizeSyntax, s)
	}
	mult := int64(1)
	if unit != "" {
		found := false
		for _, u := range sizeUnits {
			if u.name == unit {
				mult, found = u.mult, true
				break
			}
		}
		if !found {
			return 0, fmt.Errorf("%w, got %q (units: B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)", errSizeSyntax, s)
		}
	}
	// big.Rat keeps "1.5KiB" exact and catches overflow without float
	// rounding surprises.
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, fmt.Errorf("%w, got %q", errSizeSyntax, s)
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	if !r.IsInt() {
		return 0, fmt.Errorf("size %q is not a whole number of bytes", s)
	}
	n := r.Num()
	if !n.IsInt64() {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return Size(n.Int64()), nil
}
