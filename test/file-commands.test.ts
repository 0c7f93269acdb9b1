// The file commands as typed (lib/chat/file-commands.ts): "/accept" and "/decline" without an id answer the
// only offer waiting; with none or several waiting they say so, naming the ids; "/cancel" always needs one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runFileCommand, type FileCommandTarget } from '../lib/chat/file-commands.ts';
import { ChatError } from '../lib/errors.ts';

function fake(offers: string[], others: string[] = []): FileCommandTarget & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    send: async () => [],
    accept: async (id: string) => { calls.push(`accept ${id}`); },
    decline: (id: string) => { calls.push(`decline ${id}`); return true; },
    cancel: async (id: string) => { calls.push(`cancel ${id}`); },
    ids: () => [...offers, ...others],
    offers: () => offers,
  } as unknown as FileCommandTarget & { calls: string[] };
}

async function refused(line: string, f: FileCommandTarget): Promise<string> {
  try { await runFileCommand(f, [], line); } catch (err) { assert.instance(err, ChatError); assert.is((err as ChatError).code, 'bad_arguments'); return (err as Error).message; }
  throw new Error(`${line} was not refused`);
}

test('/accept and /decline alone answer the only offer waiting (an outgoing transfer does not count)', async () => {
  const f = fake(['426c95ef00112233'], ['90abcdef99887766']);
  assert.is((await runFileCommand(f, [], '/accept'))!.line, 'accepted 426c95ef');
  assert.is((await runFileCommand(f, [], '/DECLINE  '))!.line, 'declined 426c95ef');
  assert.equal(f.calls, ['accept 426c95ef00112233', 'decline 426c95ef00112233']);
});

test('with several offers or none, /accept alone names what waits and answers nothing', async () => {
  const two = fake(['426c95ef00112233', '4a00ff0011223344']);
  assert.match(await refused('/accept', two), /usage: \/accept ID \(waiting: 426c95ef, 4a00ff00\)/);
  assert.match(await refused('/decline', fake([])), /no file offer is waiting/);
  assert.equal(two.calls, []);
});

test('/cancel without an id is refused even with one transfer going; with a prefix it cancels', async () => {
  const f = fake(['426c95ef00112233']);
  assert.is(await refused('/cancel', f), 'usage: /cancel ID');
  assert.is((await runFileCommand(f, [], '/cancel 426c'))!.line, 'cancelled 426c95ef');
  assert.equal(f.calls, ['cancel 426c95ef00112233']);
});

test.run();
