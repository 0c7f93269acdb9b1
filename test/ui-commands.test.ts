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
    assert.equal(parseCommand(line), { kind: 'invalid', message: 'usage: /msg USER TEXT' }, line);
  }
});

test('/users, /help and /quit are recognised, with their short aliases', () => {
  assert.is(parseCommand('/users').kind, 'users');
  assert.is(parseCommand('/who').kind, 'users');
  assert.is(parseCommand('/help').kind, 'help');
  assert.is(parseCommand('/quit').kind, 'quit');
  assert.is(parseCommand('/exit').kind, 'quit');
});

test('an unknown command names itself and points to /help', () => {
  const c = parseCommand('/frobnicate now');
  assert.equal(c, { kind: 'invalid', message: 'unknown command /frobnicate — type /help for the list' });
});

test('the help lists every command', () => {
  const listed = COMMAND_HELP.map(([usage]) => usage.split(' ')[0]);
  assert.equal(listed, ['/help', '/msg', '/users', '/verify', '/trust', '/quit', '//TEXT']);
});

test('/verify USER, /verify USER yes and /trust USER ask about keys; anything else is a usage line', () => {
  assert.equal(parseCommand('/verify budi'), { kind: 'keys', user: 'budi', action: 'show' });
  assert.equal(parseCommand('/verify budi yes'), { kind: 'keys', user: 'budi', action: 'verify' });
  assert.equal(parseCommand('/trust budi'), { kind: 'keys', user: 'budi', action: 'trust' });
  for (const bad of ['/verify', '/verify budi no', '/trust budi yes']) assert.is(parseCommand(bad).kind, 'invalid');
});

test.run();
