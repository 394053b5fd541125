/**
 * `k.nn`: modules, layers, initializers and utilities, as `torch.nn`.
 *
 * @example
 * ```ts
 * const model = new k.nn.Sequential(new k.nn.Linear(4, 8), new k.nn.ReLU(), new k.nn.Linear(8, 3));
 * ```
 */
export {};
