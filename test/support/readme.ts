import { readFileSync } from 'node:fs';

/**
 * The ```bash block of README.md (or another Markdown file of the repository,
 * such as `docs/costs.md`) that contains `marker`, as a shell would get it pasted.
 */
export function readmeBlock(marker: string, file = 'README.md'): string {
  const readme = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
  const block = [...readme.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes(marker));
  if (block === undefined) throw new Error(`${file} has no bash block with ${marker}`);
  return block;
}

/** Every ```bash block of README.md that calls curl, in order. */
export function readmeCurlBlocks(): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  return [...readme.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => /(^|\s)curl\s/m.test(b));
}
