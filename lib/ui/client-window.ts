// The client window: the login form, then the chat. It only renders and emits events;
// lib/ui/client-app.ts wires it to ChatClient.
import type { Widgets } from 'blessed';
import { EventEmitter } from 'node:events';
import type { ChatMessage } from '../chat/types.ts';
import { ChatView, type ChatStatus } from './chat-view.ts';
import { askPassword, askYesNo } from './dialogs.ts';
import { titleSequence } from './attention.ts';
import { escapeTags } from './format.ts';
import { LoginView, type LoginDetails, type LoginError, type LoginPrefill } from './login-view.ts';
import { activeRing, bindKeys, FocusRing, footerText, pushRing, tabBindings, type KeyBinding } from './keys.ts';
import { createScreen, destroyScreen, type ScreenIo } from './screen.ts';
import { label } from './widgets.ts';

export type { LoginDetails, LoginError, LoginPrefill } from './login-view.ts';
export type { ChatStatus } from './chat-view.ts';

/** Events of the client window. */
export interface ClientWindowEvents {
  connect: [LoginDetails];
  /** A chat line to send as is. */
  send: [string];
  /** A chat line to send end-to-end encrypted (Ctrl-E or the button). */
  sendEncrypted: [string];
  /** A line starting with "/" (not "//"): /help, /msg, /users, /quit… */
  command: [string];
  quit: [];
}

type View = 'login' | 'chat';

/** The client window; construct, listen to its events, call its render methods. */
export class ClientWindow extends EventEmitter<ClientWindowEvents> {
  readonly screen: Widgets.Screen;
  private readonly ring: FocusRing;
  private readonly login: LoginView;
  private readonly chat: ChatView;
  private readonly footer: Widgets.TextElement;
  private readonly keys: KeyBinding[];
  private view: View = 'login';

  constructor(prefill: LoginPrefill = {}, io?: ScreenIo) {
    super();
    this.screen = createScreen('Obrolan', io);
    this.ring = new FocusRing(this.screen, []);
    pushRing(this.screen, this.ring);
    this.chat = new ChatView(this.screen, this.ring, {
      send: (text) => this.line(text, 'send'),
      sendEncrypted: (text) => this.line(text, 'sendEncrypted'),
    });
    this.login = new LoginView(this.screen, this.ring, (d) => this.emit('connect', d), () => this.emit('quit'));
    this.footer = label({ parent: this.screen, bottom: 0, left: 0, width: '100%', style: { fg: 'black', bg: '#8a8a8a' } });
    this.keys = this.keyTable();
    bindKeys(this.screen, this.keys);
    this.screen.on('resize', () => this.screen.render());
    this.showLogin(prefill);
  }

  /** One table for every key of this window; each view's footer is made from it. */
  private keyTable(): KeyBinding[] {
    const inChat = (run: () => void) => () => {
      // Not while a dialog (trust?) holds the keys.
      if (this.view === 'chat' && activeRing(this.screen) === this.ring) run();
    };
    return [
      ...tabBindings(this.screen),
      { keys: [], help: 'Tab next field · Enter connect', view: 'login', run: () => {} },
      { keys: [], help: 'Enter send', view: 'chat', run: () => {} },
      { keys: ['C-s'], help: 'Ctrl-S encrypted', view: 'chat', global: true, run: inChat(() => this.chat.takeInput('sendEncrypted')) },
      { keys: ['C-t'], help: 'Ctrl-T file', view: 'chat', global: true, run: inChat(() => this.chat.startSend()) },
      { keys: [], help: 'Tab complete · ↑ history', view: 'chat', run: () => {} },
      { keys: ['pageup'], help: 'PgUp/PgDn', view: 'chat', global: true, run: inChat(() => this.chat.scrollPages(-1)) },
      { keys: ['pagedown'], help: '', view: 'chat', global: true, run: inChat(() => this.chat.scrollPages(1)) },
      { keys: [], help: '/help', view: 'chat', run: () => {} },
      { keys: ['C-c'], help: 'Ctrl-C quit', global: true, run: () => this.emit('quit') },
    ];
  }

  private setView(view: View): void {
    this.view = view;
    this.footer.setContent(` ${escapeTags(footerText(this.keys, view))}`);
    this.ring.setItems(view === 'login' ? this.login.items() : this.chat.items());
  }

  /** A line from the input: commands go out as 'command', the rest as typed ("//x" sends "/x"). */
  private line(text: string, how: 'send' | 'sendEncrypted'): void {
    if (text.startsWith('/') && !text.startsWith('//')) this.emit('command', text.trim());
    else this.emit(how, text.startsWith('//') ? text.slice(1) : text);
  }

  /** Shows the login form, prefilled; an error is shown in red and puts the cursor in the field it names. */
  showLogin(prefill: LoginPrefill, error?: LoginError): void {
    this.chat.hide();
    this.setView('login');
    this.login.show(prefill, error);
  }

  /** Asks whether to trust a server seen for the first time; resolves true only on an explicit yes. */
  askTrust(fingerprint: string, server: string): Promise<boolean> {
    this.login.progress(null);
    return askYesNo(this.screen, {
      title: 'New server',
      lines: [
        `First contact with {bold}${escapeTags(server)}{/bold}. Its key fingerprint is:`,
        '',
        `  {yellow-fg}${escapeTags(fingerprint)}{/yellow-fg}`,
        '',
        'Compare it with the one the server window shows. Trust this server?',
      ],
      yes: 'Yes, trust',
      no: 'No',
    });
  }

  /** Asks for the room password again (the server's changed); resolves undefined when the person declines. */
  askPassword(server: string, problem: string): Promise<string | undefined> {
    return askPassword(this.screen, {
      title: 'Password',
      lines: [`{red-fg}${escapeTags(problem)}{/red-fg}`, `Type the room password of {bold}${escapeTags(server)}{/bold}:`],
    });
  }

  /** Asks before quitting with `count` messages not yet stored by the server; resolves true to quit. */
  askQuitUnsent(count: number, me: string): Promise<boolean> {
    return askYesNo(this.screen, {
      title: 'Messages not sent yet',
      lines: [
        `${count} message(s) have not reached the server yet.`,
        `They are kept on this computer and sent when you join this room as ${escapeTags(me)} again.`,
        '',
        'Quit now?',
      ],
      yes: 'Quit',
      no: 'Stay',
    });
  }

  /** Switches to the chat as user `me`, input focused. */
  showChat(me: string): void {
    this.login.hide();
    this.setView('chat');
    this.chat.show(me);
  }

  /** Empties the message pane (/clear); stored history is untouched. */
  clearMessages(): void {
    this.chat.clear();
  }

  /** Lines this person sent in earlier sessions, for Up in the input. */
  seedInputHistory(lines: string[]): void {
    this.chat.seedHistory(lines);
  }

  /** Puts a line back in the chat input (a command that was refused keeps what was typed). */
  restoreInput(text: string): void {
    this.chat.restoreInput(text);
  }

  /**
   * Adds a message to the chat. An own message just sent (`stored` false) shows … until markDelivered,
   * then ✓; one from history or the server is stored already.
   */
  addMessage(m: ChatMessage, own: boolean, stored = true): void {
    this.chat.addMessage(m, own, stored);
  }

  /** Marks an own message as stored by the server. */
  markDelivered(id: string): void {
    this.chat.markDelivered(id);
  }

  /** A system line in the chat (joins, leaves, reconnects; errors in red). */
  system(line: string, level: 'info' | 'error' = 'info'): void {
    this.chat.system(line, level);
  }

  /** Fills the users pane. */
  setUsers(names: string[], keyStates?: Record<string, string>): void {
    this.chat.setUsers(names, keyStates);
  }

  /** Where Tab after /accept, /decline and /cancel finds transfer ids. */
  setTransferIds(ids: () => { offers: string[]; all: string[] }): void {
    this.chat.transferIds = ids;
  }

  /** The live rows of running file transfers above the input (none: hidden). */
  setTransfers(lines: string[]): void {
    if (!this.screen.destroyed) this.chat.setTransfers(lines);
  }

  /** Updates the status bar. */
  setStatus(status: ChatStatus): void {
    this.chat.setStatus(status);
  }

  /** Shows long work on the login form (connecting, making keys); null clears it. */
  progress(text: string | null): void {
    if (this.view === 'login') this.login.progress(text);
    else if (text !== null) this.chat.system(text);
  }

  /** Mouse reporting on (wheel, clicks) or off (the terminal selects text as usual). */
  setMouse(on: boolean): void {
    if (on) this.screen.program.enableMouse();
    else this.screen.program.disableMouse();
  }

  /** Rings the terminal bell (a mention, a direct message). */
  bell(): void {
    if (!this.screen.destroyed) (this.screen.program as unknown as { bell(): void }).bell();
  }

  /** Sets the terminal's title (OSC 2). */
  setTitle(title: string): void {
    if (!this.screen.destroyed) (this.screen.program as unknown as { _write(s: string): void })._write(titleSequence(title));
  }

  /** Takes the screen down and gives the terminal back as it was. */
  destroy(): void {
    this.login.destroy();
    destroyScreen(this.screen);
  }
}
