// The chat input's slash commands, parsed apart from the window so the table and its help stay in one place.

/** What a line typed in the chat input asks for. */
export type ChatCommand =
  | { kind: 'send'; text: string }
  | { kind: 'direct'; to: string; text: string }
  | { kind: 'users' }
  | { kind: 'help' }
  | { kind: 'quit' }
  // issue 15: compare a user's keys (/verify USER), mark them verified (/verify USER yes), accept them (/trust USER)
  | { kind: 'keys'; user: string; action: 'show' | 'verify' | 'trust' }
  | { kind: 'invalid'; message: string };

/** Every command with its one-line help, in the order /help lists them. */
export const COMMAND_HELP: ReadonlyArray<readonly [string, string]> = [
  ['/help', 'list these commands'],
  ['/msg USER TEXT', 'to USER only, end-to-end encrypted'],
  ['/users', 'list who is in the room'],
  ['/verify USER [yes]', 'compare safety numbers with USER; "yes" marks their keys verified'],
  ['/trust USER', 'accept USER\'s changed keys without comparing'],
  ['/quit', 'leave and close the window (or Ctrl-C)'],
  ['//TEXT', 'send a line starting with "/"'],
];

/**
 * Parses one input line. A line not starting with "/" is a message; "//x" sends "/x".
 * Unknown commands and a /msg without a user or text come back as `invalid` with a message for people.
 */
export function parseCommand(line: string): ChatCommand {
  if (!line.startsWith('/')) return { kind: 'send', text: line };
  if (line.startsWith('//')) return { kind: 'send', text: line.slice(1) };
  const match = /^\/(\S+)\s*([\s\S]*)$/.exec(line)!;
  const name = match[1]!.toLowerCase();
  const rest = match[2]!;
  switch (name) {
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'users':
    case 'who':
      return { kind: 'users' };
    case 'quit':
    case 'exit':
      return { kind: 'quit' };
    case 'msg': {
      const m = /^(\S+)\s+([\s\S]*\S[\s\S]*)$/.exec(rest);
      if (!m) return { kind: 'invalid', message: 'usage: /msg USER TEXT' };
      return { kind: 'direct', to: m[1]!, text: m[2]! };
    }
    case 'verify':
    case 'trust': {
      const m = /^(\S+)(?:\s+(yes))?\s*$/.exec(rest);
      if (!m || (name === 'trust' && m[2])) return { kind: 'invalid', message: 'usage: /verify USER [yes], /trust USER' };
      return { kind: 'keys', user: m[1]!, action: name === 'trust' ? 'trust' : m[2] ? 'verify' : 'show' };
    }
    default:
      return { kind: 'invalid', message: `unknown command /${name} — type /help for the list` };
  }
}
