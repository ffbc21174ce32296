import type { HostTensor } from '../core/host-tensor';
import type { AttrValue, Graph, ValueInfo } from '../engines/onnx/graph';
import { dimToString, isStatic } from '../engines/onnx/sym-dim';
import { onnxDataType } from '../engines/onnx/sym-tensor';

// onnx-proto ships protobufjs static code generated from onnx.proto (ModelProto and friends)
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { onnx } = require('onnx-proto') as typeof import('onnx-proto');
type OnnxNS = typeof onnx;

export interface OnnxModelInfo {
  opset: number;
  graphName?: string;
  producerVersion?: string;
  docString?: string;
  /** Written to ModelProto.metadata_props (string keys and values). */
  metadata?: Record<string, string>;
}

/** ONNX IR version that goes with an opset (ONNX 1.13: IR 8 for opsets <= 18, then 9 and 10). */
export function irVersionFor(opset: number): number {
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

/** Serialise a traced graph as an ONNX ModelProto. */
export function encodeOnnx(graph: Graph, info: OnnxModelInfo): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: irVersionFor(info.opset),
    opsetImport: [{ domain: '', version: info.opset }],
    producerName: 'hrdet',
    producerVersion: info.producerVersion ?? '',
    docString: info.docString ?? '',
    graph: {
      name: info.graphName ?? 'hrdet',
      node: graph.nodes.map((n) => ({
        name: n.name,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs).map(([name, a]) => encodeAttr(onnx, name, a)),
      })),
      initializer: [...graph.initializers].map(([name, t]) => encodeTensor(name, t)),
      input: graph.inputs.map(encodeValueInfo),
      output: graph.outputs.map(encodeValueInfo),
    },
    metadataProps: Object.entries(info.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}

function encodeAttr(ns: OnnxNS, name: string, a: AttrValue) {
  const T = ns.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'string':
      return { name, type: T.STRING, s: Buffer.from(a.value, 'utf8') };
    case 'ints':
      return { name, type: T.INTS, ints: [...a.value] };
    case 'floats':
      return { name, type: T.FLOATS, floats: [...a.value] };
  }
}

/** Little-endian raw bytes of a tensor (the machines ONNX targets are little-endian, as is Node here). */
function rawBytes(t: HostTensor): Uint8Array {
  const d = t.data;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

function encodeTensor(name: string, t: HostTensor) {
  const type = t.dtype === 'int64' ? 'int64' : t.dtype === 'int32' ? 'int32' : t.dtype === 'bool' ? 'bool' : t.dtype === 'uint8' ? 'uint8' : 'float32';
  return { name, dims: [...t.shape], dataType: onnxDataType(type), rawData: rawBytes(t) };
}

function encodeValueInfo(v: ValueInfo) {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: onnxDataType(v.type),
        shape: { dim: v.dims.map((d) => (isStatic(d) ? { dimValue: d } : { dimParam: dimToString(d) })) },
      },
    },
  };
}

// --- reading back (tests, serving configs, runtime metadata) ---------------------------------

export interface OnnxValueSummary {
  name: string;
  /** ONNX TensorProto.DataType code. */
  elemType: number;
  /** A number for a fixed dim, the dim_param text for a symbolic one. */
  dims: (number | string)[];
}

export interface OnnxSummary {
  irVersion: number;
  opset: number;
  producer: string;
  inputs: OnnxValueSummary[];
  outputs: OnnxValueSummary[];
  metadata: Record<string, string>;
  /** Node count per op type (`domain:Op` outside the default domain), in first-appearance order. */
  ops: Map<string, number>;
  initializers: string[];
}

/** Decode the parts of an ONNX model a deployment needs, without the weights' values. */
export function readOnnxSummary(bytes: Uint8Array): OnnxSummary {
  const m = onnx.ModelProto.decode(bytes);
  const g = m.graph;
  const ops = new Map<string, number>();
  for (const n of g?.node ?? []) {
    const op = n.domain ? `${n.domain}:${n.opType}` : (n.opType ?? '');
    ops.set(op, (ops.get(op) ?? 0) + 1);
  }
  const valueSummary = (v: import('onnx-proto').onnx.IValueInfoProto): OnnxValueSummary => ({
    name: v.name ?? '',
    elemType: v.type?.tensorType?.elemType ?? 0,
    dims: (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue ?? 0))),
  });
  const metadata: Record<string, string> = {};
  for (const p of m.metadataProps ?? []) metadata[p.key ?? ''] = p.value ?? '';
  return {
    irVersion: Number(m.irVersion),
    opset: Number(m.opsetImport?.find((o) => !o.domain)?.version ?? 0),
    producer: `${m.producerName} ${m.producerVersion}`.trim(),
    inputs: (g?.input ?? []).map(valueSummary),
    outputs: (g?.output ?? []).map(valueSummary),
    metadata,
    ops,
    initializers: (g?.initializer ?? []).map((t) => t.name ?? ''),
  };
}
