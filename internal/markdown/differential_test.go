package markdown

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var (
	oracleBlocks = flag.Int("markdown.oracle-blocks", 4000, "front matter blocks the differential test generates")
	oracleSeed   = flag.Uint64("markdown.oracle-seed", 1, "seed of the differential test's generator")
)

// oracleEnv, when set to a non-empty value (CI sets it), makes a missing
// oracle a test failure instead of a skip.
const oracleEnv = "SCRIBE_YAML_ORACLE"

// runOracle reads every text with testdata/oracle/oracle.js in one process
// and returns its answers in order. It skips the test when Node or the npm
// package is missing, unless oracleEnv is set.
func runOracle(t *testing.T, texts []string) []oracleAnswer {
	t.Helper()
	dir := filepath.Join("testdata", "oracle")
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "node_modules", "yaml", "package.json"))
	}
	if err != nil {
		msg := fmt.Sprintf("the YAML 1.2 oracle is not installed (%v): run `npm ci` in internal/markdown/testdata/oracle", err)
		if os.Getenv(oracleEnv) != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for _, s := range texts {
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(node, "oracle.js")
	cmd.Dir = dir
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oracle: %v\n%s", err, stderr.String())
	}
	var answers []oracleAnswer
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var a oracleAnswer
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("oracle output %q: %v", sc.Text(), err)
		}
		answers = append(answers, a)
	}
	if len(answers) != len(texts) {
		t.Fatalf("oracle answered %d of %d texts", len(answers), len(texts))
	}
	return answers
}

// TestOracleAgreement is the differential test: thousands of generated
// front matter blocks of the shapes real vaults hold, read by Parse and by
// an independent YAML 1.2 implementation (the npm package yaml, which
// passes the YAML test suite). Every block the oracle accepts must read to
// the same values (see sameAsOracle for the one normalisation, times);
// every block it refuses must be refused with a positioned error. Then one
// key is set in every valid block: the file gains exactly one line, and the
// oracle reads every other value unchanged.
func TestOracleAgreement(t *testing.T) {
	r := rand.New(rand.NewPCG(*oracleSeed, 2026))
	blocks := make([]string, *oracleBlocks)
	for i := range blocks {
		blocks[i] = genBlock(r)
	}
	answers := runOracle(t, blocks)

	var valid, agree, invalid, refused int
	var edited []string
	var editedFrom []int
	for i, yamlText := range blocks {
		content := []byte(wrapBlock(yamlText, i))
		got, err := Parse(content)
		a := answers[i]
		if a.OK == nil {
			invalid++
			var e *Error
			switch {
			case err == nil:
				t.Errorf("block %d: the oracle refuses it (%s), Parse accepts it as %#v:\n%s", i, a.Error, got, yamlText)
			case !asError(err, &e) || e.Line < 1 || e.Column < 1:
				t.Errorf("block %d: refused without a position: %v", i, err)
			default:
				refused++
				if _, serr := Set(content, []Field{{Key: "reviewed", Value: true}}); serr == nil {
					t.Errorf("block %d: Set edited front matter the oracle refuses", i)
				}
			}
			continue
		}
		valid++
		want, derr := decodeOracle(a.OK)
		if derr != nil {
			t.Fatal(derr)
		}
		if err != nil {
			t.Errorf("block %d: valid YAML 1.2 refused: %v\n%s", i, err, yamlText)
			continue
		}
		if err := sameAsOracle(got, want, "front matter"); err != nil {
			t.Errorf("block %d: %v\n%s", i, err, yamlText)
			continue
		}
		agree++
		out, err := Set(content, []Field{{Key: "reviewed", Value: true}})
		if err != nil {
			t.Errorf("block %d: Set: %v\n%s", i, err, yamlText)
			continue
		}
		if err := oneAddedLine(content, out); err != nil {
			t.Errorf("block %d: Set did more than add a line: %v\n%s\n--- became\n%s", i, err, content, out)
			continue
		}
		b := Find(out)
		edited = append(edited, string(out[b.YAMLStart:b.YAMLEnd]))
		editedFrom = append(editedFrom, i)
	}
	after := runOracle(t, edited)
	for j, a := range after {
		i := editedFrom[j]
		if a.OK == nil {
			t.Errorf("block %d: the oracle refuses the edited block: %s\n%s", i, a.Error, edited[j])
			continue
		}
		v, err := decodeOracle(a.OK)
		if err != nil {
			t.Fatal(err)
		}
		m := v.(map[string]any)["map"].(map[string]any)
		if m["reviewed"] != true {
			t.Errorf("block %d: the oracle reads reviewed = %#v", i, m["reviewed"])
		}
		delete(m, "reviewed")
		before, _ := decodeOracle(answers[i].OK)
		if err := sameOracleValues(v, before); err != nil {
			t.Errorf("block %d: the edit changed another value for the oracle: %v", i, err)
		}
	}
	rate := 100 * float64(agree) / float64(max(valid, 1))
	t.Logf("oracle agreement: %d of %d valid blocks read the same (%.2f %%); %d of %d invalid blocks refused with a position; %d edits verified by the oracle",
		agree, valid, rate, refused, invalid, len(after))
}

// asError is errors.As for *Error, kept short for the table above.
func asError(err error, e **Error) bool {
	x, ok := err.(*Error)
	if ok {
		*e = x
	}
	return ok
}

// sameOracleValues compares two oracle values.
func sameOracleValues(a, b any) error {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	if !bytes.Equal(x, y) {
		return fmt.Errorf("%s != %s", x, y)
	}
	return nil
}

// wrapBlock puts fences around a generated block, with its line endings;
// every fifth file starts with a BOM, every seventh closes with "...".
func wrapBlock(yamlText string, i int) string {
	nl := "\n"
	if strings.Contains(yamlText, "\r\n") {
		nl = "\r\n"
	}
	bom, end := "", "---"
	if i%5 == 0 {
		bom = "\uFEFF"
	}
	if i%7 == 0 {
		end = "..."
	}
	return bom + "---" + nl + yamlText + end + nl + "Body" + nl
}

// genBlock generates the YAML text of one front matter block from the
// shapes real vaults hold.
func genBlock(r *rand.Rand) string {
	g := &gen{r: r}
	var b strings.Builder
	n := 1 + r.IntN(7)
	used := map[string]bool{}
	for range n {
		if r.IntN(6) == 0 {
			b.WriteString(g.comment(""))
		}
		k := g.key()
		if used[k] && r.IntN(8) != 0 {
			continue // a duplicate key now and then, not often
		}
		used[k] = true
		b.WriteString(k)
		if r.IntN(20) == 0 {
			b.WriteString(" ") // "key :" is the key "key"
		}
		b.WriteString(":")
		b.WriteString(g.value(0))
	}
	s := b.String()
	if r.IntN(8) == 0 {
		s = strings.ReplaceAll(s, "\n", "\r\n")
	}
	return s
}

// gen writes values; every method returns text that ends with a newline.
type gen struct {
	r       *rand.Rand
	anchors []string
}

func (g *gen) pick(choices ...string) string { return choices[g.r.IntN(len(choices))] }

func (g *gen) key() string {
	switch g.r.IntN(10) {
	case 0:
		return `"` + g.pick("quoted key", "with: colon", "emoji 🌱", "1", "a\\tb") + `"`
	case 1:
		return "'" + g.pick("single key", "it''s", "x: y") + "'"
	case 2:
		return g.pick("🔥", "clé", "Date created", "日本語", "über-key", "_private")
	case 3:
		return g.pick("1", "true", "null", "0x1F", "2024-05-01", "~")
	}
	return g.pick("title", "tags", "aliases", "date", "status", "publish", "cssclasses", "author", "rating", "draft", "summary", "links", "meta", "created", "updated")
}

// tail ends a line: nothing, trailing blanks, or a comment.
func (g *gen) tail() string {
	switch g.r.IntN(8) {
	case 0:
		return "   "
	case 1:
		return " # note"
	case 2:
		return "\t# tabbed comment"
	}
	return ""
}

func (g *gen) comment(indent string) string {
	return indent + g.pick("# comment", "#", "# ---", "#: not a key") + "\n"
}

// scalar returns a scalar as written, for a block context (flow=false) or
// inside a flow collection.
func (g *gen) scalar(flow bool) string {
	switch g.r.IntN(9) {
	case 0: // numbers in YAML 1.2 and 1.1 spellings
		return g.pick("42", "-7", "+12", "0", "-0", "0x1F", "0o17", "0777", "1_000", "0b101", "3.14", "-2.5", ".5", "5.", "1e3", "-1.5E-3", ".inf", "-.Inf", "+.inf", ".NaN", "18446744073709551615", "9223372036854775807", "-9223372036854775808", "1.0", "100")
	case 1: // booleans and nulls, YAML 1.2 and 1.1
		return g.pick("true", "False", "TRUE", "yes", "No", "on", "OFF", "y", "null", "Null", "~", "NULL")
	case 2: // dates and times
		return g.pick("2024-05-01", "2024-05-01T10:20:30Z", "2024-05-01T00:00:00Z", "2024-05-01T10:20:30+02:00", "2024-05-01T10:20:30.5Z",
			"2024-05-01T10:20:30.500Z", "2024-05-01 10:20:30", "2024-5-1", "2024-02-30", "2024-05-01t10:20:30z", "2024-05-01T10:20:30+00:00", "1999-12-31T23:59:59-05:00", "20240501")
	case 3: // double-quoted
		return `"` + g.pick("", "plain", "with: colon", "tab\\there", "line\\nbreak", "unicode \\u00e9", "quote \\\" inside", "# not a comment", "2024-05-01", "123", "true", "emoji 😀", "back\\\\slash") + `"`
	case 4: // single-quoted
		return "'" + g.pick("", "plain", "it''s", "#hash", "- dash", "2024-05-01", "null", "a: b") + "'"
	case 5: // words with indicators inside
		if flow {
			return g.pick("word", "two words", "a-b", "a.b", "Title Case", "x#y", "é", "🌱", "trailing.")
		}
		return g.pick("word", "two words", "a: b", "a:b", "x#y", "url http://example.com/a?b=c", "wiki", "question?", "end:", "a - b", "semi; colon", "100%", "a,b", "Title Case", "é", "🌱 seedling")
	case 6: // invalid starts, now and then
		if g.r.IntN(4) == 0 {
			return g.pick("@someone", "`code`", "%percent")
		}
	}
	return g.pick("alpha", "beta", "gamma", "seedling", "evergreen", "draft", "done", "Notes", "x")
}

// value returns the text after "key:" (including the line break and any
// nested lines) for a key at indentation depth.
func (g *gen) value(depth int) string {
	in := strings.Repeat("  ", depth)
	r := g.r
	kind := r.IntN(14)
	if depth >= 3 {
		kind = r.IntN(4)
	}
	switch kind {
	case 0, 1, 2: // a scalar on the line
		sep := " "
		if r.IntN(12) == 0 {
			sep = "\t"
		}
		return sep + g.anchor() + g.scalar(false) + g.tail() + "\n"
	case 3: // nothing
		return g.pick("", " ", " # empty") + "\n"
	case 4, 5: // a block sequence, compact (at the key's indentation) or indented, with empty entries
		seqIn := in
		if r.IntN(2) == 0 {
			seqIn = in + "  "
		}
		var b strings.Builder
		b.WriteString(g.tail() + "\n")
		for range 1 + r.IntN(4) {
			switch r.IntN(6) {
			case 0:
				b.WriteString(seqIn + "-\n")
			case 1:
				b.WriteString(seqIn + "- \n")
			case 2:
				b.WriteString(seqIn + "- k: " + g.scalar(false) + "\n")
			default:
				b.WriteString(seqIn + "- " + g.scalar(false) + g.tail() + "\n")
			}
			if r.IntN(10) == 0 {
				b.WriteString(g.comment(seqIn))
			}
		}
		return b.String()
	case 6: // a nested mapping
		var b strings.Builder
		b.WriteString(g.tail() + "\n")
		used := map[string]bool{}
		for range 1 + r.IntN(3) {
			k := g.pick("a", "b", "c", "name", "role", "🌱")
			if used[k] {
				continue
			}
			used[k] = true
			ind := in + "  "
			if r.IntN(25) == 0 {
				ind = in + "\t" // tabs cannot indent: invalid
			}
			b.WriteString(ind + k + ":" + g.value(depth+1))
		}
		return b.String()
	case 7: // a block scalar
		header := g.pick("|", "|-", "|+", ">", ">-", ">+", "|2", ">-2")
		var b strings.Builder
		b.WriteString(" " + header + g.pick("", " # header comment") + "\n")
		extra := ""
		if strings.ContainsAny(header, "2") {
			extra = "  "
		}
		for range 1 + r.IntN(3) {
			b.WriteString(in + "  " + extra + g.pick("line one", "  more indented", "# not a comment", "key: not a key", "", "- not a list") + "\n")
		}
		if b.Len() > 0 && strings.HasSuffix(b.String(), "  \n") {
			b.WriteString(in + "  last\n")
		}
		return b.String()
	case 8: // a flow sequence on one line or several
		items := make([]string, r.IntN(4))
		for i := range items {
			items[i] = g.scalar(true)
		}
		if r.IntN(3) == 0 {
			return " [" + strings.Join(items, ",\n"+in+"  ") + "\n" + in + "]" + g.tail() + "\n"
		}
		return " [" + strings.Join(items, ", ") + "]" + g.tail() + "\n"
	case 9: // a flow mapping
		ks := []string{"a", "b", "c"}
		var parts []string
		for i := range r.IntN(3) {
			parts = append(parts, ks[i]+": "+g.scalar(true))
		}
		sep := ", "
		if r.IntN(3) == 0 {
			sep = ",\n" + in + "  "
		}
		return " {" + strings.Join(parts, sep) + "}" + g.tail() + "\n"
	case 10: // an alias to an earlier anchor
		if len(g.anchors) > 0 {
			return " *" + g.anchors[r.IntN(len(g.anchors))] + g.tail() + "\n"
		}
		return " " + g.scalar(false) + "\n"
	case 11: // a multi-line plain scalar
		return " first line\n" + in + "  continued here\n"
	case 12: // a merge of an anchored mapping
		if depth == 0 {
			name := fmt.Sprintf("m%d", len(g.anchors))
			g.anchors = append(g.anchors, name)
			return " &" + name + "\n" + in + "  x: 1\n" + in + "  y: " + g.scalar(false) + "\n"
		}
		return " " + g.scalar(false) + "\n"
	}
	return " " + g.scalar(false) + "\n"
}

// anchor returns an anchor for the next value, now and then.
func (g *gen) anchor() string {
	if g.r.IntN(10) != 0 {
		return ""
	}
	name := fmt.Sprintf("a%d", len(g.anchors))
	g.anchors = append(g.anchors, name)
	return "&" + name + " "
}
