package query

import (
	"cmp"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Kinds of sortable values, in the order they sort across kinds.
const (
	rankBool = iota
	rankNumber
	rankTime
	rankString
	rankOther
)

// Compare orders two front matter values: -1, 0 or +1. Values of one kind
// compare naturally; across kinds, booleans < numbers < dates < strings <
// anything else. Strings compare case-insensitively first, then byte-wise, so
// the order is total and deterministic.
func Compare(a, b any) int {
	ra, rb := rank(a), rank(b)
	if ra != rb {
		return cmp.Compare(ra, rb)
	}
	switch ra {
	case rankBool:
		return cmp.Compare(boolInt(a.(bool)), boolInt(b.(bool)))
	case rankNumber:
		return compareNumbers(reflect.ValueOf(a), reflect.ValueOf(b))
	case rankTime:
		return toTime(a).Compare(toTime(b))
	case rankString:
		sa, sb := reflect.ValueOf(a).String(), reflect.ValueOf(b).String()
		if c := strings.Compare(strings.ToLower(sa), strings.ToLower(sb)); c != 0 {
			return c
		}
		return strings.Compare(sa, sb)
	}
	return strings.Compare(fmt.Sprintf("%v", a), fmt.Sprintf("%v", b))
}

func rank(v any) int {
	switch v := v.(type) {
	case bool:
		return rankBool
	case time.Time:
		return rankTime
	case *time.Time:
		if v != nil {
			return rankTime
		}
		return rankOther
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return rankNumber
	case reflect.String:
		return rankString
	}
	return rankOther
}

func toTime(v any) time.Time {
	if p, ok := v.(*time.Time); ok {
		return *p
	}
	return v.(time.Time)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// compareNumbers compares integers exactly and falls back to float64 when a
// float is involved (NaN sorts before every number, as cmp.Compare does).
func compareNumbers(a, b reflect.Value) int {
	ai, aSigned, aFloat := numParts(a)
	bi, bSigned, bFloat := numParts(b)
	if aFloat || bFloat {
		return cmp.Compare(toFloat(a), toFloat(b))
	}
	switch {
	case aSigned && bSigned:
		return cmp.Compare(int64(ai), int64(bi))
	case !aSigned && !bSigned:
		return cmp.Compare(ai, bi)
	case aSigned: // a signed, b unsigned
		if int64(ai) < 0 {
			return -1
		}
		return cmp.Compare(ai, bi)
	default: // a unsigned, b signed
		if int64(bi) < 0 {
			return 1
		}
		return cmp.Compare(ai, bi)
	}
}

// numParts returns the integer bits of v, whether it is signed, and whether
// it is a float.
func numParts(v reflect.Value) (bits uint64, signed, float bool) {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return uint64(v.Int()), true, false
	case reflect.Float32, reflect.Float64:
		return 0, false, true
	}
	return v.Uint(), false, false
}

func toFloat(v reflect.Value) float64 {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(v.Int())
	case reflect.Float32, reflect.Float64:
		return v.Float()
	}
	return float64(v.Uint())
}
