// Package dashboard is the daemon's web page, served at / next to the
// control API: a live stream of processing (file, rules, result, duration),
// queue depth and throughput over the last ten minutes, the rules with their
// counts, failures and breaker state, the current findings, the dead letters
// with a retry button, pause and resume, and the history of writes with the
// diff of each and an undo button. Every file's name opens its explanation:
// what `scribe explain` says of it, from the daemon's rules and journal.
//
// The page is plain HTML, CSS and JavaScript under assets/, embedded with
// go:embed: no build step, no dependency, nothing fetched from elsewhere. Its
// Content-Security-Policy allows only its own scripts, styles and requests,
// and no framing; the script puts every piece of data in as text, never as
// markup. It reads the control API (/api/v1/status, /api/v1/events,
// /api/v1/history, /api/v1/findings, /api/v1/explain) and three endpoints of
// its own: /api/v1/activity (the chart and rule counts),
// /api/v1/history/{id}/diff (the unified diff of a write) and
// /api/v1/session (whether the browser may press buttons).
//
// The script writes an explanation (the JSON of /api/v1/explain) in the
// lines and words of the command line's printExplain, so that the page and
// `scribe explain` say the same; a browser test compares the two texts for
// one file, and must be kept passing when either changes.
//
// # Access
//
// Handler sits behind the daemon's httpapi.Guard like the API. Reading on a
// loopback address needs nothing; a button needs credentials, which a
// browser gets from a one-time login link (httpapi.Logins): `scribe watch`
// prints one, `scribe dashboard` asks the daemon for another (POST
// /api/v1/login, with the token), and /api/v1/logout ends the session. An
// explanation needs the login too, although it is a read: it runs the rules
// (commands and plugins included); without one the page says so and asks
// nothing.
//
// # Activity
//
// Activity keeps the chart's samples in a ring of Window/Interval intervals
// and per-rule counts since start, in the daemon, so a page opened later sees
// the last minutes too. The daemon feeds it every event synchronously (no
// event is dropped, unlike a slow subscriber of the stream). Nothing runs on
// a timer while the daemon is idle: counts are added as files are
// processed, and the queue depth is read by Run after activity, at most once
// per Interval, and by Snapshot when a page asks.
//
// # Concurrency
//
// Handler's endpoints run on net/http's goroutines. Activity is safe for
// concurrent use; its Run goroutine is the daemon's and ends with the
// daemon's context.
package dashboard
