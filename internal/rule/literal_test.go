package rule

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

func TestRequiredLiteral(t *testing.T) {
	for _, c := range []struct{ pattern, want string }{
		{`(?m)^TODO: (.+)$`, "TODO: "},
		{`(?m)^status: draft$`, "status: draft"},
		{`(?m)^> \[!TASK\].*\| state: (\w+)`, "> [!TASK]"},
		{`(?i)todo`, ""},
		{`a|b`, ""},
		{`(abc)+x`, "abc"},
		{`x*`, ""},
		{`(?P<y>\d{4})-(\d\d)`, "-"},
	} {
		if got := requiredLiteral(c.pattern); got != c.want {
			t.Errorf("requiredLiteral(%q) = %q, want %q", c.pattern, got, c.want)
		}
	}
}

// The prefilter never hides a match: for random texts, a regex match implies
// the literal is present.
func TestRequiredLiteralSound(t *testing.T) {
	patterns := []string{`(?m)^TODO: (.+)$`, `a(bc)+d`, `x[yz]+ab?c`, `(?s)q.*rs`, `(foo|foobar)baz`}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := "abcdxyzqrsTOD: \nfo"
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		lit := requiredLiteral(p)
		for range 20000 {
			var b strings.Builder
			for range r.IntN(30) {
				b.WriteByte(alphabet[r.IntN(len(alphabet))])
			}
			s := b.String()
			if re.MatchString(s) && !strings.Contains(s, lit) {
				t.Fatalf("%q matches %q but lacks the literal %q", p, s, lit)
			}
		}
	}
}
