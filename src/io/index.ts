/**
 * `k.io`: safetensors files and training checkpoints.
 *
 * @example
 * ```ts
 * await k.io.save('weights.safetensors', model.stateDict());
 * ```
 */
export {};
