// Wires the server window to ChatServer: Start/Stop, events into the log, users and counters every second.
import { networkInterfaces } from 'node:os';
import type { ChatServerEvents, RoomUser, ServerStats } from '../chat-types.ts';
import { connectAddresses, droppedSince } from './format.ts';
import { ServerWindow, type ServerSettings } from './server-window.ts';
import { captureConsole, type ScreenIo } from './widgets.ts';
import { DEFAULT_PORT } from '../constants.ts';

/** How often users and counters are refreshed, in ms. */
const STATS_REFRESH_MS = 1_000;

/** What the window needs of ChatServer (lib/server-core.ts); a fake in tests and the demo. */
export interface ServerLike {
  readonly fingerprint: string;
  on<K extends keyof ChatServerEvents>(event: K, listener: (...args: ChatServerEvents[K]) => void): unknown;
  removeAllListeners(): unknown;
  listen(): Promise<{ host: string; port: number }>;
  stop(): Promise<void>;
  users(): RoomUser[];
  stats(): ServerStats;
}

/** Makes a server as ChatServer.create does. */
export type ServerFactory = (opts: ServerSettings & { historyDir: string; onProgress: (text: string) => void }) => Promise<ServerLike>;

/** Options of runServerWindow; host, port and password prefill the form. */
export interface ServerWindowOptions { host?: string; port?: number; password?: string; historyDir: string }

/** Test and demo hooks: another core, in-memory terminal streams, a look at the window. */
export interface ServerAppDeps { createServer?: ServerFactory; io?: ScreenIo; onWindow?: (win: ServerWindow) => void }

const realServer: ServerFactory = async (opts) => {
  const { ChatServer } = await import('../server-core.ts');
  return ChatServer.create(opts);
};

/**
 * Runs the server window until the operator quits (q when stopped, or Ctrl-C, which stops the server
 * first). Resolves with the exit code: 0 after a clean stop. Never throws for a server that fails to
 * start: the window shows why and lets the operator fix the form.
 */
export async function runServerWindow(opts: ServerWindowOptions, deps: ServerAppDeps = {}): Promise<number> {
  const create = deps.createServer ?? realServer;
  const win = new ServerWindow({ host: opts.host, port: opts.port ?? DEFAULT_PORT, password: opts.password }, deps.io);
  deps.onWindow?.(win);
  const restoreConsole = captureConsole((line) => win.log(line, 'warn'));
  let server: ServerLike | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastDropped: Record<string, number> = {};

  const refresh = () => {
    if (!server) return;
    const stats = server.stats();
    const dropped = droppedSince(lastDropped, stats.dropped);
    if (dropped) win.log(`dropped datagrams: ${dropped}`, 'warn');
    lastDropped = stats.dropped;
    win.setStats(stats);
    win.setUsers(server.users());
  };

  const stop = async () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    const s = server;
    server = undefined;
    if (!s) return;
    try {
      await s.stop();
    } catch (err) {
      win.log(`stop: ${(err as Error).message}`, 'error');
    }
    s.removeAllListeners();
  };

  win.on('start', (settings) => {
    void (async () => {
      try {
        server = await create({ ...settings, historyDir: opts.historyDir, onProgress: (t) => win.progress(t) });
        listenTo(server, win, () => server && win.setUsers(server.users()));
        const addr = await server.listen();
        lastDropped = {};
        win.setRunning(true, {
          addresses: connectAddresses(addr.host, addr.port, networkInterfaces()),
          fingerprint: server.fingerprint,
        });
        refresh();
        timer = setInterval(refresh, STATS_REFRESH_MS);
      } catch (err) {
        await stop().catch(() => {});
        win.showError((err as Error).message);
      }
    })();
  });
  win.on('stop', () => {
    void stop().then(() => {
      win.log('stopped');
      win.setRunning(false);
    });
  });

  let onSignal = () => {};
  try {
    await new Promise<void>((resolve) => {
      win.on('quit', resolve);
      onSignal = resolve;
      // A closed terminal or a kill also stops the server cleanly (tell clients, flush history).
      process.once('SIGTERM', onSignal);
      process.once('SIGHUP', onSignal);
    });
    win.progress('stopping: telling clients, saving history…');
    await stop();
    return 0;
  } finally {
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGHUP', onSignal);
    win.destroy();
    restoreConsole();
  }
}

/**
 * Routes the server's events into the window: its 'log' lines (joins, leaves, direct messages, storage
 * trouble) as they are, room messages and refusals with their reason; joins and leaves refresh the users.
 */
function listenTo(server: ServerLike, win: ServerWindow, refreshUsers: () => void): void {
  let lastRefused = '';
  server.on('listening', ({ host, port }) => win.log(`listening on ${host}:${port}`));
  server.on('join', refreshUsers);
  server.on('leave', refreshUsers);
  server.on('message', (m) => {
    const what = m.encrypted ? '🔒 encrypted message' : m.text.replace(/\n/g, ' ⏎ ');
    win.log(`#${m.seq} ${m.from}: ${what}`);
  });
  server.on('refused', ({ address, code }) => {
    lastRefused = `refused ${address}:`;
    win.log(`refused ${address}: ${code.replace(/_/g, ' ')}`, 'warn');
  });
  server.on('log', (line) => {
    // The core words most refusals in a log line too; the 'refused' event already put them in the log.
    if (lastRefused && line.startsWith(lastRefused)) return void (lastRefused = '');
    win.log(line);
  });
  server.on('stopped', () => win.log('server stopped; clients were told'));
}
