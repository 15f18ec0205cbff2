import { appendFileSync } from 'node:fs'

// The dead links VitePress finds are written to the file DEAD_LINKS names
// (one "page: link" a line) and the build goes on, so that the test can
// also look up the anchors in the pages it writes.
export default {
  title: 'Scribe fixture',
  ignoreDeadLinks: [
    (url: string) => {
      appendFileSync(process.env.DEAD_LINKS ?? 'dead-links.txt', url + '\n')
      return true
    },
  ],
}
