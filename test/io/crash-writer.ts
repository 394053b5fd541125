// Child process for test/io/atomic.test.ts: writes versions start, start+1, ... of a safetensors
// file and a checkpoint into <root> until it is killed, printing "saved <v>" after each pair.
import { join } from 'node:path';
import { save, saveCheckpoint } from '../../src/io/index.js';
import { full } from '../../src/ops/creation.js';
import { StubModel, StubOptimizer } from './stubs.js';

const [root, startArg] = process.argv.slice(2);
if (!root || !startArg) throw new Error('usage: crash-writer.ts <root> <start>');
for (let v = Number(startArg); ; v++) {
  await save(join(root, 'weights.safetensors'), { w: full([256, 512], v) }, { version: String(v) });
  const model = new StubModel(512, 256, v);
  await saveCheckpoint(join(root, 'ckpt'), {
    model,
    optimizer: new StubOptimizer(model, v),
    epoch: v,
  });
  process.stdout.write(`saved ${v}\n`);
}
