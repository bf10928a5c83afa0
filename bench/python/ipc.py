"""W12 from Python: the Unix IPC modes driven by Python's own means, between this process and a
forked child; prints one JSON object on stdout.

    python3 bench/python/ipc.py MODE TEST WARM_UP COUNT SIZE   -> {"ms": ELAPSED}

MODE   pipe        os.pipe(), os.write / os.read
       fifo        os.mkfifo() in a temporary directory, os.open / os.write / os.read
       socketpair  socket.socketpair(), sendall / recv
       posix-mq    mq_open / mq_send / mq_receive from libc through ctypes (no standard module)
       sysv-mq     sysv_ipc.MessageQueue (Debian's python3-sysv-ipc; under /usr/bin/python3)
       mp-pipe     multiprocessing.Pipe(), send_bytes / recv_bytes
TEST   stream      the child sends WARM_UP messages of SIZE bytes, waits for a go byte on a pipe,
                   then sends COUNT more; this process receives them all, timed from the go to the
                   last byte received
       pingpong    this process sends SIZE bytes, the child reads them and sends them back;
                   WARM_UP round trips untimed, then COUNT timed

The same loops as bench/c/ipc-loop.c: one send per message; queues (and the Pipe's messages)
receive one message at a time; byte streams are read up to 64 KiB at a time in the stream test
and exactly SIZE bytes in the ping-pong.
"""
import ctypes
import ctypes.util
import json
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import time

CHUNK = 65536
O_CREAT, O_EXCL, O_RDONLY, O_WRONLY, O_RDWR = os.O_CREAT, os.O_EXCL, os.O_RDONLY, os.O_WRONLY, os.O_RDWR


def libc():
    return ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def die_with_parent():
    """The child ends when this process dies (killed at the harness's timeout)."""
    PR_SET_PDEATHSIG = 1
    libc().prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


class MqAttr(ctypes.Structure):
    _fields_ = [("mq_flags", ctypes.c_long), ("mq_maxmsg", ctypes.c_long), ("mq_msgsize", ctypes.c_long), ("mq_curmsgs", ctypes.c_long), ("reserved", ctypes.c_long * 4)]


class PosixQueues:
    """POSIX message queues through ctypes: mq_open, mq_send, mq_receive, mq_close, mq_unlink."""

    def __init__(self):
        name = ctypes.util.find_library("rt")
        self.lib = ctypes.CDLL(name, use_errno=True) if name else libc()
        self.lib.mq_open.restype = ctypes.c_int
        self.lib.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(MqAttr)]
        self.lib.mq_send.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint]
        self.lib.mq_receive.restype = ctypes.c_ssize_t
        self.lib.mq_receive.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_uint)]
        self.lib.mq_unlink.argtypes = [ctypes.c_char_p]

    def check(self, result, call):
        if result < 0:
            error = ctypes.get_errno()
            raise OSError(error, f"{call}: {os.strerror(error)}")
        return result

    def create(self, name, size):
        attr = MqAttr(0, 10, size, 0)
        self.lib.mq_close(self.check(self.lib.mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0o600, ctypes.byref(attr)), "mq_open"))

    def open(self, name, flags):
        return self.check(self.lib.mq_open(name, flags, 0, None), "mq_open")

    def unlink(self, name):
        self.lib.mq_unlink(name)


class Channel:
    """One direction of a mode, seen from one process: send(data) and receive() of one message, receive_many(count)."""

    def __init__(self, send=None, receive=None, stream=None):
        self.send = send
        self.receive = receive
        self.stream = stream  # a callable reading up to n bytes, for byte streams


def stream_channel(read, write, size):
    def receive():
        left, parts = size, []
        while left:
            part = read(left)
            if not part:
                raise EOFError("end of file")
            parts.append(part)
            left -= len(part)
        return b"".join(parts)

    return Channel(send=write, receive=receive, stream=read)


def receive_many(channel, count, size):
    if channel.stream is None:
        for _ in range(count):
            channel.receive()
        return
    left = count * size
    while left:
        part = channel.stream(min(left, CHUNK))
        if not part:
            raise EOFError("end of file")
        left -= len(part)


def open_mode(mode, size, cleanup):
    """Creates the objects of `mode`, forks, and returns (is_child, child_pid, in_channel, out_channel)."""
    parent = os.getpid()
    if mode == "pipe":
        fds = [os.pipe(), os.pipe()]  # 0: child to parent, 1: parent to child
    elif mode == "socketpair":
        pair = socket.socketpair()
    elif mode == "mp-pipe":
        ends = multiprocessing.Pipe()
    elif mode == "fifo":
        folder = tempfile.mkdtemp(prefix="ipc-bench-")
        cleanup.append(lambda: shutil.rmtree(folder, ignore_errors=True))
        paths = [os.path.join(folder, f"fifo{i}") for i in range(2)]
        for path in paths:
            os.mkfifo(path, 0o600)
    elif mode == "posix-mq":
        queues = PosixQueues()
        names = [f"/ipc-bench-py-{os.getpid()}-{i}".encode() for i in range(2)]
        for name in names:
            queues.create(name, size)
            cleanup.append(lambda name=name: queues.unlink(name))
    elif mode == "sysv-mq":
        import sysv_ipc

        queue = sysv_ipc.MessageQueue(None, sysv_ipc.IPC_CREX, mode=0o600, max_message_size=size)
        cleanup.append(lambda: remove_sysv(queue))
    else:
        raise SystemExit(f"unknown mode {mode}")

    child = os.fork()
    me = 1 if child == 0 else 0  # the child receives on direction 1, the parent on direction 0
    if child == 0:
        cleanup.clear()
        die_with_parent()
        if os.getppid() != parent:
            os._exit(1)
    if mode == "pipe":
        os.close(fds[me][1])
        os.close(fds[1 - me][0])
        r, w = fds[me][0], fds[1 - me][1]
        channel = stream_channel(lambda n: os.read(r, n), lambda data: os.write(w, data), size)
        return child == 0, child, channel, channel
    if mode == "socketpair":
        sock = pair[me]
        pair[1 - me].close()
        channel = stream_channel(sock.recv, sock.sendall, size)
        return child == 0, child, channel, channel
    if mode == "mp-pipe":
        end = ends[me]
        ends[1 - me].close()
        channel = Channel(send=end.send_bytes, receive=end.recv_bytes)
        return child == 0, child, channel, channel
    if mode == "fifo":
        # Opened in the same order on both sides, so neither open waits for ever.
        if me:
            w = os.open(paths[0], O_WRONLY)
            r = os.open(paths[1], O_RDONLY)
        else:
            r = os.open(paths[0], O_RDONLY)
            w = os.open(paths[1], O_WRONLY)
        channel = stream_channel(lambda n: os.read(r, n), lambda data: os.write(w, data), size)
        return child == 0, child, channel, channel
    if mode == "posix-mq":
        q_in = queues.open(names[me], O_RDONLY)
        q_out = queues.open(names[1 - me], O_WRONLY)
        buffer = ctypes.create_string_buffer(size)
        lib = queues.lib

        def send(data):
            queues.check(lib.mq_send(q_out, data, len(data), 0), "mq_send")

        def receive():
            got = queues.check(lib.mq_receive(q_in, buffer, size, None), "mq_receive")
            return buffer.raw[:got]

        return child == 0, child, Channel(send=send, receive=receive), Channel(send=send, receive=receive)
    # sysv-mq: one queue, the message type tells the direction
    type_in, type_out = me + 1, 2 - me

    def send(data):
        queue.send(data, type=type_out)

    def receive():
        return queue.receive(type=type_in)[0]

    return child == 0, child, Channel(send=send, receive=receive), Channel(send=send, receive=receive)


def remove_sysv(queue):
    try:
        queue.remove()
    except Exception:
        pass


def run(mode, test, warm_up, count, size):
    cleanup = []
    go_r, go_w = os.pipe()
    try:
        is_child, child, inward, outward = open_mode(mode, size, cleanup)
        message = bytes([7]) * size
        if is_child:
            try:
                if test == "pingpong":
                    for _ in range(warm_up + count):
                        outward.send(inward.receive())
                else:
                    for _ in range(warm_up):
                        outward.send(message)
                    os.read(go_r, 1)
                    for _ in range(count):
                        outward.send(message)
            except BaseException as error:
                print(f"ipc.py child: {error!r}", file=sys.stderr)
                os._exit(1)
            os._exit(0)
        if test == "pingpong":
            for _ in range(warm_up):
                outward.send(message)
                inward.receive()
            started = time.perf_counter()
            for _ in range(count):
                outward.send(message)
                back = inward.receive()
            elapsed = time.perf_counter() - started
            if back != message:
                raise SystemExit("the answer is not what was sent")
        else:
            receive_many(inward, warm_up, size)
            started = time.perf_counter()
            os.write(go_w, b"g")
            receive_many(inward, count, size)
            elapsed = time.perf_counter() - started
        _, status = os.waitpid(child, 0)
        if status != 0:
            raise SystemExit(f"the child failed (status {status})")
        return {"ms": elapsed * 1000}
    finally:
        for step in reversed(cleanup):
            step()


def main(argv):
    mode, test, warm_up, count, size = argv
    if test not in ("stream", "pingpong"):
        raise SystemExit(f"unknown test {test}")
    # The harness's timeout sends SIGTERM: unwind, so that queues and FIFOs are removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(json.dumps(run(mode, test, int(warm_up), int(count), int(size))))


if __name__ == "__main__":
    main(sys.argv[1:])
