import { empty } from '../ops/core.js';
import { isFloat } from '../tensor/dtype.js';
import { fmtShape, ShapeError, ValueError } from '../tensor/errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { ModalTransform } from './transforms.js';

/** Options shared by the augmentations. */
export interface AugmentOptions {
  /** Source of randomness; the default generator (seeded by `k.manualSeed`) otherwise. */
  generator?: Generator;
}

/** Options of the augmentations that uncover pixels (filled with `fill`). */
export interface FillOptions extends AugmentOptions {
  /** Value of pixels that come from outside the image (default 0). */
  fill?: number;
}

/** Source and destination of one image: C planes of H x W, row-major. */
interface Plane {
  src: Float32Array | Float64Array;
  dst: Float32Array | Float64Array;
  srcAt: number;
  dstAt: number;
}

/**
 * Runs `fn` once per image of a [H,W], [C,H,W] or [N,C,H,W] tensor into a fresh float tensor of
 * `outHW`: one random draw per image, shared by its channels.
 */
function perImage(
  x: Tensor,
  where: string,
  outHW: (h: number, w: number) => [number, number],
  fn: (p: Plane, c: number, h: number, w: number, oh: number, ow: number) => void,
): Tensor {
  if (x.ndim < 2 || x.ndim > 4) {
    throw new ShapeError(
      `${where}: expected an image [H,W], [C,H,W] or a batch [N,C,H,W], got ${fmtShape(x.shape)}`,
    );
  }
  const dtype = isFloat(x.dtype) ? x.dtype : 'float32';
  const src = (x.dtype === dtype ? x.contiguous() : x.to(dtype)).dataSync() as Float32Array;
  const h = x.shape[x.ndim - 2]!;
  const w = x.shape[x.ndim - 1]!;
  const c = x.ndim >= 3 ? x.shape[x.ndim - 3]! : 1;
  const n = x.ndim === 4 ? x.shape[0]! : 1;
  const [oh, ow] = outHW(h, w);
  const out = empty([...x.shape.slice(0, -2), oh, ow], dtype);
  const dst = out.storage as Float32Array;
  for (let i = 0; i < n; i++) {
    fn({ src, dst, srcAt: i * c * h * w, dstAt: i * c * oh * ow }, c, h, w, oh, ow);
  }
  return out;
}

/** Copies the window of the source whose top-left corner is (top, left), filling outside. */
function shiftCopy(
  p: Plane,
  c: number,
  h: number,
  w: number,
  oh: number,
  ow: number,
  top: number,
  left: number,
  fill: number,
): void {
  for (let ch = 0; ch < c; ch++) {
    const s = p.srcAt + ch * h * w;
    const d = p.dstAt + ch * oh * ow;
    for (let y = 0; y < oh; y++) {
      const sy = y + top;
      for (let x = 0; x < ow; x++) {
        const sx = x + left;
        p.dst[d + y * ow + x] =
          sy >= 0 && sy < h && sx >= 0 && sx < w ? p.src[s + sy * w + sx]! : fill;
      }
    }
  }
}

/** Options of `RandomCrop`. */
export interface RandomCropOptions extends FillOptions {
  /** Output height and width (one number for a square). */
  size: number | [number, number];
  /** Border of `fill` added on each side before cropping (default 0). */
  padding?: number;
}

/**
 * Pads each image by `padding` on every side, then cuts a random `size` window, as torchvision's
 * `RandomCrop`. In eval mode it takes the centre window. Works on one image or a batch (one draw
 * per image).
 *
 * @example
 * ```ts
 * const crop = new k.data.RandomCrop({ size: 28, padding: 2, generator: new k.Generator(0) });
 * const xb2 = crop.apply(xb); // [N,1,28,28] -> [N,1,28,28], shifted by up to 2 pixels
 * ```
 */
export class RandomCrop extends ModalTransform {
  readonly size: [number, number];
  readonly padding: number;
  readonly fill: number;
  readonly generator: Generator;

  constructor(options: RandomCropOptions) {
    super();
    this.size = typeof options.size === 'number' ? [options.size, options.size] : options.size;
    this.padding = options.padding ?? 0;
    this.fill = options.fill ?? 0;
    this.generator = options.generator ?? defaultGenerator;
    if (
      this.size.some((s) => !Number.isInteger(s) || s < 1) ||
      !Number.isInteger(this.padding) ||
      this.padding < 0
    ) {
      throw new ValueError(
        `RandomCrop: size must be positive integers and padding a non-negative integer, got size ${this.size}, padding ${this.padding}`,
      );
    }
  }

  apply(x: Tensor): Tensor {
    const [oh, ow] = this.size;
    const p = this.padding;
    return perImage(
      x,
      'RandomCrop',
      (h, w) => {
        if (oh > h + 2 * p || ow > w + 2 * p) {
          throw new ShapeError(
            `RandomCrop: size [${oh},${ow}] is larger than the padded image [${h + 2 * p},${w + 2 * p}]`,
          );
        }
        return [oh, ow];
      },
      (plane, c, h, w) => {
        const rangeY = h + 2 * p - oh;
        const rangeX = w + 2 * p - ow;
        const top = this.training ? this.generator.int(rangeY + 1) : rangeY >> 1;
        const left = this.training ? this.generator.int(rangeX + 1) : rangeX >> 1;
        shiftCopy(plane, c, h, w, oh, ow, top - p, left - p, this.fill);
      },
    );
  }
}

/**
 * Translates each image by a random whole number of pixels in [-maxShift, maxShift] on both axes,
 * filling the uncovered border (shape unchanged). Identity in eval mode.
 *
 * @example
 * ```ts
 * const shift = new k.data.RandomShift(2, { generator: new k.Generator(1) });
 * ```
 */
export class RandomShift extends ModalTransform {
  readonly fill: number;
  readonly generator: Generator;

  constructor(
    readonly maxShift: number,
    options: FillOptions = {},
  ) {
    super();
    if (!Number.isInteger(maxShift) || maxShift < 0) {
      throw new ValueError(`RandomShift: maxShift must be a non-negative integer, got ${maxShift}`);
    }
    this.fill = options.fill ?? 0;
    this.generator = options.generator ?? defaultGenerator;
  }

  apply(x: Tensor): Tensor {
    if (!this.training) return x;
    const m = this.maxShift;
    return perImage(
      x,
      'RandomShift',
      (h, w) => [h, w],
      (plane, c, h, w) => {
        const dy = this.generator.int(2 * m + 1) - m;
        const dx = this.generator.int(2 * m + 1) - m;
        shiftCopy(plane, c, h, w, h, w, -dy, -dx, this.fill);
      },
    );
  }
}

/**
 * Mirrors each image left-right with probability `p` (default 0.5). Identity in eval mode.
 *
 * @example
 * ```ts
 * const flip = new k.data.RandomHorizontalFlip(0.5, { generator: new k.Generator(0) });
 * ```
 */
export class RandomHorizontalFlip extends ModalTransform {
  readonly generator: Generator;

  constructor(
    readonly p = 0.5,
    options: AugmentOptions = {},
  ) {
    super();
    if (!(p >= 0 && p <= 1))
      throw new ValueError(`RandomHorizontalFlip: p must be in [0, 1], got ${p}`);
    this.generator = options.generator ?? defaultGenerator;
  }

  apply(x: Tensor): Tensor {
    if (!this.training) return x;
    return perImage(
      x,
      'RandomHorizontalFlip',
      (h, w) => [h, w],
      (plane, c, h, w) => {
        const flip = this.generator.uniform() < this.p;
        for (let ch = 0; ch < c; ch++) {
          for (let y = 0; y < h; y++) {
            const s = plane.srcAt + (ch * h + y) * w;
            const d = plane.dstAt + (ch * h + y) * w;
            for (let i = 0; i < w; i++) plane.dst[d + i] = plane.src[s + (flip ? w - 1 - i : i)]!;
          }
        }
      },
    );
  }
}

/** Options of `RandomRotation`. */
export interface RandomRotationOptions extends FillOptions {
  /** Sampling of the rotated grid (default 'bilinear'). */
  interpolation?: 'bilinear' | 'nearest';
}

/**
 * Rotates each image about its centre by an angle drawn uniformly from [-degrees, degrees] (or
 * [min, max]); positive angles turn counter-clockwise, as torchvision. Pixels from outside the
 * image get `fill`. Meant for small angles (a few degrees to ~30). Identity in eval mode.
 *
 * @example
 * ```ts
 * const rot = new k.data.RandomRotation(10, { interpolation: 'bilinear', generator: new k.Generator(0) });
 * ```
 */
export class RandomRotation extends ModalTransform {
  readonly range: [number, number];
  readonly interpolation: 'bilinear' | 'nearest';
  readonly fill: number;
  readonly generator: Generator;

  constructor(degrees: number | [number, number], options: RandomRotationOptions = {}) {
    super();
    this.range = typeof degrees === 'number' ? [-Math.abs(degrees), Math.abs(degrees)] : degrees;
    if (!this.range.every(Number.isFinite) || this.range[0] > this.range[1]) {
      throw new ValueError(
        `RandomRotation: degrees must be finite with min <= max, got ${degrees}`,
      );
    }
    this.interpolation = options.interpolation ?? 'bilinear';
    this.fill = options.fill ?? 0;
    this.generator = options.generator ?? defaultGenerator;
  }

  apply(x: Tensor): Tensor {
    if (!this.training) return x;
    const [lo, hi] = this.range;
    return perImage(
      x,
      'RandomRotation',
      (h, w) => [h, w],
      (plane, c, h, w) => {
        const angle = ((lo + (hi - lo) * this.generator.uniform()) * Math.PI) / 180;
        rotate(plane, c, h, w, angle, this.interpolation, this.fill);
      },
    );
  }
}

/** Inverse mapping: each output pixel samples the source at the point rotated back by `angle`. */
function rotate(
  p: Plane,
  c: number,
  h: number,
  w: number,
  angle: number,
  mode: 'bilinear' | 'nearest',
  fill: number,
): void {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  const at = (s: number, y: number, x: number): number =>
    y >= 0 && y < h && x >= 0 && x < w ? p.src[s + y * w + x]! : fill;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // Image rows grow downwards, so a counter-clockwise turn reads the source at R(angle)^T.
      const sx = cx + cos * (x - cx) - sin * (y - cy);
      const sy = cy + sin * (x - cx) + cos * (y - cy);
      for (let ch = 0; ch < c; ch++) {
        const s = p.srcAt + ch * h * w;
        let v: number;
        if (mode === 'nearest') {
          v = at(s, Math.round(sy), Math.round(sx));
        } else {
          const y0 = Math.floor(sy);
          const x0 = Math.floor(sx);
          const fy = sy - y0;
          const fx = sx - x0;
          v =
            (1 - fy) * ((1 - fx) * at(s, y0, x0) + fx * at(s, y0, x0 + 1)) +
            fy * ((1 - fx) * at(s, y0 + 1, x0) + fx * at(s, y0 + 1, x0 + 1));
        }
        p.dst[p.dstAt + ch * h * w + y * w + x] = v;
      }
    }
  }
}

/** Options of `GaussianNoise`. */
export interface GaussianNoiseOptions extends AugmentOptions {
  /** Mean of the noise (default 0). */
  mean?: number;
  /** Clamp the result to [low, high] (e.g. [0, 1] for images). */
  clip?: [number, number];
}

/**
 * Adds independent normal noise N(mean, std^2) to every element (any shape). Identity in eval mode.
 *
 * @example
 * ```ts
 * const noise = new k.data.GaussianNoise(0.05, { clip: [0, 1], generator: new k.Generator(0) });
 * ```
 */
export class GaussianNoise extends ModalTransform {
  readonly mean: number;
  readonly clip: [number, number] | undefined;
  readonly generator: Generator;

  constructor(
    readonly std: number,
    options: GaussianNoiseOptions = {},
  ) {
    super();
    if (!(std >= 0) || !Number.isFinite(std)) {
      throw new ValueError(`GaussianNoise: std must be a finite non-negative number, got ${std}`);
    }
    this.mean = options.mean ?? 0;
    this.clip = options.clip;
    this.generator = options.generator ?? defaultGenerator;
  }

  apply(x: Tensor): Tensor {
    if (!this.training) return x;
    const dtype = isFloat(x.dtype) ? x.dtype : 'float32';
    const out = (x.dtype === dtype ? x : x.to(dtype)).detach().clone();
    const data = out.storage;
    const [lo, hi] = this.clip ?? [-Infinity, Infinity];
    for (let i = 0; i < data.length; i++) {
      const v = data[i]! + this.mean + this.std * this.generator.normal();
      data[i] = v < lo ? lo : v > hi ? hi : v;
    }
    return out;
  }
}
