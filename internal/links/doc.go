// Package links finds, resolves and checks the links of a folder of Markdown
// notes: Obsidian wiki links ([[Note]], [[Note#Heading]], [[Note#^block]],
// [[Note|alias]], embeds ![[...]]), Markdown inline links and images, link
// reference definitions, heading anchors and block identifiers. It keeps a
// link graph that is updated one document at a time and says which other
// documents a change affects. It does no I/O: callers hand it content.
//
// # Usage
//
//	g := links.NewGraph(links.Options{})
//	for path, content := range vault {
//		g.Update(path, content)
//	}
//	doc := links.Parse(today) // the content of notes/today.md
//	for _, p := range g.Check("notes/today.md", doc, exists) {
//		fmt.Println(p.Link.Line, p.Link.Column, p.Message(), p.Suggestion)
//	}
//	affected := g.Update("notes/plan.md", edited) // re-check these
//
// # Memory
//
// A Graph keeps no document's content or links, only what resolving links
// to it and finding whom its changes affect need: its path in the Index, its
// heading texts, slugs and keys, its block ids, and the distinct targets its
// links name, each document's strings packed into a few allocations (about
// 1 KiB per note with the index, against some 7.5 KiB when whole parsed
// documents were kept). Checking a document therefore takes it parsed: a
// caller that has the content parses it once for UpdateDocument and Check.
// The reverse index maps a name key to the ids of the documents whose links
// use it.
//
// # What counts as a link
//
// Parse reads Markdown line by line, CommonMark-style, and skips what a
// renderer would not turn into links: the YAML front matter, fenced code
// (``` and ~~~, also inside blockquotes and list items), indented code,
// $$ math blocks, inline code spans, HTML comments and Obsidian %% comments.
// A wiki link stays on one line; "\|" inside one is the alias separator
// (the form tables need). Link text may not contain another link, as in
// CommonMark; an image may sit inside a link ([![badge](b.svg)](page.md)).
// Known simplifications: raw HTML blocks other than comments are read as
// text, and list items are tracked only as far as indentation needs.
//
// # Resolution
//
// Index.Resolve documents the rules. In short: wiki links match by file name
// anywhere in the vault, as Obsidian does, with folders in the target
// matching the end of the path; ambiguous names go to the exact-case match,
// then the one in the linking note's folder, then the shortest path.
// Matching ignores case (Unicode lower-casing) unless Options.CaseSensitive.
// Markdown links are relative paths, as GitHub renders them. URLs, and
// relative paths that climb above the root, are not checked. In a Logseq
// graph (Options.Logseq) wiki links name pages (namespaces, journal dates,
// aliases) and ((uuid)) block references name blocks by their id::
// property; see Logseq. In a static site Markdown links are the URLs it
// serves: Hugo's (Options.Site; see Site), a Docusaurus site's routes,
// made from its documents' paths and front matter (Options.Docusaurus; see
// Docusaurus), the URLs GitHub Pages serves a Jekyll site at, made from
// its _config.yml, paths and front matter (Options.Jekyll; see Jekyll), or
// a VitePress site's pages, ".md" optional (Options.VitePress; see
// VitePress). The old URLs a Hugo site's aliases and a Jekyll site's
// redirect_from keep are pages redirecting to theirs (see redirectFiles).
// Targets holding a template expression ("{{", "{%", "<%") are filled in
// before anyone follows them, and are not checked.
//
// Heading anchors of Markdown links are GitHub slugs (see Slug): lower case,
// punctuation dropped except '-' and '_', spaces to '-', letters of every
// script kept, duplicates numbered "-1", "-2"; a heading's explicit id in a
// trailing attribute block ("## Set up {#setup}") is its anchor instead, as
// Hugo reads one. An MkDocs, Docusaurus, Jekyll or VitePress site's
// anchors are those its generator makes (Options.MkDocs,
// docusaurusHeadings, jekyllHeadings, vitepressHeadings). Wiki heading fragments match by HeadingKey, which ignores
// case, punctuation and spacing.
//
// # Why hand-written
//
// A full Markdown parser (goldmark) was considered. It does not know wiki
// links, block ids or %% comments, and it does not give the byte offsets of
// link destinations, which findings (line:column) and renames (rewriting
// exactly the target bytes) need. The scanner here is linear in its input
// (hostile inputs are tested) and parses a typical note in microseconds.
//
// # Limits
//
// A document yields at most Limits.Links links and Limits.Anchors headings and
// block ids (20,000 each by default), and matches the brackets of at most
// 65,536 '[' per paragraph; past a limit it is marked (MoreLinks,
// MoreAnchors) so callers can say what was not checked. A 7.8 MB note with
// 1.3 million links parses in about 0.1 s and 30 MB. ParseContext and
// Graph.UpdateContext stop when their context ends; CheckLimit bounds the
// problems built.
//
// # Concurrency
//
// Parse and the helper functions are pure. An Index is not safe for
// concurrent mutation. A Graph is safe for concurrent use: Update parses
// outside its lock and holds the write lock only to splice the result in,
// Check holds the read lock a chunk of links at a time (and calls its exists
// callback without it).
package links
