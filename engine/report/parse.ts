/**
 * Splits a notebook (Markdown with YAML front matter) into blocks: prose, ```sql``` cells, ```vega-lite```
 * cells and {#if}/{:else}/{/if} branches. Every block keeps its 1-based line in the file so that each error can
 * point at it. Other fenced code (```sh …```) stays prose.
 */
import { parse as parseYaml } from 'yaml';
import { UserError } from '../errors.ts';
import { parseFrontMatter, type FrontMatter } from './params.ts';

export type Block = ProseBlock | SqlBlock | ChartBlock | IfBlock;

export interface ProseBlock {
  kind: 'prose';
  text: string;
  /** line of the first line of `text` */
  line: number;
}

export interface SqlBlock {
  kind: 'sql';
  name: string;
  options: Record<string, string>;
  source: string;
  /** line of the opening fence; the SQL's first line is line + 1 */
  line: number;
}

export interface ChartBlock {
  kind: 'chart';
  name: string;
  /** SQL cells whose rows feed the chart; the first is the chart's default data */
  data: string[];
  options: Record<string, string>;
  source: string;
  line: number;
}

export interface IfBlock {
  kind: 'if';
  /** an inline-value reference, e.g. `sweep_info.available` or `alerts.$rows` */
  ref: string;
  negate: boolean;
  line: number;
  then: Block[];
  else: Block[];
}

export interface Notebook {
  /** file name without .md */
  name: string;
  /** as given (used in error messages) */
  file: string;
  front: FrontMatter;
  blocks: Block[];
  /** a problem in the document structure: reported in place, the rest still renders */
  problems: { line: number; message: string }[];
}

const CELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CHART_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

/** `sql name=price table rows="20"` → ['sql', {name: 'price', table: 'true', rows: '20'}] */
export function parseInfo(info: string): { lang: string; options: Record<string, string> } {
  const m = /^\s*(\S+)\s*(.*)$/.exec(info);
  if (!m) return { lang: '', options: {} };
  const options: Record<string, string> = {};
  const re = /([A-Za-z_][\w-]*)(?:=("([^"]*)"|'([^']*)'|\S+))?/g;
  for (const o of m[2].matchAll(re)) {
    options[o[1]] = o[3] ?? o[4] ?? o[2] ?? 'true';
  }
  return { lang: m[1].toLowerCase(), options };
}

function splitFrontMatter(text: string, file: string): { yaml: string | null; body: string; bodyLine: number } {
  const lines = text.split('\n');
  if (lines[0]?.trim() !== '---') return { yaml: null, body: text, bodyLine: 1 };
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === '---') return { yaml: lines.slice(1, i).join('\n'), body: lines.slice(i + 1).join('\n'), bodyLine: i + 2 };
  }
  throw new UserError(`${file}:1: the front matter opened with --- is never closed`);
}

export function parseNotebook(text: string, file: string, name: string): Notebook {
  const { yaml, body, bodyLine } = splitFrontMatter(text.replace(/\r\n/g, '\n'), file);
  let raw: unknown = {};
  if (yaml !== null) {
    try {
      raw = parseYaml(yaml) ?? {};
    } catch (err) {
      throw new UserError(`${file}: front matter is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  const front = parseFrontMatter(raw, file);
  const problems: Notebook['problems'] = [];
  const blocks = parseBody(body.split('\n'), bodyLine, problems);
  checkNames(blocks, problems);
  return { name, file, front, blocks, problems };
}

interface Frame {
  target: Block[];
  ifBlock: IfBlock | null;
}

function parseBody(lines: string[], firstLine: number, problems: Notebook['problems']): Block[] {
  const root: Block[] = [];
  const stack: Frame[] = [{ target: root, ifBlock: null }];
  let prose: string[] = [];
  let proseLine = firstLine;
  const top = () => stack[stack.length - 1];
  const flush = (nextLine: number) => {
    if (prose.some((l) => l.trim() !== '')) top().target.push({ kind: 'prose', text: prose.join('\n'), line: proseLine });
    prose = [];
    proseLine = nextLine;
  };
  let chartCount = 0;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = firstLine + i;
    const line = lines[i];
    const fence = /^(\s{0,3})(`{3,}|~{3,})(.*)$/.exec(line);
    if (fence) {
      const marker = fence[2];
      const { lang, options } = parseInfo(fence[3]);
      // find the closing fence: same character, at least as long
      let j = i + 1;
      while (j < lines.length && !new RegExp(`^\\s{0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`).test(lines[j])) j++;
      if (lang === 'sql' || lang === 'vega-lite' || lang === 'vegalite') {
        flush(lineNo);
        const source = lines.slice(i + 1, j).join('\n');
        if (j >= lines.length) problems.push({ line: lineNo, message: `the ${lang} cell's fence is never closed` });
        if (lang === 'sql') {
          top().target.push({ kind: 'sql', name: options.name ?? '', options, source, line: lineNo });
        } else {
          chartCount++;
          const data = (options.data ?? '').split(',').map((s) => s.trim()).filter(Boolean);
          const name = options.name ?? (data[0] ? `${data[0]}-chart` : `chart-${chartCount}`);
          top().target.push({ kind: 'chart', name, data, options, source, line: lineNo });
        }
        i = j;
        proseLine = firstLine + j + 1;
        continue;
      }
      // other code: kept verbatim as prose, including its fences
      prose.push(...lines.slice(i, Math.min(j + 1, lines.length)));
      i = j;
      continue;
    }
    const ifOpen = /^\s*\{#if\s+(!?)\s*([^}]+?)\s*\}\s*$/.exec(line);
    if (ifOpen) {
      flush(lineNo + 1);
      const block: IfBlock = { kind: 'if', ref: ifOpen[2], negate: ifOpen[1] === '!', line: lineNo, then: [], else: [] };
      top().target.push(block);
      stack.push({ target: block.then, ifBlock: block });
      continue;
    }
    if (/^\s*\{:else\}\s*$/.test(line)) {
      flush(lineNo + 1);
      const f = top();
      if (!f.ifBlock || f.target === f.ifBlock.else) problems.push({ line: lineNo, message: '{:else} without an open {#if}' });
      else f.target = f.ifBlock.else;
      continue;
    }
    if (/^\s*\{\/if\}\s*$/.test(line)) {
      flush(lineNo + 1);
      if (stack.length === 1) problems.push({ line: lineNo, message: '{/if} without an open {#if}' });
      else stack.pop();
      continue;
    }
    if (prose.length === 0) proseLine = lineNo;
    prose.push(line);
  }
  flush(firstLine + lines.length);
  for (const f of stack.slice(1)) problems.push({ line: f.ifBlock!.line, message: `{#if ${f.ifBlock!.ref}} is never closed with {/if}` });
  return root;
}

export function* walkBlocks(blocks: readonly Block[]): Generator<Block> {
  for (const b of blocks) {
    yield b;
    if (b.kind === 'if') {
      yield* walkBlocks(b.then);
      yield* walkBlocks(b.else);
    }
  }
}

function checkNames(blocks: Block[], problems: Notebook['problems']): void {
  const sql = new Map<string, number>();
  const charts = new Map<string, number>();
  for (const b of walkBlocks(blocks)) {
    if (b.kind === 'sql') {
      if (!CELL_NAME.test(b.name)) {
        problems.push({ line: b.line, message: b.name ? `SQL cell name '${b.name}' must be letters, digits and _ (it becomes a table name)` : 'SQL cell without name=… (```sql name=mycell)' });
      } else if (sql.has(b.name.toLowerCase())) {
        problems.push({ line: b.line, message: `SQL cell '${b.name}' is defined twice (first on line ${sql.get(b.name.toLowerCase())})` });
      } else sql.set(b.name.toLowerCase(), b.line);
    } else if (b.kind === 'chart') {
      // the same chart name twice is legal only when the two sit in exclusive branches; renaming is simpler
      let name = b.name;
      for (let k = 2; charts.has(name); k++) name = `${b.name}-${k}`;
      if (!CHART_NAME.test(name)) problems.push({ line: b.line, message: `chart name '${name}' must be letters, digits, _ and -` });
      b.name = name;
      charts.set(name, b.line);
    }
  }
}
