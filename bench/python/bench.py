"""Python's multiprocessing on the harness's workloads; prints one JSON object on stdout.

    python3 bench/python/bench.py W1 ITEMS REPS      -> {"default_ms": [...], "chunk1_ms": [...]}
    python3 bench/python/bench.py W2 TARGET_MS TASKS WORKERS ROUNDS
                                                     -> {"limit", "task_ms", "serial_ms": [...], "parallel_ms": [...]}
    python3 bench/python/bench.py W3 RUNS            -> {"spawn_ms": [...], "fork_ms": [...]}
    python3 bench/python/bench.py W7 RUNS            -> {"spawn_ms": [...], "fork_ms": [...]}
    python3 bench/python/bench.py W8 PROCESSES N     -> {"ops_per_s", "total"}
    python3 bench/python/bench.py W9 N               -> {"round_trip_us"}
    python3 bench/python/bench.py W10 N              -> {"process_per_s", "thread_per_s"}
    python3 bench/python/bench.py W11 N              -> {"ops_per_s"}
    python3 bench/python/bench.py W4 WARM_UP N BIG_WARM_UP BIG_N BYTES
                                                     -> {"queue_ints": {"ms"}, "queue_big": {"ms"}, "pipe_ints": ..., "pipe_big": ...}
    python3 bench/python/bench.py W5 WARM_UP N       -> {"int_round_trip_us", "object_round_trip_us"}
    python3 bench/python/bench.py W6 BYTES ROUNDS    -> {"round_trip_ms": [...]}

In W4 a part that fails is {"error": "..."} instead, and the other parts still run.

W1 and W2 use the spawn start method (the pool is started and warmed before timing, so the method
does not matter there); W3 and W7 time both spawn (the comparison) and fork (for reference);
W4 to W9 use spawn.
"""
import json
import multiprocessing as mp
import signal
import sys
import threading
import time


def double(x):
    return x * 2


def burn(limit):
    """CPU-bound: counts the primes below limit by trial division (same algorithm as the JS one)."""
    count = 0
    for n in range(2, limit):
        d = 2
        prime = True
        while d * d <= n:
            if n % d == 0:
                prime = False
                break
            d += 1
        if prime:
            count += 1
    return count


def noop():
    pass


def ms_since(started):
    return (time.perf_counter() - started) * 1000


def w1(items, reps):
    data = list(range(items))
    out = {"default_ms": [], "chunk1_ms": []}
    with mp.get_context("spawn").Pool(2) as pool:
        pool.map(double, data)  # warm: both workers up and serving
        pool.map(double, data[:2000], chunksize=1)
        for _ in range(reps):
            started = time.perf_counter()
            pool.map(double, data)
            out["default_ms"].append(ms_since(started))
        for _ in range(reps):
            started = time.perf_counter()
            pool.map(double, data, chunksize=1)
            out["chunk1_ms"].append(ms_since(started))
        pool.close()
        pool.join()
    return out


def time_burn(limit):
    started = time.perf_counter()
    burn(limit)
    return ms_since(started)


def calibrate(target_ms):
    """A limit for which burn(limit) takes about target_ms in this interpreter."""
    limit = 5000
    took = time_burn(limit)
    while took < target_ms / 4:
        limit *= 2
        took = time_burn(limit)
    for _ in range(2):  # cost grows about as limit ** 1.5
        limit = max(1000, int(limit * (target_ms / took) ** (1 / 1.5)))
        took = time_burn(limit)
    return limit, took


def w2(target_ms, tasks, workers, rounds):
    """rounds x (the tasks serially in this process, then on a warm Pool(workers), chunksize=1)."""
    limit, task_ms = calibrate(target_ms)
    out = {"limit": limit, "task_ms": task_ms, "serial_ms": [], "parallel_ms": []}
    with mp.get_context("spawn").Pool(workers) as pool:
        pool.map(burn, [1000] * (2 * workers), chunksize=1)  # warm: every worker up
        for _ in range(rounds):
            started = time.perf_counter()
            for _ in range(tasks):
                burn(limit)
            out["serial_ms"].append(ms_since(started))
            started = time.perf_counter()
            pool.map(burn, [limit] * tasks, chunksize=1)
            out["parallel_ms"].append(ms_since(started))
        pool.close()
        pool.join()
    return out


def w3(method, runs):
    """Create a Pool(2), run one task, close and join it."""
    ctx = mp.get_context(method)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        pool = ctx.Pool(2)
        try:
            pool.map(double, [1])
            pool.close()
            pool.join()
        except BaseException:
            pool.terminate()
            raise
        times.append(ms_since(started))
    return times


def w7(method, runs):
    """Start and join a Process with an empty target."""
    ctx = mp.get_context(method)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        process = ctx.Process(target=noop)
        process.start()
        process.join()
        times.append(ms_since(started))
    return times


def w8_worker(value, start, n):
    start.wait()  # every worker is up: only the counting is timed
    for _ in range(n):
        with value.get_lock():
            value.value += 1


def w8(processes, n):
    ctx = mp.get_context("spawn")
    value = ctx.Value("i", 0)
    start = ctx.Barrier(processes + 1)
    workers = [ctx.Process(target=w8_worker, args=(value, start, n)) for _ in range(processes)]
    for w in workers:
        w.start()
    start.wait()
    t = time.perf_counter()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - t
    assert value.value == processes * n, value.value
    return {"ops_per_s": processes * n / elapsed, "total": value.value}


def w9_pong(ping, pong, n):
    for _ in range(n):
        ping.wait()
        ping.clear()
        pong.set()


def w9(n):
    ctx = mp.get_context("spawn")
    ping, pong = ctx.Event(), ctx.Event()
    child = ctx.Process(target=w9_pong, args=(ping, pong, n + 100))
    child.start()
    for _ in range(100):  # warm up
        ping.set()
        pong.wait()
        pong.clear()
    t = time.perf_counter()
    for _ in range(n):
        ping.set()
        pong.wait()
        pong.clear()
    elapsed = time.perf_counter() - t
    child.join()
    return {"round_trip_us": elapsed / n * 1e6}


def w10_round(executor, n):
    futures = [executor.submit(double, i) for i in range(n)]
    for future in futures:
        future.result()


def w10(n):
    import concurrent.futures as cf

    rates = {}
    makers = {
        "process_per_s": lambda: cf.ProcessPoolExecutor(2, mp_context=mp.get_context("spawn")),
        "thread_per_s": lambda: cf.ThreadPoolExecutor(2),
    }
    for key, make in makers.items():
        with make() as executor:
            w10_round(executor, n)  # warm-up: workers started
            t = time.perf_counter()
            w10_round(executor, n)
            rates[key] = n / (time.perf_counter() - t)
    return rates


def w11_worker(shared, key, pairs, ready, go):
    ready.set()
    go.wait()
    for i in range(pairs):
        shared[key] = i
        shared[key]


def w11(pairs):
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        shared = manager.dict()
        go = ctx.Event()
        readies = [ctx.Event(), ctx.Event()]
        children = [ctx.Process(target=w11_worker, args=(shared, f"key{j}", pairs, readies[j], go)) for j in range(2)]
        for child in children:
            child.start()
        for ready in readies:
            ready.wait()
        t = time.perf_counter()
        go.set()
        for child in children:
            child.join()
        elapsed = time.perf_counter() - t
    return {"ops_per_s": 4 * pairs / elapsed}


def stop(process):
    """Ends a child that is still running (a part that failed): the harness checks none is left."""
    if process.is_alive():
        process.terminate()
    process.join()


def w4_produce(channel, go, warm_up, n, size, is_pipe):
    """Puts warm_up messages, waits for go, puts n more: ints, or one bytes object of size bytes."""
    message = bytes(size) if size else None
    put = channel.send if is_pipe else channel.put
    for i in range(warm_up):
        put(message if size else i)
    go.wait()
    for i in range(n):
        put(message if size else i)
    channel.close()
    if not is_pipe:
        channel.join_thread()  # everything flushed to the pipe before exiting


def w4_stream(is_pipe, warm_up, n, size):
    """A spawn child produces, this process consumes; ms from go (first put) to the last get."""
    ctx = mp.get_context("spawn")
    go = ctx.Event()
    if is_pipe:
        mine, theirs = ctx.Pipe()
        get, channel = mine.recv, theirs
    else:
        queue = ctx.Queue()
        get, channel = queue.get, queue
    child = ctx.Process(target=w4_produce, args=(channel, go, warm_up, n, size, is_pipe))
    failure = []

    def watch():
        """The only join of the child: a producer that fails must not leave get() waiting forever."""
        child.join()
        if child.exitcode != 0:
            failure.append(child.exitcode)
            if not is_pipe:  # recv() on the Pipe raises EOFError by itself
                for _ in range(warm_up + n):
                    queue.put(None)

    child.start()
    watchdog = threading.Thread(target=watch, daemon=True)
    watchdog.start()
    try:
        if is_pipe:
            theirs.close()
        try:
            for _ in range(warm_up):
                get()
            last = None
            started = time.perf_counter()
            go.set()
            for _ in range(n):
                last = get()
            elapsed = ms_since(started)
        except EOFError:
            watchdog.join(5)
            raise RuntimeError(f"the producer exited with code {failure[0] if failure else '?'}") from None
        watchdog.join()
        if failure:
            raise RuntimeError(f"the producer exited with code {failure[0]}")
        ok = len(last) == size if size else last == n - 1
        assert ok, f"the last message is not what the producer put ({last!r:.40})"
        return {"ms": elapsed}
    finally:
        stop(child)
        if is_pipe:
            mine.close()
        else:
            queue.close()
            queue.cancel_join_thread()  # only the watchdog ever puts here


def w4(warm_up, n, big_warm_up, big_n, size):
    out = {}
    for name, is_pipe in (("queue", False), ("pipe", True)):
        for part, args in (("ints", (warm_up, n, 0)), ("big", (big_warm_up, big_n, size))):
            try:
                out[f"{name}_{part}"] = w4_stream(is_pipe, *args)
            except Exception as error:  # this part's row shows it; the others still run
                out[f"{name}_{part}"] = {"error": f"{type(error).__name__}: {error}"}
    return out


def w5_echo(conn, n):
    for _ in range(n):
        conn.send(conn.recv())
    conn.close()


def w5(warm_up, n):
    """Ping-pong through a spawn child's Pipe end (it sends each back): a small int, then a small dict."""
    ctx = mp.get_context("spawn")
    mine, theirs = ctx.Pipe()
    messages = (("int", lambda i: i, lambda back: back), ("object", lambda i: {"i": i, "s": "x"}, lambda back: back["i"]))
    child = ctx.Process(target=w5_echo, args=(theirs, len(messages) * (warm_up + n)))
    child.start()
    try:
        theirs.close()
        out = {}
        for name, make, last in messages:
            for i in range(warm_up):
                mine.send(make(i))
                mine.recv()
            t = time.perf_counter()
            for i in range(n):
                mine.send(make(i))
                back = mine.recv()
            elapsed = time.perf_counter() - t
            assert last(back) == n - 1, back
            out[f"{name}_round_trip_us"] = elapsed / n * 1e6
        child.join()
        return out
    finally:
        stop(child)
        mine.close()


def w6_echo(conn, n):
    for _ in range(n):
        conn.send_bytes(conn.recv_bytes())
    conn.close()


def w6(size, rounds):
    """size bytes to a spawn child and back with send_bytes/recv_bytes: one untimed round, then rounds timed."""
    ctx = mp.get_context("spawn")
    data = bytes(size)
    mine, theirs = ctx.Pipe()
    child = ctx.Process(target=w6_echo, args=(theirs, 1 + rounds))
    child.start()
    try:
        theirs.close()
        times = []
        for round_ in range(1 + rounds):
            started = time.perf_counter()
            mine.send_bytes(data)
            back = mine.recv_bytes()
            took = ms_since(started)
            assert len(back) == size, len(back)
            if round_:
                times.append(took)
        child.join()
        return {"round_trip_ms": times}
    finally:
        stop(child)
        mine.close()


def main(argv):
    workload, *args = argv
    numbers = [int(arg) for arg in args]
    if workload == "W1":
        out = w1(*numbers)
    elif workload == "W2":
        out = w2(*numbers)
    elif workload == "W3":
        out = {"spawn_ms": w3("spawn", *numbers), "fork_ms": w3("fork", *numbers)}
    elif workload == "W7":
        out = {"spawn_ms": w7("spawn", *numbers), "fork_ms": w7("fork", *numbers)}
    elif workload == "W8":
        out = w8(*numbers)
    elif workload == "W9":
        out = w9(*numbers)
    elif workload == "W4":
        out = w4(*numbers)
    elif workload == "W5":
        out = w5(*numbers)
    elif workload == "W6":
        out = w6(*numbers)
    elif workload == "W10":
        out = w10(*numbers)
    elif workload == "W11":
        out = w11(*numbers)
    else:
        raise SystemExit(f"unknown workload {workload!r}")
    print(json.dumps(out))


if __name__ == "__main__":
    # SIGTERM (the harness's timeout) unwinds like an exception: `with Pool` blocks terminate their workers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main(sys.argv[1:])
