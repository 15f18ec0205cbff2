// A Docusaurus site for links.TestDocusaurusAgreesWithBuild: Scribe's
// reading of its links (markdown_links: docusaurus) must match what the
// build reports broken. It is configured as create-docusaurus configures a
// new site (future.v4), with Markdown files read as CommonMark (format:
// detect), as many sites set it.
export default {
  future: {v4: true},
  title: 'Fixture',
  url: 'https://example.org',
  baseUrl: '/',
  onBrokenLinks: 'warn',
  onBrokenAnchors: 'warn',
  markdown: {format: 'detect'},
  presets: [['classic', {blog: {onUntruncatedBlogPosts: 'ignore'}}]],
};
