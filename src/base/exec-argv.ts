// Which of the parent's Node options its children share: loaders (tsx) and heap flags yes;
// options that would make a child run something else than its task (-e, --test...) no.

/** Node options of the parent that would make every child do something else than run its task. */
const dropOptions = /^(-e|--eval|-p|--print|-c|--check|-i|--interactive|--test|--test-.*|--watch.*|--inspect.*|--debug.*|--input-type|--experimental-test-.*|--experimental-default-type)$/;
const optionsWithValue = /^(-e|--eval|-p|--print|--input-type|--test-reporter|--test-reporter-destination|--test-name-pattern|--test-skip-pattern|--test-shard|--test-concurrency|--test-timeout|--watch-path|--inspect-port|--experimental-default-type)$/;

/** The parent's Node options that children should share (loaders like tsx, heap flags...). */
export function inheritedExecArgv(): string[] {
  const kept: string[] = [];
  const argv = process.execArgv;
  for (let index = 0; index < argv.length; index++) {
    const option = argv[index];
    const name = option.split('=')[0];
    if (dropOptions.test(name)) {
      if (!option.includes('=') && optionsWithValue.test(name)) index++;
      continue;
    }
    kept.push(option);
  }
  return kept;
}
