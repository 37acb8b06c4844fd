// Evidence of work in a git work tree (docs/protocol.md §11): an exported file counts only when git cannot explain its content.
import { createHash } from 'node:crypto';
// Synchronous reads: a few small local files, faster than a trip through libuv's thread pool on a busy machine.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseIndex, type IndexEntry } from './git-index.js';

/** Whether a file is a student's own work, as far as version control can tell. */
export interface WorkEvidence {
  /**
   * False when git explains the file: tracked, and its content is the index's or HEAD's (a clone, checkout,
   * pull, reset, stash or rebase wrote it). True when it is untracked, differs from both, or no git is there.
   */
  isWork(path: string): Promise<boolean>;
}

interface Repository {
  readonly workTree: string;
  readonly gitDir: string;
  readonly commonDir: string;
}

/** How long a git command may hold `index.lock` (it writes the files first, then the index) before we stop waiting. */
const INDEX_LOCK_WAIT_MS = 30_000;
const INDEX_LOCK_POLL_MS = 20;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

const readText = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};
const statOf = (path: string) => statSync(path, { throwIfNoEntry: false });

/** The work tree that holds `folder`: the nearest `.git` folder, or a `.git` file (`gitdir: …`, a worktree). */
function findRepository(folder: string): Repository | null {
  let current = resolve(folder);
  for (;;) {
    const dotGit = join(current, '.git');
    const info = statOf(dotGit);
    if (info?.isDirectory()) return { workTree: current, gitDir: dotGit, commonDir: dotGit };
    if (info?.isFile()) {
      const pointer = /^gitdir:\s*(.+)$/m.exec(readText(dotGit))?.[1]?.trim();
      if (pointer) {
        const gitDir = resolve(current, pointer);
        const common = readText(join(gitDir, 'commondir')).trim();
        return { workTree: current, gitDir, commonDir: common ? resolve(gitDir, common) : gitDir };
      }
    }
    const parent = dirname(current);
    if (parent === current) return null;
    current = parent;
  }
}

function runGit(repository: Repository, args: readonly string[]): Promise<Buffer | null> {
  return new Promise((done) => {
    // node:child_process on first use: every session imports this file, few run git (issue 9 (a)).
    process
      .getBuiltinModule('node:child_process')
      .execFile('git', [...args], { cwd: repository.workTree, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => done(error ? null : stdout));
  });
}

/** The commit HEAD names, read from the ref files (no git process); null when it cannot be told that way. */
function headCommit(repository: Repository): string | null {
  const head = readText(join(repository.gitDir, 'HEAD')).trim();
  if (/^[0-9a-f]{40,64}$/.test(head)) return head;
  const ref = /^ref:\s*(\S+)$/.exec(head)?.[1];
  if (!ref) return null;
  for (const base of [repository.gitDir, repository.commonDir]) {
    const loose = readText(join(base, ref)).trim();
    if (/^[0-9a-f]{40,64}$/.test(loose)) return loose;
  }
  const packed = readText(join(repository.commonDir, 'packed-refs'));
  for (const line of packed.split('\n')) {
    const [id, name] = line.split(' ');
    if (name === ref && id && /^[0-9a-f]{40,64}$/.test(id)) return id;
  }
  return null;
}

function parseLsFiles(output: Buffer): Map<string, IndexEntry> {
  const entries = new Map<string, IndexEntry>();
  for (const record of output.toString('utf8').split('\0')) {
    const match = /^\d+ ([0-9a-f]+) (\d)\t(.+)$/s.exec(record);
    if (!match?.[1] || !match[3]) continue;
    entries.set(match[3], { blob: match[1], mtimeSeconds: -1, mtimeNanoseconds: -1, size: -1, ino: -1, conflicted: match[2] !== '0' });
  }
  return entries;
}

function parseLsTree(output: Buffer): Map<string, string> {
  const blobs = new Map<string, string>();
  for (const record of output.toString('utf8').split('\0')) {
    const match = /^\d+ blob ([0-9a-f]+)\t(.+)$/s.exec(record);
    if (match?.[1] && match[2]) blobs.set(match[2], match[1]);
  }
  return blobs;
}

/** git's blob id of some content: SHA-1 of `blob <size>\0<content>`. */
export function blobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export interface GitEvidenceStats {
  /** Index files parsed (once per change of `.git/index`). */
  indexReads: number;
  /** git processes started: `ls-tree` once per HEAD commit, `ls-files` only for an index we cannot parse. */
  gitProcesses: number;
}

/**
 * Answers from a cache of the index, refreshed when `.git/index` changes (its size, mtime or inode), and of
 * HEAD's tree, refreshed when HEAD names another commit: no git process per event.
 */
export function createGitEvidence(): WorkEvidence & { readonly stats: GitEvidenceStats } {
  const stats: GitEvidenceStats = { indexReads: 0, gitProcesses: 0 };
  let repository: Repository | null = null;
  let index: { key: string; entries: Map<string, IndexEntry> } | null = null;
  let head: { commit: string; blobs: Promise<Map<string, string> | null> } | null = null;

  function repositoryFor(path: string): Repository | null {
    if (repository && !relative(repository.workTree, path).startsWith('..')) return repository;
    repository = findRepository(dirname(path));
    index = null;
    head = null;
    return repository;
  }

  /** A git command that writes the work tree holds `index.lock` until it has written the new index. */
  async function waitForIndexLock(repo: Repository): Promise<void> {
    const lock = join(repo.gitDir, 'index.lock');
    const deadline = Date.now() + INDEX_LOCK_WAIT_MS;
    while (Date.now() < deadline && existsSync(lock)) await sleep(INDEX_LOCK_POLL_MS);
  }

  async function indexEntries(repo: Repository): Promise<Map<string, IndexEntry> | null> {
    const file = join(repo.gitDir, 'index');
    const info = statOf(file);
    if (!info) return new Map(); // a repository with nothing added yet tracks nothing
    const key = `${info.size}:${info.mtimeMs}:${info.ino}:${info.ctimeMs}`;
    if (index?.key === key) return index.entries;
    stats.indexReads++;
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      return null;
    }
    const parsed = parseIndex(bytes);
    let entries: Map<string, IndexEntry> | null = parsed.ok ? parsed.entries : null;
    if (!entries) {
      stats.gitProcesses++;
      const output = await runGit(repo, ['ls-files', '--stage', '-z']);
      entries = output ? parseLsFiles(output) : null;
    }
    if (entries) index = { key, entries };
    return entries;
  }

  async function headBlobs(repo: Repository): Promise<Map<string, string> | null> {
    const commit = headCommit(repo);
    if (!commit) return null;
    if (head?.commit !== commit) {
      stats.gitProcesses++;
      head = { commit, blobs: runGit(repo, ['ls-tree', '-r', '-z', '--full-tree', commit]).then((output) => (output ? parseLsTree(output) : null)) };
    }
    return head.blobs;
  }

  return {
    stats,
    async isWork(target) {
      const path = resolve(target);
      const repo = repositoryFor(path);
      if (!repo) return true; // no git: every export counts (the rule without version control)
      const inTree = relative(repo.workTree, path);
      if (inTree.startsWith('..') || isAbsolute(inTree)) return true;
      const name = inTree.split(sep).join('/');
      await waitForIndexLock(repo);
      const entries = await indexEntries(repo);
      if (!entries) return true;
      const entry = entries.get(name);
      if (!entry) return true; // untracked
      if (entry.conflicted) return false; // git wrote the conflict
      const info = statSync(path, { bigint: true, throwIfNoEntry: false });
      if (!info) return false;
      // git refreshed these stat fields when it wrote the file: an unchanged stat is git's own write.
      const sameStat =
        BigInt(entry.size) === info.size &&
        BigInt(entry.mtimeSeconds) === info.mtimeNs / 1_000_000_000n &&
        BigInt(entry.mtimeNanoseconds) === info.mtimeNs % 1_000_000_000n &&
        BigInt(entry.ino) === info.ino % 2n ** 32n;
      if (sameStat) return false;
      let content: Buffer | null = null;
      try {
        content = readFileSync(path);
      } catch {
        content = null;
      }
      if (!content) return false;
      const blob = blobId(content);
      if (blob === entry.blob) return false;
      const committed = (await headBlobs(repo))?.get(name);
      return committed !== blob;
    },
  };
}
