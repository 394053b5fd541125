// Mutation testing (StrykerJS 9, command runner). Not part of `npm test`: run it with
// `sh scripts/mutation.sh [group...]`, which sets KILN_MUTATE_GROUP. Each group mutates one
// module and runs only the tests that cover it, so one mutant costs a few seconds.
const groups = {
  rules: {
    mutate: ['src/autograd/rules.ts'],
    tests: ['test/ops/gradcheck.test.ts',
      'test/ops/grad-boundaries.test.ts', 'test/ops/elementwise.test.ts', 'test/ops/linear.test.ts', 'test/ops/reduce.test.ts', 'test/ops/indexing.test.ts',
      'test/autograd/op-table-rules.test.ts', 'test/autograd/rules-mutants.test.ts'],
  },
  optim: {
    mutate: ['src/optim/**/*.ts'],
    tests: ['test/optim/optimizers.test.ts', 'test/optim/optim-mutants.test.ts', 'test/optim/optimizer-state.test.ts',
      'test/optim/optimizer-base.test.ts', 'test/optim/optimizer-edges.test.ts',
      'test/optim/schedulers.test.ts', 'test/optim/scheduler-mutants.test.ts', 'test/optim/scheduler-curves.test.ts',
      'test/optim/plateau-mutants.test.ts'],
    // A KILN_MUTATE run of scheduler files only: the optimizer test files build no scheduler, so
    // they cannot kill a scheduler mutant; leaving them out halves the cost of a surviving mutant.
    testsFor: {
      'src/optim/lr-scheduler/': ['test/optim/schedulers.test.ts', 'test/optim/scheduler-mutants.test.ts', 'test/optim/scheduler-curves.test.ts',
        'test/optim/plateau-mutants.test.ts', 'test/optim/optimizer-edges.test.ts'],
    },
  },
  metrics: {
    mutate: ['src/train/metrics/**/*.ts'],
    tests: ['test/train/metrics-mutants.test.ts', 'test/train/metrics.test.ts', 'test/train/metrics-refs.test.ts', 'test/train/metrics-auc-regression.test.ts', 'test/train/metrics-edges.test.ts'],
  },
  safetensors: {
    mutate: ['src/io/safetensors.ts'],
    tests: [
      'test/io/safetensors-mutants.test.ts',
      'test/io/safetensors.test.ts',
      'test/io/safetensors-half.test.ts',
      'test/io/safetensors-edges.test.ts',
      'test/io/hostile.test.ts',
    ],
  },
  csv: {
    mutate: ['src/data/csv.ts', 'src/data/table/read.ts'],
    // The fast parse tests first: a killed mutant stops at the first failing test.
    tests: ['test/data/csv-parse.test.ts', 'test/data/table-read.test.ts', 'test/data/csv-edges.test.ts',
      'test/data/csv.test.ts', 'test/data/table.test.ts'],
  },
  config: {
    mutate: ['src/cli/config.ts'],
    // config-schema first (milliseconds, most kills); cli.test.ts is left out: 40 s of training
    // runs whose config checks (unknown names, bad fields, unreadable files) config-schema repeats.
    tests: ['test/cli/config-schema.test.ts', 'test/cli/config-reference.test.ts', 'test/cli/strict.test.ts'],
  },
};

const name = process.env.KILN_MUTATE_GROUP ?? 'safetensors';
const group = groups[name];
if (!group) throw new Error(`stryker.config.mjs: unknown group ${name} (one of ${Object.keys(groups).join(', ')})`);
// KILN_MUTATE overrides the mutate list, e.g. 'src/io/safetensors.ts:120-200' for a subset.
const mutate = process.env.KILN_MUTATE ? process.env.KILN_MUTATE.split(',') : group.mutate;
// A group's testsFor maps a folder to the only test files that reach its code: a run whose
// mutated files all lie in that folder runs just those.
const narrowed = Object.entries(group.testsFor ?? {}).find(([dir]) => mutate.every((m) => m.startsWith(dir)));
const tests = narrowed ? narrowed[1] : group.tests;

export default {
  testRunner: 'command',
  commandRunner: {
    // One plain-node process for all of a group's test files (transpiled once by buildCommand),
    // stopping at the first failure (scripts/mutation-tests.mjs): about 6x less CPU per mutant
    // than `node --import tsx --test` with one process per file.
    command: `node --test-reporter=./scripts/mutation-bail.mjs scripts/mutation-tests.mjs ${tests.join(' ')}`,
  },
  buildCommand: 'node scripts/mutation-build.mjs',
  mutate,
  coverageAnalysis: 'off',
  concurrency: Number(process.env.KILN_MUTATE_CONCURRENCY ?? 2),
  // A mutant that loops forever is a timeout (counted as detected) after net time x 1.5 + this.
  timeoutMS: 20000,
  // The command runner sees the test suite as one test, so incremental mode cannot tell that a
  // test file changed: opt in (KILN_MUTATE_INCREMENTAL=1) only while editing source alone.
  incremental: process.env.KILN_MUTATE_INCREMENTAL === '1',
  incrementalFile: `reports/mutation/${name}.incremental.json`,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  // docs/, examples/ and datasets/ stay: config-reference and strict (iris) read them.
  ignorePatterns: ['runs', 'runs-bench', 'reports', 'bench', 'test-output', '.kiln-tmp-*'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
