package action

import "fmt"

// MaxFindings caps the findings one action reports about one file in one
// call. A file with thousands of problems needs fixing, not a longer list,
// and a hostile file must not turn into a gigabyte of report. Past the cap,
// the last finding is replaced by one saying how many more there were
// (see CapFindings); actions that can produce many findings stop building
// them at the cap, and Call cuts the output of those that do not.
const MaxFindings = 1000

// CapFindings returns fs cut to MaxFindings: when fs is longer, or when the
// caller already dropped extra findings, the first MaxFindings-1 are kept
// and a warning about path counts the rest. It returns fs itself when
// nothing is over the cap.
func CapFindings(fs []Finding, path string, extra int) []Finding {
	if extra == 0 && len(fs) <= MaxFindings {
		return fs
	}
	if keep := MaxFindings - 1; len(fs) > keep {
		extra += len(fs) - keep
		fs = fs[:keep:keep]
	}
	return append(fs, Finding{
		Path: path, Severity: SeverityWarning,
		Message: fmt.Sprintf("%d more findings not shown: an action reports at most %d findings per file; fix these first", extra, MaxFindings),
	})
}
