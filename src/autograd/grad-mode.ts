let gradEnabled = true;

/**
 * Whether operations currently record the autograd graph.
 *
 * @example
 * ```ts
 * k.noGrad(() => k.isGradEnabled()); // false
 * ```
 */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Sets grad mode and returns the previous value (prefer `noGrad`/`enableGrad`). */
export function setGradEnabled(enabled: boolean): boolean {
  const previous = gradEnabled;
  gradEnabled = enabled;
  return previous;
}

/**
 * Runs `fn` without recording the autograd graph and returns its value, as `torch.no_grad()`.
 * Results computed inside do not require grad, and in-place updates of parameters are allowed.
 * The mode covers the synchronous part of `fn`; await inside it at your own risk.
 *
 * @example
 * ```ts
 * const y = k.noGrad(() => model.forward(x)); // inference, no graph kept
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  const previous = setGradEnabled(false);
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/**
 * Runs `fn` with graph recording on, even inside `noGrad`, as `torch.enable_grad()`.
 *
 * @example
 * ```ts
 * k.noGrad(() => k.enableGrad(() => x.mul(2))); // recorded
 * ```
 */
export function enableGrad<T>(fn: () => T): T {
  const previous = setGradEnabled(true);
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}
