// Compares pairs of versions with node-semver, the reference for npm's
// ordering in medsec-version's property tests.
//
// Usage: node compare.js FILE
//
// Each line of FILE is `a<TAB>b`; prints one line per pair: -1, 0 or 1,
// or `error: ...` when node-semver (in loose mode, which npm uses for
// versions it reads) rejects a version.
'use strict'

const fs = require('fs')
const semver = require('semver')

const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l !== '')
const out = lines.map((line) => {
  const [a, b] = line.split('\t')
  try {
    return String(semver.compare(a, b, { loose: true }))
  } catch (e) {
    return `error: ${String(e.message).replace(/\n/g, ' ')}`
  }
})
process.stdout.write(out.map((l) => l + '\n').join(''))
