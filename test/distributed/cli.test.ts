// `kiln train --nproc-per-node`: real worker processes through bin/kiln.mjs. Rank 0 alone
// prints and writes the run folder; a killed worker ends the job with its error and no
// process left behind, and --resume continues; a bad master gives one line and exit 1.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { freePort, ROOT } from './group.js';

const available = k.distributed.isAvailable();
const skip = available
  ? false
  : 'the distributed addon is not built (apt-get install libgloo-dev; npm rebuild)';
const BIN = join(ROOT, 'bin', 'kiln.mjs');

interface Job {
  pid: number;
  out: () => string;
  done: Promise<{ code: number | null; out: string; err: string }>;
}

function kiln(args: string[], env: Record<string, string> = {}): Job {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, KILN_QUIET: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    }),
  );
  return { pid: child.pid!, out: () => out, done };
}

/** Child pids of `pid` and the RANK each was started with. */
function workers(pid: number): { pid: number; rank: number }[] {
  const list = execFileSync('ps', ['--ppid', String(pid), '-o', 'pid='], { encoding: 'utf8' });
  return list
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const p = Number(l.trim());
      const env = readFileSync(`/proc/${p}/environ`, 'utf8').split('\0');
      const rank = Number(env.find((e) => e.startsWith('RANK='))?.slice(5));
      return { pid: p, rank };
    });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('kiln train --nproc-per-node', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-launch-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'iris.yaml');
  writeFileSync(
    config,
    readFileSync(join(ROOT, 'examples', 'iris.yaml'), 'utf8').replace(
      'datasets/',
      `${ROOT}/datasets/`,
    ),
  );

  it('trains in 2 processes: rank 0 alone prints and writes one run folder', async () => {
    const port = await freePort();
    const out = join(dir, 'two');
    const res = await kiln([
      'train',
      config,
      '--nproc-per-node',
      '2',
      '--master-port',
      String(port),
      '--epochs',
      '3',
      '--out',
      out,
    ]).done;
    assert.equal(res.code, 0, res.err);
    assert.equal(res.out.match(/^training iris/gm)?.length, 1, res.out);
    assert.equal(res.out.match(/^Epoch 3\/3/gm)?.length, 1, res.out);
    assert.match(res.out, /^test: loss/m);
    assert.deepEqual(
      readdirSync(out).filter((e) => e.startsWith('iris')),
      ['iris'],
    );
    const csv = readFileSync(join(out, 'iris', 'metrics.csv'), 'utf8')
      .trim()
      .split('\n');
    assert.equal(csv.length, 4);
  });

  it('a killed worker ends the job with its error, leaves no process, and --resume continues', async () => {
    const port = await freePort();
    const out = join(dir, 'killed');
    const common = ['--master-port', String(port), '--out', out, '--batch-size', '2'];
    const job = kiln(['train', config, '--nproc-per-node', '2', '--epochs', '400', ...common], {
      KILN_DIST_TIMEOUT: '60',
    });
    const start = Date.now();
    while (!/^Epoch 3\//m.test(job.out())) {
      assert.ok(Date.now() - start < 120_000, `no third epoch: ${job.out()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const ranks = workers(job.pid);
    assert.deepEqual(ranks.map((w) => w.rank).sort(), [0, 1]);
    const victim = ranks.find((w) => w.rank === 1)!;
    process.kill(victim.pid, 'SIGKILL');
    const killedAt = Date.now();
    const res = await job.done;
    const took = (Date.now() - killedAt) / 1000;
    assert.equal(res.code, 1);
    assert.equal(res.err.trim(), `kiln: rank 1 (pid ${victim.pid}) was killed by SIGKILL`);
    assert.ok(took < 30, `the job took ${took}s to end`);
    for (const w of ranks) assert.equal(alive(w.pid), false, `worker ${w.pid} is still running`);

    const last = JSON.parse(
      readFileSync(join(out, 'iris', 'checkpoints', 'last', 'checkpoint.json'), 'utf8'),
    ) as { epoch: number };
    assert.ok(last.epoch >= 2, `checkpoint of epoch ${last.epoch}`);
    const resumed = await kiln([
      'train',
      config,
      '--nproc-per-node',
      '2',
      '--resume',
      '--epochs',
      String(last.epoch + 2),
      ...common,
    ]).done;
    assert.equal(resumed.code, 0, resumed.err);
    assert.match(resumed.out, new RegExp(`resuming .*iris from epoch ${last.epoch}`));
    assert.match(resumed.out, new RegExp(`^Epoch ${last.epoch + 2}/${last.epoch + 2}`, 'm'));
    assert.doesNotMatch(resumed.out, new RegExp(`^Epoch ${last.epoch}/`, 'm'));
  });

  it('a master address that is not this machine: one line, exit 1', async () => {
    const res = await kiln([
      'train',
      config,
      '--nproc-per-node',
      '2',
      '--master-addr',
      '192.0.2.1',
      '--epochs',
      '1',
      '--out',
      join(dir, 'bad'),
    ]).done;
    assert.equal(res.code, 1);
    assert.match(
      res.err,
      /^kiln: rank 0 \(pid \d+\) exited with code 1: initProcessGroup: rank 0 cannot listen on 192\.0\.2\.1:29500: that is not an address of this machine/,
    );
    assert.equal(res.err.trim().split('\n').length, 1, res.err);
  });

  it('a worker machine whose master port answers nothing: one line, exit 1', async () => {
    const port = await freePort();
    const res = await kiln(
      [
        'train',
        config,
        '--nproc-per-node',
        '1',
        '--nnodes',
        '2',
        '--node-rank',
        '1',
        '--master-port',
        String(port),
        '--epochs',
        '1',
        '--out',
        join(dir, 'bad2'),
      ],
      { KILN_DIST_TIMEOUT: '2' },
    ).done;
    assert.equal(res.code, 1);
    assert.match(
      res.err,
      new RegExp(
        `cannot reach the master at 127\\.0\\.0\\.1:${port} within 2s \\(Connection refused\\)`,
      ),
    );
    assert.equal(res.err.trim().split('\n').length, 1, res.err);
  });
});

describe('kiln train --nproc-per-node without Gloo', () => {
  it('says what to install in one line, exit 1', async () => {
    const res = await kiln(['train', 'examples/iris.yaml', '--nproc-per-node', '2'], {
      KILN_NO_GLOO: '1',
    }).done;
    assert.equal(res.code, 1);
    assert.equal(res.err.trim().split('\n').length, 1, res.err);
    assert.match(res.err, /^kiln: distributed training needs Gloo: .*apt-get install libgloo-dev/);
  });
});
