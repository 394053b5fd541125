// docs/config.md is generated from the schema and option tables: it must match the generator,
// link every example config, and describe every layer, optimizer, loss, scheduler and field.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { configSchema } from '../../src/cli/config.js';
import { configReference } from '../../src/cli/config-reference.js';
import { LOSS_OPTIONS, OPTIMIZER_OPTIONS, SCHEDULER_OPTIONS } from '../../src/cli/options.js';
import { layerTypes } from '../../src/nn/registry.js';
import { TPE_OPTION_NAMES } from '../../src/tune/samplers/tpe/sampler.js';
import { ROOT } from './helpers.js';

describe('config reference (docs/config.md)', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'config.md'), 'utf8');

  it('is what the generator writes (run npm run docs:config after changing the schema)', () => {
    assert.equal(
      doc,
      configReference(join(ROOT, 'examples')).replaceAll(
        `../${join(ROOT, 'examples')}/`,
        '../examples/',
      ),
    );
  });

  it('links every example config', () => {
    for (const f of readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml')))
      assert.ok(doc.includes(`](../examples/${f})`), f);
  });

  it('has a section for every layer, optimizer, loss and scheduler, and every field', () => {
    for (const name of [
      ...layerTypes(),
      ...Object.keys(OPTIMIZER_OPTIONS),
      ...Object.keys(LOSS_OPTIONS),
      ...Object.keys(SCHEDULER_OPTIONS),
    ])
      assert.match(doc, new RegExp(`^### ${name}$`, 'm'), name);
    for (const field of Object.keys(configSchema.shape))
      assert.match(doc, new RegExp(`^\\| \`${field}\` \\|`, 'm'), field);
    for (const field of Object.keys(configSchema.shape.data.in.shape))
      assert.match(doc, new RegExp(`^\\| \`data\\.${field}\` \\|`, 'm'), field);
  });

  it('describes every TPESampler option a config can set (not the functions gamma, weights)', () => {
    for (const name of TPE_OPTION_NAMES.filter((n) => n !== 'gamma' && n !== 'weights'))
      assert.match(doc, new RegExp(`^\\| \`${name}\` \\| [^|]+ \\| \\w`, 'm'), name);
  });
});
