import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hostAllowed, openInside, PathRefused, sameSecret } from '../../src/ui/security.js';

const base = mkdtempSync(join(tmpdir(), 'kiln-ui-sec-'));
const run = join(base, 'run');
mkdirSync(join(run, 'plots'), { recursive: true });
writeFileSync(join(run, 'plots', 'loss.svg'), '<svg/>');
writeFileSync(join(base, 'secret.txt'), 'outside');
symlinkSync(join(base, 'secret.txt'), join(run, 'link-out.txt'));
symlinkSync(base, join(run, 'dir-out'));
symlinkSync(join(run, 'plots', 'loss.svg'), join(run, 'link-in.svg'));
after(() => rmSync(base, { recursive: true, force: true }));

async function refused(path: string, status: number) {
  await assert.rejects(openInside(run, path), (e: unknown) => {
    assert.ok(e instanceof PathRefused, String(e));
    assert.equal(e.status, status, `${path}: ${e.message}`);
    return true;
  });
}

describe('openInside', () => {
  it('opens a file inside the run folder', async () => {
    const { handle, size } = await openInside(run, 'plots/loss.svg');
    assert.equal(size, 6);
    assert.equal((await handle.readFile()).toString(), '<svg/>');
    await handle.close();
  });

  it('follows a symlink that stays inside', async () => {
    const { handle } = await openInside(run, 'link-in.svg');
    await handle.close();
  });

  it('refuses "..", absolute paths and NUL bytes', async () => {
    await refused('../secret.txt', 403);
    await refused('plots/../../secret.txt', 403);
    await refused('..\\secret.txt', 403);
    await refused('/etc/passwd', 403);
    await refused('plots/loss.svg\0.png', 403);
  });

  it('refuses symlinks leading outside (to a file or through a folder)', async () => {
    await refused('link-out.txt', 403);
    await refused('dir-out/secret.txt', 403);
  });

  it('answers 404 for missing files and folders', async () => {
    await refused('nope.txt', 404);
    await refused('plots', 404);
  });
});

describe('guards', () => {
  it('a loopback server accepts only loopback Host names (DNS rebinding)', () => {
    assert.ok(hostAllowed('127.0.0.1:8080', '127.0.0.1'));
    assert.ok(hostAllowed('localhost:8080', '127.0.0.1'));
    assert.ok(hostAllowed('[::1]:8080', '127.0.0.1'));
    assert.ok(!hostAllowed('evil.example:8080', '127.0.0.1'));
    assert.ok(!hostAllowed(undefined, '127.0.0.1'));
    assert.ok(hostAllowed('10.1.2.3:8080', '0.0.0.0'));
  });

  it('compares secrets', () => {
    assert.ok(sameSecret('abc', 'abc'));
    assert.ok(!sameSecret('abc', 'abd'));
    assert.ok(!sameSecret('abc', 'abcd'));
  });
});
