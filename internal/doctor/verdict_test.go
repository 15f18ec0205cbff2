package doctor

import (
	"strings"
	"testing"
)

func TestWatchVerdict(t *testing.T) {
	for _, tc := range []struct {
		limit, used, skipped, need int
		want                       Status
		fix                        string
	}{
		{8192, 100, 0, 1000, OK, ""},
		{8192, 100, 0, 4100, Warn, "fs.inotify.max_user_watches=10240 "},  // 100+8200+1024 → 10240
		{8192, 4000, 0, 5000, Fail, "fs.inotify.max_user_watches=15360 "}, // 4000+10000+1024 → 15360
		{8192, 100, 5000, 1000, OK, ""},                                   // a running scribe's watches are not counted twice
		{65536, 0, 0, 65537, Fail, "fs.inotify.max_user_watches=133120 "},
	} {
		r := watchVerdict(tc.limit, tc.used, tc.skipped, tc.need)
		if r.Status != tc.want || !strings.Contains(r.Fix, tc.fix) {
			t.Errorf("%+v: %s %q fix %q", tc, r.Status, r.Message, r.Fix)
		}
		if tc.fix != "" && !strings.Contains(r.Fix, "/etc/sysctl.d/") {
			t.Errorf("fix does not make the limit survive a reboot: %q", r.Fix)
		}
	}
}
