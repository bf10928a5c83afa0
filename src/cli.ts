#!/usr/bin/env node
// The `multiproc` command. Each subcommand is one entry of COMMANDS, so adding one (`worker`)
// touches nothing else. Usage errors go to stderr with exit code 2, as most Unix tools do.

import { cpuCount } from './cpu/cpu-count.js';
import { type CpuInfo, cpuInfo } from './cpu/cpu-info.js';

/** A subcommand: its name on the command line, one line for --help, and what it does. */
interface Command {
  name: string;
  summary: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(args: string[]): number | Promise<number>;
}

const WRAP = 78;
const INDENT = '  ';

/** Fills words into lines no wider than WRAP, each indented, so 100+ flags stay readable. */
function wrapWords(words: string[]): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && INDENT.length + line.length + 1 + word.length > WRAP) {
      lines.push(INDENT + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(INDENT + line);
  return lines;
}

/** Bytes as the largest binary unit that keeps a whole number, e.g. "480 MiB". */
function formatBytes(bytes: number): string {
  if (bytes <= 0) return 'unknown';
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let unit = 0;
  while (unit < units.length - 1 && bytes % 1024 ** (unit + 1) === 0) unit++;
  return `${bytes / 1024 ** unit} ${units[unit]}`;
}

/** One `key: value` line per field, then the flags wrapped beneath their count. */
function formatCpuInfo(info: CpuInfo, usable: number): string {
  const lines = [
    `model: ${info.model || 'unknown'}`,
    `processors: ${info.processors}`,
    `cores: ${info.cores}`,
    `sockets: ${info.sockets}`,
    `mhz: ${info.mhz ? info.mhz.toFixed(1) : 'unknown'}`,
    `cache size: ${formatBytes(info.cacheSize)}`,
    `usable (cpuCount): ${usable}`,
    `flags: ${info.flags.length}`,
    ...wrapWords(info.flags),
  ];
  return `${lines.join('\n')}\n`;
}

function runCpuInfo(): number {
  process.stdout.write(formatCpuInfo(cpuInfo(), cpuCount()));
  return 0;
}

/** Loaded only when used: it brings in the pool and BullMQ. */
async function runWorker(args: string[]): Promise<number> {
  const { runWorkerCommand } = await import('./worker/worker-command.js');
  return runWorkerCommand(args);
}

const COMMANDS: Command[] = [
  { name: 'cpuinfo', summary: 'Show the CPUs (model, processors, cores, sockets, flags) and how many this process may use', run: runCpuInfo },
  { name: 'worker', summary: "Run the tasks of Pools of the redis context ({ context: 'redis', url }) on this machine", run: runWorker },
];

function helpText(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  const rows = COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return ['Usage: multiproc <command> [args...]', '', 'Commands:', ...rows, '', 'Options:', '  -h, --help  Show this help', ''].join('\n');
}

/** Runs the command line `args` (without node and the script); resolves to the exit code. */
async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(helpText());
    return 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command) return command.run(rest);
  process.stderr.write(`multiproc: unknown command '${name}'\n\n${helpText()}`);
  return 2;
}

// exitCode rather than exit(): exit() may cut off output still queued for a pipe.
process.exitCode = await main(process.argv.slice(2));
