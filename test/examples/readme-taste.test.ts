// The README's "A taste" snippet, run exactly as written through the package entry
// (`import * as k from 'kiln'`, resolved by Node's package self-reference to dist/), as a user
// would after `npm install` in a clone (which builds dist/ through the `prepare` script).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'kiln-taste-'));
// Inside the package folder, so that `from 'kiln'` resolves to this package (gitignored name).
const script = join(ROOT, `.kiln-tmp-taste-${process.pid}.mjs`);
after(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(script, { force: true });
});

describe("README's A taste", () => {
  it('npm install builds the package entry (prepare), which the README snippet imports', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.equal(pkg.scripts.prepare, 'npm run build');
    assert.equal(pkg.exports['.'].import, './dist/index.js');
    if (!existsSync(join(ROOT, 'dist', 'index.js'))) {
      // What `npm install` would have done (CI's `npm ci` runs prepare before the tests).
      const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(build.status, 0, build.stderr);
    }
  });

  it('runs as written and trains iris', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## A taste'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(code?.includes("import * as k from 'kiln'"), 'the snippet imports the package');
    writeFileSync(script, code!);
    // The snippet's relative paths (datasets/, checkpoints/) are relative to where it runs.
    symlinkSync(join(ROOT, 'datasets'), join(work, 'datasets'));
    const r = spawnSync(process.execPath, [script], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, KILN_QUIET: '1' },
      timeout: 120_000,
    });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^Epoch \d+\/50 .*accuracy 0\.9\d/m);
    assert.ok(existsSync(join(work, 'checkpoints', 'iris', 'checkpoint.json')));
  });
});
