// W13's raw BullMQ peer, one per process: a BullMQ Worker taking one job at a time, each job
// holding 100 items, and answering with the items doubled (the loop multiproc's double runs).
//
//   node [--import tsx] bench/redis-raw-worker.(ts|js) <redis url> <queue name>
import { Worker } from 'bullmq';

const [url, queueName] = process.argv.slice(2);
if (!url || !queueName) {
  console.error('usage: redis-raw-worker <redis url> <queue name>');
  process.exit(2);
}
const worker = new Worker(queueName, async (job) => (job.data.items as number[]).map((x) => x * 2), { connection: { url }, concurrency: 1 });
worker.on('error', (error) => console.error(`raw BullMQ worker: ${error.message}`));
process.once('SIGTERM', () => {
  void worker.close().then(() => process.exit(0));
});
