// An empty module: the raw child_process.fork baseline of W7 starts it and waits for its exit.
