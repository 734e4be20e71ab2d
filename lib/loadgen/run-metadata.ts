/**
 * Node-only (node:os, node:child_process). What a JSON result records about
 * its run, so results can be trended and compared: tool, date, git commit,
 * target, machine and options.
 */
import { execFileSync } from 'node:child_process';
import { arch, cpus, hostname, platform, release, totalmem } from 'node:os';
import { targetKind, type TargetKind } from './target.js';

export interface RunMetadata {
  tool: string;
  /** Version of the JSON layout. */
  schemaVersion: 1;
  date: string;
  gitSha: string | null;
  /** Uncommitted changes in the working tree; null when unknown. */
  gitDirty: boolean | null;
  target: { url: string; kind: TargetKind };
  machine: { hostname: string; platform: string; release: string; arch: string; cpus: number; cpuModel: string; totalMemBytes: number; node: string };
  /** The options the run used (no secrets). */
  options: Record<string, unknown>;
}

/** Options of {@link runMetadata}. */
export interface RunMetadataOptions {
  tool: string;
  targetUrl: string;
  embedded: boolean;
  options: Record<string, unknown>;
  /** CI variables that name the commit when git is unavailable (GITHUB_SHA, VERCEL_GIT_COMMIT_SHA). */
  env?: Record<string, string | undefined>;
  /** Working directory for git. @default process.cwd() */
  cwd?: string;
}

function git(args: string[], cwd: string | undefined): string | null {
  try {
    return execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString().trim();
  } catch {
    return null;
  }
}

export function runMetadata(o: RunMetadataOptions): RunMetadata {
  const sha = git(['rev-parse', 'HEAD'], o.cwd) ?? o.env?.GITHUB_SHA ?? o.env?.VERCEL_GIT_COMMIT_SHA ?? null;
  const status = git(['status', '--porcelain', '--untracked-files=no'], o.cwd);
  const cpuList = cpus();
  return {
    tool: o.tool,
    schemaVersion: 1,
    date: new Date().toISOString(),
    gitSha: sha,
    gitDirty: status === null ? null : status !== '',
    target: { url: o.targetUrl, kind: targetKind(o.targetUrl, o.embedded) },
    machine: {
      hostname: hostname(),
      platform: platform(),
      release: release(),
      arch: arch(),
      cpus: cpuList.length,
      cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
      totalMemBytes: totalmem(),
      node: process.version,
    },
    options: o.options,
  };
}
