// Helpers for the file transfer tests (issue 19): seeded file contents, and a record of a client's file events.
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'uvu';
import type { ChatServer } from '../../lib/chat/server.ts';
import { joinClient, type Recorder, removeDir, startServer, tempDir } from './chat-harness.ts';
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

/**
 * True if `hay` holds any `run`-byte stretch of `needle` (or a shorter one holding a whole aligned window: stricter). Any such stretch contains a whole window of
 * run/2 bytes starting at a multiple of run/2 in the needle; those windows are indexed by their first 4
 * bytes, and every offset of `hay` is looked up (a Map of numbers: fast enough for tens of MB).
 */
export function holdsRunOf(hay: Buffer, needle: Buffer, run = 64): boolean {
  const half = run / 2;
  const index = new Map<number, number[]>();
  // A bit per low 24 bits of the key: most offsets of `hay` are dismissed without touching the Map.
  const filter = new Uint8Array(1 << 21);
  for (let i = 0; i + half <= needle.length; i += half) {
    const k = needle.readUInt32LE(i);
    filter[(k & 0xffffff) >>> 3]! |= 1 << (k & 7);
    const l = index.get(k);
    if (l) l.push(i); else index.set(k, [i]);
  }
  for (let i = 0; i + half <= hay.length; i++) {
    const k = hay[i]! | (hay[i + 1]! << 8) | (hay[i + 2]! << 16);
    if (!(filter[k >>> 3]! & (1 << (k & 7)))) continue;
    const l = index.get(hay.readUInt32LE(i));
    if (!l) continue;
    for (const at of l) if (hay.compare(needle, at, at + half, i, i + half) === 0) return true;
  }
  return false;
}

/** One server for a file-transfer test file, started before its tests and stopped (with what they opened) after. */
export interface FileRoom {
  readonly dir: string;
  readonly port: number;
  readonly server: ChatServer;
  /** Run after the tests, last pushed first. */
  readonly cleanup: Array<() => Promise<unknown> | void>;
  /** A client of the room, joined as `name`, with its file events recorded (closed after the tests). */
  member(name: string): Promise<{ r: Recorder; f: FileEvents }>;
}

export function fileRoom(suite: Test, prefix: string): FileRoom {
  let dir = '';
  let port = 0;
  let server: ChatServer | undefined;
  const cleanup: Array<() => Promise<unknown> | void> = [];
  suite.before(async () => {
    dir = await tempDir(prefix);
    ({ server, port } = await startServer(join(dir, 'server')));
    cleanup.push(() => server!.stop());
  });
  suite.after(async () => {
    if (server) server.files.tap = undefined;
    for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => {});
    await removeDir(dir);
  });
  return {
    get dir() { return dir; }, get port() { return port; }, get server() { return server!; }, cleanup,
    async member(name) {
      const r = await joinClient(port, join(dir, name), name);
      cleanup.push(() => r.client.close());
      return { r, f: new FileEvents(r.client) };
    },
  };
}
