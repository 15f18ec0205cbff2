// Package index holds the built-in actions that derive a file from the front
// matter of other documents:
//
//   - index (doc/actions/index.md): regenerate a marked region
//     (<!-- scribe:index NAME --> … <!-- /scribe:index -->) or a whole file
//     from a query over documents (filter, sort, template); rewritten only
//     when its inputs changed and only if the bytes differ.
//   - catalog (doc/actions/catalog.md): a JSON index of every document (path,
//     content hash, size, modified time, front matter), the "master index".
//
// The index and catalog actions of one configuration share one cache of
// documents per root (through action.Shared), so a vault's front matter is
// held once however many of them read it. A document is read again only
// when its size or modification time changed.
//
// Each action is safe for concurrent use: the cache guards its entries with
// a mutex and entries are immutable once cached (see package builtin for the
// contract every built-in action keeps).
package index
