// The client's login form: server IP, port, password (masked), username, Connect and Quit.
import blessed from 'neo-blessed';
import type { Widgets } from 'blessed';
import { escapeTags, parsePort } from './format.ts';
import { FocusRing } from './keys.ts';
import { button, label, Spinner, textField, type TextField } from './widgets.ts';

/** What the login form holds once valid. */
export interface LoginDetails { host: string; port: number; password: string; username: string }

/** Values to put in the form (from flags and the last login). */
export interface LoginPrefill { host?: string; port?: number; password?: string; username?: string; /** A room picked from the LAN list: its name. */ room?: string }

/** A field named in an error, so the cursor goes back there. */
export type LoginField = 'host' | 'port' | 'password' | 'username';

/** A refusal to show under the form. */
export interface LoginError { field?: LoginField; message: string }

/** Form width and height, in cells. */
const WIDTH = 62;
const HEIGHT = 15;

/** The login form view; the client window shows it first and after a refusal. */
export class LoginView {
  readonly box: Widgets.BoxElement;
  private readonly fields: Record<LoginField, TextField>;
  private readonly connectButton: Widgets.ButtonElement;
  private readonly quitButton: Widgets.ButtonElement;
  private readonly message: Widgets.TextElement;
  private readonly spinner: Spinner;
  private busy = false;

  constructor(
    screen: Widgets.Screen,
    private readonly ring: FocusRing,
    private readonly onConnect: (d: LoginDetails) => void,
    onQuit: () => void,
  ) {
    this.box = blessed.box({
      parent: screen, top: 'center', left: 'center', width: WIDTH, height: HEIGHT, tags: true,
      border: { type: 'line' }, label: ' Obrolan — join a chat room ',
      style: { border: { fg: '#00afff' }, label: { fg: 'white', bold: true } },
    });
    const row = (top: number, text: string, name: LoginField, width: number, censor = false) => {
      label({ parent: this.box, top, left: 2, content: text });
      const f = textField({ parent: this.box, top, left: 15, width, censor, onClick: () => this.ring.focus(f) });
      f.on('submit', () => this.fieldEnter(f));
      f.key(['up'], () => this.ring.move(-1));
      f.key(['down'], () => this.ring.move(1));
      return f;
    };
    this.fields = {
      host: row(1, 'Server IP', 'host', 30),
      port: row(3, 'Port', 'port', 7),
      password: row(5, 'Password', 'password', 30, true),
      username: row(7, 'Username', 'username', 30),
    };
    this.connectButton = button({ parent: this.box, top: 9, left: 15, label: 'Connect' });
    this.quitButton = button({ parent: this.box, top: 9, left: 26, label: 'Quit' });
    this.message = label({ parent: this.box, top: 11, left: 2, right: 2, height: 2, content: '' });
    this.spinner = new Spinner((line) => this.setMessage(line));
    this.connectButton.on('press', () => this.submit());
    this.quitButton.on('press', onQuit);
  }

  /** The focusable widgets, in Tab order. */
  items(): Widgets.BlessedElement[] {
    const f = this.fields;
    return [f.host, f.port, f.password, f.username, this.connectButton, this.quitButton];
  }

  /**
   * Fills the form and puts the focus where the next key is most useful: the field an error names
   * (the password is cleared for a new try), else the first empty field, else Connect.
   */
  show(prefill: LoginPrefill, error?: LoginError): void {
    this.busy = false;
    this.spinner.stop();
    const f = this.fields;
    f.host.setValue(prefill.host ?? '');
    f.port.setValue(prefill.port !== undefined ? String(prefill.port) : '');
    f.password.setValue(prefill.password ?? '');
    f.username.setValue(prefill.username ?? '');
    if (error?.field === 'password') f.password.setValue('');
    this.setMessage(error ? `{red-fg}${escapeTags(error.message)}{/red-fg}` : '');
    this.box.setLabel(prefill.room ? ` Obrolan — join "${escapeTags(prefill.room.slice(0, 40))}" ` : ' Obrolan — join a chat room ');
    this.box.show();
    const target = error?.field ? f[error.field] : this.firstEmpty() ?? this.connectButton;
    this.ring.focus(target);
  }

  /** Shows long work (connecting, making keys) with a spinner; null clears it. */
  progress(text: string | null): void {
    if (text === null) {
      this.spinner.stop();
      this.setMessage('');
    } else {
      this.spinner.start(escapeTags(text));
    }
  }

  /** Hides the form (the chat replaces it). */
  hide(): void {
    this.spinner.stop();
    this.box.hide();
  }

  /** Stops the spinner for good. */
  destroy(): void {
    this.spinner.stop();
  }

  private setMessage(tagged: string): void {
    this.message.setContent(tagged);
    this.box.screen.render();
  }

  private firstEmpty(): TextField | undefined {
    return Object.values(this.fields).find((f) => f.getValue().trim() === '');
  }

  /** Enter in a field: connect when the form is complete, else go to the next empty field. */
  private fieldEnter(field: TextField): void {
    const empty = this.firstEmpty();
    if (!empty) return this.submit();
    this.ring.focus(empty === field ? this.connectButton : empty);
  }

  private fail(field: LoginField, text: string): void {
    this.setMessage(`{red-fg}${escapeTags(text)}{/red-fg}`);
    this.ring.focus(this.fields[field]);
  }

  private submit(): void {
    if (this.busy) return;
    const f = this.fields;
    const host = f.host.getValue().trim();
    const port = parsePort(f.port.getValue());
    const username = f.username.getValue().trim();
    if (!host) return this.fail('host', 'type the server IP address (the server window shows it)');
    if (port === undefined) return this.fail('port', 'port must be a number from 1 to 65535');
    if (!f.password.getValue()) return this.fail('password', 'type the room password');
    if (!username) return this.fail('username', 'choose a username');
    this.busy = true;
    this.onConnect({ host, port, password: f.password.getValue(), username });
  }
}
