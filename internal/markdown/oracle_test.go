package markdown

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"time"
)

// The oracle encoding is how testdata/oracle/oracle.js writes a YAML value
// in JSON without blurring its type: null, booleans and strings as
// themselves, {"int": "decimal"}, {"float": "text"}, arrays, and
// {"map": {...}} keyed by each key's text as written.
//
// sameAsOracle compares a value Parse returned with the oracle's, under one
// normalisation: YAML 1.2 has no timestamps, so the oracle reads a date as
// the string it is, and a time.Time from Parse must print (TimeText) as
// exactly that string. Floats compare as numbers (NaN equals NaN), integers
// as exact decimals.
func sameAsOracle(got, want any, path string) error {
	switch w := want.(type) {
	case nil:
		if got != nil {
			return fmt.Errorf("%s: got %#v, want null", path, got)
		}
		return nil
	case bool:
		if g, ok := got.(bool); !ok || g != w {
			return fmt.Errorf("%s: got %#v, want %v", path, got, w)
		}
		return nil
	case string:
		switch g := got.(type) {
		case string:
			if g == w {
				return nil
			}
		case time.Time:
			if TimeText(g) == w {
				return nil
			}
		}
		return fmt.Errorf("%s: got %#v, want string %q", path, got, w)
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Errorf("%s: got %#v, want a list of %d", path, got, len(w))
		}
		for i := range w {
			if err := sameAsOracle(g[i], w[i], fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		switch {
		case w["int"] != nil:
			n, ok := new(big.Int).SetString(w["int"].(string), 10)
			if !ok {
				return fmt.Errorf("%s: bad oracle integer %v", path, w["int"])
			}
			var g *big.Int
			switch x := got.(type) {
			case int:
				g = big.NewInt(int64(x))
			case int64:
				g = big.NewInt(x)
			case uint64:
				g = new(big.Int).SetUint64(x)
			}
			if g == nil || g.Cmp(n) != 0 {
				return fmt.Errorf("%s: got %#v, want integer %s", path, got, n)
			}
			return nil
		case w["float"] != nil:
			s := w["float"].(string)
			var f float64
			switch s {
			case "nan":
				f = math.NaN()
			case "inf":
				f = math.Inf(1)
			case "-inf":
				f = math.Inf(-1)
			default:
				var err error
				if f, err = strconv.ParseFloat(s, 64); err != nil {
					return fmt.Errorf("%s: bad oracle float %q", path, s)
				}
			}
			g, ok := got.(float64)
			if !ok || !(g == f && math.Signbit(g) == math.Signbit(f) || math.IsNaN(g) && math.IsNaN(f)) {
				return fmt.Errorf("%s: got %#v, want float %s", path, got, s)
			}
			return nil
		case w["map"] != nil:
			wm := w["map"].(map[string]any)
			g, ok := got.(map[string]any)
			if !ok {
				return fmt.Errorf("%s: got %#v, want a mapping", path, got)
			}
			keys := make([]string, 0, len(wm)+len(g))
			for k := range wm {
				keys = append(keys, k)
			}
			for k := range g {
				if _, ok := wm[k]; !ok {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			for _, k := range keys {
				gv, gok := g[k]
				wv, wok := wm[k]
				if gok != wok {
					return fmt.Errorf("%s: key %q present %v, oracle %v", path, k, gok, wok)
				}
				if err := sameAsOracle(gv, wv, path+"."+k); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return fmt.Errorf("%s: unknown oracle value %#v", path, want)
}

// oracleAnswer is one line of the oracle's output.
type oracleAnswer struct {
	OK    json.RawMessage `json:"ok"`
	Error json.RawMessage `json:"error"`
}

// decodeOracle decodes an oracle value.
func decodeOracle(raw json.RawMessage) (any, error) {
	var v any
	err := json.Unmarshal(raw, &v)
	return v, err
}
