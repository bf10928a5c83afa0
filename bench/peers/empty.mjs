// An empty child for the raw child_process.fork baseline (W7).
