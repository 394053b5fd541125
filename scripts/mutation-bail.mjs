import { writeSync } from 'node:fs';

// node:test reporter for mutation runs: prints one line per failure and exits 1 at the first one
// (a mutant is killed as soon as any test fails; the rest need not run).
export default async function* bail(source) {
  let passed = 0;
  for await (const event of source) {
    if (event.type === 'test:fail' && !event.data.todo && !event.data.skip) {
      const err = event.data.details?.error;
      const why = String(err?.cause?.message ?? err?.message ?? err).split('\n')[0];
      writeSync(2, `FAIL ${event.data.file ?? ''} ${event.data.name}: ${why}\n`);
      process.exit(1);
    }
    if (event.type === 'test:pass') passed++;
  }
  yield `ok ${passed}\n`;
}
