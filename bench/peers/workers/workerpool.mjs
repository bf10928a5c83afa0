// workerpool's worker: registers the shared tasks by name for pool.exec('double', [x]).
import workerpool from 'workerpool';
import { burn, double, noop } from './tasks.mjs';

workerpool.worker({ double, burn, noop });
