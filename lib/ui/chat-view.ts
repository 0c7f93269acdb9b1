// The chat view: messages, users, the input line with [Send] and [Send Encrypted], the status bar (their text:
// lib/ui/chat-text.ts).
import blessed from 'neo-blessed';
import type { Widgets } from 'blessed';
import type { ChatMessage } from '../chat/types.ts';
import { foldName } from '../names.ts';
import { ChatInput } from './chat-input.ts';
import { entryLines, statusLine, userItem, type ChatStatus, type Entry } from './chat-text.ts';
import { COMMAND_WORDS } from './commands.ts';
import { askYesNo } from './dialogs.ts';
import { activeRing, FocusRing } from './keys.ts';
import { atBottom, button, label, relabel, scrollBy, scrollPane, type TextField } from './widgets.ts';

/** Most entries the message pane keeps (older ones scroll away for good). */
const MAX_ENTRIES = 2_000;
/** Width of the users pane, in cells. */
const USERS_WIDTH = 24;
/** Most rows of running file transfers above the input (the last says how many more). */
const TRANSFER_ROWS = 3;

export type { ChatStatus } from './chat-text.ts';

/** How the chat view reports what the person did. */
export interface ChatViewHandlers {
  send(text: string): void;
  sendEncrypted(text: string): void;
}

/** The chat view; the client window shows it after a successful login. */
export class ChatView {
  readonly box: Widgets.BoxElement;
  readonly input: TextField;
  private readonly line: ChatInput;
  private readonly messages: Widgets.BoxElement;
  private readonly users: Widgets.ListElement;
  private readonly sendButton: Widgets.ButtonElement;
  private readonly encButton: Widgets.ButtonElement;
  private readonly status: Widgets.TextElement;
  /** Live rows of running file transfers, above the input (lib/ui/live-transfers.ts). */
  private readonly transfers: Widgets.BoxElement;
  private readonly entries: Entry[] = [];
  /** Ids the server confirmed before the message was shown (an async send can lose that race). */
  private readonly early = new Set<string>();
  private userNames: string[] = [];
  /** The transfer ids Tab completes (ClientWindow.setTransferIds; none until files are shown). */
  transferIds: () => { offers: string[]; all: string[] } = () => ({ offers: [], all: [] });
  private me = '';
  private lastStatus: ChatStatus | undefined;
  /** The message pane shows its newest line (kept across resizes, when atBottom cannot tell). */
  private follow = true;
  /** Messages that came while scrolled up, and the first of them (the unread marker goes above it). */
  private unseen = 0;
  private marker: Entry | undefined;

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
    this.line = new ChatInput({ parent: bar, top: 0, left: 2, right: 25, onClick: () => this.ring.focus(this.input) }, {
      submit: () => this.take(this.on.send),
      names: () => this.userNames.filter((n) => n !== this.me),
      commands: () => COMMAND_WORDS,
      transfers: () => this.transferIds(),
      confirmPaste: (lines) => askYesNo(screen, {
        title: 'Long paste', lines: [`The paste has ${lines} lines. Put it in the input as one message?`],
        yes: 'Yes, paste', no: 'No',
      }),
    });
    this.input = this.line.field;
    this.sendButton = button({ parent: bar, top: 0, right: 17, label: 'Send' });
    this.encButton = button({ parent: bar, top: 0, right: 0, label: 'Send Encrypted' });
    this.transfers = blessed.box({ parent: this.box, bottom: 4, left: 1, right: 1, height: 1, tags: false, style: { fg: 'cyan' } });
    this.transfers.hide();
    this.status = label({ parent: this.box, bottom: 0, left: 0, width: '100%', style: { fg: 'white', bg: '#303030' } });
    this.wire();
  }

  private wire(): void {
    // A click in the messages or the users pane must not take the keyboard from the input.
    for (const pane of [this.messages, this.users]) pane.on('focus', () => activeRing(this.box.screen) === this.ring && this.ring.focus(this.input));
    this.messages.on('scroll', () => {
      this.follow = atBottom(this.messages);
      this.seenAll();
    });
    this.sendButton.on('press', () => this.take(this.on.send));
    this.encButton.on('press', () => this.take(this.on.sendEncrypted));
    this.box.screen.on('resize', () => this.resized());
    this.users.on('select', (_item: unknown, index: number) => this.pickUser(index));
    this.users.on('element click', (el: Widgets.BlessedElement) => {
      const index = (this.users as unknown as { items: Widgets.BlessedElement[] }).items.indexOf(el);
      if (index >= 0) this.pickUser(index);
    });
  }

  /** The focusable widgets: the input only (Tab completes; the buttons and users take mouse clicks). */
  items(): Widgets.BlessedElement[] {
    return [this.input];
  }

  /** Lines this person sent in earlier sessions, for Up. */
  seedHistory(lines: string[]): void {
    this.line.seedHistory(lines);
  }

  /** Puts a line back in the input (an unknown command keeps what was typed). */
  restoreInput(text: string): void {
    this.input.setValue(text);
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
    if (!text.trim()) return;
    this.line.history.add(text);
    // Answering means the earlier messages were read: the marker goes.
    if (this.marker) {
      this.marker = undefined;
      this.redraw();
    }
    how(text);
  }

  startSend(): void { // Ctrl-T: "/send " in an empty input (Tab completes a name or a path); a typed line is kept
    if (this.input.getValue() !== '') return this.system('Ctrl-T sends a file: empty the line first (or type /send PATH)');
    this.input.setValue('/send '); this.ring.focus(this.input);
  }

  private pickUser(index: number): void {
    const name = this.userNames[index];
    if (name === undefined || foldName(name) === foldName(this.me)) return;
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

  /** Empties the message pane (/clear). */
  clear(): void {
    this.entries.length = 0;
    this.follow = true;
    this.marker = undefined;
    this.seenAll();
    this.redraw();
  }

  /** Scrolls the message pane by pages (negative: up). */
  scrollPages(pages: number): void {
    scrollBy(this.messages, pages * Math.max(1, Number(this.messages.height) - 3));
  }

  /** Fills the users pane; you are marked "(you)", verified keys ✓, changed keys a red "keys!". */
  setUsers(names: string[], keyStates: Record<string, string> = {}): void {
    this.userNames = [...names].sort((a, b) => a.localeCompare(b));
    const selected = (this.users as unknown as { selected: number }).selected;
    const me = foldName(this.me);
    this.users.setItems(this.userNames.map((n) => userItem(n, foldName(n) === me, keyStates[n])) as never);
    this.users.select(Math.min(selected, Math.max(0, this.userNames.length - 1)));
    relabel(this.users, ` Users (${names.length}) `);
    this.box.screen.render();
  }

  /** The rows of running file transfers above the input; none: hidden, and the panes take the room back. */
  setTransfers(lines: string[]): void {
    const n = Math.min(lines.length, TRANSFER_ROWS);
    const rows = lines.length > n ? [...lines.slice(0, n - 1), `… and ${lines.length - n + 1} more`] : lines;
    const width = Math.max(10, Number(this.box.screen.width) - 2);
    this.transfers.setContent(rows.map((r) => [...r].slice(0, width).join('')).join('\n'));
    if (n === Number(this.transfers.height) && this.transfers.visible === n > 0) return this.box.screen.render();
    this.transfers.height = Math.max(1, n);
    if (n) this.transfers.show(); else this.transfers.hide();
    this.messages.bottom = this.users.bottom = 4 + n;
    this.redraw();
  }

  /** Updates the status bar: state, server, both fingerprints (shortened to fit the width). */
  setStatus(s: ChatStatus): void {
    this.lastStatus = s;
    this.status.setContent(statusLine(s, this.me, Number(this.box.screen.width)));
    this.box.screen.render();
  }

  /** Unseen messages while scrolled up: counted in the pane's title, a marker line above the first. */
  private noteUnseen(e: Entry): void {
    if (e.kind !== 'message' || e.own) return;
    if (this.follow) return;
    this.unseen++;
    this.marker ??= e;
    relabel(this.messages, ` Messages — ${this.unseen} new ↓ `);
  }

  private seenAll(): void {
    if (!this.follow || this.unseen === 0) return;
    this.unseen = 0;
    relabel(this.messages, ' Messages ');
  }

  private push(e: Entry): void {
    this.noteUnseen(e);
    this.entries.push(e);
    if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES);
    this.redraw();
  }

  /** After a resize: wrap again at the new width, and a pane that followed the newest line still does. */
  private resized(): void {
    const follow = this.follow;
    if (this.lastStatus) this.setStatus(this.lastStatus);
    this.redraw();
    if (!follow) return;
    // blessed scrolls by the pane's height as of its last draw (at the old size, rows wrapped at the old
    // width): now that it has been drawn at the new size, go to the bottom again.
    this.messages.setScrollPerc(100);
    this.box.screen.render();
  }

  private redraw(): void {
    const follow = this.follow;
    // Rows are wrapped by formatMessage, not by the pane (its border, padding and scrollbar take 5 cells).
    const pane = this.messages as unknown as { width: number; iwidth: number };
    const width = Math.max(20, pane.width - pane.iwidth - 1);
    this.messages.setContent(entryLines(this.entries, this.marker, this.me, width).join('\n'));
    if (follow) this.messages.setScrollPerc(100);
    this.box.screen.render();
  }
}
