import type { Node, Value } from '../graph/ir.js';
import type { Emitter } from './emitter.js';
import { contiguousData } from './emitter.js';
import { onnxType } from './model-proto.js';

/**
 * For each ONNX gate block, the PyTorch block it comes from. ONNX's LSTM stacks i, o, f, c
 * where PyTorch stacks i, f, g, o; ONNX's GRU stacks z, r, h where PyTorch stacks r, z, n.
 */
const GATE_ORDER: Record<string, readonly number[]> = {
  LSTM: [0, 3, 1, 2],
  GRU: [1, 0, 2],
  RNN: [0],
};

/** The rows of w ([gates * hidden, ...]) with its gate blocks in ONNX's order. */
function reorder(w: Value, mode: string, hidden: number): Float32Array | Float64Array {
  const data = contiguousData(w.data!) as Float32Array | Float64Array;
  const order = GATE_ORDER[mode]!;
  const block = hidden * (data.length / (order.length * hidden));
  const out = new (data.constructor as Float32ArrayConstructor)(data.length);
  order.forEach((src, dst) => {
    out.set(data.subarray(src * block, (src + 1) * block), dst * block);
  });
  return out;
}

function concat(parts: readonly (Float32Array | Float64Array)[]): Float32Array | Float64Array {
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new (parts[0]!.constructor as Float32ArrayConstructor)(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Exports kiln's RNN/LSTM/GRU (one composite node for all layers and directions) as one ONNX
 * RNN/LSTM/GRU operator per layer, with weights reordered to ONNX's gate order, biases stacked
 * as [W_b, R_b], and the per-layer outputs joined back to PyTorch's layout.
 */
export function recurrent(
  e: Emitter,
  n: Node,
  ins: readonly string[],
  outs: readonly string[],
): void {
  const mode = n.attrs.mode as string;
  const layers = n.attrs.numLayers as number;
  const hidden = n.attrs.hiddenSize as number;
  const dirs = n.attrs.bidirectional ? 2 : 1;
  const bias = n.attrs.bias as boolean;
  const x = n.inputs[0]!;
  const dtype = x.dtype;
  const nStates = mode === 'LSTM' ? 2 : 1;
  const batched = x.shape.length === 3;
  const perDir = bias ? 4 : 2;
  const path = n.path || 'rnn';
  if (dtype !== 'float32' && dtype !== 'float64') throw e.unsupported(`input dtype ${dtype}`);
  // Time-major [T, B, F] as the ONNX operators' default layout.
  let seq = ins[0]!;
  if (!batched) seq = e.node('Unsqueeze', [seq, e.int64([1])])[0]!;
  else if (n.attrs.batchFirst) seq = e.node('Transpose', [seq], { perm: { ints: [1, 0, 2] } })[0]!;
  const states = Array.from({ length: nStates }, (_, k) => {
    const s = ins[1 + k];
    if (!s) return '';
    return batched ? s : e.node('Unsqueeze', [s, e.int64([1])])[0]!;
  });
  const finals: string[][] = states.map(() => []);
  for (let layer = 0; layer < layers; layer++) {
    const w: (Float32Array | Float64Array)[] = [];
    const r: (Float32Array | Float64Array)[] = [];
    const b: (Float32Array | Float64Array)[] = [];
    for (let dir = 0; dir < dirs; dir++) {
      const at = 1 + nStates + (layer * dirs + dir) * perDir;
      const [wIh, wHh, bIh, bHh] = n.inputs.slice(at, at + perDir) as Value[];
      w.push(reorder(wIh!, mode, hidden));
      r.push(reorder(wHh!, mode, hidden));
      if (bIh && bHh) b.push(reorder(bIh, mode, hidden), reorder(bHh, mode, hidden));
    }
    const gates = GATE_ORDER[mode]!.length * hidden;
    const inSize = w[0]!.length / gates;
    const suffix = `_l${layer}`;
    const wName = e.initializer(
      `${path}.W${suffix}`,
      [dirs, gates, inSize],
      onnxType(dtype),
      concat(w),
    );
    const rName = e.initializer(
      `${path}.R${suffix}`,
      [dirs, gates, hidden],
      onnxType(dtype),
      concat(r),
    );
    const bName = bias
      ? e.initializer(`${path}.B${suffix}`, [dirs, 2 * gates], onnxType(dtype), concat(b))
      : '';
    const initial = states.map((s) =>
      s
        ? e.node('Slice', [
            s,
            e.int64([layer * dirs]),
            e.int64([(layer + 1) * dirs]),
            e.int64([0]),
          ])[0]!
        : '',
    );
    const attrs = {
      hidden_size: { i: hidden },
      direction: { s: dirs === 2 ? 'bidirectional' : 'forward' },
      ...(mode === 'GRU' ? { linear_before_reset: { i: 1 } } : {}),
      ...(mode === 'RNN'
        ? {
            activations: {
              strings: new Array<string>(dirs).fill(
                n.attrs.nonlinearity === 'relu' ? 'Relu' : 'Tanh',
              ),
            },
          }
        : {}),
    };
    const opIns = [seq, wName, rName, bName, '', ...initial];
    while (opIns[opIns.length - 1] === '') opIns.pop();
    const [y, ...last] = e.node(mode, opIns, attrs, 1 + nStates);
    last.forEach((s, k) => {
      finals[k]!.push(s!);
    });
    // Y [T, dirs, B, H] -> [T, B, dirs * H]
    seq =
      dirs === 1
        ? e.node('Squeeze', [y, e.int64([1])])[0]!
        : e.node('Reshape', [
            e.node('Transpose', [y], { perm: { ints: [0, 2, 1, 3] } })[0],
            e.int64([0, 0, -1]),
          ])[0]!;
  }
  const joined = finals.map((f) =>
    f.length === 1 ? f[0]! : e.node('Concat', f, { axis: { i: 0 } })[0]!,
  );
  const results = [seq, ...joined];
  results.forEach((t, k) => {
    let out = t;
    if (!batched) out = e.node('Squeeze', [out, e.int64([1])])[0]!;
    else if (k === 0 && n.attrs.batchFirst)
      out = e.node('Transpose', [out], { perm: { ints: [1, 0, 2] } })[0]!;
    e.node('Identity', [out], {}, [outs[k]!]);
  });
}
