package links

// Kind tells how a link was written.
type Kind uint8

// Link kinds.
const (
	// Wiki is an Obsidian wiki link: [[target#fragment|alias]].
	Wiki Kind = iota + 1
	// Embed is an Obsidian embed: ![[target#fragment|alias]].
	Embed
	// Inline is a Markdown inline link or image: [text](destination "title").
	Inline
	// Definition is a Markdown link reference definition: [label]: destination.
	Definition
	// BlockRef is a Logseq block reference, ((uuid)) (also inside an
	// embed, {{embed ((uuid))}}): Target is the uuid of the block, which
	// some page of the graph gives in an "id:: uuid" property. Only a
	// Logseq graph (Options.Logseq) checks them.
	BlockRef
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case Wiki:
		return "wiki"
	case Embed:
		return "embed"
	case Inline:
		return "inline"
	case Definition:
		return "definition"
	case BlockRef:
		return "block reference"
	}
	return "unknown"
}

// IsWiki reports whether the link uses Obsidian's wiki syntax.
func (k Kind) IsWiki() bool { return k == Wiki || k == Embed }

// Link is one link found in a document.
type Link struct {
	// Kind is how the link was written.
	Kind Kind
	// Target is the path part of the link: for wiki links the note name or
	// path as written (trimmed), for Markdown links the destination without
	// its fragment or query, backslash escapes and percent-encoding decoded.
	// It is empty for a link to the same document ("#heading", "[[#h]]").
	Target string
	// Fragment is what follows '#', without it: a heading text or "^block"
	// for wiki links, an anchor (slug) for Markdown links.
	Fragment string
	// HasFragment is true when the link had a '#', even an empty one.
	HasFragment bool
	// Alias is the text after '|' in a wiki link.
	Alias string
	// Image is true for Markdown images: ![alt](src).
	Image bool
	// Angle is true when a Markdown destination was written in <...>.
	Angle bool
	// Raw is the whole link as written.
	Raw string
	// Start and End are the byte offsets of Raw in the content.
	Start, End int
	// TargetStart and TargetEnd are the byte offsets of the target as
	// written (the part a rename rewrites); equal when Target is empty.
	TargetStart, TargetEnd int
	// FragmentStart and FragmentEnd are the byte offsets of the fragment as
	// written, without its '#'; equal when there is none.
	FragmentStart, FragmentEnd int
	// Line and Column locate Start: both 1-based, Column counted in Unicode
	// code points from the start of the line.
	Line, Column int
}

// Heading is one heading of a document.
type Heading struct {
	// Level is 1 to 6.
	Level int
	// Text is the heading's plain text: inline markup removed.
	Text string
	// Slug is the heading's anchor: the id of its attribute block
	// ("## Set up {#setup}") as written, or else the GitHub-style anchor of
	// Text, unique among the generated ones of the document.
	Slug string
	// Explicit is true when Slug is the attribute block's id.
	Explicit bool
	// Line is the 1-based line of the heading (the text line of a setext
	// heading).
	Line int
}

// Block is an Obsidian block identifier (a line ending in " ^id").
type Block struct {
	// ID is the identifier without its caret.
	ID string
	// Line is where it was written, 1-based.
	Line int
}

// Document is what Parse found in one Markdown file.
type Document struct {
	Links    []Link
	Headings []Heading
	Blocks   []Block
	// Names are the names a note gives itself: its front matter's aliases
	// (Obsidian's, or a Hugo page's old URLs), a Logseq page's first
	// block's properties (alias:: and title::); see Logseq.
	Names []string
	// permalinkFM is the front matter block, up to its closing fence, when
	// it has a line of one of pageFieldNames, for pageFields; it is read
	// only where they matter. permalinkFence is its fence ("---", "+++").
	permalinkFM, permalinkFence string
	// MoreLinks is true when the document holds more links than the limit
	// Parse was given: Links holds the first ones only.
	MoreLinks bool
	// MoreAnchors is true when it holds more headings or block ids than
	// the limit: Headings and Blocks hold the first ones only.
	MoreAnchors bool
}
