// Package vault holds the built-in actions over a vault's notes and the links
// between them:
//
//   - links.check (doc/actions/links.check.md): wiki links, embeds and
//     relative Markdown links, with their headings and block ids, must
//     resolve; a change re-checks the file and the files linking to it.
//   - naming (doc/actions/naming.md): file and directory names follow a
//     convention; in fix mode a rename rewrites every link to the renamed
//     file, which is why naming lives beside links.check.
//
// Both keep a vault per root: a links.Graph (internal/links) read once and
// then kept in step with the files the engine hands to Run, refreshing other
// documents lazily, at most once per generation; a generation ends at each
// Finish. An action holds its vaults for its lifetime; a configuration
// reloaded by the daemon builds new ones.
//
// Each action is safe for concurrent use: a vault guards its state with a
// mutex, and one full load or list sync runs at a time (see package builtin
// for the contract every built-in action keeps).
package vault
