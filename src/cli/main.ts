import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
// The package entry registers the native backend and picks the default one (native when built).
import '../index.js';
import { getBackend, setBackend } from '../backend/registry.js';
import { kilnVersion } from '../io/version.js';
import { KilnError } from '../tensor/errors.js';
import { AUTOML_HELP, automlCommand } from './commands/automl.js';
import { exportCommand } from './commands/export.js';
import { RUNS_HELP, runsCommand } from './commands/runs.js';
import { TUNE_HELP, tuneCommand } from './commands/tune.js';
import { UI_HELP, uiCommand } from './commands/ui.js';
import { loadConfig, resolveConfigPaths, type TrainConfig, validateConfig } from './config.js';
import { evalCommand, loadRun, predictCommand } from './inference.js';
import { launchWorkers, wantsLaunch } from './launch.js';
import { hasLastCheckpoint } from './run-dir.js';
import { removeUnstartedRun } from './run-end.js';
import { summaryCommand } from './summary.js';
import { trainCommand } from './train.js';

const HELP: Record<string, string> = {
  main: `kiln: train neural networks from a config file

Usage:
  kiln train <config.yaml|json> [options]   train, checkpointing every epoch, then test
  kiln eval <run-dir|checkpoint> [--data F]  loss, metrics and confusion matrix
  kiln predict <run-dir|checkpoint> <input>  predictions for a CSV or IDX file, as CSV
  kiln summary <config|run-dir>              the model's layers, output shapes and parameters
  kiln tune <config.yaml> [options]          tune hyperparameters (search: and tune: sections)
  kiln runs [list|show|compare|delete|export] tracked runs: filter, compare, export
  kiln ui [--port 8080] [--store S]          the tracking dashboard in a browser
  kiln export <run-dir|checkpoint> [--format onnx|safetensors] [-o FILE]   the model as ONNX or safetensors
  kiln automl <data.csv> --target COL [--time-budget 5m]   search a model for a table, save the best run

Common options:
  --backend js|native   kernels to run on (default: native when built, else js)
  --verbose             print stack traces of errors
  --version             print kiln's version
  -h, --help            help for a command

Exit codes: 0 success, 1 user error (bad config, data or arguments), 2 internal error.`,
  train: `kiln train <config.yaml|json> [options]

Trains the model a config describes and writes a run folder (<output.dir>/<name>):
config.json, model.json, metrics.csv, checkpoints/{last,best}, model.safetensors, report.md.

Options:
  --resume            continue the newest run of this config from checkpoints/last
  --epochs N          override training.epochs
  --batch-size N      override training.batchSize
  --lr X              override optimizer.lr
  --seed N            override seed
  --out DIR           override output.dir
  --name NAME         override name
  --limit N           use only the first N training samples (quick trials)
  --store S           tracking store: SQLite file or postgresql:// URL (default: KILN_STORE,
                      else <output.dir>/kiln.db; KILN_TRACK=0 turns tracking off)
  --log-every N       also track the running batch loss and metrics every N batches

  --nproc-per-node N  train data-parallel in N processes (see docs/distributed.md), with
                      --nnodes M --node-rank R --master-addr A --master-port P for M machines`,
  eval: `kiln eval <run-dir|checkpoint> [--data FILE [--labels FILE]]

Evaluates a trained model on its config's test split, or on a CSV file (with the label
column) or an IDX image file (with --labels). Prints loss, metrics and the confusion matrix.`,
  predict: `kiln predict <run-dir|checkpoint> <input.csv|images-idx> [--out FILE]

Writes one CSV row per sample: the predicted class and class probabilities, or the predicted
value for regression. Input is preprocessed with the statistics saved at training time.`,
  export: `kiln export <run-dir|checkpoint> [--format onnx|safetensors] [-o FILE] [--opset N] [--dtype D]

Writes the trained model as ONNX (default; <run>/model.onnx, input 'input' [batch, ...sample],
output 'output', dynamic batch axis, opset 17) or its weights as safetensors
(<run>/export.safetensors; --dtype float16|bfloat16 halves float tensors). Inputs are
preprocessed features, as in training.`,
  summary: `kiln summary <config.yaml|json|run-dir>

Prints the model a config (or a run folder) builds: each layer, its output shape and
parameter count, and totals.`,
  ui: UI_HELP,
  runs: RUNS_HELP,
  automl: AUTOML_HELP,
  tune: TUNE_HELP,
};

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  verbose: { type: 'boolean' },
  backend: { type: 'string' },
  resume: { type: 'boolean' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string', short: 'o' },
  format: { type: 'string' },
  opset: { type: 'string' },
  dtype: { type: 'string' },
  name: { type: 'string' },
  limit: { type: 'string' },
  data: { type: 'string' },
  labels: { type: 'string' },
  store: { type: 'string' },
  'log-every': { type: 'string' },
  'nproc-per-node': { type: 'string' },
  nnodes: { type: 'string' },
  'node-rank': { type: 'string' },
  'master-addr': { type: 'string' },
  'master-port': { type: 'string' },
} as const;

/** A wrong command line: exit code 1 with a message, like other user errors. */
class UsageError extends KilnError {}

function intOption(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${flag}: expected a number, got '${value}'`);
  return n;
}

function applyOverrides(
  config: TrainConfig,
  values: Record<string, string | boolean | undefined>,
): TrainConfig {
  const raw = structuredClone(config) as Record<string, unknown> & TrainConfig;
  const epochs = intOption(values.epochs as string | undefined, 'epochs');
  const batchSize = intOption(values['batch-size'] as string | undefined, 'batch-size');
  const lr = intOption(values.lr as string | undefined, 'lr');
  const seed = intOption(values.seed as string | undefined, 'seed');
  const limit = intOption(values.limit as string | undefined, 'limit');
  if (epochs !== undefined) raw.training.epochs = epochs;
  if (batchSize !== undefined) raw.training.batchSize = batchSize;
  if (lr !== undefined) raw.optimizer.lr = lr;
  if (seed !== undefined) raw.seed = seed;
  if (limit !== undefined) raw.data.limit = limit;
  if (typeof values.out === 'string') raw.output.dir = values.out;
  if (typeof values.name === 'string') raw.name = values.name;
  return validateConfig(raw, 'command line overrides');
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Runs the CLI with the given arguments and returns the exit code. */
export async function main(
  argv: readonly string[],
  log: (s: string) => void = console.log,
): Promise<number> {
  let verbose = argv.includes('--verbose');
  try {
    // `kiln ui` has options of its own (--port, --host, --token...), parsed by the command.
    if (argv[0] === 'ui') return await uiCommand(argv.slice(1), log);
    if (argv[0] === 'runs') return await runsCommand(argv.slice(1), log);
    if (argv[0] === 'automl') return await automlCommand(argv.slice(1), log);
    if (argv[0] === 'tune') return await tuneCommand(argv.slice(1), log);
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
    verbose = values.verbose === true;
    if (values.version) {
      log(`kiln ${kilnVersion()}`);
      return 0;
    }
    const [command, ...rest] = positionals;
    if (!command) {
      log(HELP.main!);
      return values.help ? 0 : 1;
    }
    if (!(command in HELP) || command === 'main') {
      throw new UsageError(
        `unknown command '${command}'; expected train, tune, eval, predict, summary, ui, export or automl (see kiln --help)`,
      );
    }
    if (values.help) {
      log(HELP[command]!);
      return 0;
    }
    if (values.backend) setBackend(values.backend);
    const need = (n: number, what: string) => {
      if (rest.length < n)
        throw new UsageError(`kiln ${command}: missing ${what} (see kiln ${command} --help)`);
    };
    switch (command) {
      case 'train': {
        need(1, 'the config file');
        const config = resolveConfigPaths(applyOverrides(await loadConfig(rest[0]!), values));
        if (wantsLaunch(values)) return await launchWorkers(argv, values);
        const logEvery = intOption(values['log-every'], 'log-every');
        const resume = values.resume === true;
        let runDir: string | null = null;
        const trainOptions = {
          resume,
          log,
          ...(values.store ? { store: values.store } : {}),
          ...(logEvery ? { logEvery } : {}),
          onRunDir: (dir: string) => {
            runDir = dir;
          },
        };
        // Ctrl-C: checkpoints are written atomically, so the last one is whole; say how to go on.
        const onInterrupt = () => {
          if (runDir && !resume) removeUnstartedRun(runDir);
          const resumable = runDir !== null && hasLastCheckpoint(runDir);
          process.stderr.write(
            resumable
              ? '\nkiln: interrupted; continue with --resume\n'
              : '\nkiln: interrupted before the first epoch ended; nothing was saved\n',
          );
          process.exit(130);
        };
        process.once('SIGINT', onInterrupt);
        const result = await trainCommand(config, trainOptions)
          .catch((e: unknown) => {
            // A new run that failed before its first checkpoint leaves no folder behind.
            if (runDir && !resume) removeUnstartedRun(runDir);
            // Errors about a config entry name the file too, as the loader's own errors do.
            if (e instanceof KilnError && /^(model|optimizer|loss|schedule)\b/.test(e.message))
              e.message = `${rest[0]}: ${e.message}`;
            throw e;
          })
          .finally(() => process.off('SIGINT', onInterrupt));
        const epochs = result.secondsPerEpoch;
        if (epochs.length) {
          const mean = epochs.reduce((a, b) => a + b, 0) / epochs.length;
          log(
            `seconds per epoch: ${mean.toFixed(2)} on average over ${epochs.length} (backend ${getBackend()})`,
          );
        }
        log(`run saved to ${result.runDir}`);
        return 0;
      }
      case 'eval':
        need(1, 'the run folder or checkpoint');
        await evalCommand(rest[0]!, {
          ...(values.data ? { data: values.data } : {}),
          ...(values.labels ? { labels: values.labels } : {}),
          log,
        });
        return 0;
      case 'predict':
        need(2, 'the run folder and the input file');
        await predictCommand(rest[0]!, rest[1]!, {
          ...(values.out ? { out: values.out } : {}),
          log,
        });
        return 0;
      case 'export':
        need(1, 'the run folder or checkpoint');
        await exportCommand(rest[0]!, {
          ...(values.format ? { format: values.format } : {}),
          ...(values.out ? { out: values.out } : {}),
          ...(values.opset ? { opset: intOption(values.opset, 'opset') } : {}),
          ...(values.dtype ? { dtype: values.dtype } : {}),
          log,
        });
        return 0;
      case 'summary':
        need(1, 'the config file or run folder');
        if (isDirectory(rest[0]!)) {
          const run = await loadRun(rest[0]!);
          log(String(run.model.summary([1, ...run.record.sampleShape])));
        } else {
          await summaryCommand(await loadConfig(rest[0]!), log);
        }
        return 0;
    }
    return 0;
  } catch (e) {
    const err = e as Error & { code?: string };
    if (
      e instanceof KilnError ||
      err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
      err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE'
    ) {
      process.stderr.write(`kiln: ${err.message}\n`);
      if (verbose) process.stderr.write(`${err.stack}\n`);
      return 1;
    }
    process.stderr.write(`kiln: internal error: ${err?.message ?? String(e)}\n`);
    process.stderr.write(
      verbose
        ? `${err?.stack}\n`
        : 'run again with --verbose for the stack trace, and please report it\n',
    );
    return 2;
  }
}
