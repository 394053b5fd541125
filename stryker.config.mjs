// Mutation testing (StrykerJS 9, command runner). Not part of `npm test`: run it with
// `sh scripts/mutation.sh [group...]`, which sets KILN_MUTATE_GROUP. Each group mutates one
// module and runs only the tests that cover it, so one mutant costs a few seconds.
const groups = {
  rules: {
    mutate: ['src/autograd/rules.ts'],
    tests: ['test/ops/gradcheck.test.ts',
      'test/ops/grad-boundaries.test.ts', 'test/ops/elementwise.test.ts', 'test/ops/linear.test.ts', 'test/ops/reduce.test.ts', 'test/ops/indexing.test.ts'],
  },
  optim: {
    mutate: ['src/optim/**/*.ts'],
    tests: ['test/optim/optimizers.test.ts', 'test/optim/optimizer-base.test.ts', 'test/optim/schedulers.test.ts'],
  },
  metrics: {
    mutate: ['src/train/metrics/**/*.ts'],
    tests: ['test/train/metrics.test.ts', 'test/train/metrics-refs.test.ts', 'test/train/metrics-auc-regression.test.ts'],
  },
  safetensors: {
    mutate: ['src/io/safetensors.ts'],
    tests: [
      'test/io/safetensors.test.ts',
      'test/io/safetensors-half.test.ts',
      'test/io/safetensors-edges.test.ts',
      'test/io/hostile.test.ts',
    ],
  },
  csv: {
    mutate: ['src/data/csv.ts', 'src/data/table/read.ts'],
    tests: ['test/data/csv.test.ts', 'test/data/csv-edges.test.ts', 'test/data/table.test.ts'],
  },
  config: {
    mutate: ['src/cli/config.ts'],
    tests: ['test/cli/strict.test.ts', 'test/cli/cli.test.ts'],
  },
};

const name = process.env.KILN_MUTATE_GROUP ?? 'safetensors';
const group = groups[name];
if (!group) throw new Error(`stryker.config.mjs: unknown group ${name} (one of ${Object.keys(groups).join(', ')})`);
// KILN_MUTATE overrides the mutate list, e.g. 'src/io/safetensors.ts:120-200' for a subset.
const mutate = process.env.KILN_MUTATE ? process.env.KILN_MUTATE.split(',') : group.mutate;

export default {
  testRunner: 'command',
  commandRunner: {
    command: `node --import tsx --test --test-reporter=dot ${group.tests.join(' ')}`,
  },
  mutate,
  coverageAnalysis: 'off',
  concurrency: Number(process.env.KILN_MUTATE_CONCURRENCY ?? 2),
  timeoutMS: 60000,
  // The command runner sees the test suite as one test, so incremental mode cannot tell that a
  // test file changed: opt in (KILN_MUTATE_INCREMENTAL=1) only while editing source alone.
  incremental: process.env.KILN_MUTATE_INCREMENTAL === '1',
  incrementalFile: `reports/mutation/${name}.incremental.json`,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  ignorePatterns: ['datasets', 'runs', 'runs-bench', 'reports', 'bench', 'docs', 'examples', 'test-output', '.kiln-tmp-*'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
