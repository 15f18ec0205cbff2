// Package query selects documents by path and front matter: the "which notes,
// in what order, how many" part of the index action.
//
// # Usage
//
// Compile a Spec once, when the configuration loads; a bad glob, condition or
// sort key is an *Error naming the parameter:
//
//	q, err := query.Compile(query.Spec{
//		From:  []string{"notes/**/*.md"},
//		Where: `fm.status == "published"`,
//		Sort:  "fm.date",
//		Order: "desc",
//		Limit: 10,
//	})
//
// Then, for a set of documents, Select filters them (glob, then condition),
// sorts them and applies the limit:
//
//	res := q.Select(docs) // res.Docs in order; res.Failed: condition errors
//
// # Semantics
//
// From is a list of doublestar globs over slash paths relative to the root;
// empty means every document. Where is an expr-lang boolean expression over
// fm (the front matter, a map) and path (a string), type-checked at Compile. A
// missing front matter field is nil, not an error; an operation that cannot
// work on nil (fm.n > 3 when n is missing) fails for that document only, which
// is then left out and listed in Result.Failed.
//
// Sort is "path" (the default) or a front matter field, written "fm.date" or
// "date", with dots for nested maps ("fm.meta.rank"). Values of one kind
// compare naturally (numbers numerically, dates chronologically, strings
// case-insensitively, false before true); across kinds the order is booleans,
// numbers, dates, strings, anything else. A document without the field sorts
// last in both orders. Ties are broken by path, ascending, so the result never
// depends on the input order.
//
// # Concurrency
//
// A Query is immutable after Compile and safe for concurrent use.
package query
