/**
 * thrift-compact — Thrift's compact protocol as a generic tree: read any struct, change a
 * field, write it back. Parquet's footer, column and offset indexes are compact-protocol
 * structs; lib/dataset/parquet-layout.ts moves row groups with it.
 *
 * The tree keeps each field's id and wire type and each list's element type as read, and
 * the writer is canonical (short field headers for id deltas 1..15, short list headers
 * below 15 items, minimal varints), so `writeStruct(readStruct(bytes).struct)` gives the
 * same bytes for any canonical writer's output (hyparquet-writer's, Arrow's). No names,
 * no schema: callers address fields by their ids in parquet.thrift.
 *
 * Why not a package: `thrift` (Apache) speaks the protocol through RPC transports, needs
 * code generated from parquet.thrift to walk a struct, reads i64 as node-int64 objects and
 * brings a WebSocket stack; the readers in Parquet libraries are private modules. The
 * protocol itself is ~150 lines: https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md
 *
 * Errors: a truncated or unknown encoding throws an Error naming the byte offset.
 *
 *   const { struct } = readStruct(footerBytes);
 *   setField(struct, 3, TYPE.I64, 1000n);   // FileMetaData.num_rows
 *   const bytes = writeStruct(struct);
 */

/** Compact protocol wire types (BOOL_TRUE/BOOL_FALSE carry a struct field's value). */
export const TYPE = {
  BOOL_TRUE: 1,
  BOOL_FALSE: 2,
  BYTE: 3,
  I16: 4,
  I32: 5,
  I64: 6,
  DOUBLE: 7,
  BINARY: 8,
  LIST: 9,
  SET: 10,
  STRUCT: 12,
} as const;

export type ThriftValue = boolean | number | bigint | Uint8Array | ThriftList | ThriftStruct;

export interface ThriftList {
  /** Element wire type as written (hyparquet-writer writes 0 for an empty list). */
  elementType: number;
  items: ThriftValue[];
}

export interface ThriftField {
  id: number;
  type: number;
  value: ThriftValue;
}

export interface ThriftStruct {
  fields: ThriftField[];
}

// ---------------------------------------------------------------------------
// Reading

class Reader {
  offset: number;
  constructor(
    readonly bytes: Uint8Array,
    offset: number,
  ) {
    this.offset = offset;
  }

  byte(): number {
    if (this.offset >= this.bytes.length) throw new Error(`thrift: truncated at byte ${this.offset}`);
    return this.bytes[this.offset++];
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.byte();
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new Error(`thrift: varint too long at byte ${this.offset}`);
    }
  }

  zigzag(): bigint {
    const n = this.varint();
    return (n >> 1n) ^ -(n & 1n);
  }

  take(length: number): Uint8Array {
    if (this.offset + length > this.bytes.length) throw new Error(`thrift: ${length} bytes past the end at byte ${this.offset}`);
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }
}

function readValue(reader: Reader, type: number): ThriftValue {
  switch (type) {
    case TYPE.BOOL_TRUE:
      return true;
    case TYPE.BOOL_FALSE:
      return false;
    case TYPE.BYTE:
      return (reader.byte() << 24) >> 24;
    case TYPE.I16:
    case TYPE.I32:
      return Number(reader.zigzag());
    case TYPE.I64:
      return reader.zigzag();
    case TYPE.DOUBLE:
      return Buffer.from(reader.take(8)).readDoubleLE(0);
    case TYPE.BINARY:
      return Uint8Array.from(reader.take(Number(reader.varint())));
    case TYPE.LIST:
    case TYPE.SET: {
      const header = reader.byte();
      const elementType = header & 0x0f;
      const size = header >> 4 === 15 ? Number(reader.varint()) : header >> 4;
      const items: ThriftValue[] = [];
      const bool = elementType === TYPE.BOOL_TRUE || elementType === TYPE.BOOL_FALSE;
      for (let i = 0; i < size; i++) items.push(bool ? reader.byte() === 1 : readValue(reader, elementType));
      return { elementType, items };
    }
    case TYPE.STRUCT:
      return readFields(reader);
    default:
      throw new Error(`thrift: unknown type ${type} at byte ${reader.offset}`);
  }
}

function readFields(reader: Reader): ThriftStruct {
  const fields: ThriftField[] = [];
  let id = 0;
  for (;;) {
    const header = reader.byte();
    const type = header & 0x0f;
    if (type === 0) return { fields };
    const delta = header >> 4;
    id = delta === 0 ? Number(reader.zigzag()) : id + delta;
    fields.push({ id, type, value: readValue(reader, type) });
  }
}

/** Reads one struct starting at `offset`; `end` is the offset after its STOP byte. */
export function readStruct(bytes: Uint8Array, offset = 0): { struct: ThriftStruct; end: number } {
  const reader = new Reader(bytes, offset);
  const struct = readFields(reader);
  return { struct, end: reader.offset };
}

// ---------------------------------------------------------------------------
// Writing

class Writer {
  private buffer = Buffer.alloc(256);
  length = 0;

  private ensure(size: number): void {
    if (this.length + size <= this.buffer.length) return;
    const bigger = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + size));
    this.buffer.copy(bigger, 0, 0, this.length);
    this.buffer = bigger;
  }

  byte(value: number): void {
    this.ensure(1);
    this.buffer[this.length++] = value & 0xff;
  }

  varint(value: bigint): void {
    let rest = value;
    while (rest >= 0x80n) {
      this.byte(Number(rest & 0x7fn) | 0x80);
      rest >>= 7n;
    }
    this.byte(Number(rest));
  }

  zigzag(value: bigint): void {
    this.varint(value >= 0n ? value << 1n : ((-value) << 1n) - 1n);
  }

  bytes(value: Uint8Array): void {
    this.ensure(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
  }

  done(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

function writeValue(writer: Writer, type: number, value: ThriftValue): void {
  switch (type) {
    case TYPE.BOOL_TRUE:
    case TYPE.BOOL_FALSE:
      return; // a struct field's boolean is its type; list items are written by the list
    case TYPE.BYTE:
      return writer.byte(value as number);
    case TYPE.I16:
    case TYPE.I32:
      return writer.zigzag(BigInt(value as number));
    case TYPE.I64:
      return writer.zigzag(value as bigint);
    case TYPE.DOUBLE: {
      const bytes = Buffer.alloc(8);
      bytes.writeDoubleLE(value as number, 0);
      return writer.bytes(bytes);
    }
    case TYPE.BINARY:
      writer.varint(BigInt((value as Uint8Array).length));
      return writer.bytes(value as Uint8Array);
    case TYPE.LIST:
    case TYPE.SET: {
      const { elementType, items } = value as ThriftList;
      if (items.length < 15) writer.byte((items.length << 4) | elementType);
      else {
        writer.byte(0xf0 | elementType);
        writer.varint(BigInt(items.length));
      }
      const bool = elementType === TYPE.BOOL_TRUE || elementType === TYPE.BOOL_FALSE;
      for (const item of items) {
        if (bool) writer.byte(item ? 1 : 0);
        else writeValue(writer, elementType, item);
      }
      return;
    }
    case TYPE.STRUCT:
      return writeFields(writer, value as ThriftStruct);
    default:
      throw new Error(`thrift: cannot write type ${type}`);
  }
}

function writeFields(writer: Writer, struct: ThriftStruct): void {
  let last = 0;
  for (const { id, type, value } of struct.fields) {
    if (id <= last) throw new Error(`thrift: field ${id} after field ${last}`);
    const wireType = type === TYPE.BOOL_TRUE || type === TYPE.BOOL_FALSE ? (value ? TYPE.BOOL_TRUE : TYPE.BOOL_FALSE) : type;
    if (id - last <= 15) writer.byte(((id - last) << 4) | wireType);
    else {
      writer.byte(wireType);
      writer.zigzag(BigInt(id));
    }
    writeValue(writer, wireType, value);
    last = id;
  }
  writer.byte(0);
}

/** The compact-protocol bytes of `struct`. */
export function writeStruct(struct: ThriftStruct): Uint8Array {
  const writer = new Writer();
  writeFields(writer, struct);
  return writer.done();
}

// ---------------------------------------------------------------------------
// Fields by id

/** The field with `id`, or undefined. */
export function getField(struct: ThriftStruct, id: number): ThriftField | undefined {
  return struct.fields.find((field) => field.id === id);
}

/** Sets field `id` (replacing it or inserting it in id order). */
export function setField(struct: ThriftStruct, id: number, type: number, value: ThriftValue): void {
  const at = struct.fields.findIndex((field) => field.id >= id);
  const field = { id, type, value };
  if (at === -1) struct.fields.push(field);
  else if (struct.fields[at].id === id) struct.fields[at] = field;
  else struct.fields.splice(at, 0, field);
}
