// The last successful login (host, port, username; never the password) to prefill the form next time.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What is remembered between runs. */
export interface LastLogin { host: string; port: number; username: string }

/** File name inside the history dir. */
export const LAST_LOGIN_FILE = 'last-login.json';

/** Reads <historyDir>/last-login.json; undefined when missing or not the expected shape (never throws). */
export async function loadLastLogin(historyDir: string): Promise<LastLogin | undefined> {
  try {
    const data: unknown = JSON.parse(await readFile(join(historyDir, LAST_LOGIN_FILE), 'utf8'));
    if (typeof data !== 'object' || data === null) return undefined;
    const { host, port, username } = data as Record<string, unknown>;
    if (typeof host !== 'string' || typeof username !== 'string') return undefined;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
    return { host, port, username };
  } catch {
    return undefined;
  }
}

/** Writes <historyDir>/last-login.json (temp file + rename); only host, port and username are kept. Throws on I/O errors. */
export async function saveLastLogin(historyDir: string, login: LastLogin): Promise<void> {
  await mkdir(historyDir, { recursive: true });
  const path = join(historyDir, LAST_LOGIN_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  const { host, port, username } = login;
  await writeFile(tmp, JSON.stringify({ host, port, username }) + '\n', { mode: 0o600 });
  await rename(tmp, path);
}

/** What the server window remembers between runs (never the password). */
export interface LastServer { host: string; port: number; roomName?: string }

/** File name inside the server's history dir. */
export const LAST_SERVER_FILE = 'last-server.json';

/** Reads <historyDir>/last-server.json; undefined when missing or not the expected shape (never throws). */
export async function loadLastServer(historyDir: string): Promise<LastServer | undefined> {
  try {
    const { host, port, roomName } = JSON.parse(await readFile(join(historyDir, LAST_SERVER_FILE), 'utf8')) as Record<string, unknown>;
    if (typeof host !== 'string' || typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) return undefined;
    return { host, port, ...(typeof roomName === 'string' && roomName ? { roomName } : {}) };
  } catch {
    return undefined;
  }
}

/** Writes <historyDir>/last-server.json (temp file + rename): the bind address, port and room name; never the password. Throws on I/O errors. */
export async function saveLastServer(historyDir: string, s: LastServer): Promise<void> {
  await mkdir(historyDir, { recursive: true });
  const path = join(historyDir, LAST_SERVER_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify({ host: s.host, port: s.port, ...(s.roomName ? { roomName: s.roomName } : {}) }) + '\n', { mode: 0o600 });
  await rename(tmp, path);
}
