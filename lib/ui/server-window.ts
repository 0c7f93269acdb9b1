// The server window: settings form with Start/Stop, where clients connect, users, counters, live log.
// It only renders and emits events; lib/ui/server-app.ts wires it to ChatServer.
import blessed from 'neo-blessed';
import type { Widgets } from 'blessed';
import { EventEmitter } from 'node:events';
import type { RoomUser, ServerStats } from '../chat/types.ts';
import { clockHMS, escapeTags, formatRoomUser, formatStats, parsePort, stripControls } from './format.ts';
import { bindKeys, FocusRing, footerText, pushRing, tabBindings, type KeyBinding } from './keys.ts';
import { createScreen, destroyScreen, type ScreenIo } from './screen.ts';
import {
  atBottom, button, label, scrollBy, scrollPane, relabel, setButtonLabel, Spinner, textField, type TextField,
} from './widgets.ts';

/** Most lines the log pane keeps. */
const LOG_MAX_LINES = 2_000;
/** Width of the users pane, in cells. */
const USERS_WIDTH = 40;
/** Most lines the connect pane grows to (addresses + the key), in lines. */
const CONNECT_MAX_LINES = 6;

/** What the form holds; the window emits 'start' with it once it is valid. */
export interface ServerSettings { host: string; port: number; password: string; roomName: string }

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
  /** The room's name, and the interfaces discovery answers on ("eth0 (10.0.0.255)"). */
  room?: string;
  discovery?: string[];
}

/** Form prefill, from flags. */
export interface ServerPrefill { host?: string; port?: number; password?: string; roomName?: string }

/** The server window; construct, listen to its events, call its render methods. */
export class ServerWindow extends EventEmitter<ServerWindowEvents> {
  readonly screen: Widgets.Screen;
  private readonly ring: FocusRing;
  private host!: TextField;
  private port!: TextField;
  private password!: TextField;
  private roomName!: TextField;
  private startButton!: Widgets.ButtonElement;
  private message!: Widgets.TextElement;
  private connectPane!: Widgets.BoxElement;
  private statsPane!: Widgets.BoxElement;
  private usersPane!: Widgets.BoxElement;
  private logPane!: Widgets.BoxElement;
  /** The log shows its newest line (kept across resizes, when atBottom cannot tell). */
  private logFollow = true;
  private readonly spinner: Spinner;
  private readonly logLines: string[] = [];
  private users: RoomUser[] = [];
  private state: 'stopped' | 'starting' | 'running' | 'stopping' = 'stopped';

  constructor(prefill: ServerPrefill = {}, io?: ScreenIo) {
    super();
    this.screen = createScreen('Obrolan server', io);
    const s = this.screen;
    blessed.box({ parent: s, top: 0, height: 1, width: '100%', tags: true,
      content: ' {bold}Obrolan server{/bold}  LAN chatroom over UDP', style: { fg: 'black', bg: '#00afff' } });
    this.buildForm(prefill);
    this.buildPanes();
    const footer = label({ parent: s, bottom: 0, left: 0, width: '100%', style: { fg: 'black', bg: '#8a8a8a' } });
    this.spinner = new Spinner((line) => this.setMessage(line));
    this.ring = new FocusRing(s, this.formItems());
    pushRing(s, this.ring);
    const keys = this.keyTable();
    footer.setContent(` ${footerText(keys)}`);
    bindKeys(s, keys);
    this.wireForm();
    s.on('resize', () => s.render());
    this.focusForm();
  }

  private buildForm(prefill: ServerPrefill): void {
    const form = blessed.box({ parent: this.screen, top: 1, height: 5, width: '100%', border: { type: 'line' },
      label: ' Settings ', style: { border: { fg: '#585858' } } });
    const field = (top: number, left: number, width: number, value: string, censor = false) => {
      const f: TextField = textField({ parent: form, top, left, width, value, censor,
        onClick: () => this.ring.has(f) && this.ring.focus(f) });
      return f;
    };
    label({ parent: form, top: 0, left: 1, content: 'Bind address' });
    this.host = field(0, 14, 18, prefill.host ?? '0.0.0.0');
    label({ parent: form, top: 0, left: 34, content: 'Port' });
    this.port = field(0, 39, 7, prefill.port !== undefined ? String(prefill.port) : '');
    label({ parent: form, top: 1, left: 1, content: 'Password' });
    this.password = field(1, 14, 18, prefill.password ?? '', true);
    label({ parent: form, top: 0, left: 48, content: 'Room name' });
    this.roomName = field(0, 58, 20, prefill.roomName ?? '');
    this.startButton = button({ parent: form, top: 1, left: 34, label: 'Start' });
    this.message = label({ parent: form, top: 2, left: 1, right: 1, content: '' });
  }

  /** Where clients connect (full width), then counters and the log on the left, users on the right. */
  private buildPanes(): void {
    const s = this.screen;
    this.connectPane = scrollPane({ parent: s, top: 6, left: 0, width: '100%', height: 4, label: ' Clients connect to ' });
    this.statsPane = scrollPane({ parent: s, left: 0, height: 5, label: ' Counters ' });
    this.usersPane = scrollPane({ parent: s, right: 0, bottom: 1, label: ' Users online (0) ' });
    this.logPane = scrollPane({ parent: s, left: 0, bottom: 1, label: ' Log ' });
    this.fitWidths();
    // After a resize the log wraps again at the new width; one that showed its newest line still does.
    this.logPane.on('scroll', () => (this.logFollow = atBottom(this.logPane)));
    s.on('resize', () => {
      this.fitWidths();
      this.setUsers(this.users);
      this.logPane.setContent(this.logLines.join('\n'));
      if (this.logFollow) this.logPane.setScrollPerc(100);
    });
    this.showConnect(['{gray-fg}Not running. Fill in the form and press Start.{/gray-fg}']);
    this.statsPane.setContent('{gray-fg}—{/gray-fg}');
  }

  /** Users get at most USERS_WIDTH cells and 40% of the width; counters and log the rest. */
  private fitWidths(): void {
    const users = Math.min(USERS_WIDTH, Math.floor(Number(this.screen.width) * 0.4));
    this.usersPane.width = users;
    this.statsPane.width = Number(this.screen.width) - users;
    this.logPane.width = Number(this.screen.width) - users;
  }

  /** Fills the connect pane, sized to its lines, and moves the panes below it. */
  private showConnect(lines: string[]): void {
    const height = Math.min(CONNECT_MAX_LINES, lines.length) + 2;
    this.connectPane.height = height;
    this.connectPane.setContent(lines.join('\n'));
    this.statsPane.top = 6 + height;
    this.usersPane.top = 6 + height;
    this.logPane.top = 6 + height + 5;
    this.screen.render();
  }

  /** One table for every key of this window; the footer is made from it. */
  private keyTable(): KeyBinding[] {
    return [
      ...tabBindings(this.screen),
      // Enter is handled by the fields and buttons themselves; listed here for the footer.
      { keys: [], help: 'Tab next · Enter Start/Stop', run: () => {} },
      { keys: ['pageup'], help: 'PgUp/PgDn log', global: true, run: () => scrollBy(this.logPane, -this.page()) },
      { keys: ['pagedown'], help: '', global: true, run: () => scrollBy(this.logPane, this.page()) },
      { keys: ['q'], help: 'q quit (stopped)', run: () => this.quitIfStopped() },
      { keys: ['C-c'], help: 'Ctrl-C quit', global: true, run: () => this.emit('quit') },
    ];
  }

  private wireForm(): void {
    const fields = [this.host, this.port, this.roomName, this.password];
    for (const f of fields) {
      f.on('submit', () => this.fieldEnter(f));
      f.on('cancel', () => {});
      f.key(['up'], () => this.ring.move(-1));
      f.key(['down'], () => this.ring.move(1));
    }
    this.startButton.on('press', () => this.pressStartStop());
  }

  private formItems(): Widgets.BlessedElement[] {
    return [this.host, this.port, this.roomName, this.password, this.startButton];
  }

  private page(): number {
    return Math.max(1, Number(this.logPane.height) - 3);
  }

  private setMessage(tagged: string): void {
    this.message.setContent(tagged);
    this.screen.render();
  }

  /** Enter in a field: start when the form is complete, else go to the next empty field. */
  private fieldEnter(field: TextField): void {
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
      setButtonLabel(this.startButton, 'Stopping…');
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
    setButtonLabel(this.startButton, 'Starting…');
    this.setMessage('');
    this.emit('start', { host, port, password, roomName: this.roomName.getValue().trim() });
  }

  private fieldError(field: TextField, text: string): void {
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
    setButtonLabel(this.startButton, running ? 'Stop' : 'Start');
    this.ring.setItems(running ? [this.startButton] : this.formItems());
    if (running && info) {
      const found = info.discovery === undefined ? [] : info.discovery.length
        ? [`room {bold}${escapeTags(info.room ?? '')}{/bold} — found by clients on this LAN via ${escapeTags(info.discovery.join(', '))}`]
        : [`room {bold}${escapeTags(info.room ?? '')}{/bold} — {yellow-fg}not answering discovery here: clients type an address{/yellow-fg}`];
      this.showConnect([
        ...found,
        ...info.addresses.map((a) => `{bold}${escapeTags(a)}{/bold}`),
        `server key {yellow-fg}${escapeTags(info.fingerprint)}{/yellow-fg}`,
      ]);
      this.setMessage('{green-fg}running{/green-fg} — clients need an address below and the password; they check the key');
    } else if (!running) {
      this.showConnect(['{gray-fg}Not running. Fill in the form and press Start.{/gray-fg}']);
      this.setMessage('{gray-fg}stopped — press Start to run again, q to quit{/gray-fg}');
      this.setUsers([]);
    }
    this.ring.focus(this.startButton);
  }

  /** Fills the users pane: name, address, and since when if the pane is wide enough. */
  setUsers(users: RoomUser[]): void {
    this.users = users;
    relabel(this.usersPane, ` Users online (${users.length}) `);
    const nameWidth = Math.max(0, ...users.map((u) => u.name.length));
    const inner = Number(this.usersPane.width) - 4;
    const rows = users.map((u) => formatRoomUser(u, nameWidth));
    const fit = rows.every((r) => r.length <= inner) ? rows : users.map((u) => formatRoomUser({ ...u, since: undefined }, nameWidth));
    this.usersPane.setContent(fit.map(escapeTags).join('\n'));
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
    this.logPane.setContent(this.logLines.join('\n'));
    if (this.logFollow) this.logPane.setScrollPerc(100);
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
