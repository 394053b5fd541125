// Copies the dashboard page's own files (src/ui/static) next to the compiled server
// (dist/ui/static), so an installed package serves them without its sources. Run by `npm run build`.
import { cpSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'src', 'ui', 'static');
const to = join(root, 'dist', 'ui', 'static');
if (!existsSync(join(root, 'dist', 'ui'))) {
  console.error('copy-ui-assets: dist/ui is missing; run tsc first');
  process.exit(1);
}
cpSync(from, to, { recursive: true });
