{
  "targets": [
    {
      "target_name": "multiproc",
      "sources": [
        "src/native/cc/addon.cc",
        "src/native/cc/shared-memory.cc",
        "src/native/cc/mapping-guard.cc",
        "src/native/cc/futex.cc",
        "src/native/cc/blocking-call.cc",
        "src/native/cc/futex-async.cc",
        "src/native/cc/process.cc",
        "src/native/cc/unix-socket.cc",
        "src/native/cc/tcp-socket.cc",
        "src/native/cc/ipc-pipe.cc",
        "src/native/cc/signals.cc",
        "src/native/cc/fd-watch.cc",
        "src/native/cc/posix-mq.cc",
        "src/native/cc/posix-semaphore.cc",
        "src/native/cc/sysv-key.cc",
        "src/native/cc/sysv-message-queue.cc",
        "src/native/cc/sysv-semaphore.cc",
        "src/native/cc/sysv-shared-memory.cc",
        "src/native/cc/mapped-buffer.cc",
        "src/native/cc/mapped-file.cc",
        "src/native/cc/file-lock.cc",
        "src/native/cc/fd-stream.cc"
      ],
      "cflags_cc": ["-std=c++17", "-O2", "-Wno-cast-function-type"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["-lrt", "-lpthread"]
    }
  ]
}
