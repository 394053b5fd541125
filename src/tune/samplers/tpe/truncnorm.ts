// The standard normal in log space and the truncated normal TPE's kernels use. Everything works on
// standardized bounds (a, b) = ((low - mu) / sigma, (high - mu) / sigma), which reach about +-100
// in TPE (the smallest bandwidth is 1/100 of the range), so tails are computed as logarithms.

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * log(erfc(z)) for z >= 0, from the Chebyshev fit erfc(z) ~ t exp(-z^2 + P(t)), t = 1/(1 + z/2)
 * (Press et al., Numerical Recipes, 6.2), relative error below 1.2e-7 for all z. Kept as a
 * logarithm so that it never underflows.
 */
function logErfcPositive(z: number): number {
  const t = 1 / (1 + 0.5 * z);
  const p =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t *
                          (-1.13520398 +
                            t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return Math.log(t) - z * z + p;
}

/** log(Phi(x)), the log of the standard normal CDF, accurate in the far left tail. @internal */
export function logNdtr(x: number): number {
  if (x < 0) return Math.log(0.5) + logErfcPositive(-x / Math.SQRT2);
  return Math.log1p(-0.5 * Math.exp(logErfcPositive(x / Math.SQRT2)));
}

/** Phi(x). @internal */
export function ndtr(x: number): number {
  return Math.exp(logNdtr(x));
}

/** log of the standard normal density. @internal */
export function logPhi(x: number): number {
  return -0.5 * x * x - LOG_SQRT_2PI;
}

/** x with log(Phi(x)) = y, for y <= log(1/2): Newton's method, which converges from the left on this concave function. @internal */
export function ndtriExp(y: number): number {
  if (y === -Infinity) return -Infinity;
  let x = -Math.sqrt(Math.max(0, -2 * y - 2 * LOG_SQRT_2PI));
  for (let i = 0; i < 100; i++) {
    const f = logNdtr(x);
    const step = (f - y) / Math.exp(logPhi(x) - f);
    x -= step;
    if (Math.abs(step) <= 1e-12 * Math.max(1, Math.abs(x))) break;
  }
  return x;
}

function logDiff(hi: number, lo: number): number {
  // log(exp(hi) - exp(lo)) for hi >= lo.
  if (lo === -Infinity) return hi;
  return hi + Math.log(-Math.expm1(lo - hi));
}

/** log(Phi(b) - Phi(a)): the log of the standard normal mass on [a, b]. @internal */
export function logGaussMass(a: number, b: number): number {
  const h = b - a;
  if (h < 1e-2) {
    // Narrow intervals: the midpoint rule with its curvature correction, exact to O(h^5), where a
    // difference of CDFs would cancel.
    const m = 0.5 * (a + b);
    return Math.log(h) + logPhi(m) + Math.log1p((h * h * (m * m - 1)) / 24);
  }
  if (b <= 0) return logDiff(logNdtr(b), logNdtr(a));
  if (a >= 0) return logGaussMass(-b, -a);
  return Math.log1p(-ndtr(a) - ndtr(-b));
}

/** The inverse CDF of the standard normal truncated to [a, b] at quantile q in [0, 1). @internal */
export function truncnormPpf(q: number, a: number, b: number): number {
  if (a >= 0) return -truncnormPpf(1 - q, -b, -a);
  let x: number;
  if (b <= 0) {
    const la = logNdtr(a);
    const mass = logGaussMass(a, b);
    const target = q > 0 ? logAddExp(la, Math.log(q) + mass) : la;
    x = ndtriExp(target);
  } else {
    // a < 0 < b: the mass is at least that of a neighbourhood of 0, so linear space is exact enough.
    const pa = ndtr(a);
    const mass = 1 - pa - ndtr(-b);
    const p = pa + q * mass;
    x = p <= 0.5 ? ndtriExp(Math.log(p)) : -ndtriExp(Math.log(ndtr(-a) - q * mass));
  }
  return Math.min(b, Math.max(a, x));
}

function logAddExp(x: number, y: number): number {
  const m = Math.max(x, y);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(Math.exp(x - m) + Math.exp(y - m));
}
