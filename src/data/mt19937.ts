/**
 * Mersenne Twister MT19937 seeded as `std::mt19937(seed)` (init_genrand), and PyTorch's CPU
 * `randperm` drawn from it. DistributedSampler uses them so that a seed shards a dataset
 * exactly as `torch.utils.data.DistributedSampler` does; kiln's own generator is xoshiro128**.
 */
export class MT19937 {
  private readonly mt = new Uint32Array(624);
  private index = 624;

  constructor(seed: number) {
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = this.mt[i - 1]! ^ (this.mt[i - 1]! >>> 30);
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  /** The next 32-bit output, as an unsigned integer. */
  nextUint32(): number {
    if (this.index >= 624) this.twist();
    let y = this.mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < 624; i++) {
      const y = (mt[i]! & 0x80000000) | (mt[(i + 1) % 624]! & 0x7fffffff);
      let v = mt[(i + 397) % 624]! ^ (y >>> 1);
      if (y & 1) v ^= 0x9908b0df;
      mt[i] = v >>> 0;
    }
    this.index = 0;
  }
}

/** `torch.randperm(n, generator=torch.Generator().manual_seed(seed))` on the CPU (PyTorch 1.13-2.x). */
export function torchRandperm(n: number, seed: number): Int32Array {
  const gen = new MT19937(seed);
  const r = new Int32Array(n);
  for (let i = 0; i < n; i++) r[i] = i;
  for (let i = 0; i < n - 1; i++) {
    const z = gen.nextUint32() % (n - i);
    const t = r[i]!;
    r[i] = r[z + i]!;
    r[z + i] = t;
  }
  return r;
}
