// The chat window's live file transfer rows (issue 19): while a transfer runs, a row above the input shows a
// bar with bytes, rate and time left, updated in place (never more than 4 times a second) instead of lines in
// the message pane; the outcome stays as a normal line. Headless: the window on a fake terminal, a fake core.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventEmitter } from 'node:events';
import { ClientWindow } from '../lib/ui/client-window.ts';
import type { ClientLike } from '../lib/ui/client-like.ts';
import { showFiles } from '../lib/ui/file-view.ts';
import { LiveTransfers, progressBar, timeText } from '../lib/ui/live-transfers.ts';
import { FakeTerminal, sleep } from './support/fake-terminal.ts';

const ID = 'ab12cd34'.padEnd(32, '0');
const ID2 = 'ef56ab78'.padEnd(32, '0');
const MiB = 1024 * 1024;

function chatWindow(): { term: FakeTerminal; w: ClientWindow; core: EventEmitter; draws: string[][] } {
  const term = new FakeTerminal(100, 20);
  const w = new ClientWindow({}, term.io);
  term.screen = w.screen;
  w.showChat('bob');
  const draws: string[][] = [];
  const orig = w.setTransfers.bind(w);
  w.setTransfers = (lines) => { draws.push(lines); orig(lines); };
  const core = new EventEmitter();
  showFiles(core as unknown as ClientLike, w);
  return { term, w, core, draws };
}

/** The screen's rows; the input's row is the one starting with "│>". */
function rows(term: FakeTerminal): { all: string[]; input: number } {
  const all = term.text().split('\n');
  return { all, input: all.findIndex((r) => r.startsWith('│>')) };
}

test('a transfer shows one live row above the input, updated in place; the message pane gets no progress lines', async () => {
  const { term, w, core } = chatWindow();
  try {
    core.emit('file_offer', { id: ID, from: 'ani', name: 'report.pdf', size: 10 * MiB, sha256: 'f'.repeat(64), keys: 'new' });
    core.emit('file_progress', { id: ID, bytes: 1 * MiB, size: 10 * MiB, direction: 'in' });
    await term.waitFor('↓ report.pdf from ani (ab12cd34) [█░░');
    let r = rows(term);
    const bar = r.all.findIndex((row) => row.includes('report.pdf from ani (ab12cd34) ['));
    assert.is(bar, r.input - 2, `the row sits just above the input's box:\n${term.text()}`);
    assert.match(r.all[bar]!, /10% 1\.0 MiB of 10\.0 MiB/);
    await sleep(300);
    core.emit('file_progress', { id: ID, bytes: 6 * MiB, size: 10 * MiB, direction: 'in' });
    await term.waitFor('60% 6.0 MiB of 10.0 MiB');
    r = rows(term);
    assert.is(r.all.filter((row) => row.includes('ab12cd34) [')).length, 1, `one row, updated in place:\n${term.text()}`);
    assert.match(r.all[bar]!, /60% 6\.0 MiB of 10\.0 MiB, [\d.]+ MB\/s, \d+ s left/, r.all[bar]);
    assert.not.match(term.text(), /10% 1\.0 MiB/, 'the old state is gone');
    core.emit('file_done', { id: ID, path: '/tmp/dl/report.pdf', sha256: 'f'.repeat(64), direction: 'in' });
    await term.waitFor('saved /tmp/dl/report.pdf (sha-256 matched)');
    r = rows(term);
    assert.not.ok(term.text().includes('ab12cd34) ['), `the row went when the transfer ended:\n${term.text()}`);
    assert.is(r.all.filter((row) => row.includes('saved /tmp/dl/report.pdf')).length, 1);
    assert.is(r.all.filter((row) => row.includes('█')).length, 0, 'no bar left in the message pane');
  } finally {
    w.destroy();
  }
});

test('many progress events are drawn at most 4 times a second; a failed transfer leaves its row and says why', async () => {
  const { term, w, core, draws } = chatWindow();
  try {
    const t0 = Date.now();
    for (let i = 1; i <= 200; i++) {
      core.emit('file_progress', { id: ID, bytes: i * 10_000, size: 4 * MiB, direction: 'out' });
      core.emit('file_progress', { id: ID2, bytes: i * 5_000, size: 4 * MiB, direction: 'in' });
      if (i % 20 === 0) await sleep(60);
    }
    const spent = Date.now() - t0;
    await sleep(300);
    assert.ok(draws.length >= 2, `drawn: ${draws.length}`);
    assert.ok(draws.length <= Math.ceil((spent + 300) / 250) + 1, `${draws.length} draws in ${spent + 300} ms`);
    const last = draws.at(-1)!;
    assert.is(last.length, 2, 'one row per transfer');
    assert.match(last[0]!, /^↑ ab12cd34 \(ab12cd34\) .* 1\.9 MiB of 4\.0 MiB/);
    assert.match(last[1]!, /^↓ ef56ab78 \(ef56ab78\) .* 977 KiB of 4\.0 MiB/);
    core.emit('file_failed', { id: ID, reason: 'declined' });
    await term.waitFor('file ab12cd34 stopped: declined');
    assert.equal(draws.at(-1)!.length, 1, 'the failed transfer\'s row went at once');
    core.emit('file_failed', { id: ID2, reason: 'timeout' });
    await term.waitFor('file ef56ab78 stopped: timeout');
    assert.equal(draws.at(-1), []);
  } finally {
    w.destroy();
  }
});

test('rate and time left come from the bytes moved since the row appeared; a slow clock never draws more often', () => {
  let now = 0;
  const timers: Array<{ at: number; run: () => void }> = [];
  const drawn: string[][] = [];
  const live = new LiveTransfers((l) => drawn.push(l), { now: () => now, later: (run, ms) => { const t = { at: now + ms, run }; timers.push(t); return () => timers.splice(timers.indexOf(t), 1); } });
  live.name(ID, 'a.iso to budi');
  live.progress({ id: ID, bytes: 2 * MiB, size: 102 * MiB, direction: 'out' });
  assert.is(drawn.length, 1, 'the first event draws at once');
  now = 100;
  live.progress({ id: ID, bytes: 3 * MiB, size: 102 * MiB, direction: 'out' });
  assert.is(drawn.length, 1, 'the next one waits');
  assert.is(timers.length, 1);
  now = 250;
  timers.shift()!.run();
  assert.is(drawn.length, 2);
  // 1 MiB in 250 ms: 4.2 MB/s, 99 MiB left: 25 s.
  assert.is(drawn[1]![0], `↑ a.iso to budi (ab12cd34) ${progressBar(3 * MiB, 102 * MiB, 250, 1 * MiB, 12)}`);
  assert.match(drawn[1]![0]!, /2% 3\.0 MiB of 102\.0 MiB, 4\.2 MB\/s, 25 s left$/);
  assert.is(timeText(3725), '1 h 2 min');
  assert.is(timeText(125), '2 min 5 s');
});

test.run();
