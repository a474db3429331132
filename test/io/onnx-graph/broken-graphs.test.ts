/**
 * Graphs that do not match: copies of the fixture exports edited in memory (a node removed, a
 * constant changed, an initializer dropped, an attribute changed) must fail with a FormatError
 * that names the file, the node where the pattern broke and what was expected there; and
 * loadModel on an ONNX file that is no vision transformer rejects the same way.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { FormatError } from '../../../lib/errors';
import { readOnnxModel } from '../../../lib/io/onnx';
import type { OnnxModel } from '../../../lib/io/onnx';
import { buildOnnxModel, attr as builderAttr } from '../../../lib/io/onnx-builder';
import { mapOnnxModel } from '../../../lib/io/onnx/map-model';
import { loadModel } from '../../../lib/models/load';
import { attr, floatTensor, intTensor, withAttributes, withConstant, withoutInitializer, withoutNode } from './graph-edit';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures');
const fixture = (name: string): OnnxModel => readOnnxModel(path.join(FIXTURES, name, 'model.onnx'));
const VIT_ODD = fixture('vit-odd');
const LAYER0 = '/vit/encoder/layer.0';
const ATTENTION0 = `${LAYER0}/attention/attention`;

/** The FormatError mapping `m` throws. */
function mappingError(m: OnnxModel): FormatError {
  try {
    mapOnnxModel(m);
  } catch (error) {
    if (error instanceof FormatError) return error;
    throw error;
  }
  throw new Error('expected the mapping to fail');
}

test.each([
  [
    'the Softmax removed',
    () => withoutNode(VIT_ODD, `${ATTENTION0}/Softmax`),
    `expected Mul or Div or Softmax after node '${ATTENTION0}/Mul' (Mul), found nothing`,
  ],
  [
    "the query's head-split Reshape constant changed to 4 heads",
    () => withConstant(VIT_ODD, `${ATTENTION0}/Constant_10`, intTensor([4])),
    `node '${ATTENTION0}/Reshape_2' (Reshape): cannot reshape [2, 65, 80] to [2, 65, 4, 16]`,
  ],
  [
    "the query's head split changed to 16 heads of 5, the key's and value's not",
    () => withConstant(withConstant(VIT_ODD, `${ATTENTION0}/Constant_10`, intTensor([16])), `${ATTENTION0}/Constant_11`, intTensor([5])),
    `node '${ATTENTION0}/MatMul' (MatMul): cannot multiply [2, 16, 65, 5] by [2, 5, 16, 65]`,
  ],
  [
    'the context merged without moving the heads back, reshaped to [B, N, hidden] (shapes valid, tokens mixed)',
    () => withConstant(withAttributes(VIT_ODD, `${ATTENTION0}/Transpose_3`, { perm: attr.ints([0, 1, 2, 3]) }), `${ATTENTION0}/Concat_3`, intTensor([0, -1, 80])),
    `the attention after node '${LAYER0}/layernorm_before/Add_1' (Add): one attention batch entry is spread over several heads`,
  ],
  [
    'the key bias initializer dropped',
    () => withoutInitializer(VIT_ODD, 'vit.encoder.layer.0.attention.attention.key.bias'),
    `expected Reshape, Transpose, Split, scaling or the attention MatMul after node '${ATTENTION0}/key/MatMul' (MatMul), found Add`,
  ],
  [
    'the key weight initializer dropped',
    () => withoutInitializer(VIT_ODD, 'onnx::MatMul_336'),
    `expected 3 linear projections [80 -> 80] or one fused [80 -> 240] (query, key, value) after node '${LAYER0}/layernorm_before/Add_1' (Add), found MatMul, MatMul and MatMul`,
  ],
  [
    'the patch embedding weight dropped',
    () => withoutInitializer(VIT_ODD, 'vit.embeddings.patch_embeddings.projection.weight'),
    "node '/vit/embeddings/patch_embeddings/projection/Conv' (Conv): expected a constant 2-D convolution weight [hidden, channels, ph, pw]",
  ],
  [
    "layer 1's Erf removed",
    () => withoutNode(VIT_ODD, '/vit/encoder/layer.1/intermediate/Erf'),
    "node '/vit/encoder/layer.1/intermediate/Mul' (Mul): expected the activation's input or a scalar constant, found '/vit/encoder/layer.1/intermediate/Add_output_0'",
  ],
  [
    'a softmax over the wrong axis',
    () => withAttributes(VIT_ODD, `${ATTENTION0}/Softmax`, { axis: attr.int(1) }),
    `node '${ATTENTION0}/Softmax' (Softmax): expected a softmax over the last axis (the keys), found axis 1`,
  ],
  [
    'a different LayerNorm eps in one layer',
    () => withConstant(VIT_ODD, '/vit/encoder/layer.1/layernorm_before/Constant_1', floatTensor([1e-6], [])),
    'the layers have different LayerNorm epsilons',
  ],
  [
    'a patch Conv whose stride is not its kernel',
    () => withAttributes(VIT_ODD, '/vit/embeddings/patch_embeddings/projection/Conv', { strides: attr.ints([2, 2]) }),
    "node '/vit/embeddings/patch_embeddings/projection/Conv' (Conv): expected strides [4, 4] for a patch embedding, found [2, 2]",
  ],
  [
    'vit-interp: the position embeddings resized bilinearly',
    () => withAttributes(fixture('vit-interp'), '/vit/embeddings/Resize', { mode: attr.string('linear') }),
    "node '/vit/embeddings/Resize' (Resize): expected the position embeddings resized like PyTorch's bicubic interpolation",
  ],
  [
    'timesformer-divided: the time embeddings dropped',
    () => withoutInitializer(fixture('timesformer-divided'), 'timesformer.embeddings.time_embeddings'),
    "node '/timesformer/embeddings/Add_1' (Add): input 'timesformer.embeddings.time_embeddings' is neither an initializer nor the output of a node",
  ],
  [
    "timesformer-divided: layer 0's temporal_dense removed",
    () => withoutNode(fixture('timesformer-divided'), '/timesformer/encoder/layer.0/temporal_dense/MatMul'),
    "node '/timesformer/encoder/layer.0/temporal_dense/Add' (Add): input '/timesformer/encoder/layer.0/temporal_dense/MatMul_output_0' is neither an initializer nor the output of a node",
  ],
])('%s', (_, edit, message) => {
  const error = mappingError(edit());
  expect(error.file).toMatch(/model\.onnx$/);
  expect(error.message).toContain(message);
});

test('loadModel on an ONNX file that is not a vision transformer rejects with the node that broke the pattern', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-onnx-'));
  try {
    const file = path.join(dir, 'conv-relu.onnx');
    const bytes = buildOnnxModel({
      graph: {
        name: 'conv-relu',
        inputs: [{ name: 'pixel_values', dims: ['batch', 3, 8, 8] }],
        outputs: [{ name: 'y', dims: ['batch', 4, 2, 2] }],
        initializers: [{ name: 'w', dims: [4, 3, 4, 4], data: new Float32Array(192) }],
        nodes: [
          { opType: 'Conv', name: 'conv', inputs: ['pixel_values', 'w'], outputs: ['c'], attributes: { strides: builderAttr.ints([4, 4]), kernel_shape: builderAttr.ints([4, 4]) } },
          { opType: 'Relu', name: 'relu', inputs: ['c'], outputs: ['y'] },
        ],
      },
    });
    fs.writeFileSync(file, bytes);
    await expect(loadModel(file)).rejects.toThrow(`${file}: expected Concat after node 'conv' (Conv), found Relu`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
