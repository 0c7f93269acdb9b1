// `server.ts --headless`: the server without a window, logging to stdout (text or JSON lines).
import { networkInterfaces } from 'node:os';
import { EXIT } from './cli.ts';
import { ChatServer } from '../chat/server.ts';
import { HEADLESS_COUNTERS_MS } from '../constants.ts';

export interface HeadlessOptions { host: string; port: number; password: string; historyDir: string; json: boolean; retentionDays?: number; roomName?: string; maxFile?: number }

/** This machine's IPv4 LAN addresses, for telling people what to type. */
export function lanAddresses(): string[] {
  return Object.values(networkInterfaces()).flat().filter((a) => a && a.family === 'IPv4' && !a.internal).map((a) => a!.address);
}

/** Runs until SIGINT/SIGTERM; resolves with the exit code. */
export async function runHeadlessServer(o: HeadlessOptions): Promise<number> {
  const out = (type: string, text: string, fields: Record<string, unknown> = {}): void => {
    process.stdout.write(o.json ? JSON.stringify({ type, text, ...fields, ts: Date.now() }) + '\n' : `${new Date().toISOString().slice(11, 19)} ${text}\n`);
  };
  let server: ChatServer;
  try {
    server = await ChatServer.create({
      host: o.host, port: o.port, password: o.password, historyDir: o.historyDir,
      onProgress: (t) => out('progress', t), ...(o.roomName ? { roomName: o.roomName } : {}),
      ...(o.retentionDays ? { retentionDays: o.retentionDays } : {}), ...(o.maxFile ? { maxFile: o.maxFile } : {}),
    });
  } catch (err) {
    process.stderr.write(`error: cannot start: ${(err as Error).message}\n`);
    return EXIT.FAILED;
  }
  server.on('log', (line: string) => out('log', line));
  server.on('refused', (r: { address: string; code: string }) => out('refused', `refused ${r.address}: ${r.code}`, r));
  server.on('message', (m: { seq: number; from: string; encrypted: boolean }) => out('message', `#${m.seq} from ${m.from}${m.encrypted ? ' (encrypted)' : ''}`, { seq: m.seq, from: m.from, encrypted: m.encrypted }));
  let addr: { host: string; port: number };
  try {
    addr = await server.listen();
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return EXIT.FAILED;
  }
  // Counters every minute, and on SIGUSR1 (`kill -USR1 PID`) whenever wanted; set up before "listening",
  // which tells a script it may send the signal.
  const counters = (): void => {
    const s = server.stats();
    const dropped = Object.entries(s.dropped).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
    out('counters', `counters: users ${s.users}, connections ${s.connections}, messages ${s.messages}, datagrams in ${s.datagramsIn} out ${s.datagramsOut}, retransmits ${s.retransmits}, dropped ${dropped}`, { stats: s });
  };
  const timer = setInterval(counters, HEADLESS_COUNTERS_MS);
  timer.unref();
  process.on('SIGUSR1', counters);
  out('listening', `listening on ${addr.host}:${addr.port} — room "${server.roomName}"`, { ...addr, room: server.roomName });
  const d = server.discovery;
  if (d.answering.length) out('discovery', `answering rooms-on-this-LAN queries on ${d.answering.map((a) => `${a.name} (${a.bind}:${a.port})`).join(', ')}`, { answering: d.answering });
  else out('discovery', 'not answering discovery queries: no broadcast interface for this address (clients must type it)', { answering: [] });
  for (const f of d.failed) out('warning', `cannot answer discovery on ${f.name} (${f.bind}): ${f.reason}`, f);
  out('fingerprint', `server key ${server.fingerprint}`, { fingerprint: server.fingerprint });
  if (addr.host === '0.0.0.0') {
    const lan = lanAddresses();
    if (lan.length) out('addresses', `clients can connect to ${lan.map((a) => `${a}:${addr.port}`).join(', ')}`, { addresses: lan });
  }
  return new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      clearInterval(timer);
      process.removeListener('SIGUSR1', counters);
      out('stopping', `${signal}: telling clients and saving history…`);
      server.stop().then(() => { out('stopped', 'stopped'); resolve(EXIT.OK); }, (err: Error) => {
        process.stderr.write(`error while stopping: ${err.message}\n`);
        resolve(EXIT.FAILED);
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
