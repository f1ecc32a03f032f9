/**
 * The frame codec: `encodeFrame` and `decodeFrame` (spec/relay.md §Encoding). Frames are plain
 * msgpack maps; `decodeFrame` accepts only bytes that pass the structural scan and whose every
 * field matches FRAME_SCHEMA, and returns fresh plain `Uint8Array`s (never Node Buffers that
 * alias the input). Anything else throws a `ParleyError`: ERR_INVALID_ENCODING, or
 * ERR_UNSUPPORTED_VERSION when `v` is not 1.
 */

import { Packr } from "msgpackr";
import { ErrorCode, invalidEncoding, ParleyError } from "../errors.js";
import { WIRE_VERSION } from "./codes.js";
import type { Frame } from "./frames.js";
import { type MsgpackEntry, scanMsgpackCounted } from "./msgpack-scan.js";
import {
  type FieldSpec,
  type Fields,
  FRAME_CHECKS,
  FRAME_ELEMENT_BUDGET,
  FRAME_SCHEMA,
  MAX_FRAME_ELEMENTS,
  MAX_WIRE_FRAME_BYTES,
} from "./schema.js";

// useRecords: false keeps the output plain msgpack (records are a msgpackr extension).
const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: "number", encodeUndefinedAsNil: true });
const utf8 = new TextEncoder();

/**
 * Encodes a frame (adding `v`). Returns a fresh array the caller owns.
 *
 * @example
 * ```ts
 * socket.send(encodeFrame({ t: "ping", id: 7 }));
 * ```
 */
export function encodeFrame(frame: Frame): Uint8Array {
  // msgpackr returns a view of a reused buffer; copy so the next pack cannot overwrite it.
  return new Uint8Array(packr.pack({ v: WIRE_VERSION, ...frame }));
}

/**
 * Decodes and validates one frame.
 *
 * @example
 * ```ts
 * const frame = decodeFrame(bytes);
 * if (frame.t === "message") handle(frame.envelope);
 * ```
 */
export function decodeFrame(bytes: Uint8Array): Frame {
  const fields = scanFrame(bytes);
  const version = fields.get("v");
  if (typeof version !== "number") throw invalidEncoding("frame has no version");
  if (version !== WIRE_VERSION) throw new ParleyError(ErrorCode.UnsupportedVersion, `unsupported frame version ${version}`);
  const type = fields.get("t");
  if (typeof type !== "string" || !Object.hasOwn(FRAME_SCHEMA, type)) throw invalidEncoding("unknown frame type");
  // Each type's own element budget, checked before any field is unpacked.
  if (fields.elements > FRAME_ELEMENT_BUDGET[type as Frame["t"]]) throw invalidEncoding("msgpack value has too many elements");
  const frame = readFields(fields, FRAME_SCHEMA[type as Frame["t"]], type);
  const refused = FRAME_CHECKS[type as Frame["t"]]?.(frame);
  if (refused) throw invalidEncoding(refused);
  frame.t = type;
  return frame as unknown as Frame;
}

/**
 * The `t` of a frame without decoding it (to apply a per-type size limit before decoding), or
 * undefined. Stops at `t` (encoders write it among the first fields) or the first structural error.
 */
export function peekFrameType(bytes: Uint8Array): string | undefined {
  return peekField(bytes, "t", (value) => (typeof value === "string" && value.length <= 64 ? value : undefined));
}

/**
 * The request `id` of a frame that failed to decode, when it has a usable one (to address the
 * error frame). Costs at most one scan: it stops at the first structural error and unpacks
 * nothing but the `id` value.
 */
export function peekRequestId(bytes: Uint8Array): number | undefined {
  return peekField(bytes, "id", (id) => (typeof id === "number" && Number.isInteger(id) && id >= 0 && id <= 0xffff_ffff ? id : undefined));
}

function peekField<T>(bytes: Uint8Array, name: string, accept: (value: unknown) => T | undefined): T | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length > MAX_WIRE_FRAME_BYTES) return undefined;
  let found: MsgpackEntry | undefined;
  try {
    scanMsgpackCounted(bytes, MAX_FRAME_ELEMENTS, (entry) => {
      if (entry.key !== name) return;
      found = entry;
      // Found: stop scanning (encoders write `v`, `t` and `id` first, so this is cheap).
      throw FOUND;
    });
  } catch {
    // Found, or a structural error: the entries seen before it still count.
  }
  if (!found) return undefined;
  try {
    return accept(unpackRange(bytes, found));
  } catch {
    return undefined;
  }
}

const FOUND = new Error("found");

/** The top-level fields of a frame, each unpacked on demand from its byte range. */
class FieldReader {
  constructor(
    private readonly bytes: Uint8Array,
    private readonly entries: readonly MsgpackEntry[],
    /** Values in the whole frame (keys and containers included). */
    readonly elements: number,
  ) {}

  get(name: string): unknown {
    const entry = this.entries.find((e) => e.key === name);
    return entry ? unpackRange(this.bytes, entry) : undefined;
  }
}

function scanFrame(bytes: Uint8Array): FieldReader {
  if (!(bytes instanceof Uint8Array)) throw invalidEncoding("a frame must be bytes");
  if (bytes.length > MAX_WIRE_FRAME_BYTES) throw invalidEncoding("frame exceeds the wire maximum");
  const { entries, elements } = scanMsgpackCounted(bytes, MAX_FRAME_ELEMENTS);
  if (!entries) throw invalidEncoding("a frame must be a msgpack map");
  return new FieldReader(bytes, entries, elements);
}

function unpackRange(bytes: Uint8Array, entry: MsgpackEntry): unknown {
  try {
    return packr.unpack(bytes.subarray(entry.start, entry.end));
  } catch {
    throw invalidEncoding("frame is not valid msgpack");
  }
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Uint8Array) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function own(map: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

/** Each field table as a list, made once (a large frame reads the same table thousands of times). */
const fieldLists = new WeakMap<Fields, readonly (readonly [string, Fields[string]])[]>();
function fieldList(fields: Fields): readonly (readonly [string, Fields[string]])[] {
  let list = fieldLists.get(fields);
  if (!list) {
    list = Object.entries(fields);
    fieldLists.set(fields, list);
  }
  return list;
}

function readFields(map: Record<string, unknown> | FieldReader, fields: Fields, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const reader = map instanceof FieldReader ? map : undefined;
  for (const [name, { spec, optional }] of fieldList(fields)) {
    const value = reader ? reader.get(name) : own(map as Record<string, unknown>, name);
    if (value === undefined || value === null) {
      if (optional) continue;
      throw invalidEncoding(`${path}.${name} is missing`);
    }
    out[name] = readValue(value, spec, path, name);
  }
  return out;
}

/**
 * One value against its spec. The value's path (`parent.name`, `parent[]`) is put together only
 * for an error or a nested container, never per leaf: a large frame has tens of thousands.
 */
function readValue(value: unknown, spec: FieldSpec, parent: string, name: string): unknown {
  switch (spec.k) {
    case "bytes":
      if (!(value instanceof Uint8Array) || value.length < spec.min || value.length > spec.max)
        throw invalidEncoding(`${join(parent, name)} has a bad length`);
      return new Uint8Array(value);
    case "uint":
      if (typeof value !== "number" || !Number.isInteger(value) || value < spec.min || value > spec.max) {
        throw invalidEncoding(`${join(parent, name)} must be an integer in [${spec.min}, ${spec.max}]`);
      }
      return value;
    case "str":
      // UTF-8 takes at most 3 bytes per UTF-16 unit: only a string that could be too long is encoded to count.
      if (typeof value !== "string" || value.length > spec.max || (value.length * 3 > spec.max && utf8.encode(value).length > spec.max)) {
        throw invalidEncoding(`${join(parent, name)} must be a string of at most ${spec.max} bytes`);
      }
      return value;
    case "bool":
      if (typeof value !== "boolean") throw invalidEncoding(`${join(parent, name)} must be a boolean`);
      return value;
    case "array": {
      const path = join(parent, name);
      if (!Array.isArray(value) || value.length < spec.min || value.length > spec.max) throw invalidEncoding(`${path} has a bad length`);
      return value.map((item) => readValue(item, spec.of, path, "[]"));
    }
    case "map": {
      const path = join(parent, name);
      if (!isPlainMap(value)) throw invalidEncoding(`${path} must be a map`);
      return readFields(value, spec.fields, path);
    }
  }
}

/** `parent.name`, or `parent[]` for an array item. */
function join(parent: string, name: string): string {
  return name === "[]" ? `${parent}[]` : `${parent}.${name}`;
}
