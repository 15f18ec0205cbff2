package markdown

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tomlOracle reads TOML documents with Python's tomllib (an independent
// TOML 1.0 implementation) and writes each as one JSON line that keeps the
// types apart.
const tomlOracle = `
import datetime, json, math, sys, tomllib
def enc(v):
    if isinstance(v, bool): return {"bool": v}
    if isinstance(v, int): return {"int": str(v)}
    if isinstance(v, float): return {"float": repr(v)}
    if isinstance(v, str): return {"str": v}
    if isinstance(v, datetime.datetime): return {"datetime": v.isoformat()}
    if isinstance(v, datetime.date): return {"date": v.isoformat()}
    if isinstance(v, list): return [enc(x) for x in v]
    if isinstance(v, dict): return {"table": {k: enc(x) for k, x in v.items()}}
    raise TypeError(type(v))
for doc in json.load(sys.stdin):
    try: print(json.dumps(enc(tomllib.loads(doc))))
    except Exception as e: print(json.dumps({"error": str(e)}))
`

// TestTOMLOracleAgreement writes thousands of generated values into TOML
// front matter with Set and reads the blocks back with Python's tomllib:
// every value must read back equal there too, so what Scribe writes is
// TOML that other tools (Hugo, Python) read as it was meant.
func TestTOMLOracleAgreement(t *testing.T) {
	if exec.Command("python3", "-c", "import tomllib").Run() != nil {
		t.Skip("python3 with tomllib (3.11 or later) is not installed")
	}
	r := rand.New(rand.NewPCG(7, 9))
	const n = 2000
	var docs []string
	var values []map[string]any
	for range n {
		v := randomTOMLValue(r, 0)
		in := "+++\ntitle = 'T'\n[params]\nx = 1\n+++\n"
		out, err := Set([]byte(in), []Field{{"value", v}})
		if err != nil {
			t.Fatalf("Set(%#v): %v", v, err)
		}
		b := Find(out)
		docs = append(docs, string(out[b.YAMLStart:b.YAMLEnd]))
		values = append(values, map[string]any{"title": "T", "value": v, "params": map[string]any{"x": 1}})
	}
	input, err := json.Marshal(docs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("python3", "-c", tomlOracle)
	cmd.Stdin = bytes.NewReader(input)
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	if len(lines) != n {
		t.Fatalf("the oracle read %d documents, want %d", len(lines), n)
	}
	for i, line := range lines {
		var o any
		if err := json.Unmarshal([]byte(line), &o); err != nil {
			t.Fatal(err)
		}
		if err := sameAsTOMLOracle(values[i], o, "front matter"); err != nil {
			t.Errorf("document %d:\n%s\n%v", i, docs[i], err)
		}
	}
}

// sameAsTOMLOracle compares a value with the oracle's encoding of it.
func sameAsTOMLOracle(v, o any, path string) error {
	wrong := func() error { return fmt.Errorf("%s: tomllib read %v, Scribe set %#v", path, o, v) }
	switch v := v.(type) {
	case []any:
		l, ok := o.([]any)
		if !ok || len(l) != len(v) {
			return wrong()
		}
		for i := range v {
			if err := sameAsTOMLOracle(v[i], l[i], fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		m, _ := o.(map[string]any)
		tbl, ok := m["table"].(map[string]any)
		if !ok || len(tbl) != len(v) {
			return wrong()
		}
		for k := range v {
			if err := sameAsTOMLOracle(v[k], tbl[k], path+"."+k); err != nil {
				return err
			}
		}
		return nil
	}
	m, ok := o.(map[string]any)
	if !ok || len(m) != 1 {
		return wrong()
	}
	same := false
	switch v := v.(type) {
	case bool:
		same = m["bool"] == v
	case int:
		same = m["int"] == strconv.Itoa(v)
	case float64:
		s, _ := m["float"].(string)
		f, err := strconv.ParseFloat(s, 64)
		same = err == nil && (f == v || math.IsNaN(f) && math.IsNaN(v))
	case string:
		same = m["str"] == v
	case time.Time:
		if d, ok := m["date"].(string); ok {
			same = d == TimeText(v)
		} else if s, ok := m["datetime"].(string); ok {
			at, err := time.Parse(time.RFC3339Nano, s)
			same = err == nil && at.Equal(v)
		}
	}
	if !same {
		return wrong()
	}
	return nil
}

// randomTOMLValue makes a value of the kinds Set writes: strings with
// quotes, backslashes, control characters and non-ASCII text, numbers at
// their edges, dates and times (whole microseconds, Python's precision),
// lists and mappings with keys TOML must quote.
func randomTOMLValue(r *rand.Rand, depth int) any {
	pieces := []string{"a", "Z", " ", "'", `"`, `\`, "\t", "\n", "\r", "\x00", "\x1f", "\x7f", "é", "🙂", "\u2028", "#", "=", "[", "{", ".", "''' ", `"""`, "\\u0041"}
	kinds := 7
	if depth < 3 {
		kinds = 9
	}
	switch r.IntN(kinds) {
	case 0:
		return r.IntN(2) == 0
	case 1:
		return []int{0, -1, 42, math.MaxInt64, math.MinInt64, r.Int()}[r.IntN(6)]
	case 2:
		return []float64{0.5, -0.0, 1e21, 1e-7, 3, math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64, r.NormFloat64()}[r.IntN(10)]
	case 3, 4:
		var sb strings.Builder
		for range r.IntN(8) {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		return sb.String()
	case 5:
		return time.Date(1+r.IntN(9998), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
	case 6:
		zone := time.UTC
		if r.IntN(2) == 0 {
			zone = time.FixedZone("", (r.IntN(27)-12)*1800)
		}
		return time.Date(1+r.IntN(9998), time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1e6)*1000, zone)
	case 7:
		l := make([]any, r.IntN(4))
		for i := range l {
			l[i] = randomTOMLValue(r, depth+1)
		}
		return l
	default:
		m := map[string]any{}
		for range r.IntN(4) {
			k := []string{"a", "b-c", "d_e", "with space", "dot.ted", "é", "", `q"`, "1"}[r.IntN(9)]
			m[k] = randomTOMLValue(r, depth+1)
		}
		return m
	}
}
