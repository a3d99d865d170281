/**
 * The TypeScript code blocks of a Markdown file, each as a file a consumer project can type-check.
 * A block whose first line is a comment naming a `.ts` path (`// workers/geocoder.ts`) is written
 * at that path, so the other blocks can import it (`typeof import('./workers/geocoder.js')`);
 * every other block becomes `readme-<n>.ts`, a module of its own.
 */

/** One fenced ```ts block. */
export interface CodeBlock {
  /** Path relative to the folder the blocks are written to. */
  readonly file: string;
  readonly code: string;
  /** 1-based line of the opening fence in the Markdown file (for error messages). */
  readonly line: number;
}

const FENCE = /^```(\S*)\s*$/;
const NAMED = /^\/\/ ((?:[\w.-]+\/)*[\w.-]+\.ts)\b/;

export function typescriptBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  let open: { lang: string; line: number; body: string[] } | undefined;
  for (const [i, text] of lines.entries()) {
    const fence = FENCE.exec(text);
    if (open === undefined) {
      if (fence !== null) open = { lang: fence[1] ?? '', line: i + 1, body: [] };
      continue;
    }
    if (fence === null || fence[1] !== '') {
      open.body.push(text);
      continue;
    }
    if (open.lang === 'ts' || open.lang === 'typescript') {
      const named = NAMED.exec(open.body[0] ?? '');
      const file = named?.[1] ?? `readme-${blocks.length + 1}.ts`;
      // `export {}` makes a block without imports a module too (top-level await, no global clashes).
      blocks.push({ file, code: `${open.body.join('\n')}\nexport {};\n`, line: open.line });
    }
    open = undefined;
  }
  if (open !== undefined) throw new Error(`unclosed code fence at line ${open.line}`);
  const files = new Set<string>();
  for (const b of blocks) {
    if (files.has(b.file)) throw new Error(`two README blocks claim ${b.file} (line ${b.line})`);
    files.add(b.file);
  }
  return blocks;
}
