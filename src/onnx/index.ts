/**
 * ONNX export: `k.onnx.export(model, exampleInputs, path, options)`.
 *
 * @example
 * ```ts
 * await k.onnx.export(model, [k.randn([1, 4])], 'model.onnx', { dynamicAxes: { input: [0] } });
 * ```
 */
export type { DynamicAxesSpec, ExportOptions, OnnxBytes } from './export.js';
export { exportModel as export, toBytes } from './export.js';
