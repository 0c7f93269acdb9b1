// The server window: settings form with Start/Stop, where clients connect, users, counters, live log.
// It only renders and emits events; lib/ui/server-app.ts wires it to ChatServer.
import blessed from 'neo-blessed';
import type { Widgets } from 'blessed';
import { EventEmitter } from 'node:events';
import type { RoomUser, ServerStats } from '../chat-types.ts';
import { clockHMS, escapeTags, formatRoomUser, formatStats, parsePort, stripControls } from './format.ts';
import {
  atBottom, bindKeys, button, createScreen, destroyScreen, FocusRing, footerText, label, pushRing, scrollBy, scrollPane,
  relabel, Spinner, tabBindings, textField, type KeyBinding, type ScreenIo,
} from './widgets.ts';

/** Most lines the log pane keeps. */
const LOG_MAX_LINES = 2_000;

/** What the form holds; the window emits 'start' with it once it is valid. */
export interface ServerSettings { host: string; port: number; password: string }

/** Events of the server window. */
export interface ServerWindowEvents {
  start: [ServerSettings];
  stop: [];
  quit: [];
}

/** What the window shows while running. */
export interface RunningInfo {
  /** "ip:port  (interface)" lines clients should type. */
  addresses: string[];
  fingerprint: string;
}

/** Form prefill, from flags. */
export interface ServerPrefill { host?: string; port?: number; password?: string }

/** The server window; construct, listen to its events, call its render methods. */
export class ServerWindow extends EventEmitter<ServerWindowEvents> {
  readonly screen: Widgets.Screen;
  private readonly ring: FocusRing;
  private readonly host: Widgets.TextboxElement;
  private readonly port: Widgets.TextboxElement;
  private readonly password: Widgets.TextboxElement;
  private readonly startButton: Widgets.ButtonElement;
  private readonly message: Widgets.TextElement;
  private readonly connectPane: Widgets.BoxElement;
  private readonly statsPane: Widgets.BoxElement;
  private readonly usersPane: Widgets.BoxElement;
  private readonly logPane: Widgets.BoxElement;
  private readonly spinner: Spinner;
  private readonly logLines: string[] = [];
  private state: 'stopped' | 'starting' | 'running' | 'stopping' = 'stopped';

  constructor(prefill: ServerPrefill = {}, io?: ScreenIo) {
    super();
    this.screen = createScreen('Obrolan server', io);
    const s = this.screen;
    blessed.box({ parent: s, top: 0, height: 1, width: '100%', tags: true,
      content: ' {bold}Obrolan server{/bold}  LAN chatroom over UDP', style: { fg: 'black', bg: '#00afff' } });
    const form = blessed.box({ parent: s, top: 1, height: 5, width: '100%', border: { type: 'line' },
      label: ' Settings ', style: { border: { fg: '#585858' } } });
    const click = (el: () => Widgets.BlessedElement) => () => this.ring.has(el()) && this.ring.focus(el());
    label({ parent: form, top: 0, left: 1, content: 'Bind address' });
    this.host = textField({ parent: form, top: 0, left: 14, width: 18, value: prefill.host ?? '0.0.0.0', onClick: click(() => this.host) });
    label({ parent: form, top: 0, left: 34, content: 'Port' });
    this.port = textField({ parent: form, top: 0, left: 39, width: 7, value: prefill.port !== undefined ? String(prefill.port) : '', onClick: click(() => this.port) });
    label({ parent: form, top: 1, left: 1, content: 'Password' });
    this.password = textField({ parent: form, top: 1, left: 14, width: 18, censor: true, value: prefill.password ?? '', onClick: click(() => this.password) });
    this.startButton = button({ parent: form, top: 1, left: 34, label: 'Start' });
    this.message = label({ parent: form, top: 2, left: 1, right: 1, content: '' });
    this.connectPane = scrollPane({ parent: s, top: 6, left: 0, width: '60%', height: 6, label: ' Clients connect to ' });
    this.statsPane = scrollPane({ parent: s, top: 12, left: 0, width: '60%', height: 5, label: ' Counters ' });
    this.usersPane = scrollPane({ parent: s, top: 6, left: '60%', width: '40%', height: 11, label: ' Users online (0) ' });
    this.logPane = scrollPane({ parent: s, top: 17, left: 0, width: '100%', bottom: 1, label: ' Log ' });
    const footer = label({ parent: s, bottom: 0, left: 0, width: '100%', style: { fg: 'black', bg: '#8a8a8a' } });
    this.spinner = new Spinner((line) => this.setMessage(line));
    this.ring = new FocusRing(s, this.formItems());
    pushRing(s, this.ring);
    const keys = this.keyTable();
    footer.setContent(` ${footerText(keys)}`);
    bindKeys(s, keys);
    this.wireForm();
    this.connectPane.setContent('{gray-fg}Not running. Fill in the form and press Start.{/gray-fg}');
    this.statsPane.setContent('{gray-fg}—{/gray-fg}');
    s.on('resize', () => s.render());
    this.focusForm();
  }

  /** One table for every key of this window; the footer is made from it. */
  private keyTable(): KeyBinding[] {
    return [
      ...tabBindings(this.screen),
      // Enter is handled by the fields and buttons themselves; listed here for the footer.
      { keys: [], help: 'Tab next · Enter Start/Stop', run: () => {} },
      { keys: ['pageup'], help: 'PgUp/PgDn log', global: true, run: () => scrollBy(this.logPane, -this.page()) },
      { keys: ['pagedown'], help: '', global: true, run: () => scrollBy(this.logPane, this.page()) },
      { keys: ['q'], help: 'q quit (when stopped)', run: () => this.quitIfStopped() },
      { keys: ['C-c'], help: 'Ctrl-C quit', global: true, run: () => this.emit('quit') },
    ];
  }

  private wireForm(): void {
    const fields = [this.host, this.port, this.password];
    for (const f of fields) {
      f.on('submit', () => this.fieldEnter(f));
      f.on('cancel', () => {});
      f.key(['up'], () => this.ring.move(-1));
      f.key(['down'], () => this.ring.move(1));
    }
    this.startButton.on('press', () => this.pressStartStop());
  }

  private formItems(): Widgets.BlessedElement[] {
    return [this.host, this.port, this.password, this.startButton];
  }

  private page(): number {
    return Math.max(1, Number(this.logPane.height) - 3);
  }

  private setMessage(tagged: string): void {
    this.message.setContent(tagged);
    this.screen.render();
  }

  /** Enter in a field: start when the form is complete, else go to the next empty field. */
  private fieldEnter(field: Widgets.TextboxElement): void {
    const empty = [this.host, this.port, this.password].find((f) => f.getValue().trim() === '');
    if (!empty) return this.pressStartStop();
    this.ring.focus(empty === field ? this.startButton : empty);
  }

  /** Focus where the next key is most useful: Start when the form is complete, else the first empty field. */
  private focusForm(): void {
    const empty = [this.host, this.port, this.password].find((f) => f.getValue().trim() === '');
    this.ring.focus(empty ?? this.startButton);
  }

  private pressStartStop(): void {
    if (this.state === 'running') {
      this.state = 'stopping';
      this.startButton.setContent('Stopping…');
      this.emit('stop');
      this.screen.render();
      return;
    }
    if (this.state !== 'stopped') return;
    const port = parsePort(this.port.getValue(), true);
    const host = this.host.getValue().trim() || '0.0.0.0';
    const password = this.password.getValue();
    if (port === undefined) return this.fieldError(this.port, 'port must be a number from 0 (any free port) to 65535');
    if (!password) return this.fieldError(this.password, 'a password is required: clients type it to join');
    this.state = 'starting';
    this.startButton.setContent('Starting…');
    this.setMessage('');
    this.emit('start', { host, port, password });
  }

  private fieldError(field: Widgets.TextboxElement, text: string): void {
    this.setMessage(`{red-fg}${escapeTags(text)}{/red-fg}`);
    this.ring.focus(field);
  }

  private quitIfStopped(): void {
    if (this.state === 'stopped') this.emit('quit');
    else this.log('the server is running: press Stop first, or Ctrl-C to stop and quit');
  }

  /** Shows running (Stop button, addresses, fingerprint; fields locked) or stopped (Start, fields open). */
  setRunning(running: boolean, info?: RunningInfo): void {
    this.spinner.stop();
    this.state = running ? 'running' : 'stopped';
    this.startButton.setContent(running ? 'Stop' : 'Start');
    this.ring.setItems(running ? [this.startButton] : this.formItems());
    if (running && info) {
      this.connectPane.setContent([
        ...info.addresses.map((a) => `{bold}${escapeTags(a)}{/bold}`),
        '',
        'server key fingerprint (clients are asked to trust it):',
        `{yellow-fg}${escapeTags(info.fingerprint)}{/yellow-fg}`,
      ].join('\n'));
      this.setMessage('{green-fg}running{/green-fg} — give clients an address below and the password');
    } else if (!running) {
      this.connectPane.setContent('{gray-fg}Not running. Fill in the form and press Start.{/gray-fg}');
      this.setMessage('{gray-fg}stopped — press Start to run again, q to quit{/gray-fg}');
      this.setUsers([]);
    }
    this.ring.focus(this.startButton);
  }

  /** Fills the users pane: name, address, since when. */
  setUsers(users: RoomUser[]): void {
    relabel(this.usersPane, ` Users online (${users.length}) `);
    this.usersPane.setContent(users.map((u) => escapeTags(formatRoomUser(u))).join('\n'));
    this.screen.render();
  }

  /** Shows the counters (refreshed by the app every second). */
  setStats(stats: ServerStats): void {
    this.statsPane.setContent(formatStats(stats).map(escapeTags).join('\n'));
    this.screen.render();
  }

  /** Adds a timestamped line to the live log; keeps the view at the bottom unless scrolled up. */
  log(line: string, level: 'info' | 'warn' | 'error' = 'info'): void {
    const colour = level === 'error' ? 'red' : level === 'warn' ? 'yellow' : '';
    const text = escapeTags(stripControls(line));
    this.logLines.push(`{gray-fg}${clockHMS(Date.now())}{/gray-fg} ${colour ? `{${colour}-fg}${text}{/${colour}-fg}` : text}`);
    if (this.logLines.length > LOG_MAX_LINES) this.logLines.splice(0, this.logLines.length - LOG_MAX_LINES);
    const follow = atBottom(this.logPane);
    this.logPane.setContent(this.logLines.join('\n'));
    if (follow) this.logPane.setScrollPerc(100);
    this.screen.render();
  }

  /** Shows a failure (e.g. port in use) under the form and in the log, and returns to stopped. */
  showError(message: string): void {
    this.log(message, 'error');
    this.setRunning(false);
    this.setMessage(`{red-fg}${escapeTags(message)}{/red-fg}`);
  }

  /** Shows long work (loading or making the server key) with a spinner; null clears it. */
  progress(text: string | null): void {
    if (text === null) {
      this.spinner.stop();
      this.setMessage('');
    } else {
      this.spinner.start(escapeTags(text));
    }
  }

  /** Takes the screen down and gives the terminal back as it was. */
  destroy(): void {
    this.spinner.stop();
    destroyScreen(this.screen);
  }
}
