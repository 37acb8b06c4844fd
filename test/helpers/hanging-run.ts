// A workspace whose one milestone runs a script that hangs with a child and a setsid grandchild, for tests that end runs.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sidecar } from './rpc-client.js';

const HANG = `
import os, subprocess, time
here = os.path.dirname(os.path.abspath(__file__))
child = subprocess.Popen(["sleep", "300"])
detached = subprocess.Popen(["sleep", "301"], start_new_session=True)
with open(os.path.join(here, "pids.tmp"), "w") as file:
    file.write(f"{os.getpid()} {child.pid} {detached.pid}")
os.replace(os.path.join(here, "pids.tmp"), os.path.join(here, "pids"))
time.sleep(3600)
`;

export interface HangingRun {
  readonly folder: string;
  readonly progressFile: string;
  /** Starts a sidecar on this workspace; `args` come after the workspace flags. */
  start(args?: string[]): Sidecar;
  /** The pids of the script, its child and its setsid grandchild, once the script has started them. */
  pids(timeoutMs?: number): Promise<{ script: number; child: number; detached: number }>;
  dispose(): void;
}

export function hangingRun(): HangingRun {
  const folder = mkdtempSync(join(tmpdir(), 'ttm-hang-'));
  const workspace = join(folder, 'workspace');
  mkdirSync(join(workspace, 'milestones'), { recursive: true });
  writeFileSync(join(workspace, 'milestones', 'hang.py'), HANG);
  const milestone = { id: 'hang', name: 'Hang', description: 'A run that never ends', unlockMessage: 'go', requires: ['01_tensor'], verify: { scripts: ['milestones/hang.py'] } };
  writeFileSync(join(folder, 'catalog.json'), JSON.stringify({ name: 'hanging', milestones: [milestone] }));
  const progressFile = join(folder, 'progress.json');
  writeFileSync(progressFile, JSON.stringify({ completed_modules: ['01_tensor'], unlocked_milestones: ['hang'], completed_milestones: [] }, null, 2));
  const pidsFile = join(workspace, 'milestones', 'pids');
  return {
    folder,
    progressFile,
    start: (args = []) =>
      new Sidecar({
        args: ['--progress-file', progressFile, '--catalog', join(folder, 'catalog.json'), '--workspace', workspace, '--python', 'python3', ...args],
        env: { TINYTORCH_WORKSPACE: '' },
      }),
    async pids(timeoutMs = 20_000) {
      for (let waited = 0; waited < timeoutMs; waited += 20) {
        if (existsSync(pidsFile)) {
          const [script, child, detached] = readFileSync(pidsFile, 'utf8').split(' ').map(Number) as [number, number, number];
          return { script, child, detached };
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`the hanging script did not start within ${timeoutMs} ms`);
    },
    dispose: () => rmSync(folder, { recursive: true, force: true }),
  };
}
