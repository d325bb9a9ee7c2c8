// Reading a payload: the bytes of a `buffers` trait, typed-array views at the offsets a
// header gives, and tables sent as columns.

const CTORS = { u8: Uint8Array, u16: Uint16Array, u32: Uint32Array, i32: Int32Array };

/**
 * Bytes of a bytes trait as a Uint8Array (anywidget hands over a DataView).
 * @param {DataView|ArrayBuffer|Uint8Array|null|undefined} b
 * @returns {Uint8Array}
 */
export function asBytes(b) {
  if (!b) return new Uint8Array(0);
  if (b instanceof Uint8Array) return b;
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return new Uint8Array(0);
}

/**
 * A function giving the typed array `name` of `layout` ({name: [offset, count, type]})
 * over `bytes` (an empty Uint32Array when the layout has none).
 * @param {Record<string, [number, number, string]> | undefined} layout
 * @param {Uint8Array} bytes
 * @returns {(name: string) => Uint8Array | Uint16Array | Uint32Array | Int32Array}
 */
export function arrays(layout, bytes) {
  // typed-array views need aligned offsets: copy only when the buffer is misaligned
  const b = bytes.byteOffset % 4 ? bytes.slice() : bytes;
  return (name) => {
    const spec = layout && layout[name];
    if (!spec) return new Uint32Array(0);
    const [offset, count, type] = spec;
    const Ctor = CTORS[/** @type {keyof CTORS} */ (type)];
    if (!Ctor || offset + count * Ctor.BYTES_PER_ELEMENT > b.byteLength) {
      throw new Error(`asyncviz: payload array ${name} does not fit the buffer`);
    }
    return new Ctor(/** @type {ArrayBuffer} */ (b.buffer), b.byteOffset + offset, count);
  };
}

/**
 * Rows of a table sent as columns (one array per field: a JSON object per row would cost
 * more than the events for ten thousand tasks).
 * @template T
 * @param {Record<string, any[]> | undefined} columns
 * @param {(c: Record<string, any[]>, i: number) => T} row
 * @returns {T[]}
 */
export function rows(columns, row) {
  if (!columns || !columns.label) return [];
  const out = new Array(columns.label.length);
  for (let i = 0; i < out.length; i++) out[i] = row(columns, i);
  return out;
}

/**
 * @param {any} v
 * @returns {boolean}  v is neither null nor undefined
 */
export function known(v) {
  return v !== null && v !== undefined;
}
