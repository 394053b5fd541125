/**
 * The parameter layouts of the addon's window and convolution entry points: each call passes one
 * Float64Array whose slots the C++ side reads by position (native/src/window_addon.cc,
 * conv_addon.cc, conv_pool_addon.cc). The addon exports its slot names (`windowParams()`,
 * `convParams()`, `convPoolParams()`) and the
 * loader refuses a build whose names differ from these lists: a build/ compiled before a layout
 * changed would otherwise misread the slots (an addon from before the conv `pool` slot ran the
 * fused conv + ReLU + pool call as a plain convolution and failed its bounds check on the
 * pooled-size output).
 */

/** Slots 0-13 of both layouts: image [N, C, H, W], output [OH, OW], the window. */
const HEADER = ['n', 'c', 'h', 'w', 'oh', 'ow', 'kh', 'kw', 'sh', 'sw', 'ph', 'pw', 'dh', 'dw'];

function numbered(name: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${name}${i}`);
}

/** Slot names of the window kernels' parameters (im2col, col2im, maxPool, maxPoolBackward). */
export const WINDOW_PARAMS: readonly string[] = [
  ...HEADER,
  'inOff',
  ...numbered('inSt', 6),
  'outOff',
  'idxOff',
  ...numbered('idxSt', 4),
];

/** Slot names of the fused convolution's parameters (convForward, convBackward). */
export const CONV_PARAMS: readonly string[] = [
  ...HEADER,
  'o',
  'groups',
  'xOff',
  ...numbered('xSt', 4),
  'wOff',
  'bOff',
  'dyOff',
  'outOff',
  'relu',
  'yOff',
  'dxOff',
  'dwOff',
  'dbOff',
  'pool',
];

/**
 * Slot names of the fused training Conv2d + ReLU + MaxPool2d's parameters (convPoolForward,
 * convPoolBackward): [OH, OW] is the convolution's output size.
 */
export const CONV_POOL_PARAMS: readonly string[] = [
  ...HEADER,
  'o',
  'xOff',
  ...numbered('xSt', 4),
  'wOff',
  'bOff',
  'outOff',
  'idxOff',
  'gOff',
  'dxOff',
  'dwOff',
  'dbOff',
];

/**
 * The position of slot `name` in `layout`.
 *
 * @example
 * ```ts
 * const POOL = slot(CONV_PARAMS, 'pool'); // 30
 * ```
 */
export function slot(layout: readonly string[], name: string): number {
  const i = layout.indexOf(name);
  if (i < 0) throw new Error(`kiln native: no parameter slot '${name}' in the layout`);
  return i;
}

/** The layout exports of an addon build (absent in builds from before the check). */
export interface RawLayouts {
  windowParams(): string[];
  convParams(): string[];
  convPoolParams(): string[];
}

/**
 * Why an addon's parameter layouts differ from the lists above, or null when they agree.
 *
 * @example
 * ```ts
 * paramLayoutMismatch({}); // 'the build has no windowParams export'
 * ```
 */
export function paramLayoutMismatch(raw: Partial<RawLayouts>): string | null {
  const layouts = [
    ['windowParams', WINDOW_PARAMS],
    ['convParams', CONV_PARAMS],
    ['convPoolParams', CONV_POOL_PARAMS],
  ] as const;
  for (const [name, want] of layouts) {
    const fn = raw[name];
    if (typeof fn !== 'function') return `the build has no ${name} export`;
    const got = fn();
    for (let i = 0; i < Math.max(want.length, got.length); i++) {
      if (got[i] !== want[i]) {
        return `${name} slot ${i} is '${got[i] ?? 'missing'}' in the build but '${want[i] ?? 'missing'}' in src/backend/native/layouts.ts`;
      }
    }
  }
  return null;
}
