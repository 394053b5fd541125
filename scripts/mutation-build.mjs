// Stryker's buildCommand (stryker.config.mjs): transpiles src/ and test/ in the sandbox to .js files
// beside their .ts sources (imports already name .js), once per run. Each mutant's test process
// then runs plain node, without tsx's loader: about a third of the CPU time per mutant.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

function collect(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? collect(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

const entryPoints = [...collect('src'), ...collect('test')];
buildSync({
  entryPoints,
  outdir: '.',
  outbase: '.',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'error',
});
console.log(`mutation-build: transpiled ${entryPoints.length} files`);
