package config

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"50ms", 50 * time.Millisecond, true},
		{"2s", 2 * time.Second, true},
		{"1m30s", 90 * time.Second, true},
		{"1.5h", 90 * time.Minute, true},
		{"0", 0, true},
		{"10us", 10 * time.Microsecond, true},
		{"10µs", 10 * time.Microsecond, true},
		{"-1s", 0, false},
		{"+1s", 0, false},
		{"fast", 0, false},
		{"5", 0, false},
		{"", 0, false},
		{"9999999999h", 0, false},
	} {
		got, err := ParseDuration(tc.in)
		if (err == nil) != tc.ok || got.Std() != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if tc.ok {
			// String reads back to the same value.
			back, err := ParseDuration(got.String())
			if err != nil || back != got {
				t.Errorf("ParseDuration(%q.String()=%q) = %v, %v", tc.in, got.String(), back, err)
			}
		}
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Size
		ok   bool
	}{
		{"0", 0, true},
		{"1048576", 1 << 20, true},
		{"8MiB", 8 << 20, true},
		{"8 MiB", 8 << 20, true},
		{"1.5KiB", 1536, true},
		{"2GiB", 2 << 30, true},
		{"1TiB", 1 << 40, true},
		{"3KB", 3000, true},
		{"3kB", 3000, true},
		{"5MB", 5_000_000, true},
		{"7GB", 7_000_000_000, true},
		{"1TB", 1_000_000_000_000, true},
		{"12B", 12, true},
		{"1.5B", 0, false},
		{"0.1KiB", 0, false},
		{"8mib", 0, false},
		{"8M", 0, false},
		{"MiB", 0, false},
		{"", 0, false},
		{"8 ", 0, false},
		{"-1", 0, false},
		{"1..5KiB", 0, false},
		{".5KiB", 0, false},
		{"99999999999TiB", 0, false},
		{"9223372036854775807", 1<<63 - 1, true},
		{"9223372036854775808", 0, false},
	} {
		got, err := ParseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		in   Size
		want string
	}{
		{0, "0"}, {8 << 20, "8MiB"}, {1536, "1536B"}, {1024, "1KiB"}, {3 << 30, "3GiB"}, {5 << 40, "5TiB"}, {1000, "1000B"},
	} {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("Size(%d).String() = %q, want %q", int64(tc.in), got, tc.want)
		}
		back, err := ParseSize(tc.in.String())
		if err != nil || back != tc.in {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in.String(), back, err, tc.in)
		}
	}
}

func TestTextMarshalling(t *testing.T) {
	var d Duration
	if err := d.UnmarshalText([]byte("1m30s")); err != nil || d.Std() != 90*time.Second {
		t.Errorf("Duration.UnmarshalText = %v, %v", d, err)
	}
	if err := d.UnmarshalText([]byte("soon")); err == nil {
		t.Error("Duration.UnmarshalText accepted \"soon\"")
	}
	var s Size
	if err := s.UnmarshalText([]byte("2MiB")); err != nil || s != 2<<20 {
		t.Errorf("Size.UnmarshalText = %v, %v", s, err)
	}
	if b, _ := s.MarshalText(); string(b) != "2MiB" {
		t.Errorf("Size.MarshalText = %q", b)
	}
	if b, _ := Duration(50 * time.Millisecond).MarshalText(); string(b) != "50ms" {
		t.Errorf("Duration.MarshalText = %q", b)
	}
}
