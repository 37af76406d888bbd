// A small Protocol Buffers wire-format reader and writer: enough for ONNX files. Messages are
// read lazily as lists of fields; length-delimited payloads are views into the file (no copies),
// every length is checked against the bytes left, and varints longer than 10 bytes are refused,
// so a hostile file can neither read out of bounds nor make us allocate more than its own size.
export class ProtobufError extends Error {
  override name = 'ProtobufError';
}

export const enum Wire {
  Varint = 0,
  Fixed64 = 1,
  Bytes = 2,
  Fixed32 = 5,
}

export interface Field {
  field: number;
  wire: Wire;
  /** Varint and fixed values as bigint (int64 fields may not fit a double). */
  value: bigint;
  /** The payload of a length-delimited field (a view into the input). */
  bytes: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** The varint at buf[pos]: its value (64 bits) and the position after it. */
function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  for (let shift = 0n; shift < 70n; shift += 7n) {
    if (pos >= buf.length) throw new ProtobufError('truncated varint');
    const b = buf[pos++];
    result |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return [result & 0xffffffffffffffffn, pos];
  }
  throw new ProtobufError('varint longer than 10 bytes');
}

/** All fields of one message, in file order. */
export function readFields(buf: Uint8Array): Field[] {
  const fields: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    const [value, next] = readVarint(buf, pos);
    pos = next;
    return value;
  };
  while (pos < buf.length) {
    const key = varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n) as Wire;
    if (field < 1 || field > 536870911) throw new ProtobufError(`bad field number ${field}`);
    switch (wire) {
      case Wire.Varint:
        fields.push({ field, wire, value: varint(), bytes: EMPTY });
        break;
      case Wire.Fixed64:
      case Wire.Fixed32: {
        const n = wire === Wire.Fixed64 ? 8 : 4;
        if (pos + n > buf.length) throw new ProtobufError(`truncated fixed${n * 8} field ${field}`);
        const view = new DataView(buf.buffer, buf.byteOffset + pos, n);
        fields.push({ field, wire, value: n === 8 ? view.getBigUint64(0, true) : BigInt(view.getUint32(0, true)), bytes: buf.subarray(pos, pos + n) });
        pos += n;
        break;
      }
      case Wire.Bytes: {
        const length = varint();
        if (length > BigInt(buf.length - pos)) throw new ProtobufError(`field ${field} claims ${length} bytes, only ${buf.length - pos} are left`);
        fields.push({ field, wire, value: length, bytes: buf.subarray(pos, pos + Number(length)) });
        pos += Number(length);
        break;
      }
      default:
        throw new ProtobufError(`unsupported wire type ${wire} (field ${field})`);
    }
  }
  return fields;
}

/** A signed int64 field value as a safe integer (or an error naming what it is). */
export function int64(value: bigint, what: string): number {
  const signed = BigInt.asIntN(64, value);
  if (signed > BigInt(Number.MAX_SAFE_INTEGER) || signed < BigInt(Number.MIN_SAFE_INTEGER)) throw new ProtobufError(`${what} ${signed} is out of range`);
  return Number(signed);
}

/** Values of a repeated integer field, packed or not. */
export function repeatedInts(fields: Field[], field: number, what: string): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.field !== field) continue;
    if (f.wire === Wire.Varint) out.push(int64(f.value, what));
    else if (f.wire === Wire.Bytes) for (const g of readPackedVarints(f.bytes)) out.push(int64(g, what));
  }
  return out;
}

function readPackedVarints(buf: Uint8Array): bigint[] {
  const out: bigint[] = [];
  for (let pos = 0; pos < buf.length;) {
    const [value, next] = readVarint(buf, pos);
    out.push(value);
    pos = next;
  }
  return out;
}

/** Values of a repeated float field, packed or not (copied out). */
export function repeatedFloats(fields: Field[], field: number): Float32Array {
  const chunks: Float32Array[] = [];
  for (const f of fields) {
    if (f.field !== field) continue;
    if (f.wire === Wire.Fixed32) chunks.push(new Float32Array([new DataView(f.bytes.buffer, f.bytes.byteOffset, 4).getFloat32(0, true)]));
    else if (f.wire === Wire.Bytes) {
      if (f.bytes.length % 4 !== 0) throw new ProtobufError('packed floats: length is not a multiple of 4');
      chunks.push(littleEndianFloats(f.bytes));
    }
  }
  const out = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** Little-endian float32 bytes as a new Float32Array. */
export function littleEndianFloats(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

export const utf8 = (bytes: Uint8Array): string => new TextDecoder('utf-8', { fatal: false }).decode(bytes);

/** Builds one message; nested messages are written by a child writer. */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.size += bytes.length;
  }

  private rawVarint(v: bigint): void {
    const out: number[] = [];
    let x = BigInt.asUintN(64, v);
    while (x >= 0x80n) {
      out.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    out.push(Number(x));
    this.push(Uint8Array.from(out));
  }

  private key(field: number, wire: Wire): void {
    this.rawVarint(BigInt(field * 8 + wire));
  }

  varint(field: number, v: number | bigint): this {
    this.key(field, Wire.Varint);
    this.rawVarint(BigInt(v));
    return this;
  }

  float(field: number, v: number): this {
    this.key(field, Wire.Fixed32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.key(field, Wire.Bytes);
    this.rawVarint(BigInt(b.length));
    this.push(b);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.finish());
  }

  /** A packed repeated varint field. */
  packed(field: number, values: readonly number[]): this {
    const w = new ProtoWriter();
    for (const v of values) w.rawVarint(BigInt(v));
    return this.bytes(field, w.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const p of this.parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  }
}
