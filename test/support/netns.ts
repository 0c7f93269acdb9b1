// A LAN inside one machine for tests: Linux network namespaces, each joined by a veth pair to a bridge
// that lives in a namespace of its own (so nothing touches the host's interfaces). Names carry the test's
// pid; destroy() deletes every namespace (which removes its veths), also after a failure.
// Needs root and iproute2's `ip`; canMakeNamespaces() says why not otherwise.
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Child, ROOT } from './processes.ts';

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** undefined when namespaces can be made here; otherwise the reason (for a skip message). */
export function canMakeNamespaces(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network namespaces need root (run the tests as root, as CI does)';
  try { execFileSync('ip', ['-V'], { stdio: 'ignore' }); } catch { return '`ip` (iproute2) not found: apt-get install iproute2'; }
  const probe = `obprobe${process.pid}`;
  try {
    ip(['netns', 'add', probe]);
  } catch (err) {
    return `cannot make a network namespace: ${(err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message}`;
  }
  try { ip(['netns', 'del', probe]); } catch { /* gone already */ }
  return undefined;
}

/** Deletes namespaces named by this module ("ob<pid>br", "ob<pid>n<i>") whose process is gone (e.g. SIGKILLed). */
function removeStale(): void {
  let names: string[];
  try { names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]!); } catch { return; }
  for (const ns of names) {
    const m = /^ob(\d+)(?:br|n\d+)$/.exec(ns);
    if (!m || Number(m[1]) === process.pid) continue;
    try { process.kill(Number(m[1]), 0); continue; } catch { /* no such process: a leftover */ }
    try { ip(['netns', 'del', ns]); } catch { /* raced with its owner */ }
  }
}

/** One namespace on the LAN: its name and the IPv4 address (CIDR) of its veth. */
export interface Host { ns: string; cidr: string; address: string }

/** A bridge namespace plus member namespaces, each with one address. */
export class Lan {
  readonly bridge: string;
  readonly hosts: Host[] = [];
  private readonly made: string[] = [];

  constructor(private readonly tag = `ob${process.pid}`) {
    this.bridge = `${tag}br`;
  }

  /** Creates the bridge namespace (after deleting namespaces left by runs whose process was killed). */
  up(): void {
    removeStale();
    // A last resort if the test process ends without reaching its after hook.
    process.once('exit', () => this.destroy());
    this.addNs(this.bridge);
    ip(['-n', this.bridge, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', this.bridge, 'link', 'set', 'br0', 'up']);
  }

  /** Adds namespace number `i` with address `cidr` (e.g. "10.77.0.1/24") plugged into the bridge. */
  add(i: number, cidr: string): Host {
    const ns = `${this.tag}n${i}`;
    const inner = `${this.tag}a${i}`;
    const outer = `${this.tag}b${i}`;
    this.addNs(ns);
    ip(['-n', ns, 'link', 'add', inner, 'type', 'veth', 'peer', 'name', outer, 'netns', this.bridge]);
    ip(['-n', ns, 'addr', 'add', cidr, 'brd', '+', 'dev', inner]);
    ip(['-n', ns, 'link', 'set', inner, 'up']);
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    ip(['-n', this.bridge, 'link', 'set', outer, 'master', 'br0']);
    ip(['-n', this.bridge, 'link', 'set', outer, 'up']);
    const host = { ns, cidr, address: cidr.split('/')[0]! };
    this.hosts.push(host);
    return host;
  }

  /** Runs `file` (server.ts or client.ts) with node --import tsx inside `host`'s namespace. */
  run(host: Host, file: string, args: string[], name: string): Child {
    const proc = spawn('ip', ['netns', 'exec', host.ns, process.execPath, '--import', 'tsx', join(ROOT, file), ...args], {
      cwd: ROOT,
      env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OBROLAN_'))), FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new Child(proc, name);
  }

  /** Deletes every namespace made (their veths and the bridge go with them). Never throws. */
  destroy(): void {
    for (const ns of this.made.splice(0).reverse()) {
      try { ip(['netns', 'del', ns]); } catch { /* already gone */ }
    }
  }

  private addNs(ns: string): void {
    ip(['netns', 'add', ns]);
    this.made.push(ns);
  }
}
