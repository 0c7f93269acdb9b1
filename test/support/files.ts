// Helpers for the file transfer tests (issue 19): seeded file contents, and a record of a client's file events.
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { ChatClient } from '../../lib/chat/client.ts';
import { Rng } from './rng.ts';

/** `size` seeded pseudo-random bytes. */
export function seededBytes(size: number, seed: number): Buffer {
  const rng = new Rng(seed);
  const buf = Buffer.alloc(size);
  for (let i = 0; i + 4 <= size; i += 4) buf.writeUInt32LE(rng.u32(), i);
  for (let i = size - (size % 4); i < size; i++) buf[i] = rng.int(256);
  return buf;
}

/** Writes seeded bytes to `path`; returns them. */
export async function seededFile(path: string, size: number, seed: number): Promise<Buffer> {
  const b = seededBytes(size, seed);
  await writeFile(path, b);
  return b;
}

export function sha256(b: Buffer): string { return createHash('sha256').update(b).digest('hex'); }

export type FileEvent = Record<string, unknown> & { id: string };

/** Every file event a client emits, by kind. */
export class FileEvents {
  readonly offers: FileEvent[] = [];
  readonly progress: FileEvent[] = [];
  readonly done: FileEvent[] = [];
  readonly failed: FileEvent[] = [];
  constructor(readonly client: ChatClient) {
    client.on('file_offer', (e: FileEvent) => this.offers.push(e));
    client.on('file_progress', (e: FileEvent) => this.progress.push(e));
    client.on('file_done', (e: FileEvent) => this.done.push(e));
    client.on('file_failed', (e: FileEvent) => this.failed.push(e));
  }
}

/** True if `hay` holds any `run`-byte window of `needle` (checked at every offset of `hay` via a hash set of the needle's windows at a stride). */
export function holdsRunOf(hay: Buffer, needle: Buffer, run = 64): boolean {
  // Any run of `run` bytes of the needle contains an aligned window of run/2 bytes starting at a multiple of run/2.
  const half = run / 2;
  const windows = new Set<string>();
  for (let i = 0; i + half <= needle.length; i += half) windows.add(needle.toString('latin1', i, i + half));
  for (let i = 0; i + half <= hay.length; i++) if (windows.has(hay.toString('latin1', i, i + half))) return true;
  return false;
}
