import type { View } from '../backend.js';

/** Column-block and depth-block sizes: a KC x NC float64 panel of B (256 KiB) stays in L2. */
const NC = 256;
const KC = 128;

/**
 * Batched matmul by blocked i-k-j loops. Each batch's B panel is packed once into a contiguous
 * float64 block, so transposed or sliced operands cost one pass and the inner loop is unit-stride;
 * each output row accumulates in float64 before rounding into out.
 */
export function matmul(a: View, b: View, out: View): void {
  const nd = out.shape.length;
  const m = out.shape[nd - 2]!;
  const n = out.shape[nd - 1]!;
  const k = a.shape[nd - 1]!;
  const batchShape = out.shape.slice(0, nd - 2);
  const batches = batchShape.reduce((x, y) => x * y, 1);
  if (batches === 0 || m === 0 || n === 0) return;
  const [aRow, aCol] = [a.strides[nd - 2]!, a.strides[nd - 1]!];
  const [bRow, bCol] = [b.strides[nd - 2]!, b.strides[nd - 1]!];
  const panel = new Float64Array(Math.min(KC, Math.max(k, 1)) * Math.min(NC, n));
  const acc = new Float64Array(4 * NC);
  const idx = new Array<number>(batchShape.length).fill(0);
  const outBatch = m * n;
  for (let batch = 0; batch < batches; batch++) {
    let aBase = a.offset;
    let bBase = b.offset;
    for (let d = 0; d < batchShape.length; d++) {
      aBase += idx[d]! * a.strides[d]!;
      bBase += idx[d]! * b.strides[d]!;
    }
    const cBase = out.offset + batch * outBatch;
    gemm2d(
      a.storage,
      aBase,
      aRow,
      aCol,
      b.storage,
      bBase,
      bRow,
      bCol,
      out.storage,
      cBase,
      m,
      n,
      k,
      panel,
      acc,
    );
    for (let d = batchShape.length - 1; d >= 0; d--) {
      idx[d]!++;
      if (idx[d]! < batchShape[d]!) break;
      idx[d] = 0;
    }
  }
}

function gemm2d(
  a: ArrayLike<number>,
  aBase: number,
  aRow: number,
  aCol: number,
  b: ArrayLike<number>,
  bBase: number,
  bRow: number,
  bCol: number,
  c: { [i: number]: number },
  cBase: number,
  m: number,
  n: number,
  k: number,
  panel: Float64Array,
  acc: Float64Array,
): void {
  for (let jc = 0; jc < n; jc += NC) {
    const nb = Math.min(NC, n - jc);
    for (let i = 0; i < m; i++) for (let j = 0; j < nb; j++) c[cBase + i * n + jc + j] = 0;
    for (let pc = 0; pc < k; pc += KC) {
      const kb = Math.min(KC, k - pc);
      for (let p = 0; p < kb; p++) {
        const src = bBase + (pc + p) * bRow + jc * bCol;
        const dst = p * nb;
        for (let j = 0; j < nb; j++) panel[dst + j] = b[src + j * bCol]!;
      }
      // Four rows of A share each load of the B panel: a quarter of the panel traffic.
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        const rows = [0, 1, 2, 3].map((r) => cBase + (i + r) * n + jc);
        for (let j = 0; j < nb; j++) {
          acc[j] = c[rows[0] + j]!;
          acc[NC + j] = c[rows[1] + j]!;
          acc[2 * NC + j] = c[rows[2] + j]!;
          acc[3 * NC + j] = c[rows[3] + j]!;
        }
        const aStart = aBase + i * aRow + pc * aCol;
        for (let p = 0; p < kb; p++) {
          const at = aStart + p * aCol;
          const a0 = a[at]!;
          const a1 = a[at + aRow]!;
          const a2 = a[at + 2 * aRow]!;
          const a3 = a[at + 3 * aRow]!;
          const row = p * nb;
          for (let j = 0; j < nb; j++) {
            const bv = panel[row + j]!;
            acc[j] += a0 * bv;
            acc[NC + j] += a1 * bv;
            acc[2 * NC + j] += a2 * bv;
            acc[3 * NC + j] += a3 * bv;
          }
        }
        for (let j = 0; j < nb; j++) {
          c[rows[0]! + j] = acc[j]!;
          c[rows[1]! + j] = acc[NC + j]!;
          c[rows[2]! + j] = acc[2 * NC + j]!;
          c[rows[3]! + j] = acc[3 * NC + j]!;
        }
      }
      for (; i < m; i++) {
        const cRow = cBase + i * n + jc;
        for (let j = 0; j < nb; j++) acc[j] = c[cRow + j]!;
        const aStart = aBase + i * aRow + pc * aCol;
        for (let p = 0; p < kb; p++) {
          const aip = a[aStart + p * aCol]!;
          const row = p * nb;
          for (let j = 0; j < nb; j++) acc[j] += aip * panel[row + j]!;
        }
        for (let j = 0; j < nb; j++) c[cRow + j] = acc[j]!;
      }
    }
  }
}
