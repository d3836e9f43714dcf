/**
 * A minimal ONNX (protobuf) writer: enough of onnx.proto (ModelProto, GraphProto, NodeProto,
 * AttributeProto, TensorProto, ValueInfoProto) to build small graphs at run time without Python:
 * the benchmarks' random models and the engine's on-device scoring graph (device-scoring.ts).
 * Field numbers are onnx.proto's.
 */

export class Writer {
  private chunks: Uint8Array[] = [];
  private size = 0;

  private push(b: Uint8Array) {
    this.chunks.push(b);
    this.size += b.length;
  }

  /** Bytes already encoded (a copied field). */
  raw(b: Uint8Array) {
    this.push(b);
  }

  varint(v: number | bigint) {
    let x = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    while (x >= 0x80n) {
      out.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    out.push(Number(x));
    this.push(Uint8Array.from(out));
  }

  tag(field: number, wire: number) {
    this.varint((field << 3) | wire);
  }

  int(field: number, v: number | bigint) {
    this.tag(field, 0);
    this.varint(v);
  }

  float(field: number, v: number) {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
  }

  bytes(field: number, b: Uint8Array) {
    this.tag(field, 2);
    this.varint(b.length);
    this.push(b);
  }

  string(field: number, s: string) {
    this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, build: (w: Writer) => void) {
    const w = new Writer();
    build(w);
    this.bytes(field, w.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10 } as const;

export type Attr = number | number[] | string | { float: number } | { tensor: Initializer };

export interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, Attr>;
  /** Operator domain ('' = ai.onnx). */
  domain?: string;
  /** Node name (default: op and index). */
  name?: string;
}

export interface Initializer {
  name: string;
  dims: number[];
  type: number;
  /** Little-endian raw data. */
  raw: Uint8Array;
}

export interface ValueInfo {
  name: string;
  type: number;
  dims: (number | string)[];
}

function writeTensor(w: Writer, t: Initializer) {
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.type);
  w.string(8, t.name);
  w.bytes(9, t.raw);
}

function writeAttr(w: Writer, name: string, a: Attr) {
  w.string(1, name);
  if (typeof a === 'number') {
    w.int(3, a);
    w.int(20, 2); // INT
  } else if (typeof a === 'string') {
    w.bytes(4, new TextEncoder().encode(a));
    w.int(20, 3); // STRING
  } else if (Array.isArray(a)) {
    for (const x of a) w.int(8, x);
    w.int(20, 7); // INTS
  } else if ('float' in a) {
    w.float(2, a.float);
    w.int(20, 1); // FLOAT
  } else {
    w.message(5, (t) => writeTensor(t, a.tensor));
    w.int(20, 4); // TENSOR
  }
}

function writeValueInfo(w: Writer, v: ValueInfo) {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tt) => {
      tt.int(1, v.type);
      tt.message(2, (shape) => {
        for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

function writeNode(nw: Writer, n: Node, i: number) {
  for (const x of n.inputs) nw.string(1, x);
  for (const x of n.outputs) nw.string(2, x);
  nw.string(3, n.name ?? `${n.op}_${i}`);
  nw.string(4, n.op);
  for (const [k, a] of Object.entries(n.attrs ?? {})) nw.message(5, (aw) => writeAttr(aw, k, a));
  if (n.domain) nw.string(7, n.domain);
}

/** GraphProto fields: nodes (a Node, or a NodeProto already encoded), initializers, inputs, outputs. */
function writeGraphParts(g: Writer, graph: { nodes: (Node | Uint8Array)[]; initializers: Initializer[]; inputs: ValueInfo[]; outputs: ValueInfo[] }) {
  graph.nodes.forEach((n, i) => (n instanceof Uint8Array ? g.bytes(1, n) : g.message(1, (nw) => writeNode(nw, n, i))));
  for (const t of graph.initializers) g.message(5, (tw) => writeTensor(tw, t));
  for (const v of graph.inputs) g.message(11, (vw) => writeValueInfo(vw, v));
  for (const v of graph.outputs) g.message(12, (vw) => writeValueInfo(vw, v));
}

/**
 * A ModelProto holding only a `graph` field with these parts. Appended to a model's bytes it adds
 * them to that model's graph: protobuf parsers merge a message field that occurs twice, and
 * repeated fields (nodes, initializers, inputs, outputs) are concatenated. The original bytes,
 * weights included, are not touched.
 */
export function encodeGraphPatch(parts: { nodes: (Node | Uint8Array)[]; initializers: Initializer[]; inputs: ValueInfo[]; outputs: ValueInfo[] }): Uint8Array {
  const w = new Writer();
  w.message(7, (g) => writeGraphParts(g, parts));
  return w.finish();
}

export function encodeModel(graph: { name: string; nodes: Node[]; initializers: Initializer[]; inputs: ValueInfo[]; outputs: ValueInfo[] }, opset: number): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.string(2, 'emergence-lab-bench');
  w.message(7, (g) => {
    g.string(2, graph.name);
    writeGraphParts(g, graph);
  });
  w.message(8, (o) => {
    o.string(1, '');
    o.int(2, opset);
  });
  return w.finish();
}

export function floatTensor(name: string, dims: number[], data: Float32Array): Initializer {
  return { name, dims, type: DataType.FLOAT, raw: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export function int64Tensor(name: string, dims: number[], values: number[]): Initializer {
  const data = BigInt64Array.from(values, (v) => BigInt(v));
  return { name, dims, type: DataType.INT64, raw: new Uint8Array(data.buffer) };
}
