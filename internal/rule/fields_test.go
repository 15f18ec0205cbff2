package rule

import (
	"slices"
	"testing"
)

// A condition's front-matter keys are found when it only reads fm.KEY;
// any other use of fm needs the whole front matter.
func TestConditionFields(t *testing.T) {
	for _, tt := range []struct {
		when   string
		fields []string
		all    bool
	}{
		{`fm.priority != nil && fm.priority >= 3`, []string{"priority"}, false},
		{`fm.status == "draft" || fm["owner"] == "me"`, []string{"status", "owner"}, false},
		{`fm?.a?.b == 1`, []string{"a"}, false},
		{`path startsWith "x/"`, nil, false},
		{`all(fm.tags, # != "x") && len(fm.tags) > 0`, []string{"tags"}, false},
		{`len(fm) > 2`, nil, true},
		{`"status" in fm`, nil, true},
		{`fm[path] == 1`, nil, true},
		{`keys(fm)[0] == "a"`, nil, true},
		{`let f = fm; f.status == "x"`, nil, true},
		{`let fm = {"x": 1}; fm.x == 1`, []string{"x"}, false},
	} {
		fields, all := fmFields(tt.when)
		if all != tt.all || !slices.Equal(fields, tt.fields) {
			t.Errorf("fmFields(%s) = %v, %v; want %v, %v", tt.when, fields, all, tt.fields, tt.all)
		}
	}
}
