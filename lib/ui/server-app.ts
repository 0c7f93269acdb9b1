// Wires the server window to ChatServer: Start/Stop, events into the log, users and counters every second.
import { hostname, networkInterfaces } from 'node:os';
import type { ChatServerEvents, RoomUser, ServerStats } from '../chat/types.ts';
import { connectAddresses, droppedSince } from './format.ts';
import { ServerWindow, type ServerSettings } from './server-window.ts';
import { captureConsole, QUIT_SIGNALS, type ScreenIo } from './screen.ts';
import { DEFAULT_PORT } from '../constants.ts';
import { loadLastServer, saveLastServer } from './last-login.ts';

/** How often users and counters are refreshed, in ms. */
const STATS_REFRESH_MS = 1_000;

/** What the window needs of ChatServer (lib/chat/server.ts); a fake in tests and the demo. */
export interface ServerLike {
  readonly fingerprint: string;
  /** The room's name and where discovery answers (ChatServer has both; older fakes neither). */
  readonly roomName?: string;
  readonly discovery?: { answering: Array<{ name: string; bind: string }>; failed: Array<{ name: string; bind: string; reason: string }> };
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
export interface ServerWindowOptions { host?: string; port?: number; password?: string; roomName?: string; historyDir: string }

/** Test and demo hooks: another core, in-memory terminal streams, a look at the window. */
export interface ServerAppDeps { createServer?: ServerFactory; io?: ScreenIo; onWindow?: (win: ServerWindow) => void }

const realServer: ServerFactory = async (opts) => {
  const { ChatServer } = await import('../chat/server.ts');
  return ChatServer.create(opts);
};

/**
 * Runs the server window until the operator quits (q when stopped, or Ctrl-C, which stops the server
 * first). Resolves with the exit code: 0 after a clean stop. Never throws for a server that fails to
 * start: the window shows why and lets the operator fix the form.
 */
export async function runServerWindow(opts: ServerWindowOptions, deps: ServerAppDeps = {}): Promise<number> {
  const last = await loadLastServer(opts.historyDir);
  const win = new ServerWindow({
    host: opts.host ?? last?.host, port: opts.port ?? last?.port ?? DEFAULT_PORT, password: opts.password,
    roomName: opts.roomName ?? last?.roomName ?? hostname(),
  }, deps.io);
  deps.onWindow?.(win);
  const restoreConsole = captureConsole((line) => win.log(line, 'warn'));
  const app = new ServerApp(win, opts.historyDir, deps.createServer ?? realServer);
  let onSignal = () => {};
  try {
    await new Promise<void>((resolve) => {
      win.on('quit', resolve);
      onSignal = resolve;
      // A closed terminal or a kill also stops the server cleanly (tell clients, flush history).
      for (const sig of QUIT_SIGNALS) process.once(sig, onSignal);
    });
    win.progress('stopping: telling clients, saving history…');
    await app.close();
    return 0;
  } finally {
    for (const sig of QUIT_SIGNALS) process.removeListener(sig, onSignal);
    win.destroy();
    restoreConsole();
  }
}

/** Start, Stop and the once-a-second refresh for one server window. */
class ServerApp {
  private server: ServerLike | undefined;
  private starting: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastDropped: Record<string, number> = {};
  private showRunning = (): void => {};
  private shownDiscovery = '';

  constructor(private readonly win: ServerWindow, private readonly historyDir: string, private readonly create: ServerFactory) {
    win.on('start', (settings) => void (this.starting = this.start(settings)));
    win.on('stop', () => void this.stop().then(() => win.setRunning(false)));
  }

  private async start(settings: ServerSettings): Promise<void> {
    const win = this.win;
    try {
      const server = await this.create({ ...settings, historyDir: this.historyDir, onProgress: (t) => win.progress(t) });
      this.server = server;
      listenTo(server, win, () => win.setUsers(server.users()));
      const addr = await server.listen();
      this.lastDropped = {};
      const addresses = connectAddresses(addr.host, addr.port, networkInterfaces());
      // Bound to every interface, this machine reaches it on 127.0.0.1 too (handy to try it alone).
      if (['0.0.0.0', '::', ''].includes(addr.host) && !addresses[0]!.startsWith('127.0.0.1')) addresses.push(`127.0.0.1:${addr.port}  (this machine)`);
      this.showRunning = () => win.setRunning(true, { addresses, fingerprint: server.fingerprint, ...discoveryInfo(server) });
      this.shownDiscovery = JSON.stringify(discoveryInfo(server));
      this.showRunning();
      for (const f of server.discovery?.failed ?? []) win.log(`cannot answer discovery on ${f.name} (${f.bind}): ${f.reason}`, 'warn');
      await saveLastServer(this.historyDir, { host: settings.host, port: settings.port, roomName: settings.roomName })
        .catch((err: Error) => win.log(`could not remember these settings: ${err.message}`, 'warn'));
      this.refresh();
      this.timer = setInterval(() => this.refresh(), STATS_REFRESH_MS);
    } catch (err) {
      // It never ran: stop it quietly (no "clients were told").
      this.server?.removeAllListeners();
      await this.stop();
      win.showError((err as Error).message);
    }
  }

  private refresh(): void {
    if (!this.server) return;
    const stats = this.server.stats();
    const dropped = droppedSince(this.lastDropped, stats.dropped);
    if (dropped) this.win.log(`dropped datagrams: ${dropped}`, 'warn');
    this.lastDropped = stats.dropped;
    this.win.setStats(stats);
    this.win.setUsers(this.server.users());
    // The server looks for new interfaces now and then: show where it answers now.
    const discovery = JSON.stringify(discoveryInfo(this.server));
    if (discovery !== this.shownDiscovery) {
      this.shownDiscovery = discovery;
      this.showRunning();
    }
  }

  private async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    try {
      await s.stop();
    } catch (err) {
      this.win.log(`stop: ${(err as Error).message}`, 'error');
    }
    s.removeAllListeners();
  }

  /** Waits for a start under way (quitting while the key is made), then stops. */
  async close(): Promise<void> {
    await this.starting;
    await this.stop();
  }
}

/**
 * Routes the server's events into the window: its 'log' lines (joins, leaves, direct messages, storage
 * trouble) as they are, room messages and refusals with their reason; joins and leaves refresh the users.
 */
function listenTo(server: ServerLike, win: ServerWindow, refreshUsers: () => void): void {
  let lastRefused = '';
  server.on('listening', ({ host, port }) => win.log(`listening on ${host}:${port}${server.roomName ? ` — room "${server.roomName}"` : ''}`));
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

/** The room line of the connect pane: its name and the interfaces discovery answers on; failures go to the log. */
function discoveryInfo(server: ServerLike): { room?: string; discovery?: string[] } {
  if (server.roomName === undefined || !server.discovery) return {};
  return { room: server.roomName, discovery: server.discovery.answering.map((a) => `${a.name} (${a.bind})`) };
}
