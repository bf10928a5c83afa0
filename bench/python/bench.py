"""Python's multiprocessing on the same workloads; prints one JSON object."""
import json
import multiprocessing as mp
import statistics
import sys
import time


def double(x):
    return x * 2


def burn(limit):
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


def w1(n):
    items = list(range(n))
    with mp.get_context("spawn").Pool(2) as pool:
        pool.map(double, items)  # warm
        t = time.perf_counter(); pool.map(double, items); auto = n / (time.perf_counter() - t)
        t = time.perf_counter(); pool.map(double, items, chunksize=1); one = n / (time.perf_counter() - t)
    return {"auto": auto, "chunk1": one}


def calibrate(target_ms):
    """A limit for which burn(limit) takes about target_ms."""
    limit = 2000
    while True:
        t = time.perf_counter(); burn(limit); ms = (time.perf_counter() - t) * 1000
        if ms > target_ms / 4:
            return int(limit * (target_ms / ms) ** (1 / 1.5))
        limit *= 2


def w2(target_ms, tasks, cpus):
    limit = calibrate(target_ms)
    t = time.perf_counter()
    for _ in range(tasks):
        burn(limit)
    serial = time.perf_counter() - t
    with mp.get_context("spawn").Pool(cpus) as pool:
        pool.map(noop_arg, range(cpus))
        t = time.perf_counter(); pool.map(burn, [limit] * tasks, chunksize=1); parallel = time.perf_counter() - t
    return {"serial": serial, "parallel": parallel, "speedup": serial / parallel}


def noop_arg(_):
    pass


def w3(method, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        with mp.get_context(method).Pool(2) as pool:
            pool.apply(noop)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def w7(method, runs):
    times = []
    ctx = mp.get_context(method)
    for _ in range(runs):
        t = time.perf_counter()
        p = ctx.Process(target=noop)
        p.start(); p.join()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


if __name__ == "__main__":
    workload, *args = sys.argv[1:]
    if workload == "W1":
        out = w1(int(args[0]))
    elif workload == "W2":
        out = w2(int(args[0]), int(args[1]), int(args[2]))
    elif workload == "W3":
        out = {"spawn": w3("spawn", int(args[0])), "fork": w3("fork", int(args[0]))}
    else:
        out = {"spawn": w7("spawn", int(args[0])), "fork": w7("fork", int(args[0]))}
    print(json.dumps(out))
