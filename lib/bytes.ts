// Buffers kept for a connection's lifetime.
//
// Node cuts small Buffers (Buffer.from, allocUnsafe) out of shared 8 KiB slabs; one small slice that
// lives on keeps its whole slab alive. A server that kept a few such slices per connection held ~20 KiB
// per idle client that way, so whatever a connection keeps is copied into memory of its own.

/** A copy of `bytes` in its own memory (never a slice of Node's shared pool), for keeping long. */
export function ownCopy(bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafeSlow(bytes.length);
  out.set(bytes);
  return out;
}

/** `s` cut to at most `max` bytes of UTF-8, on a character boundary. */
export function cutUtf8(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    bytes += Buffer.byteLength(ch);
    if (bytes > max) break;
    out += ch;
  }
  return out;
}
