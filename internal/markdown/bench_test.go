package markdown

import (
	"bytes"
	"strings"
	"testing"
)

// typical is a Markdown note with a typical 10-field front matter.
var typical = []byte(`---
title: Notes on the observer pattern
date: 2026-01-02
updated: 2026-03-04T10:20:30Z
tags: [design, patterns, go]
draft: false
author: "Jane Doe"
weight: 10
slug: observer-pattern
description: A short description of the post, for the index page
status: published # or draft, archived
---
# Notes on the observer pattern

` + strings.Repeat("Some body text with a [[Wiki Link]] and more words.\n", 60))

// nested is the same size of front matter in a shape the fast path leaves
// to the YAML parser.
var nested = []byte(`---
title: Notes on the observer pattern
date: 2026-01-02
tags:
  - design
  - patterns
author:
  name: Jane Doe
  email: jane@example.com
weight: 10
description: >-
  A short description of the post,
  for the index page
---
# Body
`)

func BenchmarkFind(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(typical)))
	for b.Loop() {
		Find(typical)
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(typical); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseNested(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(nested); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseNoFrontMatter(b *testing.B) {
	content := Body(typical)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(content); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSet(b *testing.B) {
	fields := []Field{{"status", "archived"}, {"reviewed", true}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Set(typical, fields); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSetUnchanged(b *testing.B) {
	fields := []Field{{"status", "published"}}
	b.ReportAllocs()
	for b.Loop() {
		if out, err := Set(typical, fields); err != nil || !bytes.Equal(out, typical) {
			b.Fatal(err)
		}
	}
}
