// A file being sent (lib/chat/file-transfer.ts): its record, the checks and SHA-256 of the file before it is
// offered, and its chunks read from disk a block at a time.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat, type FileHandle } from 'node:fs/promises';
import { FILE_CHUNK_BYTES, FILE_READ_BLOCK_BYTES } from '../constants.ts';
import type { FileOffer } from '../e2e/file-crypto.ts';
import { ChatError } from '../errors.ts';

export interface Outgoing {
  offer: FileOffer;
  path: string;
  key: Buffer;
  chunks: number;
  fh: FileHandle;
  /** Next chunk to send, and chunks the recipient verified. */
  next: number;
  acked: number;
  /** 'offered' until the first fack; 'paused' while someone's connection is lost. */
  state: 'offered' | 'sending' | 'paused';
  pumping: boolean;
  /** Waiting for our connection's send buffer to drain (one waiter at a time). */
  draining?: boolean;
  /** The part of the file read last (FILE_READ_BLOCK_BYTES at a time), and where it starts. */
  block?: { at: number; buf: Buffer };
  lastProgress: number;
}

/** The size of the file at `path`. Throws ChatError bad_arguments (not a file, cannot be read). */
export async function fileSize(path: string): Promise<number> {
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new ChatError('bad_arguments', `${path} is not a file (folders cannot be sent yet)`);
    return st.size;
  } catch (err) {
    if (err instanceof ChatError) throw err;
    throw new ChatError('bad_arguments', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** SHA-256 of a file, hex, read as a stream. */
export async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const part of createReadStream(path)) h.update(part as Buffer);
  return h.digest('hex');
}

/** Chunk `index` of the file, read FILE_READ_BLOCK_BYTES at a time (one read for many chunks). */
export async function readChunk(out: Outgoing, index: number): Promise<Buffer> {
  const at = index * FILE_CHUNK_BYTES;
  const len = Math.min(FILE_CHUNK_BYTES, out.offer.size - at);
  let b = out.block;
  if (!b || at < b.at || at + len > b.at + b.buf.length) {
    const want = Math.min(FILE_READ_BLOCK_BYTES, out.offer.size - at);
    const buf = Buffer.allocUnsafe(want);
    const { bytesRead } = await out.fh.read(buf, 0, want, at);
    if (bytesRead !== want) throw new Error('the file got shorter while sending');
    out.block = b = { at, buf };
  }
  return b.buf.subarray(at - b.at, at - b.at + len);
}
