// The chat input's slash commands, parsed apart from the window so the table and its help stay in one place.

/** What a line typed in the chat input asks for. */
export type ChatCommand =
  | { kind: 'send'; text: string }
  | { kind: 'encrypted'; text: string }
  | { kind: 'direct'; to: string; text: string }
  | { kind: 'me'; text: string }
  | { kind: 'users' }
  | { kind: 'help' }
  | { kind: 'clear' }
  | { kind: 'reconnect' }
  | { kind: 'bell'; on: boolean }
  | { kind: 'mouse'; on: boolean }
  | { kind: 'away'; text: string }
  | { kind: 'quit' }
  // compare a user's keys (/verify USER), mark them verified (/verify USER yes), accept them (/trust USER)
  | { kind: 'keys'; user: string; action: 'show' | 'verify' | 'trust' }
  // files (issue 19): /send [USER] PATH, /accept ID, /decline ID, /cancel ID — the whole line, parsed in lib/chat/file-commands.ts
  | { kind: 'file'; line: string }
  | { kind: 'invalid'; message: string; keep?: boolean };

/** Every command with its one-line help, in the order /help lists them. */
export const COMMAND_HELP: ReadonlyArray<readonly [string, string]> = [
  ['/help', 'these commands and the keys'],
  ['/msg USER TEXT', 'to USER only, end-to-end encrypted'],
  ['/enc TEXT', 'to the room, end-to-end encrypted'],
  ['/me ACTION', 'shown as "* you ACTION"'],
  ['/away [TEXT]', 'say you are away; alone: back'],
  ['/users', 'who is in the room'],
  ['/verify USER [yes]', 'safety number; yes: mark verified'],
  ['/trust USER', 'accept USER\'s changed keys'],
  ['/send USER PATH', 'offer a file to USER, end-to-end encrypted'],
  ['/send PATH', 'offer it to everyone (files only: no folders yet)'],
  ['/accept [ID]', 'take a file offered to you (Tab: ids)'],
  ['/decline [ID]', 'refuse it (no ID: the only offer)'],
  ['/cancel ID', 'stop a file transfer, either side'],
  ['/clear', 'empty the pane (history stays)'],
  ['/reconnect', 'connect again now'],
  ['/bell on|off', 'bell on your name and direct msgs'],
  ['/mouse on|off', 'off: the terminal selects text'],
  ['/quit', 'leave and close (or Ctrl-C)'],
  ['//TEXT', 'send a line starting with "/"'],
];

/** The command words Tab completes. */
export const COMMAND_WORDS: string[] = [...new Set(COMMAND_HELP.map(([usage]) => usage.split(' ')[0]!))].filter((w) => w !== '//TEXT');

/** Prefix of an action ("/me waves") as it travels in the text, like IRC's. */
export const ME_PREFIX = '/me ';

const usage = (message: string): ChatCommand => ({ kind: 'invalid', message, keep: true });

/**
 * Parses one input line. A line not starting with "/" is a message; "//x" sends "/x".
 * Unknown commands and wrong usage come back as `invalid` with a message for people (`keep`: put the line
 * back in the input so nothing typed is lost).
 */
export function parseCommand(line: string): ChatCommand {
  if (!line.startsWith('/')) return { kind: 'send', text: line };
  if (line.startsWith('//')) return { kind: 'send', text: line.slice(1) };
  const match = /^\/(\S+)\s*([\s\S]*)$/.exec(line);
  if (!match) return usage('type a command after the "/", or "//" to send a line starting with "/"');
  const name = match[1]!.toLowerCase();
  const rest = match[2]!;
  switch (name) {
    case 'help': case '?': return { kind: 'help' };
    case 'users': case 'who': case 'names': return { kind: 'users' };
    case 'quit': case 'exit': return { kind: 'quit' };
    case 'clear': return { kind: 'clear' };
    case 'reconnect': return { kind: 'reconnect' };
    case 'me': return rest.trim() ? { kind: 'me', text: rest } : usage('usage: /me ACTION');
    case 'enc': return rest.trim() ? { kind: 'encrypted', text: rest } : usage('usage: /enc TEXT');
    case 'away': return { kind: 'away', text: rest.trim() };
    case 'bell': case 'mouse': {
      const v = rest.trim().toLowerCase();
      if (v === 'on' || v === 'off') return { kind: name, on: v === 'on' };
      return usage(`usage: /${name} on or /${name} off`);
    }
    case 'msg': case 'query': {
      const m = /^(\S+)\s+([\s\S]*\S[\s\S]*)$/.exec(rest);
      if (!m) return usage('usage: /msg USER TEXT');
      return { kind: 'direct', to: m[1]!, text: m[2]! };
    }
    case 'verify':
    case 'trust': {
      const m = /^(\S+)(?:\s+(yes))?\s*$/.exec(rest);
      if (!m || (name === 'trust' && m[2])) return usage('usage: /verify USER [yes], /trust USER');
      return { kind: 'keys', user: m[1]!, action: name === 'trust' ? 'trust' : m[2] ? 'verify' : 'show' };
    }
    // /accept and /decline alone answer the only offer waiting (lib/chat/file-commands.ts).
    case 'accept': case 'decline': return { kind: 'file', line };
    case 'send': case 'cancel':
      return rest.trim() ? { kind: 'file', line } : usage(name === 'send' ? 'usage: /send USER PATH, or /send PATH for everyone' : 'usage: /cancel ID');
    default:
      return usage(`unknown command /${name} — type /help for the list (the line is still in the input)`);
  }
}
