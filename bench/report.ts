// The human-readable table of a benchmark run: each figure with its goal and whether it is met.
import type { Row } from './context.ts';

interface Line { what: string; figure: string; goal: string; verdict: string; others?: unknown; steal?: unknown }

const n0 = (x: unknown): string => (typeof x === 'number' && Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
const n1 = (x: unknown): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(1) : '–');
const n2 = (x: unknown): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(2) : '–');
const num = (x: unknown): number => (typeof x === 'number' ? x : NaN);
/** Other processes' CPU (% of one core) above which a figure is marked as taken on a busy machine. */
const BUSY_PCT = 20;

/** "pass" / "FAIL" for a check; "–" when the figure is missing. */
function verdict(...checks: Array<[unknown, (v: number) => boolean]>): string {
  if (checks.some(([v]) => !Number.isFinite(num(v)))) return '–';
  return checks.every(([v, ok]) => ok(num(v))) ? 'pass' : 'FAIL';
}

function lines(r: Row): Line[] {
  return linesOf(r).map((l) => ({ ...l, others: r.others_cpu_pct, steal: r.steal_pct }));
}

function linesOf(r: Row): Line[] {
  if (r.error) return [{ what: r.scenario + (r.clients ? `, ${n0(r.clients)} clients` : ''), figure: `error: ${String(r.error)}`, goal: '', verdict: 'FAIL' }];
  switch (r.scenario) {
    case 'fanout': {
      const goal = r.clients === 50 ? 'ratio ≥ 1.5; vs packed ≥ 0.5; ≤ 1.5 µs/delivery' : '';
      return [{
        what: `fan-out, ${r.clients} clients`,
        figure: `${n0(r.msgs_per_s)} msg/s = ${n0(r.deliveries_per_s)} deliveries/s (p99 ${n0(r.p99_ms)} ms, ${n2(r.datagrams_per_delivery)} datagrams each, server ${n2(r.server_us_per_delivery)} µs each); raw relay ${n0(r.raw_deliveries_per_s)}/s, ratio ${n2(r.ratio_vs_raw)}; packed relay ${n0(r.packed_raw_deliveries_per_s)}/s, ratio ${n2(r.ratio_vs_packed_raw)} (CPU: server ${n0(r.server_cpu_pct)}%, load ${n0(r.load_cpu_pct)}%)`,
        goal, verdict: goal ? verdict([r.ratio_vs_raw, (v) => v >= 1.5], [r.ratio_vs_packed_raw, (v) => v >= 0.5], [r.server_us_per_delivery, (v) => v <= 1.5]) : '',
      }];
    }
    case 'latency':
      return [{
        what: `latency, ${r.clients} clients, ${n0(r.msgs_per_s)} msg/s`,
        figure: `p50 ${n2(r.p50_ms)} ms, p99 ${n2(r.p99_ms)} ms (${n2(r.late_or_missing_pct)}% late/missing; server ${n0(r.server_cpu_pct)}%, load ${n0(r.load_cpu_pct)}% CPU)`,
        goal: 'p99 ≤ 5 ms', verdict: verdict([r.p99_ms, (v) => v <= 5]),
      }];
    case 'idle':
      return [{
        what: 'idle clients',
        figure: `${n0(r.idle_clients)} held; server RSS ${n1(r.rss_mb)} MB, CPU ${n2(r.cpu_pct)}% (ramp ${n1(r.ramp_s)} s)`,
        goal: '≥ 1,000, RSS < 150 MB, CPU < 5%',
        verdict: verdict([r.idle_clients, (v) => v >= 1000], [r.rss_mb, (v) => v < 150], [r.cpu_pct, (v) => v < 5]),
      }];
    case 'login_storm':
      return [{
        what: `login storm, ${r.clients} at once`,
        figure: `${Number.isFinite(num(r.all_in_ms)) ? `all in after ${n0(r.all_in_ms)} ms` : `only ${n0(r.logged_in)} in within ${n0(r.login_limit_ms)} ms`}; chat p99 ${n1(r.chat_p99_ms)} ms (server ${n0(r.server_cpu_pct)}%, load ${n0(r.load_cpu_pct)}% CPU)`,
        goal: '≤ 3 s, chat p99 ≤ 50 ms', verdict: verdict([r.all_in_ms, (v) => v <= 3000], [r.chat_p99_ms, (v) => v <= 50]),
      }];
    case 'history':
      return [{
        what: `history, ${n0(r.messages)} messages`,
        figure: `start-up ${n0(r.start_ms)} ms (empty history ${n0(r.start_empty_ms)} ms; ChatServer.create ${n0(r.create_ms)} ms); replay of 200: ${n0(r.replay200_ms)} ms`,
        goal: 'start-up ≤ 2 s', verdict: verdict([r.start_ms, (v) => v <= 2000]),
      }];
    case 'e2e_room':
      return [{ what: `Send Encrypted, room of ${r.members}`, figure: `all read ${r.all_read}; send p50 ${n2(r.send_ms_p50)} ms; envelope ${r.envelope_bytes} B (text ${r.text_bytes}); new member has every key in ${n2(r.join_keys_ms_p95)} ms p95`, goal: 'send ≤ 3 ms, envelope ≤ text + 1 KiB, keys ≤ 1 s p95', verdict: Number(r.send_ms_p50) <= 3 && Number(r.envelope_bytes) <= Number(r.text_bytes) + 1024 && Number(r.join_keys_ms_p95) <= 1000 && r.all_read === true ? 'ok' : 'FAIL' }];
    case 'profile': {
      const top = (r.top_functions as Array<{ name: string; file: string; pct: number }> | undefined) ?? [];
      return [{ what: `server profile, ${r.clients} clients`, figure: `at ${n0(r.msgs_per_s)} msg/s, self time: ${top.slice(0, 4).map((f) => `${f.name} ${n1(f.pct)}%`).join(', ')}`, goal: '', verdict: '' }];
    }
    case 'client_start':
      return [{ what: 'client.ts --no-ui to ready', figure: `median ${n0(r.median_ms)} ms of ${r.runs}; first start (makes keys) ${n0(r.first_ms)} ms`, goal: '', verdict: '' }];
    case 'hostile':
      return [{
        what: 'under attack (8 addresses + keys flood)',
        figure: `login p95 ${n0(r.login_p95_ms)} ms (baseline ${n0(r.baseline_login_p95_ms)}), chat p99 ${n1(r.chat_p99_ms)} ms (baseline ${n1(r.baseline_chat_p99_ms)}), lost ${n0(r.lost)}; RSS +${n1(r.rss_growth_mb)} MB, back in ${n1(r.rss_recovered_s)} s; attack ${n0(r.attack_handshakes_per_s)} handshakes/s, ${n0(r.attack_prelogin_conns)} held before login`,
        goal: 'login ≤ 1 s, chat ≤ 50 ms, 0 lost, RSS ≤ +60 MB back ≤ 15 s',
        verdict: verdict([r.login_p95_ms, (v) => v <= 1000], [r.chat_p99_ms, (v) => v <= 50], [r.lost, (v) => v === 0], [r.rss_growth_mb, (v) => v <= 60], [r.rss_recovered_s, (v) => v <= 15]),
      }];
    default:
      return r.error ? [{ what: r.scenario, figure: `error: ${String(r.error)}`, goal: '', verdict: 'FAIL' }] : [];
  }
}

/** The whole run as a text table, machine line first. */
export function formatTable(rows: Row[]): string {
  const m = rows.find((r) => r.scenario === 'machine');
  const head = m ? `Obrolan benchmark ${String(m.date).slice(0, 16).replace('T', ' ')} UTC — ${m.cores} cores (${m.cpu}), ${m.mem_gb} GB, Node ${m.node}; load average ${m.loadavg_1m} at start${m.client_store === true ? '; load clients wrote their history to disk (--client-store)' : '; load clients keep their history in memory (each stands for its own machine)'}\n` : '';
  const body = rows.flatMap(lines);
  const w = [0, 0, 0].map((_, i) => Math.max(...body.map((l) => [l.what, l.figure, l.goal][i]!.length), [8, 6, 4][i]!));
  const row = (a: string, b: string, c: string, d: string, e: string): string => `${a.padEnd(w[0]!)}  ${b.padEnd(w[1]!)}  ${c.padEnd(w[2]!)}  ${d.padEnd(4)}  ${e}`.trimEnd() + '\n';
  const busy = body.some((l) => num(l.others) + num(l.steal) > BUSY_PCT);
  return head + '\n' + row('scenario', 'figure', 'goal', 'met', 'others/steal') + body.map((l) => row(l.what, l.figure, l.goal, l.verdict, `${n0(l.others)}%/${n0(l.steal)}%`)).join('') +
    `\n"others": CPU used by other processes meanwhile; "steal": CPU the hypervisor gave other virtual machines; both % of one core${busy ? ` — above ${BUSY_PCT}% together the machine was shared and those figures understate Obrolan` : ''}.\n`;
}
