// The discovery flags (--room-name, --discover, --wait, --room) and lib/app/discover.ts with a fake search.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLIENT_HELP, CliError, parseClientArgs, parseServerArgs, SERVER_HELP } from '../lib/app/cli.ts';
import { findRoom, RoomNotFound, runDiscover } from '../lib/app/discover.ts';
import type { FoundRoom, SearchOptions } from '../lib/net/discovery-socket.ts';

const FP = 'SHA256:' + Buffer.alloc(32, 7).toString('base64').replace(/=+$/, '');
const room = (name: string, host: string, port = 7447): FoundRoom => ({ name, host, port, fingerprint: FP, users: 2, version: 1 });
const fake = (rooms: FoundRoom[]) => async (o: SearchOptions): Promise<FoundRoom[]> => {
  for (const r of rooms) o.onRoom?.(r);
  return rooms;
};

test('--room-name and OBROLAN_ROOM name the room; a blank or control character is refused', () => {
  assert.is(parseServerArgs(['--room-name', ' Lab 2 ']).roomName, 'Lab 2');
  assert.is(parseServerArgs([], { OBROLAN_ROOM: 'Kelas' }).roomName, 'Kelas');
  assert.is(parseServerArgs([], {}).roomName, undefined);
  assert.throws(() => parseServerArgs(['--room-name', 'a\u0007b']), (e: unknown) => e instanceof CliError);
  assert.throws(() => parseServerArgs(['--room-name', '  ']), (e: unknown) => e instanceof CliError);
});

test('--discover takes --json and --wait; --room and --host exclude each other', () => {
  const a = parseClientArgs(['--discover', '--json', '--wait', '800'], {});
  assert.equal([a.discover, a.json, a.waitMs], [true, true, 800]);
  assert.is(parseClientArgs(['--discover'], {}).waitMs, 1500);
  assert.throws(() => parseClientArgs(['--discover', '--wait', 'soon'], {}), (e: unknown) => e instanceof CliError);
  assert.throws(() => parseClientArgs(['--discover', '--wait', '0'], {}), (e: unknown) => e instanceof CliError);
  assert.throws(() => parseClientArgs(['--discover', '--no-ui'], {}), (e: unknown) => e instanceof CliError);
  assert.is(parseClientArgs(['--no-ui', '--room', 'Lab'], {}).room, 'Lab');
  assert.throws(() => parseClientArgs(['--no-ui', '--room', 'Lab', '--host', '10.0.0.1'], {}), /not both/);
});

test('--help lists every discovery flag', () => {
  for (const f of ['--discover', '--wait MS', '--room NAME']) assert.ok(CLIENT_HELP.includes(f), f);
  assert.ok(SERVER_HELP.includes('--room-name NAME'));
});

test('runDiscover prints one JSON line per room and exits 0', async () => {
  let out = '';
  const code = await runDiscover({ json: true, waitMs: 10, search: fake([room('Lab', '10.0.0.1'), room('Lib', '10.0.0.2', 7500)]) }, (s) => (out += s), () => {});
  assert.is(code, 0);
  assert.equal(out.trim().split('\n').map((l) => JSON.parse(l)), [
    { type: 'room', name: 'Lab', host: '10.0.0.1', port: 7447, fingerprint: FP, users: 2 },
    { type: 'room', name: 'Lib', host: '10.0.0.2', port: 7500, fingerprint: FP, users: 2 },
  ]);
});

test('runDiscover exits 1 when nobody answered and says what to check', async () => {
  let err = '';
  let out = '';
  const code = await runDiscover({ json: true, waitMs: 10, search: fake([]) }, (s) => (out += s), (s) => (err += s));
  assert.is(code, 1);
  assert.is(out, '');
  for (const cause of ['no server is running', 'firewall', 'isolates clients', 'different subnet', '--host ADDR']) assert.ok(err.includes(cause), cause);
});

test('findRoom picks the one room of that name, or says none or several', async () => {
  const rooms = [room('Lab', '10.0.0.1'), room('Lib', '10.0.0.2', 7500), room('Twin', '10.0.0.3'), room('Twin', '10.0.0.4')];
  assert.equal(await findRoom('Lib', 10, { search: fake(rooms) }), rooms[1]);
  assert.equal(await findRoom('lab', 10, { search: fake(rooms) }), rooms[0], 'case-insensitive when no exact match');
  try { await findRoom('Twin', 10, { search: fake(rooms) }); assert.unreachable(); } catch (e) {
    assert.instance(e, RoomNotFound);
    assert.match((e as Error).message, /2 rooms on this LAN are called "Twin".*--host/);
  }
  try { await findRoom('Nope', 10, { search: fake(rooms) }); assert.unreachable(); } catch (e) {
    assert.match((e as Error).message, /no room called "Nope".*"Lab" at 10\.0\.0\.1:7447.*--host ADDR/);
  }
});

test.run();
