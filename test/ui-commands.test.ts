// Slash commands of the chat input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COMMAND_HELP, parseCommand } from '../lib/ui/commands.ts';

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
  assert.equal(listed, ['/help', '/msg', '/enc', '/me', '/away', '/users', '/verify', '/trust', '/send', '/accept', '/decline', '/cancel', '/clear', '/reconnect', '/bell', '/mouse', '/quit', '//TEXT']);
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

test('/send, /accept, /decline and /cancel pass the whole line on; without an argument they show their usage (issue 19)', () => {
  assert.equal(parseCommand('/send budi ~/My Files/a b.pdf'), { kind: 'file', line: '/send budi ~/My Files/a b.pdf' });
  assert.equal(parseCommand('/accept 0123abcd'), { kind: 'file', line: '/accept 0123abcd' });
  assert.equal(parseCommand('/send'), { kind: 'invalid', message: 'usage: /send USER PATH, or /send PATH for everyone', keep: true });
  assert.equal(parseCommand('/cancel '), { kind: 'invalid', message: 'usage: /cancel ID', keep: true });
});

test.run();
