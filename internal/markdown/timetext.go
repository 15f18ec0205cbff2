package markdown

import "time"

// TimeText returns the text a front matter time was written as: a date
// (2026-01-02, read as midnight in time.UTC) as 2006-01-02, anything else in
// RFC 3339 with its zone. Parse returns a time.Time only for a timestamp that
// TimeText writes back exactly as it was written, so showing a value with
// TimeText never changes it.
func TimeText(t time.Time) string {
	if t.Location() == time.UTC && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339Nano)
}
