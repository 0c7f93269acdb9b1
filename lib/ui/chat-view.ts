// The chat view: messages, users, the input line with [Send] and [Send Encrypted], the status bar.
import blessed from 'neo-blessed';
import type { Widgets } from 'blessed';
import type { ChatMessage, ClientState } from '../chat/types.ts';
import {
  dayKey, escapeTags, formatDay, formatMessage, formatSystem, shortFingerprint, stripControls, stripTags,
} from './format.ts';
import { FocusRing } from './keys.ts';
import { atBottom, button, keepReading, label, relabel, scrollBy, scrollPane, textField } from './widgets.ts';

/** Most entries the message pane keeps (older ones scroll away for good). */
const MAX_ENTRIES = 2_000;
/** The key state marker after a user's name (issue 15): verified ✓, changed in red. */
const KEY_MARKS: Record<string, string> = { verified: ' {green-fg}✓{/green-fg}', changed: ' {red-fg}keys!{/red-fg}' };
/** Width of the users pane, in cells. */
const USERS_WIDTH = 24;

type Entry =
  | { kind: 'message'; m: ChatMessage; own: boolean; delivered: boolean }
  | { kind: 'system'; text: string; ts: number; level: 'info' | 'error' };

/** What the status bar shows. */
export interface ChatStatus {
  state: ClientState;
  /** "host:port". */
  server: string;
  serverFingerprint: string;
  myFingerprint: string;
}

/** How the chat view reports what the person did. */
export interface ChatViewHandlers {
  send(text: string): void;
  sendEncrypted(text: string): void;
}

const STATE_LABEL: Record<ClientState, string> = {
  connecting: '{yellow-fg}● connecting…{/yellow-fg}',
  connected: '{green-fg}● connected{/green-fg}',
  reconnecting: '{yellow-fg}● reconnecting…{/yellow-fg}',
  closed: '{red-fg}● disconnected{/red-fg}',
};

/** The chat view; the client window shows it after a successful login. */
export class ChatView {
  readonly box: Widgets.BoxElement;
  readonly input: Widgets.TextboxElement;
  private readonly messages: Widgets.BoxElement;
  private readonly users: Widgets.ListElement;
  private readonly sendButton: Widgets.ButtonElement;
  private readonly encButton: Widgets.ButtonElement;
  private readonly status: Widgets.TextElement;
  private readonly entries: Entry[] = [];
  /** Ids the server confirmed before the message was shown (an async send can lose that race). */
  private readonly early = new Set<string>();
  private userNames: string[] = [];
  private me = '';
  private lastStatus: ChatStatus | undefined;

  constructor(screen: Widgets.Screen, private readonly ring: FocusRing, private readonly on: ChatViewHandlers) {
    this.box = blessed.box({ parent: screen, top: 0, left: 0, width: '100%', bottom: 1 });
    this.box.hide();
    this.messages = scrollPane({ parent: this.box, top: 0, left: 0, right: USERS_WIDTH, bottom: 4, label: ' Messages ' });
    this.users = blessed.list({
      parent: this.box, top: 0, right: 0, width: USERS_WIDTH, bottom: 4, label: ' Users ', tags: true,
      border: { type: 'line' }, keys: true, mouse: true, padding: { left: 1, right: 0 },
      style: { border: { fg: '#585858' }, selected: { bg: '#005f87' }, focus: { border: { fg: '#00afff' } } },
    });
    const bar = blessed.box({ parent: this.box, bottom: 1, left: 0, width: '100%', height: 3, border: { type: 'line' },
      style: { border: { fg: '#585858' } } });
    label({ parent: bar, top: 0, left: 0, content: '>' });
    this.input = textField({ parent: bar, top: 0, left: 2, right: 25, onClick: () => this.ring.focus(this.input) });
    this.sendButton = button({ parent: bar, top: 0, right: 17, label: 'Send' });
    this.encButton = button({ parent: bar, top: 0, right: 0, label: 'Send Encrypted' });
    this.status = label({ parent: this.box, bottom: 0, left: 0, width: '100%', style: { fg: 'white', bg: '#303030' } });
    this.wire();
  }

  private wire(): void {
    this.input.on('submit', () => {
      this.take(this.on.send);
      keepReading(this.input);
    });
    // Escape ends reading; keep the line editable unless the focus moved on.
    this.input.on('cancel', () => keepReading(this.input));
    this.sendButton.on('press', () => this.take(this.on.send));
    this.encButton.on('press', () => this.take(this.on.sendEncrypted));
    this.box.screen.on('resize', () => this.lastStatus && this.setStatus(this.lastStatus));
    this.users.on('select', (_item: unknown, index: number) => this.pickUser(index));
    this.users.on('element click', (el: Widgets.BlessedElement) => {
      const index = (this.users as unknown as { items: Widgets.BlessedElement[] }).items.indexOf(el);
      if (index >= 0) this.pickUser(index);
    });
  }

  /** The focusable widgets, in Tab order. */
  items(): Widgets.BlessedElement[] {
    return [this.input, this.sendButton, this.encButton, this.users];
  }

  /** Shows the view for user `me` with the input focused. */
  show(me: string): void {
    this.me = me;
    this.box.show();
    this.ring.focus(this.input);
  }

  /** Hides the view (back to the login form). */
  hide(): void {
    this.box.hide();
  }

  /** Sends what is typed through `how` (Send or Send Encrypted), clears the line, focuses it again. */
  takeInput(how: 'send' | 'sendEncrypted'): void {
    this.take(how === 'send' ? this.on.send : this.on.sendEncrypted);
  }

  private take(how: (text: string) => void): void {
    const text = this.input.getValue();
    this.input.clearValue();
    this.ring.focus(this.input);
    if (text.trim()) how(text);
  }

  private pickUser(index: number): void {
    const name = this.userNames[index];
    if (name === undefined || name === this.me) return;
    this.input.setValue(`/msg ${name} `);
    this.ring.focus(this.input);
  }

  /** Adds a message; an own one not yet `stored` shows … until markDelivered, then ✓. */
  addMessage(m: ChatMessage, own: boolean, stored: boolean): void {
    const delivered = own && (stored || this.early.delete(m.id));
    this.push({ kind: 'message', m, own, delivered });
  }

  /** Marks an own message as stored by the server (✓). */
  markDelivered(id: string): void {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!;
      if (e.kind === 'message' && e.own && e.m.id === id) {
        e.delivered = true;
        return this.redraw();
      }
    }
    this.early.add(id);
  }

  /** Adds a system line (joins, leaves, reconnects; errors in red). */
  system(text: string, level: 'info' | 'error' = 'info'): void {
    this.push({ kind: 'system', text, ts: Date.now(), level });
  }

  /** Scrolls the message pane by pages (negative: up). */
  scrollPages(pages: number): void {
    scrollBy(this.messages, pages * Math.max(1, Number(this.messages.height) - 3));
  }

  /** Fills the users pane; you are marked "(you)", verified keys ✓, changed keys a red "keys!". */
  setUsers(names: string[], keyStates: Record<string, string> = {}): void {
    this.userNames = [...names].sort((a, b) => a.localeCompare(b));
    const selected = (this.users as unknown as { selected: number }).selected;
    this.users.setItems(this.userNames.map((n) => escapeTags(stripControls(n)) + (n === this.me ? ' {gray-fg}(you){/gray-fg}' : KEY_MARKS[keyStates[n] ?? ''] ?? '')) as never);
    this.users.select(Math.min(selected, Math.max(0, this.userNames.length - 1)));
    relabel(this.users, ` Users (${names.length}) `);
    this.box.screen.render();
  }

  /** Updates the status bar: state, server, both fingerprints (shortened to fit the width). */
  setStatus(s: ChatStatus): void {
    this.lastStatus = s;
    const state = STATE_LABEL[s.state];
    const plain = (fpChars: number) => ` ${stripTags(state)}  server ${s.server}  key ${shortFingerprint(s.serverFingerprint, fpChars)}  you ${this.me} ${shortFingerprint(s.myFingerprint, fpChars)}`;
    let fpChars = 50;
    while (fpChars > 12 && plain(fpChars).length > Number(this.box.screen.width) - 1) fpChars--;
    const fp = (f: string) => `{gray-fg}${escapeTags(shortFingerprint(f, fpChars))}{/gray-fg}`;
    this.status.setContent(` ${state}  server ${escapeTags(s.server)}  key ${fp(s.serverFingerprint)}  you ${escapeTags(stripControls(this.me))} ${fp(s.myFingerprint)}`);
    this.box.screen.render();
  }

  private push(e: Entry): void {
    this.entries.push(e);
    if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES);
    this.redraw();
  }

  private redraw(): void {
    const follow = atBottom(this.messages);
    const lines: string[] = [];
    // HH:MM alone would pass yesterday's history off as today's: a date line starts every other day.
    let day = dayKey(Date.now());
    for (const e of this.entries) {
      const ts = e.kind === 'system' ? e.ts : e.m.ts;
      if (dayKey(ts) !== day) lines.push(formatDay(ts));
      day = dayKey(ts);
      lines.push(e.kind === 'system'
        ? formatSystem(e.text, e.ts, e.level)
        : formatMessage(e.m, this.me, e.own ? (e.delivered ? 'delivered' : 'pending') : 'none'));
    }
    this.messages.setContent(lines.join('\n'));
    if (follow) this.messages.setScrollPerc(100);
    this.box.screen.render();
  }
}
