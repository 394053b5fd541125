/**
 * `k.optim`: optimizers and learning-rate schedulers, as `torch.optim`.
 *
 * @example
 * ```ts
 * const opt = new k.optim.Adam(model.parameters(), { lr: 1e-3 });
 * ```
 */
export {};
