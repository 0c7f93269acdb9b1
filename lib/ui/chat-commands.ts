// What each slash command of the chat input does, as a table over what the controller offers; parsing
// and the command list live in lib/ui/commands.ts, the keys in lib/ui/keys.ts.
import type { ClientWindow } from './client-window.ts';
import { COMMAND_HELP, ME_PREFIX, parseCommand } from './commands.ts';
import { CHAT_KEY_HELP } from './keys.ts';
import { foldName as fold } from '../names.ts';

/** What commands may do; the controller provides it. */
export interface CommandContext {
  win: ClientWindow;
  /** Your name in the room. */
  me: string;
  send(text: string): void;
  sendEncrypted(text: string): void;
  sendDirect(to: string, text: string): void;
  users(): string[];
  reconnect(): void;
  setBell(on: boolean): void;
  /** /verify USER [yes], /trust USER. */
  keys(user: string, action: 'show' | 'verify' | 'trust'): void;
  /** /send, /accept, /decline, /cancel (issue 19). */
  file(line: string): void;
  quit(): void;
}

/** Runs one line typed in the chat that starts with "/" (or a plain line, sent as it is). */
export function runCommand(line: string, ctx: CommandContext): void {
  const cmd = parseCommand(line);
  const w = ctx.win;
  switch (cmd.kind) {
    case 'send': return ctx.send(cmd.text);
    case 'me': return ctx.send(`${ME_PREFIX}${cmd.text}`);
    case 'encrypted': return ctx.sendEncrypted(cmd.text);
    case 'direct':
      if (fold(cmd.to) === fold(ctx.me)) {
        w.restoreInput(line);
        return w.system('that is you: /msg sends to someone else in the room', 'error');
      }
      return ctx.sendDirect(cmd.to, cmd.text);
    case 'away': return ctx.send(`${ME_PREFIX}${cmd.text ? `is away: ${cmd.text}` : 'is back'}`);
    case 'mouse':
      w.setMouse(cmd.on);
      return w.system(cmd.on ? 'mouse on: wheel scrolls, clicks work' : 'mouse off: select text with the mouse; /mouse on to scroll with the wheel again');
    case 'users': {
      const users = [...ctx.users()].sort((a, b) => a.localeCompare(b));
      return w.system(`${users.length} in the room: ${users.join(', ')}`);
    }
    case 'help': return showHelp(w);
    case 'clear': return w.clearMessages();
    case 'reconnect': return ctx.reconnect();
    case 'bell':
      ctx.setBell(cmd.on);
      return w.system(`bell ${cmd.on ? 'on' : 'off'} for your name and direct messages`);
    case 'keys': return ctx.keys(cmd.user, cmd.action);
    case 'file': return ctx.file(cmd.line);
    case 'quit': return ctx.quit();
    case 'invalid':
      if (cmd.keep) w.restoreInput(line);
      return w.system(cmd.message, 'error');
  }
}

/** /help: every command, every key, and how to select text with the mouse. */
export function showHelp(w: ClientWindow): void {
  w.system('Commands:');
  for (const [usage, help] of COMMAND_HELP) w.system(`  ${usage.padEnd(15)} ${help}`);
  w.system('Files: ID is the 8 digits shown with the offer; a transfer runs as a live bar above the input;');
  w.system('  an offer not answered, or a transfer stalled by a lost connection, ends after 10 minutes;');
  w.system('  /accept refuses a file the downloads folder has no room for. Folders cannot be sent yet.');
  w.system('Keys:');
  for (const [keys, help] of CHAT_KEY_HELP) w.system(`  ${keys.padEnd(23)} ${help}`);
  w.system('Mouse: the wheel scrolls; a click on a user starts a /msg.');
  w.system('To select text: hold Shift while you drag, or /mouse off.');
}
