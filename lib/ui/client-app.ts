// Runs the client window: what it needs of ChatClient, prefill from flags and the last login, clean exit.
import type { ClientFactory } from './client-like.ts';
import type { KeysAhead } from '../e2e/keys-ahead.ts';
import { ClientController } from './client-controller.ts';
import { ClientWindow, type LoginPrefill } from './client-window.ts';
import { loadLastLogin } from './last-login.ts';
import { captureConsole, QUIT_SIGNALS, type ScreenIo } from './screen.ts';
import { DEFAULT_PORT } from '../constants.ts';
import { KnownServers } from '../history/client.ts';
import { searchRooms } from '../net/discovery-socket.ts';
import { RoomsView, type RoomsDeps } from './rooms-view.ts';

/** Options of runClientWindow; all but historyDir prefill the login form. */
export interface ClientWindowOptions {
  host?: string; port?: number; password?: string; username?: string; historyDir: string;
  /** Keys being made while the person fills in the form (lib/e2e/keys-ahead.ts), for the client it creates. */
  keysAhead?: KeysAhead;
  /** Files (issue 19): where received files go, the largest sent or accepted. */
  downloads?: string; maxFile?: number;
}

/** Test and demo hooks: another core, in-memory terminal streams, a look at the window. */
export interface ClientAppDeps {
  createClient?: ClientFactory; io?: ScreenIo; onWindow?: (win: ClientWindow) => void;
  /** How to look for rooms on the LAN (default searchRooms); false: no rooms list. */
  search?: RoomsDeps['search'] | false;
}

const realClient = (files: { downloads?: string; maxFile?: number }): ClientFactory => async (opts) => {
  const { ChatClient } = await import('../chat/client.ts');
  return new ChatClient({ ...opts, ...files });
};

/**
 * Runs the client window until the person quits (Ctrl-C, /quit, or Quit on the form).
 * Resolves with the exit code, 0 after a clean quit; refusals are shown in the window, never thrown.
 */
export async function runClientWindow(opts: ClientWindowOptions, deps: ClientAppDeps = {}): Promise<number> {
  const last = await loadLastLogin(opts.historyDir);
  const prefill: LoginPrefill = {
    host: opts.host ?? last?.host,
    port: opts.port ?? last?.port ?? DEFAULT_PORT,
    username: opts.username ?? last?.username,
    password: opts.password,
  };
  const win = new ClientWindow(prefill, deps.io);
  deps.onWindow?.(win);
  const restoreConsole = captureConsole((line) => win.system(line));
  const files = { ...(opts.downloads !== undefined ? { downloads: opts.downloads } : {}), ...(opts.maxFile !== undefined ? { maxFile: opts.maxFile } : {}) };
  const create = deps.createClient ?? realClient(files);
  const app = new ClientController(win, opts.historyDir, opts.keysAhead ? (o) => create({ ...o, keysAhead: opts.keysAhead }) : create);
  // Without --host, the rooms on this LAN come first; a choice fills host and port and asks for the password.
  const rooms = opts.host === undefined && deps.search !== false ? await showRooms(win, opts.historyDir, prefill, deps.search || searchRooms) : undefined;
  let onSignal = () => {};
  try {
    await new Promise<void>((resolve) => {
      // Ctrl-C or /quit ask first when messages are unsent; Ctrl-C again while asking quits (they stay on disk).
      let asking = false;
      const tryQuit = () => {
        if (asking) return resolve();
        asking = true;
        void app.mayQuit().then((yes) => (yes ? resolve() : undefined), () => resolve()).finally(() => (asking = false));
      };
      win.on('quit', tryQuit);
      app.onQuit = tryQuit;
      onSignal = resolve;
      for (const sig of QUIT_SIGNALS) process.once(sig, onSignal);
    });
    await app.close();
    return 0;
  } finally {
    for (const sig of QUIT_SIGNALS) process.removeListener(sig, onSignal);
    rooms?.destroy();
    win.destroy();
    restoreConsole();
  }
}

async function showRooms(win: ClientWindow, historyDir: string, prefill: LoginPrefill, search: RoomsDeps['search']): Promise<RoomsView> {
  const known = await KnownServers.open(historyDir).catch(() => undefined);
  const rooms = new RoomsView(win.screen, {
    search,
    pins: () => known?.entries() ?? [],
    onPick: (r) => win.showLogin({ ...prefill, host: r.host, port: r.port, room: r.name }),
    onOther: () => win.showLogin(prefill),
    onQuit: () => win.emit('quit'),
  });
  rooms.show();
  return rooms;
}
