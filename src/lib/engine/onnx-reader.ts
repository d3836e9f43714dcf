/**
 * A minimal ONNX (protobuf) reader: the graph's structure without its weights. It walks
 * ModelProto -> GraphProto and keeps nodes (op, inputs, outputs, domain), graph inputs, outputs and
 * initializer names, and the default-domain opset; initializer payloads are skipped by length, so
 * reading a model of any size costs a pass over its bytes and no copies. Field numbers are
 * onnx.proto's (the writer beside it, onnx-writer.ts, uses the same).
 */

export interface GraphNode {
  op: string;
  name: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  /** The NodeProto's own bytes (a view into the model), for copying it with attributes intact. */
  raw: Uint8Array;
  /** Where its field sits in the model's bytes: from its key to the end of its body. */
  span: { start: number; end: number };
}

/** Byte offsets in the model of a length-delimited field: its key, its body's start and end. */
export interface FieldSpan {
  keyStart: number;
  bodyStart: number;
  end: number;
}

export interface GraphSummary {
  irVersion: number;
  /** Version of the default ('' / 'ai.onnx') operator set. */
  opset: number;
  nodes: GraphNode[];
  inputs: string[];
  outputs: string[];
  /** Element type (TensorProto.DataType) of each graph output that declares one. */
  outputTypes: Map<string, number>;
  initializers: Set<string>;
  /** Whether any initializer keeps its data in an external file (model.onnx_data). */
  externalData: boolean;
  /** Where ModelProto.graph sits in the bytes (null when the graph is split over several fields). */
  graphSpan: FieldSpan | null;
}

export class OnnxParseError extends Error {}

class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new OnnxParseError('truncated varint');
      const b = this.buf[this.pos++];
      // Numbers past 2^53 only occur in fields this reader skips (int64 values); keep them approximate.
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
      if (shift > 63) throw new OnnxParseError('varint too long');
    }
  }

  /** Calls `visit(field, wire, sub, keyStart)` per field; `sub` reads a length-delimited field's body. */
  fields(visit: (field: number, wire: number, sub: () => Reader, keyStart: number) => void): void {
    while (this.pos < this.end) {
      const keyStart = this.pos;
      const key = this.varint();
      const field = Math.floor(key / 8);
      const wire = key & 7;
      let sub: Reader | null = null;
      if (wire === 2) {
        const len = this.varint();
        if (this.pos + len > this.end) throw new OnnxParseError(`field ${field} runs past its message`);
        sub = new Reader(this.buf, this.pos, this.pos + len);
        this.pos += len;
      } else if (wire === 0) this.varintValue = this.varint();
      else if (wire === 5) this.pos += 4;
      else if (wire === 1) this.pos += 8;
      else throw new OnnxParseError(`unsupported wire type ${wire}`);
      if (this.pos > this.end) throw new OnnxParseError('truncated field');
      visit(
        field,
        wire,
        () => {
          if (!sub) throw new OnnxParseError(`field ${field} is not length-delimited`);
          return sub;
        },
        keyStart,
      );
    }
  }

  /** The last varint field's value (valid inside `fields`' callback for wire type 0). */
  varintValue = 0;

  string(): string {
    return new TextDecoder().decode(this.buf.subarray(this.pos, this.end));
  }
}

function readNode(r: Reader, keyStart: number): GraphNode {
  const node: GraphNode = { op: '', name: '', domain: '', inputs: [], outputs: [], raw: r.buf.subarray(r.pos, r.end), span: { start: keyStart, end: r.end } };
  r.fields((field, _wire, sub) => {
    if (field === 1) node.inputs.push(sub().string());
    else if (field === 2) node.outputs.push(sub().string());
    else if (field === 3) node.name = sub().string();
    else if (field === 4) node.op = sub().string();
    else if (field === 7) node.domain = sub().string();
  });
  return node;
}

function readName(r: Reader): string {
  let name = '';
  r.fields((field, _wire, sub) => {
    if (field === 1) name = sub().string();
  });
  return name;
}

/** ValueInfoProto: name (1) and, for a tensor type (2 -> 1), its elem_type (1). */
function readValueInfo(r: Reader): { name: string; elemType: number | null } {
  let name = '';
  let elemType: number | null = null;
  r.fields((field, _wire, sub) => {
    if (field === 1) name = sub().string();
    else if (field === 2) {
      const type = sub();
      type.fields((f, _w, s) => {
        if (f !== 1) return;
        const tensor = s();
        tensor.fields((tf, tw) => {
          if (tf === 1 && tw === 0) elemType = tensor.varintValue;
        });
      });
    }
  });
  return { name, elemType };
}

/** TensorProto: its name (8) and whether data_location (14) is EXTERNAL (1). */
function readInitializer(r: Reader): { name: string; external: boolean } {
  let name = '';
  let external = false;
  r.fields((field, wire, sub) => {
    if (field === 8) name = sub().string();
    else if (field === 14 && wire === 0) external = r.varintValue === 1;
  });
  return { name, external };
}

export function readGraphSummary(bytes: Uint8Array): GraphSummary {
  const summary: GraphSummary = { irVersion: 0, opset: 0, nodes: [], inputs: [], outputs: [], outputTypes: new Map(), initializers: new Set(), externalData: false, graphSpan: null };
  let graphFields = 0;
  const model = new Reader(bytes);
  model.fields((field, wire, sub, keyStart) => {
    if (field === 1 && wire === 0) summary.irVersion = model.varintValue;
    else if (field === 8) {
      const r = sub();
      let domain = '';
      let version = 0;
      r.fields((f, w, s) => {
        if (f === 1) domain = s().string();
        else if (f === 2 && w === 0) version = r.varintValue;
      });
      if (domain === '' || domain === 'ai.onnx') summary.opset = Math.max(summary.opset, version);
    } else if (field === 7) {
      graphFields++;
      const g = sub();
      summary.graphSpan = { keyStart, bodyStart: g.pos, end: g.end };
      g.fields((f, _w, s, nodeStart) => {
        if (f === 1) summary.nodes.push(readNode(s(), nodeStart));
        else if (f === 5) {
          const init = readInitializer(s());
          summary.initializers.add(init.name);
          summary.externalData ||= init.external;
        } else if (f === 11) summary.inputs.push(readName(s()));
        else if (f === 12) {
          const out = readValueInfo(s());
          summary.outputs.push(out.name);
          if (out.elemType !== null) summary.outputTypes.set(out.name, out.elemType);
        }
      });
    }
  });
  if (graphFields === 0) throw new OnnxParseError('no graph in the model');
  if (graphFields > 1) summary.graphSpan = null;
  return summary;
}

/** One field of a message: its number, wire type and the bytes it spans (key included). */
export interface RawField {
  field: number;
  wire: number;
  bytes: Uint8Array;
  /** Body of a length-delimited field. */
  body: Uint8Array | null;
}

/** The fields of one message in order, as byte ranges (to copy a message with a few fields changed). */
export function rawFields(message: Uint8Array): RawField[] {
  const out: RawField[] = [];
  const r = new Reader(message);
  while (r.pos < r.end) {
    const start = r.pos;
    const key = r.varint();
    const wire = key & 7;
    let body: Uint8Array | null = null;
    if (wire === 2) {
      const len = r.varint();
      body = message.subarray(r.pos, r.pos + len);
      r.pos += len;
    } else if (wire === 0) r.varint();
    else if (wire === 5) r.pos += 4;
    else if (wire === 1) r.pos += 8;
    else throw new OnnxParseError(`unsupported wire type ${wire}`);
    if (r.pos > r.end) throw new OnnxParseError('truncated field');
    out.push({ field: Math.floor(key / 8), wire, bytes: message.subarray(start, r.pos), body });
  }
  return out;
}
