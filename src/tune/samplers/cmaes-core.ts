import type { Generator } from '../../tensor/random.js';

/**
 * The (mu/mu_w, lambda) CMA-ES of Hansen's tutorial ("The CMA Evolution Strategy: A Tutorial",
 * 2016) on the unit box: weighted recombination, cumulative step-size adaptation, rank-one and
 * rank-mu covariance updates, with the tutorial's default constants. Candidates outside the box are
 * redrawn (up to 100 times, then clipped).
 * @internal
 */
export class CmaState {
  readonly n: number;
  readonly popsize: number;
  readonly mu: number;
  private readonly weights: number[];
  private readonly muEff: number;
  private readonly cSigma: number;
  private readonly dSigma: number;
  private readonly cc: number;
  private readonly c1: number;
  private readonly cMu: number;
  private readonly chiN: number;
  mean: number[];
  sigma: number;
  private C: number[][];
  private B: number[][];
  private D: number[];
  private pSigma: number[];
  private pc: number[];
  /** Generations told so far. */
  generation = 0;
  /** max - min of the last told generation's values. */
  private lastSpread = Infinity;

  constructor(n: number, popsize: number, mean: number[], sigma: number) {
    this.n = n;
    this.popsize = popsize;
    this.mu = Math.floor(popsize / 2);
    const raw = Array.from(
      { length: this.mu },
      (_, i) => Math.log((popsize + 1) / 2) - Math.log(i + 1),
    );
    const sum = raw.reduce((s, v) => s + v, 0);
    this.weights = raw.map((w) => w / sum);
    this.muEff = 1 / this.weights.reduce((s, w) => s + w * w, 0);
    const me = this.muEff;
    this.cSigma = (me + 2) / (n + me + 5);
    this.dSigma = 1 + 2 * Math.max(0, Math.sqrt((me - 1) / (n + 1)) - 1) + this.cSigma;
    this.cc = (4 + me / n) / (n + 4 + (2 * me) / n);
    this.c1 = 2 / ((n + 1.3) ** 2 + me);
    this.cMu = Math.min(1 - this.c1, (2 * (me - 2 + 1 / me)) / ((n + 2) ** 2 + me));
    this.chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
    this.mean = mean.slice();
    this.sigma = sigma;
    this.C = identity(n);
    this.B = identity(n);
    this.D = new Array(n).fill(1);
    this.pSigma = new Array(n).fill(0);
    this.pc = new Array(n).fill(0);
  }

  /** One candidate in [0, 1]^n. */
  ask(rng: Generator): number[] {
    for (let attempt = 0; attempt < 100; attempt++) {
      const x = this.draw(rng);
      if (x.every((v) => v >= 0 && v <= 1)) return x;
    }
    return this.draw(rng).map((v) => Math.min(1, Math.max(0, v)));
  }

  private draw(rng: Generator): number[] {
    const z = Array.from({ length: this.n }, () => rng.normal());
    const x = this.mean.slice();
    for (let i = 0; i < this.n; i++) {
      let y = 0;
      for (let j = 0; j < this.n; j++)
        y += (this.B[i]![j] as number) * (this.D[j] as number) * (z[j] as number);
      x[i]! += this.sigma * y;
    }
    return x;
  }

  /** Updates the distribution from a generation: `popsize` candidates and their values (lower is better). */
  tell(solutions: readonly { x: number[]; value: number }[]): void {
    const n = this.n;
    const ranked = [...solutions].sort((a, b) => a.value - b.value);
    this.lastSpread = (ranked[ranked.length - 1]?.value ?? 0) - (ranked[0]?.value ?? 0);
    const sorted = ranked.slice(0, this.mu);
    const ys = sorted.map((s) => s.x.map((v, i) => (v - (this.mean[i] as number)) / this.sigma));
    const yw = new Array(n).fill(0);
    ys.forEach((y, k) => {
      for (let i = 0; i < n; i++) yw[i] += (this.weights[k] as number) * (y[i] as number);
    });
    for (let i = 0; i < n; i++) this.mean[i]! += this.sigma * yw[i];
    // C^(-1/2) y_w = B D^-1 B^T y_w
    const bty = new Array(n).fill(0);
    for (let j = 0; j < n; j++)
      for (let i = 0; i < n; i++) bty[j] += (this.B[i]![j] as number) * yw[i];
    const cInvHalf = new Array(n).fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++)
        cInvHalf[i] += ((this.B[i]![j] as number) * bty[j]) / (this.D[j] as number);
    }
    const cs = this.cSigma;
    const ps = Math.sqrt(cs * (2 - cs) * this.muEff);
    for (let i = 0; i < n; i++)
      this.pSigma[i] = (1 - cs) * (this.pSigma[i] as number) + ps * cInvHalf[i];
    const psNorm = Math.hypot(...this.pSigma);
    this.generation++;
    const hSigma =
      psNorm / Math.sqrt(1 - (1 - cs) ** (2 * this.generation)) < (1.4 + 2 / (n + 1)) * this.chiN
        ? 1
        : 0;
    const pcf = Math.sqrt(this.cc * (2 - this.cc) * this.muEff);
    for (let i = 0; i < n; i++)
      this.pc[i] = (1 - this.cc) * (this.pc[i] as number) + hSigma * pcf * yw[i];
    const decay = 1 - this.c1 - this.cMu + (1 - hSigma) * this.c1 * this.cc * (2 - this.cc);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let rankMu = 0;
        ys.forEach((y, k) => {
          rankMu += (this.weights[k] as number) * (y[i] as number) * (y[j] as number);
        });
        this.C[i]![j] =
          decay * (this.C[i]![j] as number) +
          this.c1 * (this.pc[i] as number) * (this.pc[j] as number) +
          this.cMu * rankMu;
      }
    }
    this.sigma *= Math.exp((cs / this.dSigma) * (psNorm / this.chiN - 1));
    const { vectors, values } = jacobiEigen(this.C);
    this.B = vectors;
    this.D = values.map((v) => Math.sqrt(Math.max(v, 1e-30)));
  }

  /**
   * Whether the search has collapsed: a generation's values within 1e-12 of each other (tolFun),
   * steps below 1e-12 of the box (tolX), or a covariance condition number above 1e14.
   */
  converged(): boolean {
    const maxD = Math.max(...this.D);
    const minD = Math.min(...this.D);
    return this.lastSpread < 1e-12 || this.sigma * maxD < 1e-12 || (maxD / minD) ** 2 > 1e14;
  }
}

function identity(n: number): number[][] {
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)),
  );
}

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations; columns of `vectors` are eigenvectors. @internal */
export function jacobiEigen(m: number[][]): { vectors: number[][]; values: number[] } {
  const n = m.length;
  const a = m.map((r) => r.slice());
  const v = identity(n);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += (a[p]![q] as number) ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p]![q] as number;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = ((a[q]![q] as number) - (a[p]![p] as number)) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k]![p] as number;
          const akq = a[k]![q] as number;
          a[k]![p] = c * akp - s * akq;
          a[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p]![k] as number;
          const aqk = a[q]![k] as number;
          a[p]![k] = c * apk - s * aqk;
          a[q]![k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k]![p] as number;
          const vkq = v[k]![q] as number;
          v[k]![p] = c * vkp - s * vkq;
          v[k]![q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { vectors: v, values: a.map((r, i) => r[i] as number) };
}
