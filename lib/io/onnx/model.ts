/**
 * Reading ONNX models (ModelProto) into plain typed objects, with our own protobuf decoder
 * (protobuf-reader.ts): the IR version, operator sets, producer, and the main graph (graph.ts)
 * with its nodes, attributes, inputs and outputs and validated initializers (tensor.ts), whose
 * data is converted only when asked for.
 *
 * Files are untrusted. The file size is checked (against maxBytes and protobuf's 2 GiB limit)
 * before it is read; every length is checked against its enclosing message; every tensor is
 * validated, and its bytes counted against maxBytes, before anything sized by it is allocated;
 * external data must stay inside the model's folder (external-data.ts). Every problem is a
 * FormatError naming the file and the place, e.g.
 *   `model.onnx: graph.initializer[3] 'onnx::MatMul_1234': raw_data has 100 bytes but FLOAT [80, 80] needs 25600`.
 * File-system errors reading the model itself (ENOENT, EACCES) are Node's own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArgumentError, FormatError } from '../../errors';
import { readExactly } from '../json-file';
import type { OnnxGraph } from './graph';
import { decodeGraph } from './graph';
import { ProtoReader } from './protobuf-reader';
import type { TensorContext } from './tensor';
import { ByteBudget } from './tensor';

/** The default limit on a model's file size and on its tensor data: 4 GiB. */
export const ONNX_DEFAULT_MAX_BYTES = 4 * 1024 ** 3;
/** Protobuf messages (and so ONNX files) are at most 2 GiB; larger models keep weights in external data. */
const PROTOBUF_MAX_BYTES = 2 ** 31 - 1;

/** An operator set the model imports. */
export interface OnnxOpsetImport {
  /** '' (or 'ai.onnx') for the default ONNX operators, e.g. 'com.microsoft'. */
  readonly domain: string;
  readonly version: number;
}

/** A decoded ONNX model. */
export interface OnnxModel {
  /** The file name errors refer to ('<buffer>' for parseOnnxModel unless given). */
  readonly file: string;
  readonly irVersion: number;
  readonly opsetImports: readonly OnnxOpsetImport[];
  readonly producerName: string;
  readonly graph: OnnxGraph;
}

export interface OnnxReadOptions {
  /**
   * The most bytes the model file may have, and the most bytes of tensor data (elements × element
   * size, over all tensors, external data included) it may declare. Default 4 GiB.
   */
  readonly maxBytes?: number;
}

export interface OnnxParseOptions extends OnnxReadOptions {
  /** The model's folder, where external data files are looked up; without it external data is an error. */
  readonly baseDir?: string;
}

const MODEL = { irVersion: 1, producerName: 2, graph: 7, opsetImport: 8 } as const;
const OPSET = { domain: 1, version: 2 } as const;

function checkMaxBytes(maxBytes: unknown): number {
  if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new ArgumentError('options.maxBytes', `expected a positive integer, received ${String(maxBytes)}`);
  }
  return maxBytes;
}

/** One OperatorSetIdProto. */
function decodeOpset(r: ProtoReader): OnnxOpsetImport {
  let domain = '';
  let version = 0;
  while (r.next()) {
    if (r.field === OPSET.domain) domain = r.string('domain');
    else if (r.field === OPSET.version) version = r.safeInteger('version', 0);
    else r.skip();
  }
  return { domain, version };
}

/** The ModelProto in `bytes`. */
function decodeModel(bytes: Uint8Array, file: string, ctx: TensorContext): OnnxModel {
  const r = ProtoReader.root(bytes, file);
  let irVersion: number | undefined;
  let producerName = '';
  let graph: OnnxGraph | undefined;
  const opsetImports: OnnxOpsetImport[] = [];
  while (r.next()) {
    switch (r.field) {
      case MODEL.irVersion: irVersion = r.safeInteger('ir_version', 0); break;
      case MODEL.producerName: producerName = r.string('producer_name'); break;
      case MODEL.opsetImport: opsetImports.push(decodeOpset(r.message(`opset_import[${opsetImports.length}]`))); break;
      case MODEL.graph:
        if (graph) throw r.error('has two graphs');
        graph = decodeGraph(r.message('graph'), ctx);
        break;
      default: r.skip();
    }
  }
  if (irVersion === undefined) throw r.error('has no ir_version (is it an ONNX model?)');
  if (!graph) throw r.error('has no graph (is it an ONNX model?)');
  return { file, irVersion, opsetImports, producerName, graph };
}

/**
 * Decodes an ONNX model already in memory (see the module comment). The result refers to
 * `bytes` (no copy) for tensor data; `file` names the model in error messages; external data is
 * looked up in `options.baseDir`.
 */
export function parseOnnxModel(bytes: Uint8Array, file = '<buffer>', options: OnnxParseOptions = {}): OnnxModel {
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError('bytes', 'expected a Uint8Array or Buffer');
  const maxBytes = checkMaxBytes(options.maxBytes ?? ONNX_DEFAULT_MAX_BYTES);
  if (bytes.length > maxBytes) throw new FormatError(file, `is ${bytes.length} bytes, over the maxBytes limit of ${maxBytes}`);
  return decodeModel(bytes, file, { baseDir: options.baseDir, budget: new ByteBudget(maxBytes) });
}

/**
 * Reads an ONNX model file: its size is checked (at most maxBytes and protobuf's 2 GiB) before
 * it is read, then it is decoded as by parseOnnxModel, with external data looked up in the
 * file's folder.
 */
export function readOnnxModel(file: string, options: OnnxReadOptions = {}): OnnxModel {
  const maxBytes = checkMaxBytes(options.maxBytes ?? ONNX_DEFAULT_MAX_BYTES);
  const fd = fs.openSync(file, 'r');
  let bytes: Uint8Array;
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new FormatError(file, 'not a regular file');
    if (stat.size > PROTOBUF_MAX_BYTES) {
      throw new FormatError(file, `is ${stat.size} bytes, over protobuf's 2 GiB limit (larger models keep their weights in external data)`);
    }
    if (stat.size > maxBytes) throw new FormatError(file, `is ${stat.size} bytes, over the maxBytes limit of ${maxBytes}`);
    bytes = new Uint8Array(stat.size);
    readExactly(fd, bytes, 0, file);
  } finally {
    fs.closeSync(fd);
  }
  return parseOnnxModel(bytes, file, { maxBytes, baseDir: path.dirname(file) });
}
