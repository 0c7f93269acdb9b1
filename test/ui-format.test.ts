// Pure text helpers of the windows.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChatMessage } from '../lib/chat/types.ts';
import {
  clockHM, connectAddresses, dayKey, droppedSince, escapeTags, formatDay, formatMessage, formatStats, formatSystem, nameColour,
  parsePort, shortFingerprint, stripControls, stripTags,
} from '../lib/ui/format.ts';

const at = (h: number, m: number) => new Date(2024, 4, 1, h, m, 30).getTime();
const msg = (over: Partial<ChatMessage> = {}): ChatMessage =>
  ({ id: 'a1', seq: 3, from: 'alice', text: 'hello', encrypted: false, ts: at(9, 5), ...over });

test('times are HH:MM in local time with leading zeros', () => {
  assert.is(clockHM(at(9, 5)), '09:05');
  assert.is(clockHM(at(23, 59)), '23:59');
});

test('a name always gets the same colour, whatever its case, and names spread over the palette', () => {
  assert.is(nameColour('Alice'), nameColour('alice'));
  const colours = new Set(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'].map(nameColour));
  assert.ok(colours.size >= 4, `only ${colours.size} colours for 8 names`);
});

test('a message line has time, name and text; encrypted ones a lock; own ones … then ✓', () => {
  const plain = stripTags(formatMessage(msg(), 'bob', 'none'));
  assert.is(plain, '09:05    alice: hello');
  assert.is(stripTags(formatMessage(msg({ encrypted: true }), 'bob', 'none')), '09:05 🔒 alice: hello');
  assert.is(stripTags(formatMessage(msg(), 'alice', 'pending')), '09:05    alice: hello …');
  assert.is(stripTags(formatMessage(msg(), 'alice', 'delivered')), '09:05    alice: hello ✓');
});

test('a direct message names both ends, "you" for the reader', () => {
  assert.is(stripTags(formatMessage(msg({ to: 'bob', encrypted: true, seq: 0 }), 'bob', 'none')), '09:05 🔒 alice → you: hello');
  assert.is(stripTags(formatMessage(msg({ to: 'bob', encrypted: true }), 'alice', 'delivered')), '09:05 🔒 alice → bob: hello ✓');
});

test('peer text cannot open blessed tags or send terminal escapes', () => {
  const line = formatMessage(msg({ text: '{bold}x{/bold}\x1b[31m\x07', from: '{red-fg}eve' }), 'bob', 'none');
  assert.not.ok(line.includes('{bold}x'), line);
  assert.not.ok(line.includes('\x1b'), line);
  assert.is(stripTags(line), '09:05    {red-fg}eve: {bold}x{/bold}␛[31m␇');
  assert.is(escapeTags('{a}'), '{open}a{close}');
  assert.is(stripControls('a\x00b\x9bc\nd\te'), 'abc\nd\te');
});

test('later lines of a multi-line message are indented under the first', () => {
  assert.is(stripTags(formatMessage(msg({ text: 'one\ntwo' }), 'bob', 'none')), '09:05    alice: one\n         two');
});

test('system lines carry the time and a dash', () => {
  assert.is(stripTags(formatSystem('bob joined', at(10, 0))), '10:00 —  bob joined');
  assert.match(formatSystem('oops', at(10, 0), 'error'), '{red-fg}');
});

test('a day line names the day, and times on one local day share a key', () => {
  assert.is(stripTags(formatDay(new Date(2026, 10, 24, 15, 0).getTime())), '── Tue 24 Nov 2026 ──');
  assert.is(dayKey(at(0, 1)), dayKey(at(23, 59)));
  assert.is.not(dayKey(at(23, 59)), dayKey(at(23, 59) + 60_000 * 2));
});

test('a long fingerprint is cut with an ellipsis, a short one kept', () => {
  assert.is(shortFingerprint('SHA256:abcdefghijklmnopqrstuvwxyz', 12), 'SHA256:abcd…');
  assert.is(shortFingerprint('SHA256:ab', 12), 'SHA256:ab');
});

test('clients are told every LAN IPv4 address for 0.0.0.0, the bound one otherwise', () => {
  const ifaces = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
    eth0: [{ address: '192.168.1.5', family: 'IPv4', internal: false }, { address: 'fe80::1', family: 'IPv6', internal: false }],
    wlan0: [{ address: '10.0.0.7', family: 'IPv4', internal: false }],
  } as never;
  assert.equal(connectAddresses('0.0.0.0', 7447, ifaces), ['192.168.1.5:7447  (eth0)', '10.0.0.7:7447  (wlan0)']);
  assert.equal(connectAddresses('192.168.1.5', 9000, ifaces), ['192.168.1.5:9000']);
  assert.match(connectAddresses('0.0.0.0', 7447, { lo: [] } as never)[0]!, /^127\.0\.0\.1:7447 .*only/);
});

test('counters list dropped datagrams by reason, and what is new since the last look', () => {
  const stats = { users: 2, connections: 3, messages: 10, datagramsIn: 50, datagramsOut: 60, dropped: { replay: 1, unauthenticated: 2, malformed: 0 }, retransmits: 0 };
  const lines = formatStats(stats);
  assert.is(lines[0], 'users 2  connections 3  messages 10');
  assert.is(lines[2], 'dropped 3: replay 1, unauthenticated 2');
  assert.is(formatStats({ ...stats, dropped: {} })[2], 'dropped 0');
  assert.is(droppedSince({ replay: 1 }, { replay: 3, malformed: 1 }), 'replay 2, malformed 1');
  assert.is(droppedSince({ replay: 3 }, { replay: 3 }), '');
});

test('a port is a whole number 1–65535; 0 only where allowed', () => {
  assert.is(parsePort(' 7447 '), 7447);
  for (const bad of ['', 'abc', '70000', '-1', '1.5', '0']) assert.is(parsePort(bad), undefined, bad);
  assert.is(parsePort('0', true), 0);
});

test.run();
