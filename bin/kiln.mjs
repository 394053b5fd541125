#!/usr/bin/env node
// The `kiln` command. Runs the compiled CLI when the package was built (dist/), else the
// TypeScript sources through tsx, so a fresh clone works after `npm install` alone.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// The CLI reports its backend itself; keep the library's startup notice out of its one-line errors.
process.env.KILN_QUIET ??= '1';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'cli', 'main.js');
let entry = built;
if (!existsSync(built)) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = join(root, 'src', 'cli', 'main.ts');
}
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
