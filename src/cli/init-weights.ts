import { load } from '../io/files.js';
import { loadTorch, type TorchValue } from '../io/torch-load.js';
import type { Module } from '../nn/module.js';
import { ConfigError, KilnError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';

/** The `init` section of a training config: weights the model starts from. */
export interface InitSpec {
  /** A `.pt`/`.pth` file (torch.save) or a `.safetensors` file. */
  from: string;
  /** The entry of a checkpoint dict that holds the state dict (default: model, state_dict, or the file itself). */
  key?: string | undefined;
  /** Require every key to match (default true). */
  strict?: boolean | undefined;
}

function isRecord(v: TorchValue | undefined): v is Record<string, TorchValue> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !(v instanceof Tensor) &&
    !(v instanceof Uint8Array) &&
    !Array.isArray(v)
  );
}

/**
 * Loads the state dict an `init` section names into `model` (as
 * `model.loadStateDict(sd.model ?? sd.state_dict ?? sd)`); every problem is a one-line
 * ConfigError naming `init.from` and the file. Returns the number of tensors loaded.
 *
 * @example
 * ```ts
 * await initWeights(model, { from: 'pretrained.pt' });
 * ```
 */
export async function initWeights(model: Module, init: InitSpec): Promise<number> {
  const where = `init.from: ${init.from}`;
  try {
    let root: TorchValue;
    if (init.from.endsWith('.safetensors')) root = (await load(init.from)).tensors;
    else root = await loadTorch(init.from);
    if (!isRecord(root))
      throw new ConfigError(
        `${where}: the file holds a ${Array.isArray(root) ? 'list' : typeof root}, not a state dict`,
      );
    let sd: TorchValue | undefined;
    if (init.key !== undefined) {
      sd = root[init.key];
      if (sd === undefined)
        throw new ConfigError(
          `${where}: no entry '${init.key}' (entries: ${Object.keys(root).join(', ')})`,
        );
    } else sd = root.model ?? root.state_dict ?? root;
    if (!isRecord(sd)) throw new ConfigError(`${where}: the state dict is not a dict of tensors`);
    const tensors: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(sd)) {
      if (!(t instanceof Tensor))
        throw new ConfigError(
          `${where}: entry '${name}' is not a tensor (pass init.key to pick the state dict)`,
        );
      tensors[name] = t;
    }
    model.loadStateDict(tensors, { strict: init.strict ?? true });
    return Object.keys(tensors).length;
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    if (e instanceof KilnError)
      throw new ConfigError(`${where}: ${e.message.replace(/\n\s*/g, '; ')}`);
    throw e;
  }
}
