// Formatting: one table per workload, printed aligned on the console and written as markdown to
// BENCHMARKS.md. A table has a row per figure and, for each multiproc figure, its ratio to every
// peer figure, oriented so that above 1.00x means multiproc did better.
import type { Figure, Unit } from './measure.ts';

/** One workload's results. */
export interface Section {
  id: string;
  title: string;
  /** How it was measured, one paragraph. */
  method: string;
  figures: Figure[];
  /** Skipped, unavailable and failed participants, calibration... */
  notes: string[];
  /**
   * A row per `what` (W12's modes) and a column per participant, multiproc compared only with the
   * peers' figures of the same row, instead of a row per figure compared with every peer figure.
   */
  byWhat?: boolean;
}

/** What the figures were measured on. */
export interface Machine {
  date: string;
  cpu: string;
  cores: number;
  usable: number;
  node: string;
  python: string | null;
  multiproc: string;
  peers: string;
}

export const isMultiproc = (figure: Figure) => figure.who.startsWith('multiproc');

export function label(figure: Figure): string {
  return figure.what ? `${figure.who}: ${figure.what}` : figure.who;
}

const higherIsBetter: Record<Unit, boolean> = { 'items/s': true, 'ops/s': true, 'msg/s': true, 'futures/s': true, 'MB/s': true, 'speed-up': true, ms: false, µs: false };

/** How many times better `mine` is than `peer`: value ratio for items/s, MB/s and speed-up, inverse for ms. */
export function ratio(mine: Figure, peer: Figure): number {
  return higherIsBetter[mine.unit] ? mine.value / peer.value : peer.value / mine.value;
}

/** 2.31x (0.96x, 12.4x, 131x). */
export function formatRatio(value: number): string {
  if (!Number.isFinite(value)) return '-';
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)}x`;
}

/** A figure's value without its unit (the table's column says it). */
export function formatValue(figure: Figure): string {
  const { value } = figure;
  if (!Number.isFinite(value)) return '-';
  if (figure.unit === 'items/s' || figure.unit === 'ops/s' || figure.unit === 'msg/s' || figure.unit === 'futures/s') {
    if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
    if (value >= 1e3) return `${(value / 1e3).toFixed(1)} k`;
    return value.toFixed(0);
  }
  if (figure.unit === 'speed-up') return value.toFixed(2);
  return value < 10 ? value.toFixed(2) : value.toFixed(1);
}

/** The header and rows of a section's table. */
function table(section: Section): string[][] {
  if (section.byWhat) return tableByWhat(section);
  const mine = section.figures.filter(isMultiproc);
  const peers = section.figures.filter((figure) => !isMultiproc(figure));
  const ratioColumns = mine.length ? peers : [];
  const unit = section.figures[0]?.unit ?? '';
  // A column names the peer alone when it has one figure in the section.
  const short = (peer: Figure) => (peers.filter((other) => other.who === peer.who).length > 1 ? label(peer) : peer.who);
  const header = ['', unit, ...ratioColumns.map((peer) => `vs ${short(peer)}${peer.reference ? ' (ref.)' : ''}`), 'details'];
  const rows = section.figures.map((figure) => [
    label(figure),
    formatValue(figure),
    ...ratioColumns.map((peer) => (isMultiproc(figure) ? formatRatio(ratio(figure, peer)) : '')),
    figure.detail ?? '',
  ]);
  return [header, ...rows];
}

const distinct = (values: readonly string[]) => [...new Set(values)];

/** A row per `what`: each participant's figure, then each multiproc figure's ratio to each peer's of that row. */
function tableByWhat(section: Section): string[][] {
  const unit = section.figures[0]?.unit ?? '';
  const whos = distinct(section.figures.map((figure) => figure.who));
  const mine = whos.filter((who) => who.startsWith('multiproc'));
  const peers = whos.filter((who) => !who.startsWith('multiproc'));
  const pairs = mine.flatMap((me) => peers.map((peer) => [me, peer] as const));
  const header = ['', ...whos.map((who) => `${who}, ${unit}`), ...pairs.map(([me, peer]) => (mine.length > 1 ? `${me} vs ${peer}` : `vs ${peer}`)), 'details'];
  const rows = distinct(section.figures.map((figure) => figure.what ?? '')).map((what) => {
    const of = (who: string) => section.figures.find((figure) => figure.who === who && (figure.what ?? '') === what);
    const details = whos.flatMap((who) => {
      const detail = of(who)?.detail;
      return detail ? [`${who}: ${detail}`] : [];
    });
    return [
      what,
      ...whos.map((who) => {
        const figure = of(who);
        return figure ? formatValue(figure) : '';
      }),
      ...pairs.map(([me, peer]) => {
        const [a, b] = [of(me), of(peer)];
        return a && b ? formatRatio(ratio(a, b)) : '';
      }),
      details.join('; '),
    ];
  });
  return [header, ...rows];
}

/** Prints a section as an aligned text table, then its notes. */
export function printSection(section: Section): void {
  console.log(`\n${section.title}`);
  if (section.figures.length) {
    const rows = table(section);
    const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
    const line = (row: string[]) =>
      `  ${row.map((cell, column) => (column === 0 || column === row.length - 1 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ')}`.trimEnd();
    console.log(line(rows[0]));
    for (const row of rows.slice(1)) console.log(line(row));
  }
  for (const note of section.notes) console.log(`  note: ${note}`);
}

/** The whole BENCHMARKS.md. */
export function markdown(machine: Machine, sections: readonly Section[], command: string): string {
  const lines = [
    '# Benchmarks',
    '',
    `Produced by \`${command}\` (bench/run.ts) on ${machine.date}; every figure comes from that one run.`,
    '',
    '| machine | |',
    '| --- | --- |',
    `| CPU | ${machine.cpu} |`,
    `| cores | ${machine.cores} (${machine.usable} usable) |`,
    `| Node | ${machine.node} |`,
    `| Python | ${machine.python ?? 'absent (Python skipped)'} |`,
    `| multiproc | ${machine.multiproc} |`,
    `| peers | ${machine.peers} |`,
    '',
    'Ratios compare each multiproc figure with each peer figure, oriented so that above 1.00x means',
    'multiproc did better (more items/s, more speed-up, fewer ms). The machine is shared and noisy:',
    'single runs vary by tens of percent, so compare ratios rather than absolute numbers.',
    '',
  ];
  for (const section of sections) {
    lines.push(`## ${section.title}`, '', section.method, '');
    if (section.figures.length) {
      const [header, ...rows] = table(section);
      const cells = (row: string[]) => `| ${row.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
      lines.push(cells(header), `|${header.map((_, column) => (column === 0 || column === header.length - 1 ? ' --- |' : ' ---: |')).join('')}`, ...rows.map(cells), '');
    }
    for (const note of section.notes) lines.push(`- ${note}`);
    if (section.notes.length) lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
