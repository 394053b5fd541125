// Runs several test files in ONE process (node:test, no --test), for mutation testing: one node
// start per mutant instead of one per file. Each test/x.test.ts runs as the test/x.test.js that
// scripts/mutation-build.mjs wrote beside it (plain node, no tsx). With scripts/mutation-bail.mjs
// as the reporter the process exits at the first failing test, so a killed mutant costs only the
// tests up to it.
//   node --test-reporter=./scripts/mutation-bail.mjs scripts/mutation-tests.mjs test/a.test.ts ...
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('mutation-tests: no test files given');
  process.exit(2);
}
for (const f of files) {
  const js = f.replace(/\.ts$/, '.js');
  if (!existsSync(js)) {
    console.error(`mutation-tests: ${js} is missing (run node scripts/mutation-build.mjs first)`);
    process.exit(2);
  }
  await import(pathToFileURL(resolve(js)).href);
}
