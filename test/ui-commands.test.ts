// Slash commands of the chat input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { COMMAND_HELP, COMMAND_WORDS, parseCommand } from '../lib/ui/commands.ts';
import { showHelp } from '../lib/ui/chat-commands.ts';
import type { ClientWindow } from '../lib/ui/client-window.ts';

test('a line without a slash is a message, and // sends a line that starts with /', () => {
  assert.equal(parseCommand('hello /there'), { kind: 'send', text: 'hello /there' });
  assert.equal(parseCommand('//shrug'), { kind: 'send', text: '/shrug' });
});

test('/msg takes a user and the rest of the line, spaces and all', () => {
  assert.equal(parseCommand('/msg bob  see you at 5 '), { kind: 'direct', to: 'bob', text: 'see you at 5 ' });
  assert.equal(parseCommand('/MSG bob hi'), { kind: 'direct', to: 'bob', text: 'hi' });
});

test('/msg without a user or text explains its usage', () => {
  for (const line of ['/msg', '/msg bob', '/msg bob   ']) {
    assert.equal(parseCommand(line), { kind: 'invalid', message: 'usage: /msg USER TEXT', keep: true }, line);
  }
});

test('/users, /help and /quit are recognised, with their short aliases', () => {
  assert.is(parseCommand('/users').kind, 'users');
  assert.is(parseCommand('/who').kind, 'users');
  assert.is(parseCommand('/help').kind, 'help');
  assert.is(parseCommand('/quit').kind, 'quit');
  assert.is(parseCommand('/exit').kind, 'quit');
});

test('an unknown command names itself, points to /help and keeps the typed line', () => {
  const c = parseCommand('/frobnicate now');
  assert.equal(c, { kind: 'invalid', message: 'unknown command /frobnicate — type /help for the list (the line is still in the input)', keep: true });
});

test('the help lists every command', () => {
  const listed = COMMAND_HELP.map(([usage]) => usage.split(' ')[0]);
  assert.equal(listed, ['/help', '/msg', '/enc', '/me', '/away', '/users', '/verify', '/trust', '/send', '/send', '/accept', '/decline', '/cancel', '/clear', '/reconnect', '/bell', '/mouse', '/quit', '//TEXT']);
});

test('/me, /enc, /clear, /reconnect and /bell parse, and wrong usage keeps the line', () => {
  assert.equal(parseCommand('/me waves'), { kind: 'me', text: 'waves' });
  assert.equal(parseCommand('/enc hush'), { kind: 'encrypted', text: 'hush' });
  assert.is(parseCommand('/clear').kind, 'clear');
  assert.is(parseCommand('/reconnect').kind, 'reconnect');
  assert.equal(parseCommand('/bell off'), { kind: 'bell', on: false });
  assert.equal(parseCommand('/bell maybe'), { kind: 'invalid', message: 'usage: /bell on or /bell off', keep: true });
  assert.equal(parseCommand('/me'), { kind: 'invalid', message: 'usage: /me ACTION', keep: true });
  assert.equal(parseCommand('/mouse off'), { kind: 'mouse', on: false });
  assert.equal(parseCommand('/away lunch'), { kind: 'away', text: 'lunch' });
  assert.equal(parseCommand('/away'), { kind: 'away', text: '' });
});

test('/verify USER, /verify USER yes and /trust USER ask about keys; anything else is a usage line', () => {
  assert.equal(parseCommand('/verify budi'), { kind: 'keys', user: 'budi', action: 'show' });
  assert.equal(parseCommand('/verify budi yes'), { kind: 'keys', user: 'budi', action: 'verify' });
  assert.equal(parseCommand('/trust budi'), { kind: 'keys', user: 'budi', action: 'trust' });
  for (const bad of ['/verify', '/verify budi no', '/trust budi yes']) assert.is(parseCommand(bad).kind, 'invalid');
});

test('/send, /accept, /decline and /cancel pass the whole line on; /send and /cancel without an argument show their usage (issue 19)', () => {
  assert.equal(parseCommand('/send budi ~/My Files/a b.pdf'), { kind: 'file', line: '/send budi ~/My Files/a b.pdf' });
  assert.equal(parseCommand('/accept 0123abcd'), { kind: 'file', line: '/accept 0123abcd' });
  // Alone they answer the only offer waiting, which only the file commands know.
  assert.equal(parseCommand('/accept'), { kind: 'file', line: '/accept' });
  assert.equal(parseCommand('/decline '), { kind: 'file', line: '/decline ' });
  assert.equal(parseCommand('/send'), { kind: 'invalid', message: 'usage: /send USER PATH, or /send PATH for everyone', keep: true });
  assert.equal(parseCommand('/cancel '), { kind: 'invalid', message: 'usage: /cancel ID', keep: true });
});

test('/help and the README say what file transfers do now: /send PATH to everyone, no folders yet, Tab completes paths, the timeouts (issue 19)', async () => {
  const lines: string[] = [];
  showHelp({ system: (l: string) => lines.push(l) } as unknown as ClientWindow);
  const help = lines.join('\n');
  assert.match(help, /\/send USER PATH +offer a file to USER, end-to-end encrypted/);
  assert.match(help, /\/send PATH +offer it to everyone \(files only: no folders yet\)/);
  assert.match(help, /\/cancel ID +stop a file transfer, either side/);
  assert.match(help, /Tab +complete a name, \/command or \/send path/);
  assert.match(help, /ends after 10 minutes/);
  assert.match(help, /Folders cannot be sent yet/);
  assert.is(COMMAND_WORDS.filter((w) => w === '/send').length, 1, 'Tab offers /send once');
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  const files = readme.slice(readme.indexOf('### Sending files'), readme.indexOf('## Performance'));
  for (const said of ['**folders are not supported yet**', 'Tab completes\nPATH', 'a live row just above the input', 'ends after 10 minutes on both sides',
    'not enough free disk space at the recipient']) assert.ok(files.includes(said), `README "Sending files" says ${said}`);
  assert.not.ok(files.includes('a line per quarter'), 'no longer a line per quarter');
  assert.match(readme, /\| `\/send USER PATH`, `\/send PATH` \| offer a file \(not a folder: not supported yet\)/);
});

test.run();
