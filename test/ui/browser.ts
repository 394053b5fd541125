/// <reference lib="dom" />
// Real chromium for the dashboard tests (and the dashboard benchmark), driven by playwright-core.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots land here (gitignored). */
export const SHOTS = join(import.meta.dirname, '..', '..', 'test-output', 'ui');

/** Why browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
  return existsSync(CHROMIUM)
    ? undefined
    : `${CHROMIUM} is missing: install Debian's chromium to run the dashboard's browser tests`;
}

/** A headless chromium with a fresh profile. */
export async function launch(): Promise<BrowserContext> {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'kiln-chromium-')), {
    executablePath: CHROMIUM,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Counts the pixels of a chart's canvas that are neither transparent nor white, i.e. ink: a blank
 * canvas gives 0.
 */
export function canvasInk(page: Page, selector: string): Promise<number> {
  return page.$eval(selector, (canvas) => {
    const c = canvas as HTMLCanvasElement;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < data.length; i += 4)
      if (data[i + 3]! > 0 && (data[i]! < 240 || data[i + 1]! < 240 || data[i + 2]! < 240)) ink++;
    return ink;
  });
}

/** Collects CSP violations and page errors, to assert none happened. */
export async function watchProblems(page: Page): Promise<string[]> {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // A refused request (the bad-filter test's 400) is logged by the browser; that is expected.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      problems.push(`console: ${m.text()}`);
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return problems;
}

/** Runs the iris training fixture as a child process; resolves with the run id it prints. */
export function trainFixture(args: string[]): { done: Promise<string>; pid: number | undefined } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'train-fixture.ts'), ...args],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, KILN_QUIET: '1' } },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const done = new Promise<string>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`train fixture exited with ${code}`)),
    );
  });
  return { done, pid: child.pid };
}

/** Runs `kiln <args>` (bin/kiln.mjs) as a child process. */
export function kiln(args: string[]): { done: Promise<void>; child: ChildProcess } {
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, '../../bin/kiln.mjs'), ...args],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, KILN_QUIET: '1' },
    },
  );
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`kiln ${args[0]} exited with ${code ?? signal}`)),
    );
  });
  return { done, child };
}
