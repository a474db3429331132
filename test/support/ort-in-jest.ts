/**
 * Jest runs each test file in its own vm context, but onnxruntime-node's addon makes its output
 * arrays in the main context, so onnxruntime-common's `data instanceof Float32Array` (this
 * context's Float32Array) fails ("A float32 tensor's data must be type of ... Float32Array")
 * for every output (jestjs/jest#2549). Outside jest there is one context and no such problem.
 * Importing this module makes Float32Array accept one from any context, in the importing
 * test file's context only.
 */
Object.defineProperty(Float32Array, Symbol.hasInstance, {
  value: (value: unknown): boolean => Object.prototype.toString.call(value) === '[object Float32Array]',
});
