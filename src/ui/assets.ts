/**
 * The page's files: kiln's own (src/ui/static, copied to dist/ui/static by the build) and uPlot's
 * dist files from its installed package. All are read once at start into memory, so a request can
 * only ever name one of them: there is no path from a URL to the file system here.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A file served as is. */
export interface Asset {
  body: Buffer;
  type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * The content type for a file name, `application/octet-stream` when unknown.
 *
 * @example
 * ```ts
 * contentType('app.js'); // 'text/javascript; charset=utf-8'
 * ```
 */
export function contentType(name: string): string {
  return TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The folder of the page's own files, whether running from src/ (tsx) or dist/.
 *
 * @example
 * ```ts
 * readdirSync(staticDir()); // ['api.js', 'app.js', ..., 'index.html', 'style.css']
 * ```
 */
export function staticDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'static');
  if (existsSync(join(beside, 'index.html'))) return beside;
  // dist/ui without a copied static folder: fall back to the sources of a checkout.
  const source = join(here, '..', '..', 'src', 'ui', 'static');
  if (existsSync(join(source, 'index.html'))) return source;
  throw new Error(`kiln ui: the page's files are missing (looked in ${beside} and ${source})`);
}

/**
 * Every asset by URL path: `/` and `/static/<name>` for kiln's, `/vendor/<name>` for uPlot's.
 *
 * @example
 * ```ts
 * loadAssets().get('/vendor/uPlot.esm.js')?.type; // 'text/javascript; charset=utf-8'
 * ```
 */
export function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const dir = staticDir();
  for (const name of readdirSync(dir)) {
    if (!TYPES[extname(name)]) continue;
    assets.set(`/static/${name}`, { body: readFileSync(join(dir, name)), type: contentType(name) });
  }
  const index = assets.get('/static/index.html');
  if (index) assets.set('/', index);
  const uplot = dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
  for (const name of ['uPlot.esm.js', 'uPlot.min.css']) {
    const body = readFileSync(join(uplot, 'dist', name));
    assets.set(`/vendor/${name}`, { body, type: contentType(name) });
  }
  return assets;
}
